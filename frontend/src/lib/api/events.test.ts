import { afterEach, describe, expect, it, vi } from 'vitest';
import { ready, subscribe } from './events';

/** FakeEventSource stands in for the browser's EventSource. */
class FakeEventSource {
  static instances: FakeEventSource[] = [];
  readonly url: string;
  closed = false;
  private handlers = new Map<string, ((e: MessageEvent) => void)[]>();

  constructor(url: string) {
    this.url = url;
    FakeEventSource.instances.push(this);
  }

  addEventListener(type: string, cb: (e: MessageEvent) => void): void {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), cb]);
  }

  close(): void {
    this.closed = true;
  }

  emit(type: string, data?: unknown): void {
    this.emitRaw(type, JSON.stringify(data));
  }

  emitRaw(type: string, raw: string): void {
    for (const cb of this.handlers.get(type) ?? []) cb(new MessageEvent(type, { data: raw }));
  }
}

describe('subscribe in the desktop window', () => {
  afterEach(() => {
    delete window.runtime;
  });

  it('listens through the Wails runtime and unsubscribes once', () => {
    const off = vi.fn();
    const handlers: ((...data: unknown[]) => void)[] = [];
    const EventsOn = vi.fn((_name: string, cb: (...data: unknown[]) => void) => {
      handlers.push(cb);
      return off;
    });
    window.runtime = { EventsOn };
    const es = vi.fn();
    vi.stubGlobal('EventSource', es);

    const got: unknown[] = [];
    const unsubscribe = subscribe('import:progress:op1', (d) => got.push(d));
    expect(EventsOn).toHaveBeenCalledWith('import:progress:op1', expect.any(Function));
    handlers[0]?.({ rows: 5, bytes: 10, totalBytes: 100 });
    expect(got).toEqual([{ rows: 5, bytes: 10, totalBytes: 100 }]);

    unsubscribe();
    unsubscribe();
    expect(off).toHaveBeenCalledTimes(1);
    expect(es).not.toHaveBeenCalled();
  });
});

describe('subscribe in a browser', () => {
  afterEach(() => {
    FakeEventSource.instances = [];
  });

  it('shares one EventSource, dispatches by name and closes it after the last unsubscribe', async () => {
    vi.stubGlobal('EventSource', FakeEventSource);
    const a: unknown[] = [];
    const b: unknown[] = [];
    const offA = subscribe('import:progress:a', (d) => a.push(d));
    const offB = subscribe('import:progress:b', (d) => b.push(d));
    expect(FakeEventSource.instances).toHaveLength(1);
    const source = FakeEventSource.instances[0]!;
    expect(source.url).toBe('/api/events');

    source.emit('open');
    await ready();
    source.emit('message', { name: 'import:progress:a', data: { rows: 1 } });
    source.emit('message', { name: 'import:progress:b', data: { rows: 2 } });
    source.emit('message', { name: 'something:else', data: { rows: 3 } });
    expect(a).toEqual([{ rows: 1 }]);
    expect(b).toEqual([{ rows: 2 }]);

    offA();
    source.emit('message', { name: 'import:progress:a', data: { rows: 4 } });
    expect(a).toHaveLength(1);
    expect(source.closed).toBe(false);
    offB();
    expect(source.closed).toBe(true);

    // A later subscription opens a fresh stream.
    const offC = subscribe('system:damaged', () => {});
    expect(FakeEventSource.instances).toHaveLength(2);
    offC();
  });

  it('authenticates the stream with the token in the query, not with the asset cookie', () => {
    vi.stubGlobal('EventSource', FakeEventSource);
    sessionStorage.setItem('resonanz.token', 'tok/en+1');
    try {
      const off = subscribe('system:damaged', () => {});
      expect(FakeEventSource.instances[0]!.url).toBe('/api/events?token=tok%2Fen%2B1');
      off();
    } finally {
      sessionStorage.removeItem('resonanz.token');
    }
  });

  it('ignores messages that are not JSON', () => {
    vi.stubGlobal('EventSource', FakeEventSource);
    const cb = vi.fn();
    const off = subscribe('mailbox:done', cb);
    const source = FakeEventSource.instances[0]!;
    source.emitRaw('message', 'not json');
    source.emitRaw('message', JSON.stringify({ data: 1 }));
    expect(cb).not.toHaveBeenCalled();
    off();
  });
});
