import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { carryPreloads, stubDesktop } from '../../test/desktop';
import { Recipients } from './facades';
import { forgetPreloads, peekPreloaded, PreloadElement, PreloadTTL, same, takePreloaded } from './preload';
import type { RecipientFilter } from './types';

const filter: RecipientFilter = { search: '', listId: 0, status: '', ids: null, afterId: 0, offset: 0, limit: 100, sort: 'email' };
const page = { total: 2, recipients: [{ id: 1, email: 'ada@example.org' }] };


// Go's RecipientFilter as json.Marshal writes it: its own key order, with "rule".
const goFilter = { search: '', listId: 0, status: '', ids: null, rule: null, afterId: 0, offset: 0, limit: 100, sort: 'email' };

beforeEach(() => {
  vi.spyOn(performance, 'now').mockReturnValue(300); // the page started 0.3 s ago
});

afterEach(() => {
  document.getElementById(PreloadElement)?.remove();
  forgetPreloads();
});

describe('preloads', () => {
  it('answers the first equal call from the page, then asks Go', async () => {
    carryPreloads(JSON.stringify([{ service: 'Recipients', method: 'Find', args: [goFilter], result: page }]));
    const find = vi.fn(() => Promise.resolve({ total: 3, recipients: [] }));
    stubDesktop();
    window.go!.desktop!.Recipients = { Find: find };

    await expect(Recipients.Find({ ...filter })).resolves.toEqual(page);
    expect(find).not.toHaveBeenCalled();
    expect(document.getElementById(PreloadElement)).toBeNull();
    await expect(Recipients.Find({ ...filter })).resolves.toEqual({ total: 3, recipients: [] });
    expect(find).toHaveBeenCalledTimes(1);
  });

  it('lets a caller peek at an answer without taking it', () => {
    carryPreloads(JSON.stringify([{ service: 'Settings', method: 'GetLanguage', args: [], result: 'de' }]));
    expect(peekPreloaded('Settings', 'GetLanguage', [])).toEqual({ result: 'de' });
    expect(peekPreloaded('Settings', 'GetLanguage', [1])).toBeUndefined();
    expect(takePreloaded('Settings', 'GetLanguage', [])).toEqual({ result: 'de' });
    expect(peekPreloaded('Settings', 'GetLanguage', [])).toBeUndefined();
  });

  it('does not answer other arguments or methods', () => {
    carryPreloads(JSON.stringify([{ service: 'Recipients', method: 'Find', args: [goFilter], result: page }]));
    expect(takePreloaded('Recipients', 'Find', [{ ...filter, offset: 100 }])).toBeUndefined();
    expect(takePreloaded('Recipients', 'Detail', [1])).toBeUndefined();
    expect(takePreloaded('Recipients', 'Find', [filter])).toEqual({ result: page });
  });

  it('is not used once the page has been open longer than its TTL', () => {
    carryPreloads(JSON.stringify([{ service: 'Recipients', method: 'Find', args: [goFilter], result: page }]));
    vi.spyOn(performance, 'now').mockReturnValue(PreloadTTL + 1);
    expect(takePreloaded('Recipients', 'Find', [filter])).toBeUndefined();
  });

  it('ignores a broken element', () => {
    carryPreloads('{not json');
    expect(takePreloaded('Recipients', 'Find', [filter])).toBeUndefined();
  });

  it('compares JSON values by content', () => {
    expect(same({ a: 1, b: null }, { b: undefined, a: 1 })).toBe(true);
    expect(same({ a: 1 }, { a: 1, c: null })).toBe(true);
    expect(same({ a: [1, 2] }, { a: [1, 2] })).toBe(true);
    expect(same({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(same({ a: '' }, { a: null })).toBe(false);
    expect(same({ a: 0 }, { a: '0' })).toBe(false);
    expect(same([], {})).toBe(false);
  });
});
