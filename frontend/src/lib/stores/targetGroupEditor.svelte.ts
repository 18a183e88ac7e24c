import { deleteTargetGroup, explainRule, ruleMembers, saveTargetGroup, targetGroupCounts, targetGroups } from '../api/analysis';
import { ApiError } from '../api/error';
import { mailings } from '../api/mailings';
import { attributes, lists } from '../api/recipients';
import type { AttributeDef, Condition, List, Mailing, RecipientPage, TargetGroup } from '../api/types';
import { fromCondition, toCondition, type GroupNode } from '../analysis/rule';
import { debounce } from '../debounce';

/** CountDelay is how long the builder waits after the last change before it counts. */
export const CountDelay = 500;

/** MembersPageSize is how many members one page of the members table shows. */
export const MembersPageSize = 25;

/**
 * TargetGroupEditor lists the saved target groups and edits one: its rule
 * as a tree of conditions, counted live, with a page of the people it selects.
 */
export class TargetGroupEditor {
  groups = $state<TargetGroup[]>([]);
  /** memberCounts are the groups' live member counts by id (-1: cannot be counted); countsLoading while counting. */
  memberCounts = $state<Record<number, number>>({});
  countsLoading = $state(false);
  lists = $state<List[]>([]);
  fields = $state<AttributeDef[]>([]);
  mailings = $state<Mailing[]>([]);
  loadError = $state<ApiError | null>(null);

  /** id, name, description of the group being edited (id 0: new); editing false shows only the list. */
  editing = $state(false);
  id = $state(0);
  name = $state('');
  description = $state('');
  root = $state<GroupNode>(fromCondition(null));

  count = $state<number | null>(null);
  /** ignoringConsent is the count if reaction conditions did not require current consent (null: not known). */
  ignoringConsent = $state<number | null>(null);
  countError = $state<ApiError | null>(null);
  counting = $state(false);
  members = $state<RecipientPage | null>(null);
  offset = $state(0);
  error = $state<ApiError | null>(null);
  saving = $state(false);
  saved = $state(false);
  #countGeneration = 0;

  readonly scheduleCount = debounce(() => void this.recount(), CountDelay);

  /** rule is the edited rule as Go reads it. */
  get rule(): Condition {
    return toCondition($state.snapshot(this.root) as GroupNode);
  }

  /** load fetches the groups and what conditions can refer to. */
  async load(): Promise<void> {
    try {
      [this.groups, this.lists, this.fields, this.mailings] = await Promise.all([targetGroups(), lists(), attributes(), mailings()]);
      this.loadError = null;
    } catch (reason) {
      this.loadError = ApiError.from(reason);
      return;
    }
    void this.loadCounts();
  }

  /** loadCounts counts every group's members in one call, after the list is shown (rules can be slow). */
  async loadCounts(): Promise<void> {
    this.countsLoading = true;
    try {
      const list = await targetGroupCounts();
      this.memberCounts = Object.fromEntries(list.map((c) => [c.id, c.members]));
    } catch {
      this.memberCounts = {};
    } finally {
      this.countsLoading = false;
    }
  }

  /** startNew opens an empty group. */
  startNew(): void {
    this.open({ id: 0, name: '', description: '', rule: { kind: 'group', match: 'all', conditions: [] } });
  }

  /** edit opens saved group g. */
  edit(g: TargetGroup): void {
    this.open(g);
  }

  private open(g: Pick<TargetGroup, 'id' | 'name' | 'description' | 'rule'>): void {
    this.id = g.id;
    this.name = g.name;
    this.description = g.description;
    this.root = fromCondition(g.rule);
    this.editing = true;
    this.error = null;
    this.saved = false;
    this.members = null;
    this.offset = 0;
    void this.recount();
  }

  /** close goes back to the list. */
  close(): void {
    this.scheduleCount.cancel();
    this.editing = false;
  }

  /** changed notes an edit of the rule: counted again after a pause, members reloaded then. */
  changed(): void {
    this.saved = false;
    if (this.error?.field === 'rule') this.error = null;
    this.scheduleCount();
  }

  /** recount asks Go how many people the rule selects and loads the first page of them. */
  async recount(): Promise<void> {
    const generation = ++this.#countGeneration;
    this.counting = true;
    const rule = this.rule;
    try {
      const n = await explainRule(rule);
      if (generation !== this.#countGeneration) return;
      this.count = n.count;
      this.ignoringConsent = n.ignoringConsent;
      this.countError = null;
      this.offset = 0;
      await this.loadMembers(generation);
    } catch (reason) {
      if (generation !== this.#countGeneration) return;
      this.count = null;
      this.members = null;
      this.countError = ApiError.from(reason);
    } finally {
      if (generation === this.#countGeneration) this.counting = false;
    }
  }

  /** page moves the members table by step pages. */
  async page(step: number): Promise<void> {
    const total = this.members?.total ?? 0;
    const next = this.offset + step * MembersPageSize;
    if (next < 0 || next >= total) return;
    this.offset = next;
    await this.loadMembers(this.#countGeneration);
  }

  private async loadMembers(generation: number): Promise<void> {
    try {
      const page = await ruleMembers(this.rule, {
        search: '',
        listId: 0,
        status: '',
        ids: null,
        afterId: 0,
        offset: this.offset,
        limit: MembersPageSize,
        sort: 'email',
      });
      if (generation === this.#countGeneration) this.members = page;
    } catch (reason) {
      if (generation === this.#countGeneration) this.countError = ApiError.from(reason);
    }
  }

  /** save stores the group; it stays open. */
  async save(): Promise<boolean> {
    if (this.saving) return false;
    this.saving = true;
    this.error = null;
    try {
      const g = await saveTargetGroup({ id: this.id, name: this.name.trim(), description: this.description.trim(), rule: this.rule });
      this.id = g.id;
      this.name = g.name;
      this.saved = true;
      this.groups = await targetGroups();
      void this.loadCounts();
      return true;
    } catch (reason) {
      this.error = ApiError.from(reason);
      return false;
    } finally {
      this.saving = false;
    }
  }

  /** remove deletes the group being edited and returns to the list. */
  async remove(): Promise<void> {
    if (this.id === 0) return;
    try {
      await deleteTargetGroup(this.id);
      this.close();
      this.groups = await targetGroups();
      void this.loadCounts();
    } catch (reason) {
      this.error = ApiError.from(reason);
    }
  }
}
