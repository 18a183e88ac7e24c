import { ApiError } from '../api/error';
import { withProgress } from '../api/events';
import { Events } from '../api/eventNames';
import { cancelConfirmations, sendConfirmations } from '../api/recipients';
import type { ConfirmationResult } from '../api/types';

/** ConfirmationRun sends the double opt-in mail to every unconfirmed member of one list, with progress. */
export class ConfirmationRun {
  listId = $state(0);
  running = $state(false);
  progress = $state<ConfirmationResult | null>(null);
  error = $state<ApiError | null>(null);
  #opId = '';

  constructor(private readonly done: () => Promise<void>) {}

  async start(listId: number): Promise<void> {
    if (this.running) return;
    const opId = crypto.randomUUID();
    this.#opId = opId;
    this.listId = listId;
    this.running = true;
    this.error = null;
    this.progress = { total: 0, done: 0, sent: 0, skipped: 0, failed: 0, errors: [] };
    try {
      this.progress = await withProgress<ConfirmationResult, ConfirmationResult>(
        Events.confirmationsProgress,
        opId,
        (p) => {
          if (this.#opId === opId) this.progress = p;
        },
        () => sendConfirmations(listId, opId),
      );
    } catch (reason) {
      this.error = ApiError.from(reason);
    } finally {
      this.running = false;
      this.#opId = '';
    }
    await this.done();
  }

  /** cancel stops the run after the current mail. */
  async cancel(): Promise<void> {
    if (this.#opId === '') return;
    try {
      await cancelConfirmations(this.#opId);
    } catch (reason) {
      this.error = ApiError.from(reason);
    }
  }
}
