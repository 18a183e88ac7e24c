import { ApiError } from '../api/error';
import { compareMailings, mailingStats, statsCSV, timeline } from '../api/analysis';
import type { MailingStats, MailingTimeline } from '../api/types';
import { download } from '../download';

/**
 * AnalysisReport holds the report of the chosen mailing (0: all mailings),
 * its timeline and the compare table of all mailings.
 */
export class AnalysisReport {
  selected = $state(0);
  stats = $state<MailingStats | null>(null);
  timeline = $state<MailingTimeline | null>(null);
  compare = $state<MailingStats[]>([]);
  loading = $state(false);
  error = $state<ApiError | null>(null);
  #generation = 0;

  /** load fetches the compare table and the selected report. */
  async load(): Promise<void> {
    try {
      this.compare = await compareMailings();
    } catch (reason) {
      this.error = ApiError.from(reason);
    }
    await this.select(this.selected);
  }

  /** select shows the report of mailing id (0: all mailings). */
  async select(id: number): Promise<void> {
    this.selected = id;
    const generation = ++this.#generation;
    this.loading = true;
    try {
      // Go keeps time series per mailing only: Timeline(0) is not found, so the totals have none.
      const [s, tl] = await Promise.all([mailingStats(id), id === 0 ? Promise.resolve(null) : timeline(id)]);
      if (generation !== this.#generation) return;
      this.stats = s;
      this.timeline = tl;
      this.error = null;
    } catch (reason) {
      if (generation === this.#generation) this.error = ApiError.from(reason);
    } finally {
      if (generation === this.#generation) this.loading = false;
    }
  }

  /** exportCSV downloads the selected report (or, with compare, the compare table) as CSV. */
  async exportCSV(name: string, compare = false): Promise<void> {
    try {
      const csv = await statsCSV(compare ? -1 : this.selected);
      await download(name, csv, 'text/csv;charset=utf-8');
    } catch (reason) {
      this.error = ApiError.from(reason);
    }
  }
}

/** hasReactions tells whether a report has anything to show. */
export function hasReactions(s: MailingStats): boolean {
  return s.sent + s.delivered + s.bounced + s.opens.total + s.clicks.total + s.unsubscribes + s.complaints > 0;
}
