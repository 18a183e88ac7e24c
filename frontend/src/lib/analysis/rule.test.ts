import { describe, expect, it } from 'vitest';
import type { Condition } from '../api/types';
import { depth, findParent, fromCondition, newGroup, newLeaf, removeNode, toCondition } from './rule';

const rule: Condition = {
  kind: 'group',
  match: 'all',
  conditions: [
    { kind: 'attribute', field: 'city', op: 'eq', value: 'Köln' },
    { kind: 'list', listId: 2, status: 'confirmed' },
    { kind: 'consent', purpose: 'newsletter', listId: 2 },
    {
      kind: 'group',
      match: 'any',
      negate: true,
      conditions: [
        { kind: 'reaction', reaction: 'clicked', mailingId: 5, tag: 'Wandern', days: 30 },
        { kind: 'reaction', reaction: 'not_opened', listId: 2 },
        { kind: 'interest', tag: 'Studienreisen', min: 1.5 },
      ],
    },
    { kind: 'target_group', targetGroupId: 3, negate: true },
    { kind: 'attribute', field: 'title', op: 'empty' },
  ],
};

describe('rule builder state ↔ Condition', () => {
  it('round-trips a nested rule unchanged', () => {
    expect(toCondition(fromCondition(rule))).toEqual(rule);
  });

  it('wraps a single condition into an AND group and starts empty without a rule', () => {
    const root = fromCondition({ kind: 'list', listId: 1 });
    expect(root.kind).toBe('group');
    expect(toCondition(root)).toEqual({ kind: 'group', match: 'all', conditions: [{ kind: 'list', listId: 1 }] });
    expect(toCondition(fromCondition(null))).toEqual({ kind: 'group', match: 'all', conditions: [] });
  });

  it('derives the reaction scope and sends only what belongs to it', () => {
    const root = fromCondition(rule);
    const inner = root.children[3];
    if (inner?.kind !== 'group') throw new Error('expected a group');
    const click = inner.children[0];
    if (click?.kind !== 'reaction') throw new Error('expected a reaction');
    expect(click.scope).toBe('mailing');
    click.scope = 'any';
    click.reaction = 'opened';
    // An open has no link tag; the mailing is dropped with the scope.
    expect(toCondition(click)).toEqual({ kind: 'reaction', reaction: 'opened', days: 30 });
  });

  it('leaves out a value for empty / not empty and the list for non-newsletter consent', () => {
    const a = newLeaf('attribute');
    a.op = 'not_empty';
    a.value = 'stale';
    a.field = 'title';
    expect(toCondition(a)).toEqual({ kind: 'attribute', field: 'title', op: 'not_empty' });
    const c = newLeaf('consent');
    c.purpose = 'profiling';
    c.listId = 4;
    expect(toCondition(c)).toEqual({ kind: 'consent', purpose: 'profiling' });
  });

  it('finds parents, removes nodes and measures nesting', () => {
    const leaf = newLeaf();
    const inner = newGroup('any', [leaf]);
    const root = newGroup('all', [inner]);
    expect(findParent(root, leaf.key)).toBe(inner);
    expect(findParent(root, root.key)).toBeNull();
    expect(depth(root)).toBe(1);
    expect(removeNode(root, leaf.key)).toBe(true);
    expect(inner.children).toHaveLength(0);
    expect(removeNode(root, 12345)).toBe(false);
  });
});
