import { peekPreloaded } from '../api/preload';
import type en from './en.json';

/** Locale is a UI language. */
export type Locale = 'de' | 'en';

/** MessageKey is a key of the message dictionaries (en.json is the reference). */
export type MessageKey = keyof typeof en;

/** Params fill {name} placeholders in a message. */
type Params = Record<string, string | number>;

type Dictionary = Record<MessageKey, string>;

/** locales lists the UI languages in the order the switch shows them. */
export const locales: readonly Locale[] = ['de', 'en'];

// Each language's messages are a chunk of their own, loaded when the
// language is first used (the catalogues are about half of the first
// screen's script); the desktop window's page carries the one it starts in
// (pageCatalogue).
const catalogues: Record<Locale, () => Promise<{ default: Dictionary }>> = {
  de: () => import('./de.json'),
  en: () => import('./en.json'),
};
const dictionaries: Partial<Record<Locale, Dictionary>> = {};
const storageKey = 'resonanz.lang';

/** isLocale reports whether value names a UI language. */
export function isLocale(value: unknown): value is Locale {
  return value === 'de' || value === 'en';
}

/** storedLocale returns the language last chosen in this browser or window, null if none. */
export function storedLocale(): Locale | null {
  const stored = localStorage.getItem(storageKey);
  return isLocale(stored) ? stored : null;
}

// The language the UI starts in: the one saved in the settings when the
// page carries it (the desktop window's preload), so that only its messages
// load; else the one this browser remembers; else the browser's.
function initialLocale(): Locale {
  const saved = peekPreloaded('Settings', 'GetLanguage', [])?.result;
  if (isLocale(saved)) return saved;
  const stored = localStorage.getItem(storageKey);
  if (isLocale(stored)) return stored;
  return navigator.language.toLowerCase().startsWith('de') ? 'de' : 'en';
}

const startLocale = initialLocale();
let current = $state<Locale>(startLocale);
let wanted: Locale = startLocale;

/** MessagesElement is the id of the JSON script element that carries the start language's messages. */
export const MessagesElement = 'resonanz-messages';

/**
 * pageCatalogue takes the messages of locale out of the page, where Go puts
 * those of the saved language as it serves the desktop window's page
 * (backend/desktop/preload.go); null when the page has none for locale.
 */
function pageCatalogue(locale: Locale): Dictionary | null {
  const element = document.getElementById(MessagesElement);
  if (element === null || element.dataset.lang !== locale) return null;
  element.remove();
  try {
    const parsed: unknown = JSON.parse(element.textContent ?? '');
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Dictionary;
  } catch {
    // A broken element is no catalogue: the chunk loads instead.
  }
  return null;
}

/** loadCatalogue loads the messages of locale unless they are loaded. */
export async function loadCatalogue(locale: Locale): Promise<void> {
  if (dictionaries[locale] === undefined) dictionaries[locale] = pageCatalogue(locale) ?? (await catalogues[locale]()).default;
}

/**
 * ready is settled when the messages of the language the UI starts in are
 * loaded: main.ts mounts the UI after it. Asked for as this module is
 * evaluated, so the catalogue loads while the rest of the bundle runs.
 */
export const ready: Promise<void> = loadCatalogue(startLocale);

/** getLocale returns the current UI language; reading it inside a template or effect tracks it. */
export function getLocale(): Locale {
  return current;
}

/**
 * setLocale switches the UI language and remembers the choice for the next
 * start. The switch happens at once when the language's messages are
 * loaded, else when they are (the last call wins); the promise settles then.
 */
export async function setLocale(locale: Locale): Promise<void> {
  wanted = locale;
  localStorage.setItem(storageKey, locale);
  if (dictionaries[locale] === undefined) await loadCatalogue(locale);
  if (wanted === locale) current = locale;
}

/** t returns the message for key in the current language with {name} placeholders filled from params. */
export function t(key: MessageKey, params?: Params): string {
  const text = dictionaries[current]?.[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (match, name: string) => {
    const value = params[name];
    return value === undefined ? match : String(value);
  });
}

/**
 * tCount returns the plural form of a message for the count n: the text
 * under `${base}.one` or `${base}.other` (as Intl.PluralRules picks it for
 * the current language), with {n} filled with n in the language's number
 * format and the other placeholders from params.
 */
export function tCount(base: string, n: number, params?: Params): string {
  const category = new Intl.PluralRules(bcp47[current]).select(n);
  const exact = `${base}.${category}`;
  const key = isMessageKey(exact) ? exact : `${base}.other`;
  if (!isMessageKey(key)) return base;
  return t(key, { ...params, n: formatNumber(n) });
}

/** isMessageKey reports whether key (for example one sent by Go) exists in the dictionaries. */
export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(dictionaries[current] ?? {}, key);
}

// Params Go sends as plain digits that are amounts (sizes, counts, byte
// offsets); shown in the language's number format. Ids, line numbers and
// values quoted from a file keep their digits as sent.
const numericParams = new Set(['n', 'count', 'max', 'limit', 'offset', 'startOff', 'depth', 'fields', 'header', 'rows', 'index', 'entry']);

/**
 * tError returns the localized text for an error or a stored reason: its key's message if the dictionary has it
 * (amount params in the language's number format), else its message (the English text, or an older row's text).
 */
export function tError(error: { key?: string | undefined; message: string; params?: Record<string, string> | undefined }): string {
  if (error.key === undefined || !isMessageKey(error.key)) return error.message;
  const params: Record<string, string> = { ...error.params };
  for (const [name, v] of Object.entries(params)) {
    if (numericParams.has(name) && /^\d+$/.test(v)) params[name] = formatNumber(Number(v));
  }
  return t(error.key, params);
}

const bcp47: Record<Locale, string> = { de: 'de-DE', en: 'en-GB' };

// Formatters are made once per language and kind: making one costs more
// than formatting with it, and the recipient table formats every row.
const numberFormats = new Map<string, Intl.NumberFormat>();
const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** formatNumber formats n for the current language (12.345 or 12,345), with exactly digits decimals when given (4,0). */
export function formatNumber(n: number, digits?: number): string {
  const key = `${current} ${digits}`;
  let f = numberFormats.get(key);
  if (f === undefined) {
    const options = digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits };
    f = new Intl.NumberFormat(bcp47[current], options);
    numberFormats.set(key, f);
  }
  return f.format(n);
}

/** formatDuration formats a number of seconds as "45 s", "12 min" or "3 h 20 min" (rounded up). */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return t('duration.seconds', { n: formatNumber(s) });
  const minutes = Math.ceil(s / 60);
  if (minutes < 60) return t('duration.minutes', { n: formatNumber(minutes) });
  return t('duration.hours', { h: formatNumber(Math.floor(minutes / 60)), m: formatNumber(minutes % 60) });
}

/** formatPercent formats a share 0..1 as a percentage for the current language (12,5 % or 12.5%). */
export function formatPercent(share: number, digits = 1): string {
  return new Intl.NumberFormat(bcp47[current], {
    style: 'percent',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(Number.isFinite(share) ? share : 0);
}

/** formatHour formats an RFC 3339 time as a short local date with hour for chart axes. */
export function formatHour(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(bcp47[current], { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }).format(date);
}

/** weekdayNames returns the short weekday names, Monday first, in the current language. */
export function weekdayNames(): string[] {
  const f = new Intl.DateTimeFormat(bcp47[current], { weekday: 'short', timeZone: 'UTC' });
  // 2024-01-01 was a Monday.
  return Array.from({ length: 7 }, (_, i) => f.format(new Date(Date.UTC(2024, 0, 1 + i))));
}

/** formatDateTime formats an RFC 3339 time for the current language in local time; '' for none. */
export function formatDateTime(iso: string, withTime = true): string {
  const date = new Date(iso);
  if (iso === '' || Number.isNaN(date.getTime()) || date.getUTCFullYear() <= 1) return '';
  const key = `${current} ${withTime}`;
  let f = dateFormats.get(key);
  if (f === undefined) {
    f = new Intl.DateTimeFormat(bcp47[current], { dateStyle: 'medium', ...(withTime ? { timeStyle: 'short' } : {}) });
    dateFormats.set(key, f);
  }
  return f.format(date);
}

const builtinLabels: Record<string, MessageKey> = {
  email: 'recipient.email',
  first_name: 'recipient.firstName',
  last_name: 'recipient.lastName',
  gender: 'recipient.gender',
  title: 'recipient.title',
  language: 'recipient.language',
};

/** attributeLabel returns the label of an attribute: translated for the builtins, as defined for custom ones. */
export function attributeLabel(def: { key: string; label: string; builtin: boolean }): string {
  const key = def.builtin ? builtinLabels[def.key] : undefined;
  return key === undefined ? def.label : t(key);
}

// Quote pairs a wording may arrive in (German, English, typewriter, guillemets both ways).
const quotePairs: readonly (readonly [string, string])[] = [
  ['„', '“'],
  ['“', '”'],
  ['"', '"'],
  ['»', '«'],
  ['«', '»'],
  ['‚', '‘'],
  ['‘', '’'],
];

/**
 * unquoted returns text without one pair of quotes around the whole of it („Ja.“ → Ja.), so that a wording someone
 * typed with quotes gets no second pair from <q> or a catalogue text that quotes it. Quotes inside the text, and
 * two quoted parts („A“ und „B“), stay as they are.
 */
export function unquoted(text: string): string {
  const s = text.trim();
  for (const [open, close] of quotePairs) {
    if (s.length < 2 || !s.startsWith(open) || !s.endsWith(close)) continue;
    const inner = s.slice(open.length, s.length - close.length);
    if (inner.includes(open) || inner.includes(close)) continue;
    return inner.trim();
  }
  return text;
}
