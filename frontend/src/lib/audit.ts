import type { AuditEntry } from './api/types';
import { formatNumber, isMessageKey, t, type MessageKey } from './i18n/index.svelte';

// Ids mean nothing to a reader, and whole objects (a sender before and after) are too long for a line.
const hidden = new Set(['id', 'layoutId', 'listId', 'targetGroup']);

const builtinFields: Record<string, MessageKey> = {
  email: 'recipient.email',
  firstName: 'recipient.firstName',
  lastName: 'recipient.lastName',
  gender: 'recipient.gender',
  title: 'recipient.title',
  language: 'recipient.language',
};

function message(key: string, fallback: string): string {
  return isMessageKey(key) ? t(key) : fallback;
}

/** auditAction is the sentence for an audit log entry ("Aussendung „Frühling“ angelegt"), never a raw key. */
export function auditAction(entry: Pick<AuditEntry, 'action' | 'subject'>): string {
  const key = `audit.action.${entry.action}`;
  if (!isMessageKey(key)) return entry.action;
  const subject = entry.action === 'settings.update' ? message(`audit.setting.${entry.subject}`, entry.subject) : entry.subject;
  return t(key, { subject });
}

function fieldLabel(name: string): string {
  const builtin = builtinFields[name];
  return builtin !== undefined ? t(builtin) : message(`audit.field.${name}`, name);
}

function value(name: string, v: string | number | boolean): string {
  if (typeof v === 'boolean') return t(v ? 'common.yes' : 'common.no');
  if (typeof v === 'number') return formatNumber(v);
  if (name === 'purpose') return message(`consent.purpose.${v}`, v);
  // An import's status (done, failed, …) or a survey's (open, closed).
  if (name === 'status') return message(`import.status.${v}`, message(`surveys.status.${v}`, v));
  if (name === 'type') return message(`attributes.type.${v}`, v);
  return v;
}

/**
 * auditDetail renders an entry's JSON detail as a short line in the UI's
 * language: the changed fields by their labels, else "label: value" pairs
 * (numbers in the language's format); ids and nested objects are left out.
 */
export function auditDetail(detail: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(detail);
  } catch {
    return '';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return '';
  const record = parsed as Record<string, unknown>;
  if ('changed' in record) {
    const changed = Array.isArray(record['changed']) ? record['changed'].filter((f): f is string => typeof f === 'string') : [];
    return changed.length === 0 ? '' : t('audit.detail.changed', { fields: changed.map(fieldLabel).join(', ') });
  }
  return Object.entries(record)
    .filter((e): e is [string, string | number | boolean] => ['string', 'number', 'boolean'].includes(typeof e[1]) && !hidden.has(e[0]))
    .map(([k, v]) => `${fieldLabel(k)}: ${value(k, v)}`)
    .join(' · ');
}
