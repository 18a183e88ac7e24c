import { ApiError } from '../api/error';
import {
  createMailingFromTemplate,
  defaultLayout,
  deleteLayout,
  deleteMailingTemplate,
  layouts,
  mailingTemplates,
  previewLayout,
  saveLayout,
  saveMailingTemplate,
} from '../api/templates';
import type { Layout, LayoutPreview, MailingTemplate } from '../api/types';
import { debounce } from '../debounce';
import { templateError, type TemplateError } from '../templateError';
import { openMailing } from './mailingHandoff.svelte';

/** LayoutPreviewDelay is how long the layout editor waits after the last key before it renders the preview. */
export const LayoutPreviewDelay = 400;

/** emptyLayout is a new layout. */
export function emptyLayout(html = ''): Layout {
  return { id: 0, name: '', html, createdAt: '', updatedAt: '' };
}

/**
 * TemplatesScreen holds the layouts and mailing templates, the layout being
 * edited with its live preview around sample content, and the renaming of
 * a mailing template.
 */
export class TemplatesScreen {
  layouts = $state<Layout[]>([]);
  templates = $state<MailingTemplate[]>([]);
  loadError = $state<ApiError | null>(null);
  /** actionError is the error of a delete, rename or "new mailing" in the lists. */
  actionError = $state<ApiError | null>(null);

  /** draft is the layout as edited; null while the lists are shown. */
  draft = $state<Layout | null>(null);
  error = $state<ApiError | null>(null);
  saving = $state(false);
  saved = $state(false);

  preview = $state<LayoutPreview | null>(null);
  previewError = $state<ApiError | null>(null);
  previewBusy = $state(false);
  previewLanguage = $state<'de' | 'en'>('de');
  #previewGeneration = 0;

  /** renaming is the mailing template being renamed, with the new name. */
  renaming = $state<{ id: number; name: string } | null>(null);
  renameError = $state<ApiError | null>(null);

  readonly schedulePreview = debounce(() => void this.renderPreview(), LayoutPreviewDelay);

  /** load fetches the layouts and the mailing templates. */
  async load(): Promise<void> {
    try {
      [this.layouts, this.templates] = await Promise.all([layouts(), mailingTemplates()]);
      this.loadError = null;
    } catch (reason) {
      this.loadError = ApiError.from(reason);
    }
  }

  /** layoutName returns the name of layout id (0 or unknown: null, the default layout). */
  layoutName(id: number): string | null {
    return id === 0 ? null : (this.layouts.find((l) => l.id === id)?.name ?? null);
  }

  /** startNew opens a new layout: a copy of the default layout, or empty. */
  async startNew(fromDefault: boolean): Promise<void> {
    let html = '';
    if (fromDefault) {
      try {
        html = await defaultLayout();
      } catch (reason) {
        this.actionError = ApiError.from(reason);
        return;
      }
    }
    this.open(emptyLayout(html));
  }

  /** edit opens a stored layout. */
  edit(l: Layout): void {
    this.open({ ...l });
  }

  private open(l: Layout): void {
    this.draft = l;
    this.error = null;
    this.saved = false;
    this.actionError = null;
    this.preview = null;
    this.previewError = null;
    this.schedulePreview.cancel();
    if (l.html.trim() !== '') void this.renderPreview();
  }

  /** close goes back to the lists. */
  close(): void {
    this.schedulePreview.cancel();
    this.draft = null;
    void this.load();
  }

  /** copyDefault replaces the edited HTML with the default layout. */
  async copyDefault(): Promise<void> {
    if (this.draft === null) return;
    try {
      this.draft.html = await defaultLayout();
      this.edited('html');
      this.schedulePreview.flush();
    } catch (reason) {
      this.error = ApiError.from(reason);
    }
  }

  /** edited notes a change: the saved note goes, the field's error goes, the preview follows. */
  edited(field: keyof Layout): void {
    this.saved = false;
    if (this.error?.field === field) this.error = null;
    if (field === 'html') this.schedulePreview();
  }

  /** setPreviewLanguage renders the sample content in another language. */
  setPreviewLanguage(lang: 'de' | 'en'): void {
    this.previewLanguage = lang;
    this.schedulePreview.cancel();
    void this.renderPreview();
  }

  /** htmlError returns the error about the HTML: at line:column when Go named the place. */
  htmlError(): { template: TemplateError | null; error: ApiError } | null {
    for (const e of [this.error, this.previewError]) {
      if (e === null || e.field !== 'html') continue;
      return { template: templateError(e), error: e };
    }
    return null;
  }

  /** formError is the save error that belongs to no shown field. */
  get formError(): ApiError | null {
    const f = this.error?.field;
    return this.error !== null && f !== 'name' && f !== 'html' ? this.error : null;
  }

  /** save checks and stores the draft. */
  async save(): Promise<boolean> {
    const draft = this.draft;
    if (draft === null || this.saving) return false;
    this.saving = true;
    this.error = null;
    try {
      this.draft = await saveLayout($state.snapshot(draft) as Layout);
      this.saved = true;
      void this.load();
      return true;
    } catch (reason) {
      this.error = ApiError.from(reason);
      return false;
    } finally {
      this.saving = false;
    }
  }

  /** renderPreview renders the draft around sample content; older answers are dropped. */
  async renderPreview(): Promise<void> {
    const draft = this.draft;
    if (draft === null) return;
    const generation = ++this.#previewGeneration;
    if (draft.html.trim() === '') {
      this.preview = null;
      this.previewError = null;
      return;
    }
    this.previewBusy = true;
    try {
      const p = await previewLayout(draft.html, this.previewLanguage);
      if (generation !== this.#previewGeneration) return;
      this.preview = p;
      this.previewError = null;
    } catch (reason) {
      if (generation === this.#previewGeneration) this.previewError = ApiError.from(reason);
    } finally {
      if (generation === this.#previewGeneration) this.previewBusy = false;
    }
  }

  /** removeLayout deletes a layout; one a mailing uses is refused with the mailings named. */
  async removeLayout(id: number): Promise<boolean> {
    this.actionError = null;
    try {
      await deleteLayout(id);
      if (this.draft?.id === id) this.draft = null;
      await this.load();
      return true;
    } catch (reason) {
      this.actionError = ApiError.from(reason);
      return false;
    }
  }

  /** startRename opens the name of mailing template id for editing. */
  startRename(m: MailingTemplate): void {
    this.renaming = { id: m.id, name: m.name };
    this.renameError = null;
  }

  /** rename stores the new name of the template being renamed. */
  async rename(): Promise<boolean> {
    const r = this.renaming;
    const m = r === null ? undefined : this.templates.find((x) => x.id === r.id);
    if (r === null || m === undefined) return false;
    try {
      await saveMailingTemplate({ ...$state.snapshot(m), name: r.name } as MailingTemplate);
      this.renaming = null;
      this.renameError = null;
      await this.load();
      return true;
    } catch (reason) {
      this.renameError = ApiError.from(reason);
      return false;
    }
  }

  /** removeTemplate deletes a mailing template. */
  async removeTemplate(id: number): Promise<void> {
    this.actionError = null;
    try {
      await deleteMailingTemplate(id);
      await this.load();
    } catch (reason) {
      this.actionError = ApiError.from(reason);
    }
  }

  /** newMailing starts a draft mailing from template id and opens it on the Mailings screen. */
  async newMailing(id: number): Promise<void> {
    this.actionError = null;
    try {
      const d = await createMailingFromTemplate(id, '');
      openMailing(d.mailing.id);
    } catch (reason) {
      this.actionError = ApiError.from(reason);
    }
  }
}
