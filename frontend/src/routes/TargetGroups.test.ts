import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Condition, TargetGroup } from '../lib/api/types';
import { ada, stubRecipients } from '../test/recipients';
import { addServices, resolved, spring } from '../test/services';
import { setLocale } from '../lib/i18n/index.svelte';
import TargetGroups from './TargetGroups.svelte';

const regulars: TargetGroup = {
  id: 2,
  name: 'Stammkunden',
  description: 'Kauften zweimal',
  rule: { kind: 'group', match: 'all', conditions: [{ kind: 'list', listId: 1 }] },
  createdAt: '2025-01-01T00:00:00Z',
  updatedAt: '2025-01-02T00:00:00Z',
};

function stub() {
  stubRecipients();
  const analysis = {
    TargetGroups: resolved([regulars]),
    SaveTargetGroup: vi.fn((g: TargetGroup) => Promise.resolve({ ...g, id: 9 })),
    DeleteTargetGroup: resolved(true),
    ExplainRule: vi.fn((_rule: Condition) => Promise.resolve({ count: 3, ignoringConsent: 3 })),
    RuleMembers: resolved({ recipients: [ada], total: 3 }),
    TargetGroupCounts: vi.fn(() => Promise.resolve([{ id: 2, members: 1 }])),
  };
  addServices({ Analysis: analysis, Mailings: { List: resolved([spring]) } });
  return analysis;
}

describe('Target groups', () => {
  it('shows each group’s member count, in the singular for one', async () => {
    const analysis = stub();
    setLocale('de');
    render(TargetGroups);
    await waitFor(() => expect(screen.getByTestId('group-members-2')).toHaveTextContent('1 Person'));
    expect(screen.getByTestId('group-members-2')).not.toHaveTextContent('Personen');
    expect(analysis.TargetGroupCounts).toHaveBeenCalledTimes(1);
  });

  it('says it is counting while the counts load', async () => {
    const analysis = stub();
    analysis.TargetGroupCounts.mockImplementation(() => new Promise(() => {}));
    setLocale('de');
    render(TargetGroups);
    expect(await screen.findByTestId('group-members-2')).toHaveTextContent('wird gezählt');
  });

  it('builds a rule, counts it live and saves it', async () => {
    const user = userEvent.setup({ delay: null });
    const analysis = stub();
    render(TargetGroups);
    expect(await screen.findByTestId('group-open-2')).toHaveTextContent('Stammkunden');
    await user.click(screen.getByTestId('group-new'));
    await user.type(screen.getByTestId('group-name'), 'Kölner');
    await user.click(screen.getByTestId('add-condition'));
    const kind = screen.getAllByTestId(/^cond-\d+-kind$/)[0]!;
    const key = kind.dataset['testid']!.replace(/-kind$/, '');
    await user.selectOptions(screen.getByTestId(`${key}-op`), 'eq');
    await user.type(screen.getByTestId(`${key}-value`), 'Köln');
    await waitFor(() =>
      expect(analysis.ExplainRule).toHaveBeenLastCalledWith({
        kind: 'group',
        match: 'all',
        conditions: [{ kind: 'attribute', field: 'email', op: 'eq', value: 'Köln' }],
      }),
    );
    expect(await screen.findByTestId('group-count')).toHaveTextContent('3 people match');
    expect(screen.getByTestId('group-members')).toHaveTextContent('ada@example.org');

    await user.click(screen.getByTestId('group-save'));
    await waitFor(() => expect(analysis.SaveTargetGroup).toHaveBeenCalled());
    expect(analysis.SaveTargetGroup.mock.calls[0]![0]).toMatchObject({ id: 0, name: 'Kölner' });
    expect(await screen.findByTestId('group-saved')).toBeInTheDocument();
  });

  it('opens a saved group with its rule and nests groups', async () => {
    const user = userEvent.setup({ delay: null });
    const analysis = stub();
    render(TargetGroups);
    await user.click(await screen.findByTestId('group-open-2'));
    await waitFor(() => expect(analysis.ExplainRule).toHaveBeenCalledWith(regulars.rule));
    await user.click(screen.getAllByTestId('add-group')[0]!);
    expect(screen.getAllByTestId('rule-group')).toHaveLength(2);
  });

  it('shows why a rule cannot be counted', async () => {
    const user = userEvent.setup({ delay: null });
    const analysis = stub();
    analysis.ExplainRule.mockImplementation(() =>
      Promise.reject({
        code: 'invalid',
        field: 'rule',
        key: 'error.targetGroup.condition',
        message: 'Condition 1: choose a list.',
        params: { detail: 'Condition 1: choose a list.' },
      }),
    );
    render(TargetGroups);
    await user.click(await screen.findByTestId('group-new'));
    expect(await screen.findByText('A condition of the target group is incomplete or not valid: Condition 1: choose a list.')).toBeInTheDocument();
  });

  it('explains a count lowered by withdrawn consent and refuses a reaction without its mailing', async () => {
    const user = userEvent.setup({ delay: null });
    const analysis = stub();
    analysis.ExplainRule.mockImplementation((rule: Condition) => {
      const leaf = rule.conditions?.[0];
      if (leaf?.scope === 'mailing' && !leaf.mailingId) {
        return Promise.reject({ code: 'invalid', field: 'rule', key: 'error.targetGroup.reaction.mailingRequired', message: 'Condition 1: choose the mailing.' });
      }
      return Promise.resolve({ count: 1, ignoringConsent: 24 });
    });
    render(TargetGroups);
    await user.click(await screen.findByTestId('group-new'));
    await user.click(screen.getByTestId('add-condition'));
    const kind = screen.getAllByTestId(/^cond-\d+-kind$/)[0]!;
    await user.selectOptions(kind, 'reaction');
    expect(await screen.findByTestId('group-consent-gap')).toHaveTextContent('24 without regard to consent, 1 of them with consent to analysis');
    await user.selectOptions(screen.getByLabelText('Which mailings'), 'mailing');
    expect(await screen.findByText('Choose the mailing the reaction is on.')).toBeInTheDocument();
  });
});
