import { isMessageKey, t } from './i18n/index.svelte';

/**
 * MailboxComplaintSource is the ledger source of a withdrawal caused by a
 * spam complaint (an ARF report) that arrived in the sender's own mailbox.
 * It is stored as the mailbox's provider source (resonanz.SourceMailboxComplaint),
 * but it is no sending provider: it gets its own label.
 */
export const MailboxComplaintSource = 'provider:mailbox';

/** consentSourceLabel names where a ledger record came from; provider logs as provider:<name>. */
export function consentSourceLabel(source: string): string {
  if (source === MailboxComplaintSource) return t('consent.source.mailbox_complaint');
  if (source.startsWith('provider:')) return t('consent.source.provider', { name: source.slice('provider:'.length) });
  const key = `consent.source.${source}`;
  return isMessageKey(key) ? t(key) : source;
}
