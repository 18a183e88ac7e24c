import { ApiError } from '../api/error';
import { targetGroups } from '../api/analysis';
import { ready, subscribe } from '../api/events';
import { Events, scoped } from '../api/eventNames';
import { audience, exportEML, exportEMLZip, exportMbox, pauseSend, sendStatus, startSend, testSend } from '../api/mailings';
import type { Audience, FileContent, Mailing, SendRun, TargetGroup } from '../api/types';
import { getSMTP } from '../api/settings';
import { downloadFile } from '../download';

function isSendRun(data: unknown): data is SendRun {
  return typeof data === 'object' && data !== null && 'status' in data && 'total' in data;
}

/** splitAddresses turns "a@x, b@y; c@z" into the single addresses. */
export function splitAddresses(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((a) => a.trim())
    .filter((a) => a !== '');
}

/**
 * MailingSend is the state of a saved mailing's send panel: target group,
 * audience counts, test send, .eml export and the real send with its
 * progress events.
 */
export class MailingSend {
  readonly mailingId: number;
  groups = $state<TargetGroup[]>([]);
  groupId = $state(0);
  audience = $state<Audience | null>(null);
  audienceBusy = $state(false);
  run = $state<SendRun | null>(null);
  error = $state<ApiError | null>(null);

  testAddresses = $state('');
  testBusy = $state(false);
  testAccepted = $state<string[] | null>(null);
  testError = $state<ApiError | null>(null);

  exportBusy = $state(false);
  starting = $state(false);
  pausing = $state(false);
  /** limits of this run, prefilled with the mail server's defaults (0: none). */
  limits = $state<SendLimits>({ perSecond: 0, perMinute: 0, perHour: 0 });
  #off: (() => void) | null = null;
  #events = 0;
  #audienceGeneration = 0;

  constructor(mailingId: number) {
    this.mailingId = mailingId;
  }

  /** running is true while the ledger says a send is under way. */
  get running(): boolean {
    return this.run?.status === 'sending';
  }

  /** paused is true when a send was started and stopped before its end. */
  get paused(): boolean {
    return this.run?.status === 'paused';
  }

  /** done is true when every person in the ledger was handled. */
  get done(): boolean {
    return this.run?.status === 'done';
  }

  /** handled is how many people of the ledger were sent, failed or skipped. */
  get handled(): number {
    const r = this.run;
    return r === null ? 0 : r.sent + r.failed + r.skipped;
  }

  /** open subscribes to the progress events and loads groups, audience and the send status. */
  async open(): Promise<void> {
    this.#off ??= subscribe(scoped(Events.sendProgress, this.mailingId), (data) => {
      if (isSendRun(data)) this.progress(data);
    });
    const [groups, run, smtp] = await Promise.allSettled([targetGroups(), sendStatus(this.mailingId), getSMTP()]);
    if (groups.status === 'fulfilled') this.groups = groups.value;
    if (smtp.status === 'fulfilled') {
      const s = smtp.value;
      this.limits = { perSecond: s.ratePerSecond ?? 0, perMinute: s.ratePerMinute ?? 0, perHour: s.ratePerHour ?? 0 };
    }
    if (run.status === 'fulfilled') this.run = run.value;
    else this.error = ApiError.from(run.reason);
    await this.loadAudience();
  }

  /** close stops listening to progress events. */
  close(): void {
    this.#off?.();
    this.#off = null;
  }

  private progress(r: SendRun): void {
    const wasRunning = this.running;
    this.#events++;
    this.run = r;
    // The ledger changed once a run ends: count again.
    if (wasRunning && r.status !== 'sending') void this.loadAudience();
  }

  /** loadAudience counts who the mailing would go to with the chosen target group. */
  async loadAudience(): Promise<void> {
    const generation = ++this.#audienceGeneration;
    this.audienceBusy = true;
    try {
      const a = await audience(this.mailingId, this.groupId);
      if (generation !== this.#audienceGeneration) return;
      this.audience = a;
    } catch (reason) {
      if (generation === this.#audienceGeneration) this.error = ApiError.from(reason);
    } finally {
      if (generation === this.#audienceGeneration) this.audienceBusy = false;
    }
  }

  /** chooseGroup sets the target group (0: the whole list) and counts again. */
  chooseGroup(id: number): void {
    this.groupId = id;
    void this.loadAudience();
  }

  /** sendTest sends the mailing as edited, for the preview recipient, to the test addresses. */
  async sendTest(m: Mailing, recipientId: number): Promise<void> {
    if (this.testBusy) return;
    this.testBusy = true;
    this.testAccepted = null;
    this.testError = null;
    try {
      this.testAccepted = await testSend(m, recipientId, splitAddresses(this.testAddresses));
    } catch (reason) {
      this.testError = ApiError.from(reason);
    } finally {
      this.testBusy = false;
    }
  }

  /** exportEml saves the stored mailing, rendered for recipientId, as an .eml file. */
  exportEml(recipientId: number): Promise<void> {
    return this.#export(() => exportEML(this.mailingId, recipientId), 'message/rfc822');
  }

  /**
   * exportAudience saves the stored mailing as rendered for everyone the
   * chosen audience holds: one .mbox file, or a ZIP of .eml files.
   */
  exportAudience(format: 'mbox' | 'zip'): Promise<void> {
    return format === 'mbox'
      ? this.#export(() => exportMbox(this.mailingId, this.groupId), 'application/mbox')
      : this.#export(() => exportEMLZip(this.mailingId, this.groupId), 'application/zip');
  }

  /** #export asks Go for a file and offers it for saving; one export at a time. */
  async #export(make: () => Promise<FileContent>, type: string): Promise<void> {
    if (this.exportBusy) return;
    this.exportBusy = true;
    this.error = null;
    try {
      await downloadFile(await make(), type);
    } catch (reason) {
      this.error = ApiError.from(reason);
    } finally {
      this.exportBusy = false;
    }
  }

  /**
   * start starts (or resumes) the real send; withoutRelay starts it even
   * when a paired relay could not be synced first (the user's choice).
   */
  async start(withoutRelay = false): Promise<boolean> {
    if (this.starting || this.running) return false;
    this.starting = true;
    this.error = null;
    try {
      // In a browser the event stream must be open before Go emits into it.
      await ready();
      const seen = this.#events;
      const run = await startSend({
        mailingId: this.mailingId,
        targetGroupId: this.groupId,
        ratePerSecond: Math.max(0, Number(this.limits.perSecond) || 0),
        ratePerMinute: Math.max(0, Math.floor(Number(this.limits.perMinute) || 0)),
        ratePerHour: Math.max(0, Math.floor(Number(this.limits.perHour) || 0)),
        errorThreshold: 0,
        opId: String(this.mailingId),
        withoutRelay,
      });
      // Progress events that arrived meanwhile are newer than the answer.
      if (this.#events === seen) this.run = run.status === 'done' ? run : { ...run, status: 'sending', pausedReason: '' };
      return true;
    } catch (reason) {
      this.error = ApiError.from(reason);
      return false;
    } finally {
      this.starting = false;
    }
  }

  /** pause stops the running send after its current batch. */
  async pause(): Promise<void> {
    if (this.pausing) return;
    this.pausing = true;
    this.error = null;
    try {
      if (!(await pauseSend(this.mailingId))) this.run = await sendStatus(this.mailingId);
    } catch (reason) {
      this.error = ApiError.from(reason);
    } finally {
      this.pausing = false;
    }
  }
}

/** SendLimits are the most messages in any second, minute and hour (0: no limit). */
export interface SendLimits {
  perSecond: number;
  perMinute: number;
  perHour: number;
}

/**
 * minimumSeconds is the least time n messages take under the limits, as
 * the Go runner paces them: a window holds at most its count, and the
 * next batch goes out when the oldest leaves the window. 0 when no limit
 * applies.
 */
export function minimumSeconds(n: number, l: SendLimits): number {
  if (n <= 0) return 0;
  let s = 0;
  const perSecond = Number(l.perSecond) || 0;
  if (perSecond >= 1) s = Math.max(s, Math.ceil(n / Math.floor(perSecond)) - 1);
  else if (perSecond > 0) s = Math.max(s, (n - 1) / perSecond);
  const perMinute = Math.floor(Number(l.perMinute) || 0);
  if (perMinute > 0) s = Math.max(s, (Math.ceil(n / perMinute) - 1) * 60);
  const perHour = Math.floor(Number(l.perHour) || 0);
  if (perHour > 0) s = Math.max(s, (Math.ceil(n / perHour) - 1) * 3600);
  return s;
}
