import { ApiError } from '../api/error';
import { attributes, createAttribute, createList, lists } from '../api/recipients';
import type { AttributeDef, AttributeType, List } from '../api/types';

/** ListDraft is the list create form. */
export interface ListDraft {
  name: string;
  description: string;
  doubleOptIn: boolean;
}

/** AttributeDraft is the attribute create form; choices are one per line. */
export interface AttributeDraft {
  key: string;
  label: string;
  type: AttributeType;
  choices: string;
}

const emptyList = (): ListDraft => ({ name: '', description: '', doubleOptIn: false });
const emptyAttribute = (): AttributeDraft => ({ key: '', label: '', type: 'text', choices: '' });

/** RecipientMeta holds the lists and attribute definitions with their create forms. */
export class RecipientMeta {
  lists = $state<List[]>([]);
  attributes = $state<AttributeDef[]>([]);
  loadError = $state<ApiError | null>(null);

  listDraft = $state<ListDraft>(emptyList());
  listError = $state<ApiError | null>(null);
  listSaving = $state(false);
  listCreated = $state<string | null>(null);

  attributeDraft = $state<AttributeDraft>(emptyAttribute());
  attributeError = $state<ApiError | null>(null);
  attributeSaving = $state(false);
  attributeCreated = $state<string | null>(null);

  /** custom returns the attribute definitions that are not builtin. */
  get custom(): AttributeDef[] {
    return this.attributes.filter((a) => !a.builtin);
  }

  /** load fetches lists and attribute definitions. */
  async load(): Promise<void> {
    try {
      const [l, a] = await Promise.all([lists(), attributes()]);
      this.lists = l;
      this.attributes = a;
      this.loadError = null;
    } catch (reason) {
      this.loadError = ApiError.from(reason);
    }
  }

  /** loadLists refreshes the lists (their counts change with imports). */
  async loadLists(): Promise<void> {
    try {
      this.lists = await lists();
    } catch (reason) {
      this.loadError = ApiError.from(reason);
    }
  }

  /** addList creates the list in the draft. */
  async addList(): Promise<boolean> {
    if (this.listSaving) return false;
    this.listSaving = true;
    this.listError = null;
    this.listCreated = null;
    try {
      const created = await createList($state.snapshot(this.listDraft));
      this.listDraft = emptyList();
      this.listCreated = created.name;
      await this.loadLists();
      return true;
    } catch (reason) {
      this.listError = ApiError.from(reason);
      return false;
    } finally {
      this.listSaving = false;
    }
  }

  /** addAttribute defines the attribute in the draft. */
  async addAttribute(): Promise<boolean> {
    if (this.attributeSaving) return false;
    this.attributeSaving = true;
    this.attributeError = null;
    this.attributeCreated = null;
    const d = this.attributeDraft;
    const choices =
      d.type === 'choice'
        ? d.choices
            .split('\n')
            .map((c) => c.trim())
            .filter((c) => c !== '')
        : [];
    try {
      const created = await createAttribute({ key: d.key.trim(), label: d.label.trim(), type: d.type, choices });
      this.attributeDraft = emptyAttribute();
      this.attributeCreated = created.label;
      this.attributes = await attributes();
      return true;
    } catch (reason) {
      this.attributeError = ApiError.from(reason);
      return false;
    } finally {
      this.attributeSaving = false;
    }
  }
}
