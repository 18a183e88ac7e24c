import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { setLocale } from '../lib/i18n/index.svelte';
import type { MailboxSettings } from '../lib/api/types';
import { stubDesktop } from '../test/desktop';
import { addServices, resolved } from '../test/services';
import MailboxCard from './MailboxCard.svelte';

const stored: MailboxSettings = {
  host: 'imap.verein.example',
  port: 993,
  security: 'tls',
  username: 'news@verein.example',
  folders: ['INBOX', 'Bounces'],
  processedFolder: 'Resonanz',
  syncOnStart: true,
  intervalMinutes: 15,
  softBounceLimit: 3,
  bounceAddress: 'bounce@verein.example',
  unsubscribeAddress: 'abmelden@verein.example',
  subAddressing: true,
  hasPassword: true,
};

describe('Settings: mailbox', () => {
  it('loads without the password, saves folders as a list and a new password, and explains a failed test in German', async () => {
    setLocale('de');
    stubDesktop();
    const mailbox = {
      GetSettings: resolved(stored),
      SaveSettings: vi.fn((req: { settings: MailboxSettings; password: string; clearPassword: boolean }) => Promise.resolve({ ...req.settings, hasPassword: true })),
      TestConnection: vi.fn(() =>
        Promise.reject({ code: 'invalid', field: 'password', key: 'error.mailbox.login', message: 'refused', params: { user: 'news@verein.example', reason: 'AUTHENTICATIONFAILED' } }),
      ),
    };
    addServices({ Mailbox: mailbox });
    render(MailboxCard);
    await waitFor(() => expect(screen.getByTestId('mailbox-host')).toHaveValue('imap.verein.example'));
    expect(screen.getByTestId('mailbox-folders')).toHaveValue('INBOX, Bounces');
    expect(screen.getByTestId('mailbox-password')).toHaveValue('');
    expect(screen.getByTestId('mailbox-password-state')).toHaveTextContent('Ein Passwort ist gespeichert');

    await userEvent.clear(screen.getByTestId('mailbox-folders'));
    await userEvent.type(screen.getByTestId('mailbox-folders'), 'INBOX, Rückläufer');
    await userEvent.type(screen.getByTestId('mailbox-password'), 'geheim');
    await userEvent.click(screen.getByTestId('mailbox-save'));
    await waitFor(() => expect(mailbox.SaveSettings).toHaveBeenCalled());
    const req = mailbox.SaveSettings.mock.calls[0]![0];
    expect(req.settings.folders).toEqual(['INBOX', 'Rückläufer']);
    expect(req.password).toBe('geheim');
    expect(await screen.findByTestId('mailbox-saved')).toBeInTheDocument();

    await userEvent.click(screen.getByTestId('mailbox-test'));
    expect(await screen.findByTestId('mailbox-test-error')).toHaveTextContent(
      'Der IMAP-Server hat die Anmeldung von news@verein.example abgelehnt (AUTHENTICATIONFAILED).',
    );
  });
});
