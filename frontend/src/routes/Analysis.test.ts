import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { MailingStats, MailingTimeline } from '../lib/api/types';
import { stubDesktop } from '../test/desktop';
import { addServices, resolved } from '../test/services';
import Analysis from './Analysis.svelte';

const count = (total: number, unique: number, machine = 0, anonymous = 0) => ({ total, unique, machine, anonymous });

const stats: MailingStats = {
  mailing_id: 3,
  name: 'Frühling',
  sent: 1200,
  delivered: 1180,
  deferred: 0,
  bounced_hard: 15,
  bounced_soft: 5,
  bounced: 20,
  rejected: 0,
  opens: count(900, 500, 120, 30),
  clicks: count(210, 125, 0, 5),
  image_loads: count(0, 0),
  unsubscribes: 4,
  unsubscribe_channels: { unsubscribe_link: 2, one_click: 1, provider: 1 },
  complaints: 1,
  base: { kind: 'sent', count: 1180 },
  openers: { people: 380, estimate: 500 },
  clickers: { people: 100, estimate: 125 },
  openers_incl_machine: 420,
  trackable: { count: 113, of: 1200 },
  rates: { open: 0.4237, open_incl_machine: 0.45, click: 0.1059, click_to_open: 0.25, bounce: 0.0167, unsubscribe: 0.0034, complaint: 0.0008 },
  links: [
    { link_id: 1, url: 'https://example.org/atlas', name: 'Atlas', kind: 'text', tags: ['Wandern'], clicks: count(150, 100, 0, 2), image_loads: count(0, 0) },
  ],
};

const heatmap = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
heatmap[0]![9] = 12;
const tl: MailingTimeline = {
  hourly: [
    { at: '2025-04-01T08:00:00Z', opens: 40, clicks: 9 },
    { at: '2025-04-01T09:00:00Z', opens: 22, clicks: 4 },
  ],
  heatmap,
  clients: [
    { key: 'apple_mail_mpp', client: 'Apple Mail (privacy protection)', device: 'proxy', count: 80 },
    { key: 'unknown', client: 'Unknown', device: 'proxy', count: 3 },
  ],
};

function stub() {
  const desk = stubDesktop();
  const saveTextFile = vi.fn(() => Promise.resolve('/tmp/x.csv'));
  const analysis = {
    MailingStats: vi.fn((id: number) => Promise.resolve(id === 0 ? { ...stats, mailing_id: 0, name: '' } : stats)),
    Compare: resolved([stats]),
    Timeline: resolved(tl),
    StatsCSV: resolved('link;name\n'),
  };
  addServices({ Analysis: analysis, System: { SaveTextFile: saveTextFile } });
  return { desk, analysis, saveTextFile };
}

describe('Analysis', () => {
  it('shows KPIs with localized rates, links, heat map and the compare table', async () => {
    const user = userEvent.setup({ delay: null });
    const { analysis } = stub();
    render(Analysis);
    expect(await screen.findByTestId('kpi-sent')).toHaveTextContent('1,200');
    // The totals have no time series in Go; the screen says to pick a mailing.
    expect(analysis.Timeline).not.toHaveBeenCalled();
    expect(screen.getByTestId('analysis-pick-hint')).toBeInTheDocument();
    await user.selectOptions(screen.getByTestId('analysis-mailing'), '3');
    await waitFor(() => expect(analysis.Timeline).toHaveBeenCalledWith(3));
    expect(screen.getByTestId('kpi-ctor')).toHaveTextContent('25.0%');
    expect(screen.getByTestId('analysis-kpis')).toHaveTextContent('Open rate 42.4%');
    expect(screen.getByTestId('analysis-base')).toHaveTextContent('Base: 1,180 sent, minus bounces');
    expect(screen.getByTestId('analysis-trackable')).toHaveTextContent('113 of 1,200 with tracking consent');
    expect(screen.getByTestId('kpi-opens')).toHaveTextContent('≈ 500');
    expect(screen.getByTestId('kpi-openers-exact')).toHaveTextContent('380 of them with tracking consent');
    expect(screen.getByTestId('kpi-unsub-channels')).toHaveTextContent('unsubscribe link 2 · one-click in the mail program 1 · sending provider 1');
    expect(within(screen.getByTestId('analysis-links')).getByText('Atlas')).toBeInTheDocument();
    expect(screen.getByTestId('heatmap')).toHaveTextContent('12');
    expect(screen.getByTestId('clients-unit')).toHaveTextContent('counted as requests (not people)');
    expect(screen.getByTestId('chart-hourly')).toBeInTheDocument();
    expect(screen.getByTestId('analysis-compare')).toHaveTextContent('Frühling');
  });

  it('switches mailings and exports CSV through the save dialog', async () => {
    const user = userEvent.setup({ delay: null });
    const { analysis, saveTextFile } = stub();
    render(Analysis);
    await screen.findByTestId('kpi-sent');
    await user.selectOptions(screen.getByTestId('analysis-mailing'), '3');
    await waitFor(() => expect(analysis.MailingStats).toHaveBeenLastCalledWith(3));
    await user.click(screen.getByTestId('analysis-csv'));
    await waitFor(() => expect(analysis.StatsCSV).toHaveBeenCalledWith(3));
    expect(saveTextFile).toHaveBeenCalledWith('resonanz-report-Frühling.csv', 'link;name\n');
    await user.click(screen.getByTestId('analysis-compare-csv'));
    await waitFor(() => expect(analysis.StatsCSV).toHaveBeenCalledWith(-1));
  });

  it('says so when nothing was recorded', async () => {
    stub();
    const empty = { ...stats, sent: 0, delivered: 0, bounced: 0, opens: count(0, 0), clicks: count(0, 0), unsubscribes: 0, complaints: 0 };
    addServices({ Analysis: { MailingStats: resolved(empty), Compare: resolved([]) } });
    render(Analysis);
    expect(await screen.findByTestId('analysis-empty')).toBeInTheDocument();
  });
});
