import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
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
});
