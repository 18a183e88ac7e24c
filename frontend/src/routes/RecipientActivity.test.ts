import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { ada, detailOf, stubRecipients } from '../test/recipients';
import Recipients from './Recipients.svelte';

describe('recipient detail: mailings and reactions', () => {
  it('shows deliveries, reactions with the machine flag, the interest profile and the suppression badge', async () => {
    const user = userEvent.setup({ delay: null });
    const stub = stubRecipients();
    stub.Find!.mockResolvedValue({ recipients: [ada], total: 1 });
    stub.Detail!.mockResolvedValue({
      ...detailOf(ada),
      deliveries: [{ mailingId: 3, mailingName: 'Frühling', messageId: 'm1', status: 'delivered', at: '2025-04-01T08:00:00Z' }],
      reactions: [
        { type: 'opened', at: '2025-04-01T09:00:00Z', mailingId: 3, mailingName: 'Frühling', machineOpen: true, source: 'import' },
        { type: 'clicked', at: '2025-04-01T09:05:00Z', mailingId: 3, mailingName: 'Frühling', url: 'https://example.org/atlas', source: 'listener' },
      ],
      interests: [{ tag: 'Wandern', score: 1.5, clicks: 2, lastClick: '2025-04-01T09:05:00Z' }],
      suppressed: 'hard_bounce',
    });
    render(Recipients);
    await user.click(await screen.findByText(ada.email));
    expect(await screen.findByTestId('detail-suppressed')).toHaveTextContent('Suppressed: hard bounce');
    expect(screen.getByTestId('detail-deliveries')).toHaveTextContent('Frühling');
    const rows = screen.getAllByTestId('reaction-row');
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByText('machine')).toBeInTheDocument();
    expect(rows[1]).toHaveTextContent('https://example.org/atlas');
    expect(rows[1]).toHaveTextContent('tracking');
    expect(screen.getByTestId('detail-interests')).toHaveTextContent('Wandern');
  });

  it('shows survey answers, the permission with its wording and declared interests', async () => {
    const user = userEvent.setup({ delay: null });
    const stub = stubRecipients();
    stub.Find!.mockResolvedValue({ recipients: [ada], total: 1 });
    stub.Detail!.mockResolvedValue({
      ...detailOf(ada),
      interests: [{ tag: 'Wandern', score: 3, clicks: 0, declared: true, declaredAt: '2025-04-02T10:00:00Z' }],
      surveys: [
        {
          surveyId: 5,
          surveyName: 'Leserumfrage',
          surveyTitle: 'Wie reisen Sie?',
          submittedAt: '2025-04-02T10:00:00Z',
          updateProfile: true,
          profileWording: 'Meine Antworten dürfen mein Profil ergänzen.',
          answers: [
            { question: 'Reisestil?', answer: 'Aktiv' },
            { question: 'Anmerkungen', answer: '<script>alert(1)</script>' },
          ],
        },
      ],
    });
    render(Recipients);
    await user.click(await screen.findByText(ada.email));
    const survey = await screen.findByTestId('detail-survey-5');
    expect(survey).toHaveTextContent('Leserumfrage');
    expect(survey).toHaveTextContent('Reisestil?');
    expect(survey).toHaveTextContent('<script>alert(1)</script>');
    expect(survey.querySelector('script')).toBeNull();
    expect(survey).toHaveTextContent('Meine Antworten dürfen mein Profil ergänzen.');
    expect(screen.getByTestId('detail-interests')).toHaveTextContent('declared');
  });

  it('does not double the quotes of a wording that is already quoted', async () => {
    const user = userEvent.setup({ delay: null });
    const stub = stubRecipients();
    stub.Find!.mockResolvedValue({ recipients: [ada], total: 1 });
    stub.Detail!.mockResolvedValue({
      ...detailOf(ada),
      consent: [
        {
          id: 1,
          recipientId: ada.id,
          purpose: 'newsletter',
          listId: 1,
          listName: 'Kunden',
          granted: true,
          at: '2025-04-01T08:00:00Z',
          source: 'import',
          wording: '„Ja, ich möchte den Newsletter.“',
          wordingHash: 'abcdef0123456789',
          ip: '',
          userAgent: '',
          evidence: '',
        },
      ],
      surveys: [
        {
          surveyId: 5,
          surveyName: 'Leserumfrage',
          surveyTitle: 'Wie reisen Sie?',
          submittedAt: '2025-04-02T10:00:00Z',
          updateProfile: true,
          profileWording: '"Meine Antworten dürfen mein Profil ergänzen."',
          answers: [],
        },
      ],
    });
    render(Recipients);
    await user.click(await screen.findByText(ada.email));
    // <q> adds the quotes of the language itself.
    expect(await screen.findByTestId('ledger-wording')).toHaveTextContent(/^Ja, ich möchte den Newsletter\.$/);
    const survey = await screen.findByTestId('detail-survey-5');
    expect(survey).toHaveTextContent('"Meine Antworten dürfen mein Profil ergänzen."');
    expect(survey).not.toHaveTextContent('""');
  });

  it('says so when there is nothing yet', async () => {
    const user = userEvent.setup({ delay: null });
    const stub = stubRecipients();
    stub.Find!.mockResolvedValue({ recipients: [ada], total: 1 });
    render(Recipients);
    await user.click(await screen.findByText(ada.email));
    await waitFor(() => expect(screen.getByTestId('detail-activity')).toHaveTextContent('No reactions recorded.'));
    expect(screen.queryByTestId('detail-suppressed')).not.toBeInTheDocument();
  });
});
