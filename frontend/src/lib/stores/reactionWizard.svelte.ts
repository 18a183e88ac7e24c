import { ApiError } from '../api/error';
import { Events } from '../api/eventNames';
import { mailings } from '../api/mailings';
import {
  assignQuarantined,
  cancelReactions,
  discardQuarantined,
  importReactions,
  previewReactions,
  providers,
  quarantine,
  rematchQuarantine,
} from '../api/reactions';
import { pickLogFile } from '../api/system';
import type { ImportProgress, Mailing, QuarantinedEvent, ReactionImportResult, ReactionPreview } from '../api/types';
import { uploadFile } from '../api/upload';
import { Operation } from './operation.svelte';

/** ReactionStep is where the reaction import is. */
export type ReactionStep = 'file' | 'options' | 'running' | 'result';

/**
 * ReactionWizard imports a provider log: choose the file, the provider
 * (auto-detected by default) and a mailing for events that name none, run
 * with progress, then show the result and the quarantined events.
 */
export class ReactionWizard {
  step = $state<ReactionStep>('file');
  source = $state('');
  fileName = $state('');
  provider = $state('auto');
  mailingId = $state(0);
  providers = $state<string[]>(['auto']);
  mailings = $state<Mailing[]>([]);
  busy = $state(false);
  error = $state<ApiError | null>(null);
  result = $state<ReactionImportResult | null>(null);
  quarantined = $state<QuarantinedEvent[]>([]);
  /** preview lists the campaigns of the chosen file before the import (null: not read yet). */
  preview = $state<ReactionPreview | null>(null);
  previewing = $state(false);
  /** quarantineMailingId is the mailing quarantined events are assigned to. */
  quarantineMailingId = $state(0);
  /** quarantineOutcome says what the last quarantine action did. */
  quarantineOutcome = $state<{ moved: number; left: number } | null>(null);
  readonly #op = new Operation<ImportProgress>(Events.reactionsProgress, cancelReactions);
  #previewGeneration = 0;

  /** progress is the running import's progress. */
  get progress(): ImportProgress | null {
    return this.#op.progress;
  }

  /** load fetches the providers and the mailings to choose from. */
  async load(): Promise<void> {
    try {
      [this.providers, this.mailings] = await Promise.all([providers(), mailings()]);
    } catch (reason) {
      this.error = ApiError.from(reason);
    }
  }

  /** reset starts a new import, keeping provider and mailing choices. */
  reset(): void {
    this.step = 'file';
    this.source = '';
    this.fileName = '';
    this.error = null;
    this.#op.progress = null;
    this.result = null;
    this.quarantined = [];
    this.preview = null;
    this.quarantineOutcome = null;
  }

  /** loadPreview reads the chosen file for the campaigns it names (the options step shows them). */
  async loadPreview(): Promise<void> {
    if (this.source === '') return;
    const generation = ++this.#previewGeneration;
    this.previewing = true;
    try {
      const p = await previewReactions(this.source, this.provider);
      if (generation === this.#previewGeneration) this.preview = p;
    } catch {
      // The import itself says what is wrong with the file.
      if (generation === this.#previewGeneration) this.preview = null;
    } finally {
      if (generation === this.#previewGeneration) this.previewing = false;
    }
  }

  /** quarantineAction assigns, re-matches or discards the quarantined events shown, then reloads them. */
  async quarantineAction(action: 'assign' | 'rematch' | 'discard'): Promise<void> {
    if (this.busy || this.quarantined.length === 0) return;
    const ids = this.quarantined.map((q) => q.id);
    this.busy = true;
    this.error = null;
    try {
      let moved: number;
      if (action === 'discard') moved = await discardQuarantined(ids);
      else {
        const r = action === 'assign' ? await assignQuarantined(ids, this.quarantineMailingId) : await rematchQuarantine(ids);
        moved = r.imported;
      }
      if (this.result) this.quarantined = await quarantine(this.result.importId);
      this.quarantineOutcome = { moved, left: this.quarantined.length };
    } catch (reason) {
      this.error = ApiError.from(reason);
    } finally {
      this.busy = false;
    }
  }

  /** pick shows the native file dialog (desktop window). */
  async pick(title: string): Promise<void> {
    if (this.busy) return;
    this.error = null;
    try {
      const path = await pickLogFile(title);
      if (path === '') return;
      this.source = path;
      this.fileName = path.split(/[\\/]/).pop() ?? path;
      this.step = 'options';
      void this.loadPreview();
    } catch (reason) {
      this.error = ApiError.from(reason);
    }
  }

  /** upload sends a file chosen in the browser to the server. */
  async upload(file: File): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.error = null;
    try {
      const up = await uploadFile(file);
      this.source = up.source;
      this.fileName = up.name || file.name;
      this.step = 'options';
      void this.loadPreview();
    } catch (reason) {
      this.error = ApiError.from(reason);
    } finally {
      this.busy = false;
    }
  }

  /** back returns from the options to the file choice. */
  back(): void {
    this.reset();
  }

  /** run imports the file, following its progress events, then loads the quarantine of the import. */
  async run(): Promise<void> {
    if (this.source === '' || this.busy) return;
    this.busy = true;
    this.error = null;
    this.step = 'running';
    try {
      this.result = await this.#op.run({ rows: 0, bytes: 0, totalBytes: 0 }, (opId) =>
        importReactions({ source: this.source, provider: this.provider, mailingId: this.mailingId, opId }),
      );
      this.step = 'result';
    } catch (reason) {
      this.error = ApiError.from(reason);
      this.step = 'options';
    } finally {
      this.busy = false;
    }
    const r = this.result;
    if (this.step === 'result' && r !== null && r.unmatched > 0 && r.importId > 0) await this.loadQuarantine(r.importId);
  }

  /** loadQuarantine fetches the unmatched events of import id. */
  async loadQuarantine(id: number): Promise<void> {
    try {
      this.quarantined = await quarantine(id);
    } catch (reason) {
      this.error = ApiError.from(reason);
    }
  }

  /** cancel asks Go to stop the running import after its current batch. */
  async cancel(): Promise<void> {
    try {
      await this.#op.cancel();
    } catch (reason) {
      this.error = ApiError.from(reason);
    }
  }
}
