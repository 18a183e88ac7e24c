import { SvelteMap } from 'svelte/reactivity';
import { ApiError } from '../api/error';
import { findRecipients, firstRecipientPage } from '../api/recipients';
import type { MembershipStatus, Recipient, RecipientFilter, RecipientSort } from '../api/types';

/** PageSize is how many rows one request fetches. */
export const PageSize = 100;

/** MaxCachedPages bounds memory while scrolling through a million rows. */
const MaxCachedPages = 60;

/** TableQuery is what the user filters and sorts the table by. */
export interface TableQuery {
  search: string;
  listId: number;
  status: '' | MembershipStatus;
  sort: RecipientSort;
}

/**
 * RecipientTable is the state of the virtualized recipient table: the query,
 * the total and a cache of pages fetched by offset. A change of the query
 * starts a new generation; answers for an older one are dropped.
 */
export class RecipientTable {
  query = $state<TableQuery>({ search: '', listId: 0, status: '', sort: 'email' });
  /** total is the number of recipients that match, null until the first answer. */
  total = $state<number | null>(null);
  error = $state<ApiError | null>(null);
  /** scrollTop is kept so the table comes back where the user left it. */
  scrollTop = 0;

  readonly pages = new SvelteMap<number, Recipient[]>();
  #loading = new Set<number>();
  #generation = 0;
  #lastPage = 0;

  /** loading is true while the first page of the current query is on its way. */
  get loading(): boolean {
    return this.total === null && this.error === null;
  }

  /** rowAt returns the recipient at index, or undefined while its page is not loaded. */
  rowAt(index: number): Recipient | undefined {
    return this.pages.get(Math.floor(index / PageSize))?.[index % PageSize];
  }

  /** setQuery changes the query and fetches its first page. */
  setQuery(change: Partial<TableQuery>): Promise<void> {
    this.query = { ...this.query, ...change };
    return this.reload();
  }

  /** reload forgets every cached page and fetches the first one again. */
  reload(): Promise<void> {
    this.#generation++;
    this.#loading.clear();
    this.pages.clear();
    this.total = null;
    this.error = null;
    return this.#fetch(0);
  }

  /**
   * start fetches the first page unless it is loaded or on its way: the
   * screen calls it while it is built, before the browser's first layout,
   * so the answer is there for the first paint.
   */
  start(): Promise<void> {
    if (this.total !== null || this.error !== null || this.#loading.has(0)) return Promise.resolve();
    // The window's page carries the first page: taken at once, so the
    // screen is built and laid out once, with its rows (a promise would
    // settle only after the first layout of the empty table).
    const first = firstRecipientPage(this.#filter(0));
    if (first !== undefined) {
      this.#generation++;
      this.total = first.total;
      this.pages.set(0, first.recipients);
      return Promise.resolve();
    }
    return this.reload();
  }

  /** ensureRows fetches the pages that hold rows first..last (inclusive) if they are missing. */
  async ensureRows(first: number, last: number): Promise<void> {
    const end = this.total === null ? last : Math.min(last, this.total - 1);
    const wanted: Promise<void>[] = [];
    for (let p = Math.floor(Math.max(0, first) / PageSize); p <= Math.floor(end / PageSize); p++) {
      wanted.push(this.#fetch(p));
    }
    this.#lastPage = Math.floor(Math.max(0, first) / PageSize);
    await Promise.all(wanted);
  }

  async #fetch(page: number): Promise<void> {
    if (this.pages.has(page) || this.#loading.has(page)) return;
    const generation = this.#generation;
    this.#loading.add(page);
    try {
      const result = await findRecipients(this.#filter(page));
      if (generation !== this.#generation) return; // the query changed meanwhile
      this.total = result.total;
      this.pages.set(page, result.recipients);
      this.#evict();
    } catch (reason) {
      if (generation === this.#generation) this.error = ApiError.from(reason);
    } finally {
      if (generation === this.#generation) this.#loading.delete(page);
    }
  }

  /** filter is the request of one page of the current query. */
  #filter(page: number): RecipientFilter {
    return {
      search: this.query.search.trim(),
      listId: this.query.listId,
      status: this.query.listId === 0 ? '' : this.query.status,
      ids: null,
      afterId: 0,
      offset: page * PageSize,
      limit: PageSize,
      sort: this.query.sort,
    };
  }

  /** evict drops the cached pages farthest from where the user is. */
  #evict(): void {
    if (this.pages.size <= MaxCachedPages) return;
    const far = [...this.pages.keys()].sort((a, b) => Math.abs(b - this.#lastPage) - Math.abs(a - this.#lastPage));
    for (const p of far.slice(0, this.pages.size - MaxCachedPages)) this.pages.delete(p);
  }
}
