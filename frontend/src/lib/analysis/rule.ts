import type { AttributeOp, Condition, ConditionKind, MembershipStatus, Purpose, ReactionKind } from '../api/types';

/** LeafKind is a condition that is not a group. */
export type LeafKind = Exclude<ConditionKind, 'group'>;

/** ReactionScope says which mailings a reaction condition looks at. */
export type ReactionScope = 'any' | 'mailing' | 'list';

/** GroupNode is an AND (all) / OR (any) group in the rule builder. */
export interface GroupNode {
  /** key identifies the node in the editor (stable across edits); never sent to Go. */
  key: number;
  kind: 'group';
  negate: boolean;
  match: 'all' | 'any';
  children: RuleNode[];
}

/** LeafNode is one condition row in the rule builder; it holds the fields of every kind so switching kind keeps input. */
export interface LeafNode {
  key: number;
  kind: LeafKind;
  negate: boolean;
  field: string;
  op: AttributeOp;
  value: string;
  listId: number;
  status: '' | MembershipStatus;
  purpose: Purpose;
  reaction: ReactionKind;
  scope: ReactionScope;
  mailingId: number;
  linkId: number;
  tag: string;
  days: number;
  min: number;
  targetGroupId: number;
}

/** RuleNode is a node of the rule builder's tree. */
export type RuleNode = GroupNode | LeafNode;

/** attributeOps are the comparisons in the order the builder offers them. */
export const attributeOps: readonly AttributeOp[] = [
  'eq',
  'ne',
  'contains',
  'starts',
  'ends',
  'empty',
  'not_empty',
  'before',
  'after',
  'gt',
  'lt',
];

/** opNeedsValue tells whether a comparison compares with a value. */
export function opNeedsValue(op: AttributeOp): boolean {
  return op !== 'empty' && op !== 'not_empty';
}

/** leafKinds are the condition kinds in the order the builder offers them. */
export const leafKinds: readonly LeafKind[] = ['attribute', 'list', 'consent', 'reaction', 'interest', 'target_group'];

let nextKey = 1;

/** newLeaf returns an empty condition of kind. */
export function newLeaf(kind: LeafKind = 'attribute'): LeafNode {
  return {
    key: nextKey++,
    kind,
    negate: false,
    field: 'email',
    op: 'contains',
    value: '',
    listId: 0,
    status: '',
    purpose: 'tracking:opens',
    reaction: 'opened',
    scope: 'any',
    mailingId: 0,
    linkId: 0,
    tag: '',
    days: 0,
    min: 1,
    targetGroupId: 0,
  };
}

/** newGroup returns an empty group. */
export function newGroup(match: 'all' | 'any' = 'all', children: RuleNode[] = []): GroupNode {
  return { key: nextKey++, kind: 'group', negate: false, match, children };
}

/** fromCondition turns a rule from Go into the builder's tree; the root is always a group. */
export function fromCondition(c: Condition | null | undefined): GroupNode {
  if (c === null || c === undefined || (c.kind as string) === '') return newGroup();
  const node = nodeFrom(c);
  return node.kind === 'group' ? node : newGroup('all', [node]);
}

function nodeFrom(c: Condition): RuleNode {
  if (c.kind === 'group') {
    const g = newGroup(c.match === 'any' ? 'any' : 'all', (c.conditions ?? []).map(nodeFrom));
    g.negate = c.negate ?? false;
    return g;
  }
  const leaf = newLeaf(c.kind);
  leaf.negate = c.negate ?? false;
  switch (c.kind) {
    case 'attribute':
      leaf.field = c.field ?? '';
      leaf.op = c.op ?? 'eq';
      leaf.value = c.value ?? '';
      break;
    case 'list':
      leaf.listId = c.listId ?? 0;
      leaf.status = c.status ?? '';
      break;
    case 'consent':
      leaf.purpose = c.purpose ?? 'newsletter';
      leaf.listId = c.listId ?? 0;
      break;
    case 'reaction':
      leaf.reaction = c.reaction ?? 'opened';
      leaf.mailingId = c.mailingId ?? 0;
      leaf.listId = c.listId ?? 0;
      leaf.scope = leaf.mailingId > 0 ? 'mailing' : leaf.listId > 0 ? 'list' : 'any';
      leaf.linkId = c.linkId ?? 0;
      leaf.tag = c.tag ?? '';
      leaf.days = c.days ?? 0;
      break;
    case 'interest':
      leaf.tag = c.tag ?? '';
      leaf.min = c.min ?? 0;
      break;
    case 'target_group':
      leaf.targetGroupId = c.targetGroupId ?? 0;
      break;
  }
  return leaf;
}

/**
 * toCondition turns the builder's tree into the rule Go reads: only the
 * fields of each node's kind, zero values left out (Go's omitempty shape).
 */
export function toCondition(node: RuleNode): Condition {
  const base: Condition = { kind: node.kind };
  if (node.negate) base.negate = true;
  if (node.kind === 'group') {
    return { ...base, match: node.match, conditions: node.children.map(toCondition) };
  }
  switch (node.kind) {
    case 'attribute':
      return { ...base, field: node.field, op: node.op, ...(opNeedsValue(node.op) && node.value !== '' ? { value: node.value } : {}) };
    case 'list':
      return { ...base, listId: node.listId, ...(node.status !== '' ? { status: node.status } : {}) };
    case 'consent':
      return { ...base, purpose: node.purpose, ...(node.purpose === 'newsletter' ? { listId: node.listId } : {}) };
    case 'reaction': {
      const c: Condition = { ...base, reaction: node.reaction };
      if (node.scope === 'mailing' && node.mailingId > 0) c.mailingId = node.mailingId;
      if (node.scope === 'list' && node.listId > 0) c.listId = node.listId;
      // A mailing or list scope without its choice goes along, so Go refuses it instead of counting every mailing.
      if ((node.scope === 'mailing' && !c.mailingId) || (node.scope === 'list' && !c.listId)) c.scope = node.scope;
      if (node.reaction === 'clicked') {
        if (node.linkId > 0) c.linkId = node.linkId;
        if (node.tag.trim() !== '') c.tag = node.tag.trim();
      }
      if (node.days > 0) c.days = Math.round(node.days);
      return c;
    }
    case 'interest':
      return { ...base, tag: node.tag.trim(), min: node.min };
    case 'target_group':
      return { ...base, targetGroupId: node.targetGroupId };
  }
}

/** findParent returns the group that holds the node with key (null for the root or an unknown key). */
export function findParent(root: GroupNode, key: number): GroupNode | null {
  for (const child of root.children) {
    if (child.key === key) return root;
    if (child.kind === 'group') {
      const found = findParent(child, key);
      if (found !== null) return found;
    }
  }
  return null;
}

/** removeNode removes the node with key from the tree; it reports whether it found it. */
export function removeNode(root: GroupNode, key: number): boolean {
  const parent = findParent(root, key);
  if (parent === null) return false;
  parent.children = parent.children.filter((c) => c.key !== key);
  return true;
}

/** depth returns how deeply groups nest under root (root alone: 0). */
export function depth(node: RuleNode): number {
  if (node.kind !== 'group') return 0;
  return node.children.reduce((d, c) => Math.max(d, c.kind === 'group' ? 1 + depth(c) : 0), 0);
}

/** MaxDepth is how deeply Go lets groups nest. */
export const MaxDepth = 8;
