import { withToken } from './client';
import { scoped, type EventName, type ScopedEventName } from './eventNames';

/** EventCallback receives the data of one event. */
export type EventCallback = (data: unknown) => void;

declare global {
  interface Window {
    /** runtime is the Wails v2 runtime in the desktop window; absent in a browser. */
    runtime?: { EventsOn?: (name: string, cb: (...data: unknown[]) => void) => () => void };
  }
}

const listeners = new Map<string, Set<EventCallback>>();
let source: EventSource | null = null;
let opened: Promise<void> | null = null;

function dispatch(event: MessageEvent): void {
  let message: unknown;
  try {
    message = JSON.parse(String(event.data));
  } catch {
    return;
  }
  if (typeof message !== 'object' || message === null || !('name' in message)) return;
  const name = (message as { name: unknown }).name;
  if (typeof name !== 'string') return;
  const data = 'data' in message ? message.data : undefined;
  for (const cb of [...(listeners.get(name) ?? [])]) cb(data);
}

function connect(): EventSource {
  if (source === null) {
    // One shared stream for the whole page; EventSource sends no headers, so the token goes in the query.
    const es = new EventSource(withToken('/api/events'));
    es.addEventListener('message', dispatch);
    opened = new Promise((resolve) => {
      es.addEventListener('open', () => resolve(), { once: true });
      // Do not hold a job back forever if the stream is slow to open; it reconnects by itself.
      setTimeout(resolve, 1000);
    });
    source = es;
  }
  return source;
}

/**
 * subscribe calls cb with the data of every event called name until the
 * returned function is called: through the Wails runtime in the desktop
 * window, through one shared EventSource on /api/events in a browser.
 */
export function subscribe(name: EventName | ScopedEventName, cb: EventCallback): () => void {
  const on = window.runtime?.EventsOn;
  if (on !== undefined) {
    const off = on(name, (data) => cb(data));
    let done = false;
    return () => {
      if (done) return;
      done = true;
      off();
    };
  }
  connect();
  let set = listeners.get(name);
  if (set === undefined) {
    set = new Set();
    listeners.set(name, set);
  }
  set.add(cb);
  return () => {
    const current = listeners.get(name);
    if (current === undefined || !current.delete(cb)) return;
    if (current.size === 0) listeners.delete(name);
    if (listeners.size === 0 && source !== null) {
      source.close();
      source = null;
      opened = null;
    }
  };
}

/**
 * ready resolves once the browser's event stream is open (or after a second),
 * so a job started afterwards does not emit into the void. It resolves at
 * once in the desktop window or without subscribers.
 */
export function ready(): Promise<void> {
  return opened ?? Promise.resolve();
}

/**
 * withProgress runs job (an operation Go runs under opId) and passes each
 * of its progress events `<event>:<opId>` to onProgress while it runs: the
 * subscription is made (and the event stream ready) before the job starts
 * and removed when it ends, also when it fails. The job's result is the
 * operation's final result.
 */
export async function withProgress<T, P>(
  event: EventName,
  opId: string,
  onProgress: (progress: P) => void,
  job: () => Promise<T>,
): Promise<T> {
  const off = subscribe(scoped(event, opId), (data) => onProgress(data as P));
  try {
    await ready();
    return await job();
  } finally {
    off();
  }
}
