import { ApiError } from '../api/error';
import { Events } from '../api/eventNames';
import { cancelConfirmations, sendConfirmations } from '../api/recipients';
import type { ConfirmationResult } from '../api/types';
import { Operation } from './operation.svelte';

/** ConfirmationRun sends the double opt-in mail to every unconfirmed member of one list, with progress. */
export class ConfirmationRun {
  listId = $state(0);
  running = $state(false);
  error = $state<ApiError | null>(null);
  readonly #op = new Operation<ConfirmationResult>(Events.confirmationsProgress, cancelConfirmations);

  constructor(private readonly done: () => Promise<void>) {}

  /** progress is the run's progress, and its result once it ended. */
  get progress(): ConfirmationResult | null {
    return this.#op.progress;
  }

  async start(listId: number): Promise<void> {
    if (this.running) return;
    this.listId = listId;
    this.running = true;
    this.error = null;
    try {
      const start = { total: 0, done: 0, sent: 0, skipped: 0, failed: 0, errors: [] };
      this.#op.progress = await this.#op.run(start, (opId) => sendConfirmations(listId, opId));
    } catch (reason) {
      this.error = ApiError.from(reason);
    } finally {
      this.running = false;
    }
    await this.done();
  }

  /** cancel stops the run after the current mail. */
  async cancel(): Promise<void> {
    try {
      await this.#op.cancel();
    } catch (reason) {
      this.error = ApiError.from(reason);
    }
  }
}
