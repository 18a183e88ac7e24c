import { describe, expect, it, vi } from 'vitest';
import { forgetPreloads, PreloadElement } from '../api/preload';
import type { Recipient, RecipientFilter, RecipientPage } from '../api/types';
import { ada, stubRecipients } from '../../test/recipients';
import { PageSize, RecipientTable } from './recipientTable.svelte';

const person = (i: number): Recipient => ({ ...ada, id: i + 1, email: `p${i}@example.org` });

/** deferred returns a promise with its resolve function, to answer requests in any order. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve: (v: T) => void = () => {};
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('RecipientTable', () => {
  it('takes the first page the window\'s page carries at once, without asking Go', () => {
    const stub = stubRecipients();
    vi.spyOn(performance, 'now').mockReturnValue(300); // the page started 0.3 s ago
    const element = document.createElement('script');
    element.id = PreloadElement;
    element.type = 'application/json';
    // As Go's asset handler writes it (desktop.FirstPageFilter, json.Marshal).
    const filter = { search: '', listId: 0, status: '', ids: null, rule: null, afterId: 0, offset: 0, limit: PageSize, sort: 'email' };
    element.textContent = JSON.stringify([{ service: 'Recipients', method: 'Find', args: [filter], result: { recipients: [person(0)], total: 100000 } }]);
    document.head.append(element);
    try {
      const table = new RecipientTable();
      void table.start();
      // No await: the screen is built with the rows.
      expect(table.loading).toBe(false);
      expect(table.total).toBe(100000);
      expect(table.rowAt(0)?.email).toBe('p0@example.org');
      expect(stub.Find).not.toHaveBeenCalled();
    } finally {
      element.remove();
      forgetPreloads();
    }
  });

  it('start fetches the first page once, however often the screen asks', async () => {
    const stub = stubRecipients();
    const answer = deferred<RecipientPage>();
    stub.Find!.mockImplementation(() => answer.promise);
    const table = new RecipientTable();
    const first = table.start();
    void table.start(); // the view's onMount, while the first answer is on its way
    expect(stub.Find).toHaveBeenCalledTimes(1);
    answer.resolve({ recipients: [person(0)], total: 1 });
    await first;
    expect(table.total).toBe(1);
    await table.start(); // loaded: nothing to do
    expect(stub.Find).toHaveBeenCalledTimes(1);
  });

  it('fetches pages of 100 by offset and caches them', async () => {
    const stub = stubRecipients();
    stub.Find!.mockImplementation((f: RecipientFilter) =>
      Promise.resolve({
        recipients: Array.from({ length: Math.min(f.limit, 250 - f.offset) }, (_, i) => person(f.offset + i)),
        total: 250,
      }),
    );
    const table = new RecipientTable();
    await table.reload();
    expect(table.total).toBe(250);
    expect(stub.Find).toHaveBeenCalledTimes(1);
    expect(stub.Find!.mock.calls[0]?.[0]).toMatchObject({ offset: 0, limit: PageSize, search: '', sort: 'email' });
    expect(table.rowAt(0)?.email).toBe('p0@example.org');
    expect(table.rowAt(150)).toBeUndefined();

    await table.ensureRows(140, 210);
    expect(stub.Find!.mock.calls.map((c) => (c[0] as RecipientFilter).offset)).toEqual([0, 100, 200]);
    expect(table.rowAt(150)?.email).toBe('p150@example.org');
    expect(table.rowAt(249)?.email).toBe('p249@example.org');

    // Cached pages are not fetched again, and nothing past the end is asked for.
    await table.ensureRows(0, 400);
    expect(stub.Find).toHaveBeenCalledTimes(3);
  });

  it('ignores a stale answer when the search changes', async () => {
    const stub = stubRecipients();
    const slow = deferred<RecipientPage>();
    const fast = deferred<RecipientPage>();
    stub.Find!.mockImplementation((f: RecipientFilter) => (f.search === 'l' ? slow.promise : fast.promise));
    const table = new RecipientTable();

    const first = table.setQuery({ search: 'l' });
    const second = table.setQuery({ search: 'love' });
    expect(stub.Find!.mock.calls.map((c) => (c[0] as RecipientFilter).search)).toEqual(['l', 'love']);

    fast.resolve({ recipients: [ada], total: 1 });
    await second;
    slow.resolve({ recipients: [person(1), person(2)], total: 5000 });
    await first;

    expect(table.total).toBe(1);
    expect(table.rowAt(0)?.email).toBe(ada.email);
    expect(table.rowAt(1)).toBeUndefined();
  });

  it('sends the list and status filter and the sort, and status only with a list', async () => {
    const stub = stubRecipients();
    const table = new RecipientTable();
    await table.setQuery({ status: 'confirmed' });
    expect(stub.Find!.mock.lastCall?.[0]).toMatchObject({ listId: 0, status: '' });
    await table.setQuery({ listId: 3, sort: '-createdAt' });
    expect(stub.Find!.mock.lastCall?.[0]).toMatchObject({ listId: 3, status: 'confirmed', sort: '-createdAt' });
    expect(table.total).toBe(0);
  });

  it('keeps an error of the current query', async () => {
    const stub = stubRecipients();
    stub.Find!.mockRejectedValue({ code: 'internal', message: 'disk I/O error' });
    const table = new RecipientTable();
    await table.reload();
    expect(table.error?.message).toBe('disk I/O error');
    expect(table.loading).toBe(false);
  });
});
