import { ApiError } from '../api/error';
import { Events } from '../api/eventNames';
import { cancelImport, importFile, imports, previewImport, rejectedCSV, undoImport } from '../api/recipients';
import { pickCSVFile } from '../api/system';
import type { ImportMapping, ImportOptions, ImportPreview, ImportProgress, ImportResult, ImportRun, RejectedRow } from '../api/types';
import { uploadFile } from '../api/upload';
import { Operation } from './operation.svelte';

/** WizardStep is where the import wizard is. */
export type WizardStep = 'file' | 'map' | 'options' | 'running' | 'result';

/** Ignore maps a column to nothing. */
export const Ignore = '-';

/** FieldSeparator joins the several consent fields one column grants in a mapping value. */
export const FieldSeparator = '\n';

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
  result = $state<ImportResult | null>(null);
  undone = $state(false);
  history = $state<ImportRun[]>([]);
  readonly #op = new Operation<ImportProgress>(Events.importProgress, cancelImport);
  #previewGeneration = 0;

  /** progress is the running import's progress. */
  get progress(): ImportProgress | null {
    return this.#op.progress;
  }

  /** fieldsFor returns every field the column with header maps to (empty: ignored). */
  fieldsFor(header: string): string[] {
    const chosen = this.overrides[header];
    if (chosen !== undefined) return chosen === Ignore ? [] : chosen.split(FieldSeparator).filter((f) => f !== '');
    const column = this.preview?.columns.find((c) => c.header === header);
    return column === undefined || column.field === '' ? [] : [column.field, ...(column.also ?? [])];
  }

  /** fieldFor returns what the column with header maps to first ('-' ignored). */
  fieldFor(header: string): string {
    return this.fieldsFor(header)[0] ?? Ignore;
  }

  /** alsoFor returns the further consent fields the column with header grants. */
  alsoFor(header: string): string[] {
    return this.fieldsFor(header).slice(1);
  }

  /** toggleAlso lets a consent column grant (or no longer grant) one more purpose. */
  async toggleAlso(header: string, purpose: string, on: boolean): Promise<void> {
    const [first, ...rest] = this.fieldsFor(header);
    if (first === undefined || !isConsentField(first) || purpose === first) return;
    const also = rest.filter((f) => f !== purpose);
    if (on) also.push(purpose);
    const next: ImportMapping = { ...this.overrides, [header]: [first, ...also].join(FieldSeparator) };
    // A purpose belongs to one column: another column that granted it stops.
    if (on) {
      for (const c of this.preview?.columns ?? []) {
        if (c.header === header) continue;
        const fields = this.fieldsFor(c.header);
        if (fields.includes(purpose)) {
          const left = fields.filter((f) => f !== purpose);
          next[c.header] = left.length === 0 ? Ignore : left.join(FieldSeparator);
        }
      }
    }
    this.overrides = next;
    if (this.preview !== null) await this.loadPreview(this.preview.source);
  }

  /** consentMapped is true when a column maps to consent: then source and evidence are required. */
  get consentMapped(): boolean {
    return (this.preview?.columns ?? []).some((c) => this.fieldsFor(c.header).some(isConsentField));
  }

  /** newsletterMapped reports whether a column grants the newsletter consent of the list named in the options. */
  get newsletterMapped(): boolean {
    const list = this.options.listName.trim().toLowerCase();
    if (list === '') return false;
    return (this.preview?.columns ?? []).some((c) =>
      this.fieldsFor(c.header).some((f) => f.toLowerCase() === `consent:newsletter:${list}`),
    );
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
    this.#op.progress = null;
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
    // A consent column keeps the further purposes it grants.
    const also = isConsentField(field) ? this.alsoFor(header).filter((f) => f !== field) : [];
    const next: ImportMapping = { ...this.overrides, [header]: [field, ...also].join(FieldSeparator) };
    if (field !== Ignore) {
      for (const c of this.preview?.columns ?? []) {
        if (c.header === header) continue;
        const fields = this.fieldsFor(c.header);
        if (fields[0] === field) next[c.header] = Ignore;
        else if (fields.includes(field)) next[c.header] = fields.filter((f) => f !== field).join(FieldSeparator);
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
    this.busy = true;
    this.error = null;
    this.step = 'running';
    try {
      this.result = await this.#op.run({ rows: 0, bytes: 0, totalBytes: 0 }, (opId) =>
        importFile({
          source: preview.source,
          mapping: $state.snapshot(this.overrides),
          options: {
            ...$state.snapshot(o),
            listName: o.listName.trim(),
            consentSource: this.consentMapped ? o.consentSource.trim() : '',
            consentEvidence: this.consentMapped ? o.consentEvidence.trim() : '',
          },
          opId,
        }),
      );
      this.undone = false;
      this.step = 'result';
    } catch (reason) {
      this.error = ApiError.from(reason);
      this.step = 'options';
    } finally {
      this.busy = false;
    }
    await this.loadHistory();
  }

  /** again starts over with the same file and list, at the mapping (to add a consent column, say). */
  async again(): Promise<void> {
    const source = this.preview?.source;
    const listName = this.options.listName;
    this.reset();
    this.options.listName = listName;
    if (source !== undefined) await this.open(source);
  }

  /**
   * rejectedFile returns the rejected rows of the current result as CSV in
   * the file's own layout plus a reason column, reasons as reason() words them.
   */
  async rejectedFile(reason: (row: RejectedRow) => string, reasonHeader: string): Promise<string | null> {
    const preview = this.preview;
    const result = this.result;
    if (preview === null || result === null || result.rejected.length === 0) return null;
    this.error = null;
    try {
      const rows = result.rejected.map((r) => ({ line: r.line, reason: reason(r) }));
      return await rejectedCSV(preview.source, $state.snapshot(this.overrides), rows, reasonHeader);
    } catch (reason) {
      this.error = ApiError.from(reason);
      return null;
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
