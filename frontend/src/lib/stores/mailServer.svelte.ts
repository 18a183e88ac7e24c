import { ApiError } from '../api/error';
import {
  getListener,
  getSMTP,
  listenerStatus,
  saveListener,
  saveSMTP,
  signupForms,
  startListener,
  stopListener,
  testSMTP,
} from '../api/settings';
import type { ListenerSettings, ListenerStatus, SMTPSettings, SignupForm } from '../api/types';

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

/** emptyStatus is the status before the first answer. */
export function emptyStatus(): ListenerStatus {
  return { running: false, addr: '', publicUrl: '', startedAt: '', hits: 0, queued: 0, dropped: 0, notices: 0, noticeErrors: 0, error: '' };
}

/** ListenerForm is the state of the listener card: settings, the running listener and the signup forms. */
export class ListenerForm {
  draft = $state<ListenerSettings>({ publicUrl: '', addr: '', autoStart: false });
  status = $state<ListenerStatus>(emptyStatus());
  /** switching is true while a start or stop is under way. */
  switching = $state(false);
  switchError = $state<ApiError | null>(null);
  forms = $state<SignupForm[]>([]);
  formsError = $state<ApiError | null>(null);
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

  /** refresh reads the listener's status; a failure keeps the last one. */
  async refresh(): Promise<void> {
    try {
      this.status = await listenerStatus();
    } catch {
      // The next poll tries again; the switch shows real errors.
    }
  }

  /** start starts the listener with the saved settings. */
  async start(): Promise<void> {
    await this.flip(startListener);
  }

  /** stop stops the listener gracefully (queued hits are written first). */
  async stop(): Promise<void> {
    await this.flip(stopListener);
  }

  private async flip(action: () => Promise<ListenerStatus>): Promise<void> {
    if (this.switching) return;
    this.switching = true;
    this.switchError = null;
    try {
      this.status = await action();
    } catch (reason) {
      this.switchError = ApiError.from(reason);
      await this.refresh();
    } finally {
      this.switching = false;
    }
  }

  /** loadForms reads the signup form URLs (they need the public URL). */
  async loadForms(): Promise<void> {
    this.formsError = null;
    try {
      this.forms = await signupForms();
    } catch (reason) {
      this.forms = [];
      this.formsError = ApiError.from(reason);
    }
  }
}
