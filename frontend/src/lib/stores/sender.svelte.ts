import { getSender, saveSender } from '../api/settings';
import type { ApiError } from '../api/error';
import type { SenderIdentity } from '../api/types';
import { SettingsForm } from './settingsForm.svelte';

/** SenderField is one input of the sender identity form. */
export type SenderField = keyof SenderIdentity;

/** SenderSettings is the state of the sender identity form: the draft, progress and the last error. */
export class SenderSettings extends SettingsForm<SenderIdentity> {
  constructor() {
    super({ fromName: '', fromAddress: '', replyTo: '' });
  }

  protected fetch(): Promise<SenderIdentity> {
    return getSender();
  }

  /** Go validates the identity and returns what it stored (trimmed). */
  protected store(draft: SenderIdentity): Promise<SenderIdentity> {
    return saveSender(draft);
  }

  /** formError returns the last error if it is about no particular field. */
  get formError(): ApiError | null {
    return this.error !== null && this.error.field === undefined ? this.error : null;
  }
}
