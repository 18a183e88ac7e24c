import { ApiError } from '../api/error';
import { ready, subscribe } from '../api/events';
import { cancelImport, importFile, imports, previewImport, undoImport } from '../api/recipients';
import { pickCSVFile } from '../api/system';
import type { ImportMapping, ImportOptions, ImportPreview, ImportProgress, ImportResult, ImportRun } from '../api/types';
import { uploadFile } from '../api/upload';

/** WizardStep is where the import wizard is. */
export type WizardStep = 'file' | 'map' | 'options' | 'running' | 'result';

/** Ignore maps a column to nothing. */
export const Ignore = '-';

/** isConsentField reports whether a field key carries consent (consent:…). */
export function isConsentField(field: string): boolean {
  return field.startsWith('consent:');
}

const defaultOptions = (): ImportOptions => ({
  listName: '',
  status: 'confirmed',
  mode: 'update',
  consentSource: '',
  consentEvidence: '',
});

/**
 * ImportWizard walks through a recipient import: choose the file, check the
 * mapping on a preview, set the options, run with progress, look at the
 * result (and undo it). It also keeps the import history.
 */
export class ImportWizard {
  step = $state<WizardStep>('file');
  preview = $state<ImportPreview | null>(null);
  /** overrides are the user's mapping choices by header; the rest is mapped automatically. */
  overrides = $state<ImportMapping>({});
  options = $state<ImportOptions>(defaultOptions());
  busy = $state(false);
  error = $state<ApiError | null>(null);
  progress = $state<ImportProgress | null>(null);
  result = $state<ImportResult | null>(null);
  undone = $state(false);
  history = $state<ImportRun[]>([]);
  #opId = '';
  #previewGeneration = 0;

  /** fieldFor returns what the column with header maps to ('-' ignored). */
  fieldFor(header: string): string {
    const chosen = this.overrides[header];
    if (chosen !== undefined) return chosen;
    const field = this.preview?.columns.find((c) => c.header === header)?.field ?? '';
    return field === '' ? Ignore : field;
  }

  /** consentMapped is true when a column maps to consent: then source and evidence are required. */
  get consentMapped(): boolean {
    return (this.preview?.columns ?? []).some((c) => isConsentField(this.fieldFor(c.header)));
  }

  /** fieldError returns the error about field, if the last one was about it. */
  fieldError(field: string): ApiError | null {
    return this.error?.field === field ? this.error : null;
  }

  /** formError returns the last error if it is about no option field. */
  get formError(): ApiError | null {
    const field = this.error?.field;
    return this.error !== null && !['consentSource', 'consentEvidence', 'mode', 'status', 'listName'].includes(field ?? '')
      ? this.error
      : null;
  }

  /** reset starts a new import. */
  reset(): void {
    this.step = 'file';
    this.preview = null;
    this.overrides = {};
    this.options = defaultOptions();
    this.error = null;
    this.progress = null;
    this.result = null;
    this.undone = false;
  }

  /** pick shows the native file dialog (desktop window) and previews the chosen file. */
  async pick(title: string): Promise<void> {
    if (this.busy) return;
    this.error = null;
    let path: string;
    try {
      path = await pickCSVFile(title);
    } catch (reason) {
      this.error = ApiError.from(reason);
      return;
    }
    if (path !== '') await this.open(path);
  }

  /** upload sends a file chosen in the browser to the server and previews it. */
  async upload(file: File): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.error = null;
    let source: string;
    try {
      source = (await uploadFile(file)).source;
    } catch (reason) {
      this.error = ApiError.from(reason);
      return;
    } finally {
      this.busy = false;
    }
    await this.open(source);
  }

  /** open previews source with automatic mapping. */
  async open(source: string): Promise<void> {
    this.overrides = {};
    this.preview = null;
    if (await this.loadPreview(source)) this.step = 'map';
  }

  /**
   * map maps the column with header to field. A field takes one column, so a
   * column that had it before is ignored from now on. The preview is read again.
   */
  async map(header: string, field: string): Promise<void> {
    const next: ImportMapping = { ...this.overrides, [header]: field };
    if (field !== Ignore) {
      for (const c of this.preview?.columns ?? []) {
        if (c.header !== header && this.fieldFor(c.header) === field) next[c.header] = Ignore;
      }
    }
    this.overrides = next;
    if (this.preview !== null) await this.loadPreview(this.preview.source);
  }

  private async loadPreview(source: string): Promise<boolean> {
    const generation = ++this.#previewGeneration;
    this.busy = true;
    this.error = null;
    try {
      const mapping = Object.keys(this.overrides).length > 0 ? $state.snapshot(this.overrides) : null;
      const preview = await previewImport(source, mapping);
      if (generation !== this.#previewGeneration) return false;
      this.preview = preview;
      return true;
    } catch (reason) {
      if (generation === this.#previewGeneration) this.error = ApiError.from(reason);
      return false;
    } finally {
      if (generation === this.#previewGeneration) this.busy = false;
    }
  }

  /** toOptions continues from the mapping to the options once the mapping reads cleanly. */
  toOptions(): void {
    if (this.preview !== null && this.error === null && !this.busy) this.step = 'options';
  }

  /** back goes one step back (not while running). */
  back(): void {
    this.error = null;
    if (this.step === 'options') this.step = 'map';
    else if (this.step === 'map') this.reset();
  }

  /** optionEdited clears the error about an option once the user changes it. */
  optionEdited(field: keyof ImportOptions): void {
    if (this.error?.field === field) this.error = null;
  }

  /** run imports the file, following its progress events; consent columns need source and evidence. */
  async run(): Promise<void> {
    const preview = this.preview;
    if (preview === null || this.busy) return;
    const o = this.options;
    if (this.consentMapped && o.consentSource.trim() === '') {
      this.error = new ApiError({
        code: 'invalid',
        field: 'consentSource',
        key: 'error.import.consent.evidence',
        message: 'Say where the consent in the file was given.',
      });
      return;
    }
    if (this.consentMapped && o.consentEvidence.trim() === '') {
      this.error = new ApiError({
        code: 'invalid',
        field: 'consentEvidence',
        key: 'error.import.consent.evidence',
        message: 'Enter the wording or proof of the consent in the file.',
      });
      return;
    }
    const opId = crypto.randomUUID();
    this.#opId = opId;
    this.busy = true;
    this.error = null;
    this.progress = { rows: 0, bytes: 0, totalBytes: 0 };
    this.step = 'running';
    const off = subscribe(`import:progress:${opId}`, (data) => {
      if (this.#opId === opId) this.progress = data as ImportProgress;
    });
    try {
      await ready();
      this.result = await importFile({
        source: preview.source,
        mapping: $state.snapshot(this.overrides),
        options: {
          ...$state.snapshot(o),
          listName: o.listName.trim(),
          consentSource: this.consentMapped ? o.consentSource.trim() : '',
          consentEvidence: this.consentMapped ? o.consentEvidence.trim() : '',
        },
        opId,
      });
      this.undone = false;
      this.step = 'result';
    } catch (reason) {
      this.error = ApiError.from(reason);
      this.step = 'options';
    } finally {
      off();
      this.busy = false;
      this.#opId = '';
    }
    await this.loadHistory();
  }

  /** cancel asks Go to stop the running import after its current batch. */
  async cancel(): Promise<void> {
    if (this.#opId === '') return;
    try {
      await cancelImport(this.#opId);
    } catch (reason) {
      this.error = ApiError.from(reason);
    }
  }

  /** undo reverts import id (the current result's by default). */
  async undo(id = this.result?.importId ?? 0): Promise<boolean> {
    if (id === 0) return false;
    this.error = null;
    try {
      await undoImport(id);
      if (this.result?.importId === id) this.undone = true;
      await this.loadHistory();
      return true;
    } catch (reason) {
      this.error = ApiError.from(reason);
      return false;
    }
  }

  /** loadHistory fetches the recorded imports. */
  async loadHistory(): Promise<void> {
    try {
      this.history = await imports();
    } catch (reason) {
      this.error = ApiError.from(reason);
    }
  }
}
