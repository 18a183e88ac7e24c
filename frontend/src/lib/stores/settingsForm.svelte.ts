import { ApiError } from '../api/error';

/**
 * SettingsForm is the state of a settings card: a draft loaded from Go and
 * saved back (Go validates and returns what it stored), progress and the
 * last error. A card supplies how its settings are read and stored.
 */
export abstract class SettingsForm<T> {
  draft = $state() as T;
  loading = $state(false);
  saving = $state(false);
  saved = $state(false);
  error = $state<ApiError | null>(null);

  constructor(initial: T) {
    this.draft = initial;
  }

  /** fetch reads the stored settings. */
  protected abstract fetch(): Promise<T>;

  /** store saves draft and returns what Go stored. */
  protected abstract store(draft: T): Promise<T>;

  /** stored runs after a successful save (a card clears its extra fields). */
  protected stored(): void {}

  /** busy is true while loading or saving; the form does not submit then. */
  get busy(): boolean {
    return this.loading || this.saving;
  }

  /** fieldError returns the error about field, if the last one was about it. */
  fieldError(field: string): ApiError | null {
    return this.error?.field === field ? this.error : null;
  }

  /** load replaces the draft with the stored settings. */
  async load(): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      this.draft = await this.fetch();
    } catch (reason) {
      this.error = ApiError.from(reason);
    } finally {
      this.loading = false;
    }
  }

  /** save stores the draft and shows what Go stored. */
  async save(): Promise<void> {
    if (this.busy) return;
    this.saving = true;
    this.saved = false;
    this.error = null;
    try {
      this.draft = await this.store($state.snapshot(this.draft) as T);
      this.stored();
      this.saved = true;
    } catch (reason) {
      this.error = ApiError.from(reason);
    } finally {
      this.saving = false;
    }
  }

  /**
   * edited clears the success note once the user changes something, and the
   * error if it was about field (any error when no field is given).
   */
  edited(field?: string): void {
    this.saved = false;
    if (field === undefined || this.error?.field === field) this.error = null;
  }
}
