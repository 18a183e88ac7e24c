import { ApiError } from '../api/error';
import { salutations, salutationSamples, saveSalutation } from '../api/mailings';
import type { SalutationBlock, SalutationRow } from '../api/types';
import { debounce } from '../debounce';

/** splitList reads a comma-separated list of field keys. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * SalutationEditor edits one salutation block at a time and shows how it
 * greets the sample people as the rules change.
 */
export class SalutationEditor {
  blocks = $state<SalutationBlock[]>([]);
  /** selected is the index of the block in blocks being edited, -1 for a new one. */
  selected = $state(0);
  draft = $state<SalutationBlock | null>(null);
  samples = $state<SalutationRow[]>([]);
  samplesError = $state<ApiError | null>(null);
  error = $state<ApiError | null>(null);
  saving = $state(false);
  saved = $state(false);
  #generation = 0;

  readonly scheduleSamples = debounce(() => void this.loadSamples(), 300);

  /** load fetches the blocks in use and opens the first. */
  async load(): Promise<void> {
    try {
      this.blocks = await salutations();
      this.error = null;
      if (this.blocks.length > 0) this.select(0);
    } catch (reason) {
      this.error = ApiError.from(reason);
    }
  }

  /** select opens block i. */
  select(i: number): void {
    const b = this.blocks[i];
    if (b === undefined) return;
    this.selected = i;
    this.draft = structuredClone($state.snapshot(b)) as SalutationBlock;
    this.saved = false;
    this.error = null;
    void this.loadSamples();
  }

  /** startNew opens a new block with one catch-all rule. */
  startNew(language: string): void {
    this.selected = -1;
    this.draft = { name: '', language, rules: [{ genders: [], requires: [], text: '' }] };
    this.saved = false;
    this.error = null;
    this.samples = [];
  }

  /** edited notes a change to the draft and refreshes the samples. */
  edited(): void {
    this.saved = false;
    this.error = null;
    this.scheduleSamples();
  }

  addRule(): void {
    this.draft?.rules.push({ genders: [], requires: [], text: '' });
    this.edited();
  }

  removeRule(i: number): void {
    this.draft?.rules.splice(i, 1);
    this.edited();
  }

  /** moveRule moves rule i by step (−1 up, +1 down): the first matching rule wins, so order matters. */
  moveRule(i: number, step: number): void {
    const rules = this.draft?.rules;
    const j = i + step;
    if (rules === undefined || j < 0 || j >= rules.length) return;
    const [r] = rules.splice(i, 1);
    if (r !== undefined) rules.splice(j, 0, r);
    this.edited();
  }

  /** loadSamples evaluates the draft for the sample people. */
  async loadSamples(): Promise<void> {
    const draft = this.draft;
    if (draft === null) return;
    const generation = ++this.#generation;
    try {
      const rows = await salutationSamples($state.snapshot(draft) as SalutationBlock, []);
      if (generation !== this.#generation) return;
      this.samples = rows;
      this.samplesError = null;
    } catch (reason) {
      if (generation === this.#generation) this.samplesError = ApiError.from(reason);
    }
  }

  /** save stores the draft and keeps it open. */
  async save(): Promise<boolean> {
    const draft = this.draft;
    if (draft === null || this.saving) return false;
    this.saving = true;
    this.error = null;
    try {
      const b = $state.snapshot(draft) as SalutationBlock;
      this.blocks = await saveSalutation({ ...b, name: b.name.trim() });
      this.selected = this.blocks.findIndex((x) => x.name === b.name.trim() && x.language === b.language);
      this.saved = true;
      return true;
    } catch (reason) {
      this.error = ApiError.from(reason);
      return false;
    } finally {
      this.saving = false;
    }
  }
}
