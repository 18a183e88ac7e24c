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
import { ServerForm } from './serverForm.svelte';
import { SettingsForm } from './settingsForm.svelte';

/** emptySMTP is the form before the stored settings arrive. */
export function emptySMTP(): SMTPSettings {
  return { host: '', port: 587, security: 'starttls', username: '', maxConnections: 8, ratePerSecond: 0, ratePerMinute: 0, ratePerHour: 0, hasPassword: false };
}

/** SMTPForm is the state of the mail server card. */
export class SMTPForm extends ServerForm<SMTPSettings> {
  protected readonly fields = ['host', 'port', 'security', 'username', 'password', 'maxConnections', 'ratePerSecond', 'ratePerMinute', 'ratePerHour'];

  constructor() {
    super(emptySMTP());
  }

  protected fetch(): Promise<SMTPSettings> {
    return getSMTP();
  }

  /** The number inputs may hold text while typing: they go to Go as numbers. */
  protected store(s: SMTPSettings): Promise<SMTPSettings> {
    const n = (v: unknown): number => Number(v) || 0;
    return saveSMTP(
      {
        ...s,
        port: n(s.port),
        maxConnections: n(s.maxConnections),
        ratePerSecond: n(s.ratePerSecond),
        ratePerMinute: n(s.ratePerMinute),
        ratePerHour: n(s.ratePerHour),
      },
      ...this.newPassword(),
    );
  }

  protected probe(): Promise<unknown> {
    return testSMTP();
  }
}

/** emptyStatus is the status before the first answer. */
export function emptyStatus(): ListenerStatus {
  return { running: false, addr: '', publicUrl: '', startedAt: '', hits: 0, queued: 0, dropped: 0, notices: 0, noticeErrors: 0, error: '' };
}

/** ListenerForm is the state of the listener card: settings, the running listener and the signup forms. */
export class ListenerForm extends SettingsForm<ListenerSettings> {
  status = $state<ListenerStatus>(emptyStatus());
  /** switching is true while a start or stop is under way. */
  switching = $state(false);
  switchError = $state<ApiError | null>(null);
  forms = $state<SignupForm[]>([]);
  formsError = $state<ApiError | null>(null);

  /** trustedProxies is the trusted-proxy field as typed: entries separated by commas, spaces or lines. */
  trustedProxies = $state('');

  constructor() {
    super({ publicUrl: '', addr: '', autoStart: false, trustedProxies: [] });
  }

  protected async fetch(): Promise<ListenerSettings> {
    const ls = await getListener();
    this.trustedProxies = ls.trustedProxies.join(', ');
    return ls;
  }

  protected store(draft: ListenerSettings): Promise<ListenerSettings> {
    const trustedProxies = this.trustedProxies.split(/[\s,]+/).filter((p) => p !== '');
    return saveListener({ ...draft, trustedProxies });
  }

  protected override stored(): void {
    this.trustedProxies = this.draft.trustedProxies.join(', ');
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
