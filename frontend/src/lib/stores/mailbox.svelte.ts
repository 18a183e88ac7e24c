import { ApiError } from '../api/error';
import { ready, subscribe } from '../api/events';
import { Events } from '../api/eventNames';
import { getMailbox, mailboxReplies, mailboxStatus, saveMailbox, syncMailbox, testMailbox } from '../api/mailbox';
import type { MailboxMessage, MailboxProgress, MailboxSettings, MailboxSyncResult } from '../api/types';
import { ServerForm } from './serverForm.svelte';

/** emptyMailbox is the form before the stored settings arrive. */
export function emptyMailbox(): MailboxSettings {
  return {
    host: '',
    port: 993,
    security: 'tls',
    username: '',
    folders: [],
    processedFolder: 'Resonanz',
    syncOnStart: true,
    intervalMinutes: 15,
    softBounceLimit: 3,
    bounceAddress: '',
    unsubscribeAddress: '',
    subAddressing: false,
    hasPassword: false,
  };
}

/** MailboxForm is the state of Settings → Mailbox. */
export class MailboxForm extends ServerForm<MailboxSettings> {
  protected readonly fields = [
    'host',
    'port',
    'security',
    'username',
    'password',
    'folders',
    'processedFolder',
    'intervalMinutes',
    'softBounceLimit',
    'bounceAddress',
    'unsubscribeAddress',
    'subAddressing',
  ];
  /** folders is the folder field as typed: names separated by commas. */
  folders = $state('');

  constructor() {
    super(emptyMailbox());
  }

  protected async fetch(): Promise<MailboxSettings> {
    const s = await getMailbox();
    this.folders = s.folders.join(', ');
    return s;
  }

  protected store(s: MailboxSettings): Promise<MailboxSettings> {
    const n = (v: unknown): number => Number(v) || 0;
    const folders = this.folders.split(',').map((f) => f.trim()).filter((f) => f !== '');
    return saveMailbox(
      { ...s, folders, port: n(s.port), intervalMinutes: n(s.intervalMinutes), softBounceLimit: n(s.softBounceLimit) },
      ...this.newPassword(),
    );
  }

  protected override stored(): void {
    super.stored();
    this.folders = this.draft.folders.join(', ');
  }

  protected probe(): Promise<unknown> {
    return testMailbox();
  }
}

/** MailboxSync is the state of the mailbox panel: a sync with its progress, the last result and the replies. */
export class MailboxSync {
  running = $state(false);
  progress = $state<MailboxProgress | null>(null);
  result = $state<MailboxSyncResult | null>(null);
  lastAt = $state('');
  error = $state<ApiError | null>(null);
  replies = $state<MailboxMessage[]>([]);
  loading = $state(false);

  /** load reads the last sync and the replies. */
  async load(): Promise<void> {
    this.loading = true;
    try {
      const [status, replies] = await Promise.all([mailboxStatus(), mailboxReplies()]);
      this.replies = replies;
      if (status.last) this.result = status.last;
      this.lastAt = status.lastAt;
      if (status.running) {
        this.running = true;
        this.progress = status.progress;
      }
    } catch (reason) {
      this.error = ApiError.from(reason);
    } finally {
      this.loading = false;
    }
  }

  /** sync reads the mailbox now, showing its progress. */
  async sync(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.error = null;
    this.progress = null;
    const off = subscribe(Events.mailboxProgress, (data) => {
      this.progress = data as MailboxProgress;
    });
    try {
      await ready();
      this.result = await syncMailbox();
      this.lastAt = new Date().toISOString();
      this.replies = await mailboxReplies();
    } catch (reason) {
      this.error = ApiError.from(reason);
    } finally {
      off();
      this.running = false;
      this.progress = null;
    }
  }
}
