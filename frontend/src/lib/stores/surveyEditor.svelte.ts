import { ApiError } from '../api/error';
import {
  deleteSurvey,
  exportSurveyCSV,
  saveSurvey,
  setSurveyStatus,
  survey,
  surveyAttributes,
  surveyResults,
  surveys,
} from '../api/surveys';
import type { AttributeDef, QuestionType, Survey, SurveyChoice, SurveyQuestion, SurveyResults, SurveySummary } from '../api/types';
import { download } from '../download';

/** emptySurvey is a new, closed survey without questions. */
export function emptySurvey(): Survey {
  return { id: 0, name: '', slug: '', title: '', intro: '', status: 'closed', questions: [], createdAt: '', updatedAt: '' };
}

function emptyChoice(): SurveyChoice {
  return { key: '', label: '', value: '', interest: '' };
}

/** newQuestion returns a question of the type; choice questions start with two empty choices. */
export function newQuestion(type: QuestionType): SurveyQuestion {
  const choices = type === 'single' || type === 'multiple' ? [emptyChoice(), emptyChoice()] : [];
  return { key: '', type, text: '', required: false, choices, attribute: '' };
}

/** slugFrom proposes a slug from a name: lower case, umlauts spelled out, dashes. */
export function slugFrom(name: string): string {
  return name
    .toLowerCase()
    .replace(/ä/g, 'ae')
    .replace(/ö/g, 'oe')
    .replace(/ü/g, 'ue')
    .replace(/ß/g, 'ss')
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
}

/**
 * SurveyEditor lists the surveys and edits one: its questions with their
 * mappings to attributes and interest tags, its state (open/closed), and
 * its results.
 */
export class SurveyEditor {
  surveys = $state<SurveySummary[]>([]);
  attributes = $state<AttributeDef[]>([]);
  loadError = $state<ApiError | null>(null);

  editing = $state(false);
  draft = $state<Survey>(emptySurvey());
  /** slugTouched stops proposing a slug from the name once the user edited it. */
  slugTouched = $state(false);
  error = $state<ApiError | null>(null);
  saving = $state(false);
  saved = $state(false);
  results = $state<SurveyResults | null>(null);

  /** load fetches the surveys and the attributes answers can fill. */
  async load(): Promise<void> {
    try {
      [this.surveys, this.attributes] = await Promise.all([surveys(), surveyAttributes()]);
      this.loadError = null;
    } catch (reason) {
      this.loadError = ApiError.from(reason);
    }
  }

  /** startNew opens an empty survey. */
  startNew(): void {
    this.draft = emptySurvey();
    this.slugTouched = false;
    this.results = null;
    this.open();
  }

  /** edit opens a saved survey with its results. */
  async edit(id: number): Promise<void> {
    try {
      const [s, r] = await Promise.all([survey(id), surveyResults(id)]);
      this.draft = s;
      this.results = r;
      this.slugTouched = true;
      this.open();
    } catch (reason) {
      this.loadError = ApiError.from(reason);
    }
  }

  private open(): void {
    this.error = null;
    this.saved = false;
    this.editing = true;
  }

  /** close goes back to the list. */
  close(): void {
    this.editing = false;
    void this.load();
  }

  /** changed marks the draft unsaved and proposes a slug for a new survey. */
  changed(): void {
    this.saved = false;
    if (!this.slugTouched) this.draft.slug = slugFrom(this.draft.name);
  }

  addQuestion(type: QuestionType): void {
    this.draft.questions.push(newQuestion(type));
    this.saved = false;
  }

  removeQuestion(i: number): void {
    this.draft.questions.splice(i, 1);
    this.saved = false;
  }

  moveQuestion(i: number, by: -1 | 1): void {
    const j = i + by;
    const qs = this.draft.questions;
    if (j < 0 || j >= qs.length) return;
    [qs[i], qs[j]] = [qs[j]!, qs[i]!];
    this.saved = false;
  }

  /** setType changes a question's type, keeping what still fits. */
  setType(i: number, type: QuestionType): void {
    const q = this.draft.questions[i];
    if (q === undefined) return;
    q.type = type;
    const choice = type === 'single' || type === 'multiple';
    if (choice && q.choices.length < 2) q.choices = [...q.choices, emptyChoice(), emptyChoice()].slice(0, Math.max(2, q.choices.length));
    if (!choice) q.choices = [];
    if (type === 'multiple') q.attribute = '';
    this.saved = false;
  }

  addChoice(i: number): void {
    this.draft.questions[i]?.choices.push(emptyChoice());
    this.saved = false;
  }

  removeChoice(i: number, c: number): void {
    this.draft.questions[i]?.choices.splice(c, 1);
    this.saved = false;
  }

  /** save stores the draft; Go checks it and names the wrong field. */
  async save(): Promise<void> {
    this.saving = true;
    this.error = null;
    try {
      this.draft = await saveSurvey($state.snapshot(this.draft) as Survey);
      this.slugTouched = true;
      this.saved = true;
      if (this.results === null) this.results = await surveyResults(this.draft.id);
    } catch (reason) {
      this.error = ApiError.from(reason);
    } finally {
      this.saving = false;
    }
  }

  /** setStatus opens or closes the saved survey. */
  async setStatus(status: 'open' | 'closed'): Promise<void> {
    this.error = null;
    try {
      const s = await setSurveyStatus(this.draft.id, status);
      this.draft.status = s.status;
      this.draft.updatedAt = s.updatedAt;
    } catch (reason) {
      this.error = ApiError.from(reason);
    }
  }

  /** remove deletes the survey and its answers and goes back to the list. */
  async remove(): Promise<void> {
    try {
      await deleteSurvey(this.draft.id);
      this.close();
    } catch (reason) {
      this.error = ApiError.from(reason);
    }
  }

  /** refreshResults reloads the counts. */
  async refreshResults(): Promise<void> {
    if (this.draft.id === 0) return;
    try {
      this.results = await surveyResults(this.draft.id);
    } catch (reason) {
      this.error = ApiError.from(reason);
    }
  }

  /** exportCSV downloads all answers as CSV. */
  async exportCSV(): Promise<void> {
    try {
      const f = await exportSurveyCSV(this.draft.id);
      await download(f.name, f.content, 'text/csv;charset=utf-8');
    } catch (reason) {
      this.error = ApiError.from(reason);
    }
  }

  /** questionError returns the error when it concerns question i (field "questions.i…"). */
  questionError(i: number): ApiError | null {
    const f = this.error?.field ?? '';
    return f === `questions.${i}` || f.startsWith(`questions.${i}.`) ? this.error : null;
  }
}
