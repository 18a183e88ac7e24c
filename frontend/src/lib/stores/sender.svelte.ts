import { ApiError } from '../api/error';
import { getSender, saveSender } from '../api/settings';
import type { SenderIdentity } from '../api/types';

/** SenderField is one input of the sender identity form. */
export type SenderField = keyof SenderIdentity;

/** SenderSettings is the state of the sender identity form: the draft, progress and the last error. */
export class SenderSettings {
  draft = $state<SenderIdentity>({ fromName: '', fromAddress: '', replyTo: '' });
  loading = $state(false);
  saving = $state(false);
  saved = $state(false);
  error = $state<ApiError | null>(null);

  /** busy is true while loading or saving; the form does not submit then. */
  get busy(): boolean {
    return this.loading || this.saving;
  }

  /** fieldError returns the error about field, if the last one was about it. */
  fieldError(field: SenderField): ApiError | null {
    return this.error?.field === field ? this.error : null;
  }

  /** formError returns the last error if it is about no particular field. */
  get formError(): ApiError | null {
    return this.error !== null && this.error.field === undefined ? this.error : null;
  }

  /** load replaces the draft with the stored sender identity. */
  async load(): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      this.draft = await getSender();
    } catch (reason) {
      this.error = ApiError.from(reason);
    } finally {
      this.loading = false;
    }
  }

  /** save stores the draft; Go validates it and returns what it stored (trimmed). */
  async save(): Promise<void> {
    if (this.busy) return;
    this.saving = true;
    this.saved = false;
    this.error = null;
    try {
      this.draft = await saveSender($state.snapshot(this.draft));
      this.saved = true;
    } catch (reason) {
      this.error = ApiError.from(reason);
    } finally {
      this.saving = false;
    }
  }

  /** edited clears the success note and any error about field once the user changes it. */
  edited(field: SenderField): void {
    this.saved = false;
    if (this.error?.field === field) this.error = null;
  }
}
