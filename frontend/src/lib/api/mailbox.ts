import { Mailbox } from './facades';
import type { MailboxMessage, MailboxSettings, MailboxStatus, MailboxSyncResult } from './types';

/** getMailbox returns the mailbox settings (never the password). */
export function getMailbox(): Promise<MailboxSettings> {
  return Mailbox.GetSettings();
}

/** saveMailbox validates and stores the settings; password replaces the stored one when not empty, clearPassword removes it. */
export function saveMailbox(settings: MailboxSettings, password: string, clearPassword: boolean): Promise<MailboxSettings> {
  return Mailbox.SaveSettings({ settings, password, clearPassword });
}

/** testMailbox connects with the saved settings, logs in and opens the folders; it rejects with Go's explanation. */
export function testMailbox(): Promise<boolean> {
  return Mailbox.TestConnection();
}

/** syncMailbox reads the mailbox now; progress arrives as mailbox:progress events. */
export function syncMailbox(): Promise<MailboxSyncResult> {
  return Mailbox.Sync();
}

/** mailboxStatus reports the running or last sync. */
export function mailboxStatus(): Promise<MailboxStatus> {
  return Mailbox.Status();
}

/** mailboxReplies lists the replies the syncs kept (newest first). */
export function mailboxReplies(limit = 200): Promise<MailboxMessage[]> {
  return Mailbox.Replies(limit);
}
