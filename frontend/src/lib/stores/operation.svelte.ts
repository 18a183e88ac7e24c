import { withProgress } from '../api/events';
import type { EventName } from '../api/eventNames';

/**
 * Operation is the long job a store runs under an opId (an import,
 * confirmation mails, a backup or restore), one at a time: run starts it
 * with a fresh opId and follows its progress events `<event>:<opId>` into
 * progress until it ends; cancel asks Go to stop it. Events of an earlier
 * run that arrive late are ignored.
 */
export class Operation<P> {
  /** progress is the job's latest progress event (or what run started with). */
  progress = $state<P | null>(null);
  #opId = '';
  readonly #event: EventName;
  readonly #cancel: (opId: string) => Promise<unknown>;

  constructor(event: EventName, cancel: (opId: string) => Promise<unknown>) {
    this.#event = event;
    this.#cancel = cancel;
  }

  /** run starts job under a fresh opId, with progress start until the first event; it returns (or throws) what the job does. */
  async run<T>(start: P | null, job: (opId: string) => Promise<T>): Promise<T> {
    const opId = crypto.randomUUID();
    this.#opId = opId;
    this.progress = start;
    try {
      return await withProgress<T, P>(
        this.#event,
        opId,
        (p) => {
          if (this.#opId === opId) this.progress = p;
        },
        () => job(opId),
      );
    } finally {
      this.#opId = '';
    }
  }

  /** cancel asks Go to stop the running job after its current step; nothing when none runs. */
  async cancel(): Promise<void> {
    if (this.#opId !== '') await this.#cancel(this.#opId);
  }
}
