import { mailingFigures } from '../api/analysis';
import { ApiError } from '../api/error';
import { duplicateMailing, mailing, mailings, previewMailing, saveMailing } from '../api/mailings';
import { findRecipients, lists } from '../api/recipients';
import { createMailingFromTemplate, layouts, mailingTemplates, saveMailingTemplate } from '../api/templates';
import type { Layout, Link, List, MailPreview, Mailing, MailingDetail, MailingFigures, MailingTemplate, Recipient } from '../api/types';
import { debounce } from '../debounce';
import { templateError, type TemplateError } from '../templateError';
import { confirmDiscard } from './unsaved';

/** PreviewDelay is how long the editor waits after the last key before it renders the preview. */
export const PreviewDelay = 400;

/** emptyMailing is a new draft. */
export function emptyMailing(): Mailing {
  return {
    id: 0,
    name: '',
    subject: '',
    preheader: '',
    body: '',
    language: 'de',
    listId: 0,
    layoutId: 0,
    status: 'draft',
    externalId: '',
    createdAt: '',
    updatedAt: '',
    sentAt: '',
  };
}

/** TemplateFields are the mailing fields that are templates and can carry a line:column error. */
export const templateFields = ['subject', 'preheader', 'body'] as const;

/**
 * MailingEditor holds the mailing list, the mailing being edited, its saved
 * links and the live preview for a chosen recipient.
 */
export class MailingEditor {
  all = $state<Mailing[]>([]);
  lists = $state<List[]>([]);
  /** layouts are the layouts a mailing can choose (besides the default, 0). */
  layouts = $state<Layout[]>([]);
  /** templates are the mailing templates a new mailing can start from. */
  templates = $state<MailingTemplate[]>([]);
  loadError = $state<ApiError | null>(null);
  /** draft is the mailing as edited; null while the list is shown. */
  draft = $state<Mailing | null>(null);
  links = $state<Link[]>([]);
  saving = $state(false);
  saved = $state(false);
  /** dirty is true while the draft has changes that are not saved. */
  dirty = $state(false);
  /** problem is the template error of the stored draft: kept, but not sendable until fixed. */
  problem = $state<ApiError | null>(null);
  error = $state<ApiError | null>(null);

  preview = $state<MailPreview | null>(null);
  previewError = $state<ApiError | null>(null);
  previewBusy = $state(false);
  /** recipient is whom the preview is rendered for; null: the first recipient Go finds. */
  recipient = $state<Recipient | null>(null);
  matches = $state<Recipient[]>([]);
  #previewGeneration = 0;
  #searchGeneration = 0;

  readonly schedulePreview = debounce(() => void this.renderPreview(), PreviewDelay);
  readonly scheduleSearch = debounce((q: string) => void this.search(q), 250);

  /** templateName is the name typed for "save as template"; null while that form is closed. */
  templateName = $state<string | null>(null);
  templateError = $state<ApiError | null>(null);
  templateSaved = $state('');

  /** figures are the mailing list's sent/open/click figures by mailing id; figuresLoading while they load. */
  figures = $state<Record<number, MailingFigures>>({});
  figuresLoading = $state(false);

  /** load fetches the mailings, lists and layouts, then (without holding up the list) their figures. */
  async load(): Promise<void> {
    try {
      [this.all, this.lists, this.layouts, this.templates] = await Promise.all([mailings(), lists(), layouts(), mailingTemplates()]);
      this.loadError = null;
    } catch (reason) {
      this.loadError = ApiError.from(reason);
      return;
    }
    void this.loadFigures();
  }

  /** loadFigures fetches every mailing's figures in one call; a failure leaves the columns empty. */
  async loadFigures(): Promise<void> {
    this.figuresLoading = true;
    try {
      const list = await mailingFigures();
      this.figures = Object.fromEntries(list.map((f) => [f.mailingId, f]));
    } catch {
      this.figures = {};
    } finally {
      this.figuresLoading = false;
    }
  }

  /** startNew opens an empty draft. */
  startNew(): void {
    this.open(emptyMailing(), []);
  }

  /** duplicate stores a copy of mailing id as a new draft named name and opens it. */
  async duplicate(id: number, name: string): Promise<void> {
    if (!confirmDiscard()) return;
    try {
      const d = await duplicateMailing(id, name);
      this.open(d.mailing, d.links, d.problem);
      void this.load();
    } catch (reason) {
      this.loadError = ApiError.from(reason);
    }
  }

  /** fromTemplate starts a new draft (stored, named "<template> <date>") from mailing template id and opens it. */
  async fromTemplate(id: number): Promise<void> {
    try {
      const d = await createMailingFromTemplate(id, '');
      this.open(d.mailing, d.links);
    } catch (reason) {
      this.loadError = ApiError.from(reason);
    }
  }

  /** edit opens the stored mailing id. */
  async edit(id: number): Promise<void> {
    try {
      const d = await mailing(id);
      this.open(d.mailing, d.links, d.problem);
    } catch (reason) {
      this.loadError = ApiError.from(reason);
    }
  }

  private open(m: Mailing, links: Link[], problem?: MailingDetail['problem']): void {
    this.draft = m;
    this.links = links;
    this.dirty = false;
    this.problem = problem ? ApiError.from(problem) : null;
    this.templateName = null;
    this.templateError = null;
    this.templateSaved = '';
    this.error = this.problem;
    this.saved = false;
    this.preview = null;
    this.previewError = null;
    this.schedulePreview.cancel();
    void this.renderPreview();
  }

  /** close goes back to the list (after asking, when there are unsaved changes). */
  close(): void {
    if (this.dirty && !confirmDiscard()) return;
    this.dirty = false;
    this.schedulePreview.cancel();
    this.draft = null;
    void this.load();
  }

  /** edited notes a change: the saved note goes, the field's error goes, the preview follows. */
  edited(field: keyof Mailing): void {
    this.saved = false;
    this.dirty = true;
    if (this.error?.field === field) this.error = null;
    this.schedulePreview();
  }

  /** fieldError returns the error about field: a template error at line:column, or another field error. */
  fieldError(field: string): { template: TemplateError | null; error: ApiError } | null {
    for (const e of [this.error, this.previewError]) {
      if (e === null || e.field !== field) continue;
      // A preview only reports template mistakes; other checks come with saving.
      const template = templateError(e);
      if (e === this.previewError && template === null) continue;
      return { template, error: e };
    }
    return null;
  }

  /** formError is the save error that belongs to no shown field. */
  get formError(): ApiError | null {
    const f = this.error?.field;
    if (this.error === null) return null;
    return f === undefined || !['name', 'language', 'listId', 'layoutId', 'layout', ...templateFields].includes(f) ? this.error : null;
  }

  /** startSaveAsTemplate opens the "save as template" form with the mailing's name. */
  startSaveAsTemplate(): void {
    this.templateName = this.draft?.name ?? '';
    this.templateError = null;
    this.templateSaved = '';
  }

  /** saveAsTemplate stores the draft's content (subject, preheader, body, language, layout) as a new mailing template. */
  async saveAsTemplate(): Promise<boolean> {
    const draft = this.draft;
    if (draft === null || this.templateName === null) return false;
    const m = $state.snapshot(draft) as Mailing;
    const tpl: MailingTemplate = {
      id: 0,
      name: this.templateName,
      subject: m.subject,
      preheader: m.preheader,
      body: m.body,
      language: m.language,
      layoutId: m.layoutId,
      createdAt: '',
      updatedAt: '',
    };
    try {
      const saved = await saveMailingTemplate(tpl);
      this.templateSaved = saved.name;
      this.templateName = null;
      this.templateError = null;
      return true;
    } catch (reason) {
      this.templateError = ApiError.from(reason);
      return false;
    }
  }

  /** save checks and stores the draft; the links come back from Go. */
  async save(): Promise<boolean> {
    const draft = this.draft;
    if (draft === null || this.saving) return false;
    this.saving = true;
    this.error = null;
    try {
      const d = await saveMailing($state.snapshot(draft) as Mailing);
      this.draft = d.mailing;
      this.links = d.links;
      this.saved = true;
      this.dirty = false;
      // A draft with a template problem is stored; the problem shows at its field.
      this.problem = d.problem ? ApiError.from(d.problem) : null;
      this.error = this.problem;
      void this.load();
      return true;
    } catch (reason) {
      this.error = ApiError.from(reason);
      return false;
    } finally {
      this.saving = false;
    }
  }

  /** renderPreview renders the draft for the chosen recipient; older answers are dropped. */
  async renderPreview(): Promise<void> {
    const draft = this.draft;
    if (draft === null) return;
    const generation = ++this.#previewGeneration;
    this.previewBusy = true;
    try {
      const p = await previewMailing({
        mailing: $state.snapshot(draft) as Mailing,
        recipientId: this.recipient?.id ?? 0,
      });
      if (generation !== this.#previewGeneration) return;
      this.preview = p;
      this.previewError = null;
    } catch (reason) {
      if (generation === this.#previewGeneration) this.previewError = ApiError.from(reason);
    } finally {
      if (generation === this.#previewGeneration) this.previewBusy = false;
    }
  }

  /** search finds recipients to preview for. */
  async search(q: string): Promise<void> {
    const generation = ++this.#searchGeneration;
    if (q.trim() === '') {
      this.matches = [];
      return;
    }
    try {
      const page = await findRecipients({
        search: q.trim(),
        listId: 0,
        status: '',
        ids: null,
        afterId: 0,
        offset: 0,
        limit: 8,
        sort: 'email',
      });
      if (generation === this.#searchGeneration) this.matches = page.recipients;
    } catch (reason) {
      if (generation === this.#searchGeneration) this.previewError = ApiError.from(reason);
    }
  }

  /** previewFor renders the preview for r (null: the first recipient). */
  previewFor(r: Recipient | null): void {
    this.recipient = r;
    this.matches = [];
    this.schedulePreview.cancel();
    void this.renderPreview();
  }
}
