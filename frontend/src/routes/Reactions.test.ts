import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { setLocale } from '../lib/i18n/index.svelte';
import { stubRecipients } from '../test/recipients';
import { addServices, resolved, spring } from '../test/services';
import Reactions from './Reactions.svelte';

describe('Reactions import', () => {
  it('imports a picked log with the chosen provider and mailing and shows the result and quarantine', async () => {
    const user = userEvent.setup({ delay: null });
    const recipients = stubRecipients();
    recipients.PickLogFile?.mockImplementation(() => Promise.resolve('/logs/sendgrid.json'));
    const reactions = {
      Providers: resolved(['auto', 'sendgrid', 'mailgun']),
      ImportFile: vi.fn(() =>
        Promise.resolve({
          importId: 4,
          provider: 'sendgrid',
          read: 10,
          imported: 6,
          duplicates: 1,
          unmatched: 2,
          anonymized: 1,
          rejected: 1,
          by_type: { opened: 4, clicked: 2, bounced: 0 },
          errors: [{ line: 9, reason: 'no timestamp' }],
          campaigns: [],
        }),
      ),
      Cancel: resolved(true),
      PreviewFile: resolved({ provider: 'sendgrid', events: 775, withoutCampaign: 0, campaigns: [{ id: 'herbst-2026', events: 775, mailingId: 0, mailingName: '' }] }),
      AssignQuarantined: resolved({ importId: 5, provider: 'quarantine', read: 1, imported: 1, duplicates: 0, unmatched: 0, anonymized: 0, rejected: 0, by_type: {}, errors: [], campaigns: [] }),
      RematchQuarantine: resolved({ importId: 6, provider: 'quarantine', read: 1, imported: 0, duplicates: 1, unmatched: 0, anonymized: 0, rejected: 0, by_type: {}, errors: [], campaigns: [] }),
      DiscardQuarantined: resolved(1),
      Quarantine: resolved([
        {
          id: 1,
          importId: 4,
          reason: 'unknown recipient',
          event: { provider: 'sendgrid', event_type: 'opened', event_raw: 'open', occurred_at: '2025-04-01T08:00:00Z', recipient_email: 'x@example.org', import_line: 3 },
        },
      ]),
    };
    addServices({ Reactions: reactions, Mailings: { List: resolved([spring]) } });
    const off = vi.fn();
    window.runtime = { EventsOn: vi.fn(() => off) };
    render(Reactions);
    await user.click(screen.getByTestId('reactions-pick'));
    await waitFor(() => expect(screen.getByTestId('reactions-provider')).toHaveTextContent('sendgrid'));
    // Before the import, the wizard shows the campaigns it found.
    expect(await screen.findByTestId('preview-campaign')).toHaveTextContent('herbst-2026: 775 events → new mailing');
    await user.selectOptions(screen.getByTestId('reactions-provider'), 'sendgrid');
    await user.selectOptions(screen.getByTestId('reactions-mailing'), '3');
    await user.click(screen.getByTestId('reactions-run'));
    expect(await screen.findByTestId('result-imported')).toHaveTextContent('6');
    // The figures are labelled alike: each label starts with a capital letter.
    for (const dt of screen.getByTestId('reactions-result').querySelectorAll('dt')) {
      expect(dt.textContent ?? '', dt.textContent ?? '').toMatch(/^\p{Lu}/u);
    }
    expect(reactions.ImportFile).toHaveBeenCalledWith(
      expect.objectContaining({ source: '/logs/sendgrid.json', provider: 'sendgrid', mailingId: 3 }),
    );
    expect(screen.getByTestId('reactions-by-type')).toHaveTextContent('Opened');
    expect(screen.getByTestId('reactions-by-type')).not.toHaveTextContent('Bounced');
    expect(screen.getByTestId('reactions-errors')).toHaveTextContent('no timestamp');
    expect(await screen.findByTestId('quarantine-row')).toHaveTextContent('unknown recipient');
    expect(reactions.Quarantine).toHaveBeenCalledWith(4);
    // The quarantine view assigns the listed events to a mailing.
    await user.selectOptions(screen.getByTestId('quarantine-mailing'), '3');
    await user.click(screen.getByTestId('quarantine-assign'));
    await waitFor(() => expect(reactions.AssignQuarantined).toHaveBeenCalledWith([1], 3));
    expect(await screen.findByTestId('quarantine-outcome')).toHaveTextContent('1 moved out of the quarantine');
    await user.click(screen.getByTestId('quarantine-discard'));
    await waitFor(() => expect(reactions.DiscardQuarantined).toHaveBeenCalledWith([1]));
    expect(window.runtime.EventsOn).toHaveBeenCalledWith(expect.stringMatching(/^reactions:progress:/), expect.any(Function));
    expect(off).toHaveBeenCalled();
    delete window.runtime;
  });

  it('shows quarantine and row reasons in the language of the desk, older free-text reasons as stored', async () => {
    setLocale('de');
    try {
      const user = userEvent.setup({ delay: null });
      const recipients = stubRecipients();
      recipients.PickLogFile?.mockImplementation(() => Promise.resolve('/logs/brevo.json'));
      const event = { provider: 'brevo', event_type: 'opened', event_raw: 'opened', occurred_at: '2025-04-01T08:00:00Z', recipient_email: 'x@example.org', import_line: 3 };
      addServices({
        Reactions: {
          Providers: resolved(['auto', 'brevo']),
          PreviewFile: resolved({ provider: 'brevo', events: 3, withoutCampaign: 3, campaigns: [] }),
          ImportFile: resolved({
            importId: 4,
            provider: 'brevo',
            read: 3,
            imported: 0,
            duplicates: 0,
            unmatched: 2,
            anonymized: 0,
            rejected: 1,
            by_type: {},
            errors: [{ line: 2, reason: 'field "email": the recipient e-mail address is missing', key: 'error.reactions.row.emailMissing', params: { field: 'email' } }],
            campaigns: [],
          }),
          Quarantine: resolved([
            { id: 1, importId: 4, reason: 'No recipient has the address "x@example.org".', key: 'reason.quarantine.unknownAddress', params: { email: 'x@example.org' }, event },
            { id: 2, importId: 4, reason: 'No mailing matches campaign "c9"; pick the mailing for this import.', key: 'reason.quarantine.noMailingCampaign', params: { campaign: 'c9' }, event },
            { id: 3, importId: 3, reason: 'An old reason in English.', event },
          ]),
        },
        Mailings: { List: resolved([spring]) },
      });
      window.runtime = { EventsOn: vi.fn(() => vi.fn()) };
      render(Reactions);
      await user.click(screen.getByTestId('reactions-pick'));
      await waitFor(() => expect(screen.getByTestId('reactions-provider')).toHaveTextContent('brevo'));
      await user.click(screen.getByTestId('reactions-run'));
      const reasons = await screen.findAllByTestId('quarantine-reason');
      expect(screen.getByTestId('reactions-errors')).toHaveTextContent('Feld „email“: Die E-Mail-Adresse des Empfängers fehlt.');
      expect(reasons.map((r) => r.textContent)).toEqual([
        'Kein Empfänger hat die Adresse „x@example.org“.',
        'Kein Mailing gehört zur Kampagne „c9“; wählen Sie das Mailing für diesen Import.',
        'An old reason in English.',
      ]);
    } finally {
      setLocale('en');
      delete window.runtime;
    }
  });
});
