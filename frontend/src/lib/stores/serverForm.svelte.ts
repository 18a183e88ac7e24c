import { ApiError } from '../api/error';
import { SettingsForm } from './settingsForm.svelte';

/** ServerLogin is what every server the desk logs in to has (mail server, mailbox). */
export interface ServerLogin {
  host: string;
  port: number;
  security: string;
  username: string;
  /** read only: a password is stored */
  hasPassword: boolean;
}

/**
 * ServerForm is the state of a card for a server the desk logs in to: the
 * password is never loaded (the field stays empty, and an empty field keeps
 * the stored one), and a test connects with the saved settings.
 */
export abstract class ServerForm<T extends ServerLogin> extends SettingsForm<T> {
  password = $state('');
  clearPassword = $state(false);
  testing = $state(false);
  /** tested is true after a successful test, false after a failed one, null before. */
  tested = $state<boolean | null>(null);
  testError = $state<ApiError | null>(null);

  /** fields are the fields the card shows errors beside; others show as the form's error. */
  protected abstract readonly fields: readonly string[];

  /** probe tests the saved settings (Go's explanation on failure). */
  protected abstract probe(): Promise<unknown>;

  get formError(): ApiError | null {
    const f = this.error?.field;
    return this.error !== null && (f === undefined || !this.fields.includes(f)) ? this.error : null;
  }

  /** newPassword is the password and the remove-it choice as a save sends them ('' keeps the stored one). */
  protected newPassword(): [password: string, clear: boolean] {
    return [this.clearPassword ? '' : this.password, this.clearPassword];
  }

  protected override stored(): void {
    this.password = '';
    this.clearPassword = false;
  }

  /** test connects to the saved server; a failure keeps Go's explanation. */
  async test(): Promise<void> {
    if (this.testing) return;
    this.testing = true;
    this.tested = null;
    this.testError = null;
    try {
      await this.probe();
      this.tested = true;
    } catch (reason) {
      this.testError = ApiError.from(reason);
      this.tested = false;
    } finally {
      this.testing = false;
    }
  }
}
