import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { setLocale } from '../lib/i18n/index.svelte';
import type { MailboxMessage, MailboxStatus, MailboxSyncResult } from '../lib/api/types';
import { recipientHandoff } from '../lib/stores/recipientHandoff.svelte';
import { stubDesktop } from '../test/desktop';
import { addServices, resolved } from '../test/services';
import MailboxPanel from './MailboxPanel.svelte';

const result: MailboxSyncResult = {
  read: 1234,
  bounces_hard: 12,
  bounces_soft: 3,
  complaints: 1,
  unsubscribes: 2,
  auto_replies: 5,
  replies: 1,
  unmatched: 4,
  errors: [{ folder: 'INBOX', uid: 77, reason: 'The message could not be read (bad header).', key: 'error.mailbox.message.unreadable', params: { reason: 'bad header' } }],
  skipped: 0,
};

const reply: MailboxMessage = {
  key: 'mid:r1@example.org',
  kind: 'reply',
  outcome: 'kept',
  reason: '',
  date: '2026-12-01T12:05:00Z',
  from: 'sabine@example.com',
  fromName: 'Sabine Wolf',
  subject: 'Re: Neuigkeiten',
  recipientId: 42,
  mailingId: 7,
  folder: 'INBOX',
  uid: 9,
};

const idle: MailboxStatus = { running: false, progress: { folder: '', done: 0, total: 0 }, lastAt: '', last: null, error: '' };

describe('Reactions: mailbox', () => {
  it('syncs with a progress bar, shows the counts in German and links a reply to its recipient', async () => {
    setLocale('de');
    stubDesktop();
    // Progress events arrive through the Wails runtime in the desktop window.
    let progress: (data: unknown) => void = () => {};
    window.runtime = {
      EventsOn: vi.fn((name: string, cb: (...data: unknown[]) => void) => {
        if (name === 'mailbox:progress') progress = cb;
        return () => {};
      }),
    };
    let finish: (r: MailboxSyncResult) => void = () => {};
    const mailbox = {
      Status: resolved(idle),
      Replies: vi.fn().mockResolvedValueOnce([]).mockResolvedValue([reply]),
      Sync: vi.fn(() => new Promise<MailboxSyncResult>((resolve) => (finish = resolve))),
    };
    addServices({ Mailbox: mailbox });
    render(MailboxPanel);
    await waitFor(() => expect(screen.getByTestId('mailbox-no-replies')).toHaveTextContent('Keine Antworten.'));

    await userEvent.click(screen.getByTestId('mailbox-sync'));
    expect(await screen.findByTestId('mailbox-progress')).toBeInTheDocument();
    expect(screen.getByTestId('mailbox-sync')).toBeDisabled();
    progress({ folder: 'INBOX', done: 500, total: 1234 });
    await waitFor(() => expect(screen.getByTestId('mailbox-progress')).toHaveTextContent('INBOX: 500 von 1.234 Nachrichten'));
    finish(result);

    await waitFor(() => expect(screen.getByTestId('mailbox-count-read')).toHaveTextContent('1.234'));
    expect(screen.getByTestId('mailbox-count-bounces_hard')).toHaveTextContent('12');
    expect(screen.getByTestId('mailbox-count-errors')).toHaveTextContent('1');
    // The reason comes from the catalogue, in German.
    expect(screen.getByTestId('mailbox-result').parentElement).toHaveTextContent('Ordner INBOX, UID 77: Die Nachricht lässt sich nicht lesen (bad header).');
    expect(screen.queryByTestId('mailbox-progress')).not.toBeInTheDocument();
    const table = await screen.findByTestId('mailbox-replies');
    expect(table).toHaveTextContent('Sabine Wolf <sabine@example.com>');
    expect(table).toHaveTextContent('Re: Neuigkeiten');

    await userEvent.click(screen.getByTestId('mailbox-open-recipient'));
    expect(recipientHandoff.take()).toBe(42);
    expect(window.location.hash).toBe('#/recipients');
    delete window.runtime;
  });
});
