import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import en from '../lib/i18n/en.json';
import type { OptInRequest } from '../lib/api/types';
import { ada, detailOf, sampleLists, stubRecipients } from '../test/recipients';
import Recipients from './Recipients.svelte';

const user = () => userEvent.setup({ delay: null });

const confirmed: OptInRequest = {
  id: 2,
  recipientId: ada.id,
  listId: 1,
  listName: 'Kunden',
  wording: 'Ja, Newsletter',
  requestedAt: '2025-03-01T10:00:00Z',
  requestedIp: '203.0.113.9',
  requestedUa: 'Firefox',
  expiresAt: '2025-03-08T10:00:00Z',
  confirmedAt: '2025-03-01T10:05:00Z',
  confirmedIp: '203.0.113.10',
  confirmedUa: 'Thunderbird',
  consents: [],
};
const pending: OptInRequest = { ...confirmed, id: 3, confirmedAt: '0001-01-01T00:00:00Z', confirmedIp: '', confirmedUa: '', requestedIp: '' };

describe('double opt-in on the desk', () => {
  afterEach(() => {
    delete window.runtime;
  });

  it('sends the confirmation mail for a pending membership and shows both steps with IPs', async () => {
    const stub = stubRecipients();
    stub.Find!.mockResolvedValue({ recipients: [ada], total: 1 });
    const detail = detailOf(ada);
    stub.Detail!.mockResolvedValue({
      ...detail,
      lists: [{ ...detail.lists[0]!, status: 'unconfirmed' }],
      optIns: [pending, confirmed],
    });
    stub.SendConfirmation = vi.fn(() => Promise.resolve({ total: 1, done: 1, sent: 1, skipped: 0, failed: 0, errors: [] }));
    render(Recipients);
    const u = user();
    await u.click(await screen.findByText(ada.email));
    const rows = await screen.findAllByTestId('optin-row');
    expect(rows[0]).toHaveTextContent(en['consent.optins.state.pending']);
    expect(rows[0]).toHaveTextContent(en['consent.optins.noIp']);
    expect(rows[1]).toHaveTextContent(en['consent.optins.state.confirmed']);
    expect(rows[1]).toHaveTextContent('203.0.113.9');
    expect(rows[1]).toHaveTextContent('203.0.113.10');

    await u.click(screen.getByTestId('detail-send-confirmation'));
    expect(await screen.findByTestId('detail-confirmation-sent')).toHaveTextContent(en['recipient.lists.confirmationSent']);
    expect(stub.SendConfirmation).toHaveBeenCalledWith(ada.id, 1);
  });

  it('sends confirmations to all unconfirmed members of a list and shows the result', async () => {
    const stub = stubRecipients();
    let off = 0;
    window.runtime = { EventsOn: () => () => off++ };
    stub.Lists!.mockResolvedValue([{ ...sampleLists[0]!, unconfirmed: 3 }]);
    stub.SendConfirmations = vi.fn(() => Promise.resolve({ total: 3, done: 3, sent: 2, skipped: 1, failed: 0, errors: [] }));
    stub.CancelConfirmations = vi.fn(() => Promise.resolve(true));
    render(Recipients);
    const u = user();
    await u.click(screen.getByTestId('tab-lists'));
    await u.click(await screen.findByTestId('list-send-confirmations'));
    await waitFor(() => expect(screen.getByTestId('list-confirmations')).toHaveTextContent('3 of 3: 2 sent, 1 skipped, 0 failed'));
    expect(stub.SendConfirmations).toHaveBeenCalledWith({ listId: 1, opId: expect.any(String) });
    expect(off).toBe(1); // unsubscribed from the progress events
  });
});
