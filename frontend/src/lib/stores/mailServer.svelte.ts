import { ApiError } from '../api/error';
import { getListener, getSMTP, saveListener, saveSMTP, testSMTP } from '../api/settings';
import type { ListenerSettings, SMTPSettings } from '../api/types';

/** emptySMTP is the form before the stored settings arrive. */
export function emptySMTP(): SMTPSettings {
  return { host: '', port: 587, security: 'starttls', username: '', maxConnections: 1, ratePerSecond: 0, ratePerMinute: 0, ratePerHour: 0, hasPassword: false };
}

/**
 * SMTPForm is the state of the mail server card. The password is never
 * loaded: the field stays empty, and an empty field keeps the stored one.
 */
export class SMTPForm {
  draft = $state<SMTPSettings>(emptySMTP());
  password = $state('');
  clearPassword = $state(false);
  loading = $state(false);
  saving = $state(false);
  saved = $state(false);
  error = $state<ApiError | null>(null);
  testing = $state(false);
  /** tested is true after a successful test, false after a failed one, null before. */
  tested = $state<boolean | null>(null);
  testError = $state<ApiError | null>(null);

  get busy(): boolean {
    return this.loading || this.saving;
  }

  fieldError(field: string): ApiError | null {
    return this.error?.field === field ? this.error : null;
  }

  get formError(): ApiError | null {
    const f = this.error?.field;
    const shown = ['host', 'port', 'security', 'username', 'password', 'maxConnections', 'ratePerSecond', 'ratePerMinute', 'ratePerHour'];
    return this.error !== null && (f === undefined || !shown.includes(f)) ? this.error : null;
  }

  async load(): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      this.draft = await getSMTP();
    } catch (reason) {
      this.error = ApiError.from(reason);
    } finally {
      this.loading = false;
    }
  }

  async save(): Promise<void> {
    if (this.busy) return;
    this.saving = true;
    this.saved = false;
    this.error = null;
    try {
      const s = $state.snapshot(this.draft);
      this.draft = await saveSMTP(
        { ...s, port: Number(s.port) || 0, maxConnections: Number(s.maxConnections) || 0, ratePerSecond: Number(s.ratePerSecond) || 0,
          ratePerMinute: Number(s.ratePerMinute) || 0,
          ratePerHour: Number(s.ratePerHour) || 0,
        },
        this.clearPassword ? '' : this.password,
        this.clearPassword,
      );
      this.password = '';
      this.clearPassword = false;
      this.saved = true;
    } catch (reason) {
      this.error = ApiError.from(reason);
    } finally {
      this.saving = false;
    }
  }

  /** test connects to the saved server; a failure keeps Go's explanation. */
  async test(): Promise<void> {
    if (this.testing) return;
    this.testing = true;
    this.tested = null;
    this.testError = null;
    try {
      await testSMTP();
      this.tested = true;
    } catch (reason) {
      this.testError = ApiError.from(reason);
      this.tested = false;
    } finally {
      this.testing = false;
    }
  }

  edited(field: string): void {
    this.saved = false;
    if (this.error?.field === field) this.error = null;
  }
}

/** ListenerForm is the state of the listener card. */
export class ListenerForm {
  draft = $state<ListenerSettings>({ publicUrl: '' });
  loading = $state(false);
  saving = $state(false);
  saved = $state(false);
  error = $state<ApiError | null>(null);

  get busy(): boolean {
    return this.loading || this.saving;
  }

  async load(): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      this.draft = await getListener();
    } catch (reason) {
      this.error = ApiError.from(reason);
    } finally {
      this.loading = false;
    }
  }

  async save(): Promise<void> {
    if (this.busy) return;
    this.saving = true;
    this.saved = false;
    this.error = null;
    try {
      this.draft = await saveListener($state.snapshot(this.draft));
      this.saved = true;
    } catch (reason) {
      this.error = ApiError.from(reason);
    } finally {
      this.saving = false;
    }
  }

  edited(): void {
    this.saved = false;
    this.error = null;
  }
}
