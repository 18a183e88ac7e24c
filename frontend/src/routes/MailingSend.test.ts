import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import de from '../lib/i18n/de.json';
import en from '../lib/i18n/en.json';
import { setLocale } from '../lib/i18n/index.svelte';
import type { Audience, MailPreview, SendRun } from '../lib/api/types';
import { ada, sampleAttributes, stubRecipients } from '../test/recipients';
import { addServices, resolved, spring } from '../test/services';
import Mailings from './Mailings.svelte';

const preview: MailPreview = { recipient: ada, subject: 's', preheader: '', html: '<p>Hi</p>', text: 'Hi', skipped: '' };
const whole: Audience = { members: 120, eligible: 100, withoutConsent: 15, suppressed: 5, alreadySent: 0 };
const idle: SendRun = { mailingId: 3, status: 'idle', total: 0, queued: 0, sent: 0, failed: 0, skipped: 0, pausedReason: '' };

function stub(run: SendRun = idle) {
  stubRecipients();
  const handlers = new Map<string, (data: unknown) => void>();
  const off = vi.fn();
  window.runtime = {
    EventsOn: vi.fn((name: string, cb: (...data: unknown[]) => void) => {
      handlers.set(name, (d) => cb(d));
      return off;
    }),
  };
  const mailings = {
    List: resolved([spring]),
    Get: resolved({ mailing: spring, links: [], groups: [], fields: sampleAttributes }),
    Preview: resolved(preview),
    Audience: vi.fn((_m: number, g: number) => Promise.resolve(g === 7 ? { ...whole, members: 40, eligible: 30 } : whole)),
    SendStatus: resolved(run),
    TestSend: vi.fn((req: { addresses: string[] }) => Promise.resolve(req.addresses)),
    ExportEML: resolved({ name: 'Fruehling.eml', content: 'Subject: x\r\n\r\nHi' }),
    ExportMbox: resolved({ name: 'Fruehling.mbox', content: 'From a@b Sat Nov 28 09:00:00 2026\nSubject: x\n\nHi\n\n' }),
    ExportEMLZip: resolved({ name: 'Fruehling-eml.zip', content: 'UEsDBA==', encoding: 'base64' }),
    StartSend: resolved({ ...idle, status: 'sending', total: 100, queued: 100 }),
    PauseSend: resolved(true),
  };
  addServices({
    Mailings: mailings,
    Templates: { Layouts: resolved([]), MailingTemplates: resolved([]) },
    Analysis: { TargetGroups: resolved([{ id: 7, name: 'Wanderer', description: '', rule: {}, createdAt: '', updatedAt: '' }]) },
    Settings: { GetSMTP: resolved({ host: 'h', port: 587, security: 'starttls', username: '', maxConnections: 1, ratePerSecond: 5, ratePerMinute: 60, ratePerHour: 0, hasPassword: false }) },
  });
  return { mailings, handlers, off };
}

async function openSpring() {
  const user = userEvent.setup({ delay: null });
  render(Mailings);
  await user.click(await screen.findByTestId('mailing-open-3'));
  await screen.findByTestId('send-panel');
  await waitFor(() => expect(screen.getByTestId('audience-eligible')).toHaveTextContent('100 of 120'));
  return user;
}

describe('Mailings: send panel', () => {
  afterEach(() => {
    delete window.runtime;
  });

  it('shows the audience, with the consent hint, per target group', async () => {
    const { mailings } = stub();
    const user = await openSpring();
    expect(mailings.Audience).toHaveBeenCalledWith(3, 0);
    expect(screen.getByTestId('audience-withoutConsent')).toHaveTextContent('15');
    expect(screen.getByTestId('audience-suppressed')).toHaveTextContent('5');
    expect(screen.getByTestId('audience-consent-hint')).toHaveTextContent(en['send.audience.consentHint']);
    await user.selectOptions(screen.getByTestId('send-group'), '7');
    await waitFor(() => expect(screen.getByTestId('audience-eligible')).toHaveTextContent('30 of 40'));
    expect(mailings.Audience).toHaveBeenLastCalledWith(3, 7);

    setLocale('de');
    await waitFor(() => expect(screen.getByTestId('audience-consent-hint')).toHaveTextContent(de['send.audience.consentHint']));
  });

  it('sends a test mail to the typed addresses and exports an .eml', async () => {
    const { mailings } = stub();
    const user = await openSpring();
    await user.type(screen.getByTestId('send-test-addresses'), 'a@example.org, b@example.org');
    await user.click(screen.getByTestId('send-test'));
    expect(await screen.findByTestId('send-test-sent')).toHaveTextContent('a@example.org, b@example.org');
    expect(mailings.TestSend).toHaveBeenCalledWith(
      expect.objectContaining({ recipientId: 0, addresses: ['a@example.org', 'b@example.org'], mailing: expect.objectContaining({ id: 3 }) }),
    );

    mailings.TestSend.mockImplementation(() =>
      Promise.reject({ code: 'invalid', field: 'addresses', key: 'error.testSend.addresses', message: 'Enter one to ten addresses for the test mail.' }),
    );
    await user.click(screen.getByTestId('send-test'));
    expect(await screen.findByTestId('send-test-error')).toHaveTextContent('Enter one to ten addresses');

    // In the desktop window the .eml goes through the native save dialog.
    const save = resolved('/home/ada/Fruehling.eml');
    addServices({ System: { SaveTextFile: save } });
    await user.click(screen.getByTestId('send-export-eml'));
    await waitFor(() => expect(save).toHaveBeenCalledWith('Fruehling.eml', 'Subject: x\r\n\r\nHi'));
    expect(mailings.ExportEML).toHaveBeenCalledWith(3, 0);
  });

  it('exports the chosen audience as .mbox and as a ZIP of .eml files', async () => {
    const { mailings } = stub();
    const user = await openSpring();
    await user.selectOptions(screen.getByTestId('send-group'), '7');
    await waitFor(() => expect(screen.getByTestId('audience-eligible')).toHaveTextContent('30 of 40'));
    const text = resolved('/home/ada/Fruehling.mbox');
    const binary = resolved('/home/ada/Fruehling-eml.zip');
    addServices({ System: { SaveTextFile: text, SaveBase64File: binary } });
    await user.click(screen.getByTestId('send-export-mbox'));
    await waitFor(() => expect(text).toHaveBeenCalledWith('Fruehling.mbox', expect.stringContaining('Subject: x')));
    expect(mailings.ExportMbox).toHaveBeenCalledWith(3, 7);
    // The ZIP travels base64-encoded and is saved as bytes by Go.
    await user.click(screen.getByTestId('send-export-zip'));
    await waitFor(() => expect(binary).toHaveBeenCalledWith('Fruehling-eml.zip', 'UEsDBA=='));
    expect(mailings.ExportEMLZip).toHaveBeenCalledWith(3, 7);
  });

  it('confirms, starts, follows progress events, pauses and unsubscribes on leaving', async () => {
    const { mailings, handlers, off } = stub();
    const user = await openSpring();
    expect(window.runtime?.EventsOn).toHaveBeenCalledWith('send:progress:3', expect.any(Function));

    await user.click(screen.getByTestId('send-start'));
    expect(screen.getByTestId('send-confirm')).toHaveTextContent('100 people');
    await user.click(screen.getByTestId('send-confirm-cancel'));
    expect(mailings.StartSend).not.toHaveBeenCalled();

    // The limits come from the mail server settings and can be changed for
    // this run; the estimate follows them (100 people at 60 a minute: the
    // second minute's batch starts after 1 min, at 40/h after 2 h).
    expect(screen.getByTestId('send-limit-perSecond')).toHaveValue(5);
    expect(screen.getByTestId('send-limit-perMinute')).toHaveValue(60);
    expect(screen.getByTestId('send-limits-estimate')).toHaveTextContent('100 people takes at least 1 min');
    await user.type(screen.getByTestId('send-limit-perHour'), '40');
    expect(screen.getByTestId('send-limits-estimate')).toHaveTextContent('at least 2 h 0 min');

    await user.click(screen.getByTestId('send-start'));
    await user.click(screen.getByTestId('send-confirm-confirm'));
    await waitFor(() =>
      expect(mailings.StartSend).toHaveBeenCalledWith({
        mailingId: 3,
        targetGroupId: 0,
        ratePerSecond: 5,
        ratePerMinute: 60,
        ratePerHour: 40,
        errorThreshold: 0,
        opId: '3',
        withoutRelay: false,
      }),
    );
    await screen.findByTestId('send-pause');
    expect(screen.getByTestId('send-start')).toBeDisabled();

    handlers.get('send:progress:3')?.({ ...idle, status: 'sending', total: 100, queued: 60, sent: 38, failed: 1, skipped: 1 });
    await waitFor(() => expect(screen.getByTestId('send-progress')).toHaveAttribute('aria-valuenow', '40'));
    expect(screen.getByTestId('send-counts')).toHaveTextContent('38 sent, 1 failed, 1 skipped, 60 still to send (of 100)');

    await user.click(screen.getByTestId('send-pause'));
    expect(mailings.PauseSend).toHaveBeenCalledWith(3);
    handlers.get('send:progress:3')?.({ ...idle, status: 'paused', total: 100, queued: 20, sent: 78, failed: 1, skipped: 1 });
    await waitFor(() => expect(screen.getByTestId('send-start')).toHaveTextContent('Resume sending'));
    expect(screen.queryByTestId('send-paused-reason')).not.toBeInTheDocument();

    await user.click(screen.getByTestId('mailing-back'));
    expect(off).toHaveBeenCalled();
  });

  it('shows a paused run and why it paused itself when opened', async () => {
    stub({ ...idle, status: 'paused', total: 100, queued: 50, sent: 45, failed: 5, pausedReason: 'too many failures' });
    await openSpring();
    expect(await screen.findByTestId('send-paused-reason')).toHaveTextContent('The send paused itself: too many failures');
    expect(screen.getByTestId('send-start')).toHaveTextContent('Resume sending');
    expect(screen.getByTestId('send-start')).toBeEnabled();
    expect(screen.getByTestId('send-progress')).toHaveAttribute('aria-valuenow', '50');
  });

  it('does not send when the relay cannot be synced, and the user may send anyway', async () => {
    const { mailings } = stub();
    mailings.StartSend = vi.fn((req: { withoutRelay: boolean }) =>
      req.withoutRelay
        ? Promise.resolve({ ...idle, status: 'sending', total: 100, queued: 100 })
        : Promise.reject({ code: 'conflict', key: 'error.relay.beforeSend', message: 'x', params: { url: 'https://relay.example' } }),
    );
    addServices({ Mailings: mailings });
    const user = await openSpring();
    await user.click(screen.getByTestId('send-start'));
    await user.click(screen.getByTestId('send-confirm-confirm'));
    expect(await screen.findByTestId('send-error')).toHaveTextContent(
      'The relay at https://relay.example could not be synced before the send, so unsubscribes made there may be missing. The send did not start.',
    );
    expect(mailings.StartSend).toHaveBeenCalledTimes(1);
    await user.click(screen.getByTestId('send-without-relay'));
    await waitFor(() => expect(mailings.StartSend).toHaveBeenLastCalledWith(expect.objectContaining({ withoutRelay: true })));
    await screen.findByTestId('send-pause');
    expect(screen.queryByTestId('send-error')).not.toBeInTheDocument();
  });
});
