import { beforeEach, describe, expect, it, vi } from 'vitest';
import de from './de.json';
import en from './en.json';
import { formatNumber, getLocale, isMessageKey, setLocale, t, tError, unquoted } from './index.svelte';

const placeholders = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();

describe('dictionaries', () => {
  it('have identical key sets', () => {
    expect(Object.keys(de).sort()).toEqual(Object.keys(en).sort());
  });

  it('have no empty messages and the same placeholders in both languages', () => {
    for (const [key, text] of Object.entries(en)) {
      const german = (de as Record<string, string>)[key] ?? '';
      expect(text.trim(), key).not.toBe('');
      expect(german.trim(), key).not.toBe('');
      expect(placeholders(german), key).toEqual(placeholders(text));
    }
  });

  it('translate every error key the Go side sends', () => {
    for (const key of [
      'error.sender.fromAddress.required',
      'error.sender.fromAddress.invalid',
      'error.sender.replyTo.invalid',
      'error.sender.fromName.tooLong',
      'error.sender.fromName.invalid',
      'error.internal',
      'error.backup.retention',
      'error.notFound',
      'error.unauthorized',
      'error.recipient.email.invalid',
      'error.recipient.email.required',
      'error.recipient.email.taken',
      'error.recipient.gender.invalid',
      'error.recipient.language.invalid',
      'error.recipient.field.invalid',
      'error.recipient.notFound',
      'error.attribute.value.invalid',
      'error.attribute.unknown',
      'error.attribute.key.invalid',
      'error.attribute.key.reserved',
      'error.attribute.key.taken',
      'error.attribute.label.invalid',
      'error.attribute.choices.required',
      'error.attribute.choices.invalid',
      'error.attribute.type.invalid',
      'error.consent.wording.required',
      'error.consent.evidence.required',
      'error.consent.purpose.invalid',
      'error.consent.list.required',
      'error.list.name.invalid',
      'error.list.name.taken',
      'error.list.description.tooLong',
      'error.import.consent.evidence',
      'error.import.mode.invalid',
      'error.import.status.invalid',
      'error.survey.notFound',
      'error.survey.name.required',
      'error.survey.name.taken',
      'error.survey.slug.invalid',
      'error.survey.slug.taken',
      'error.survey.title.required',
      'error.survey.questions.none',
      'error.survey.question.text',
      'error.survey.choices.few',
      'error.survey.choice.label',
      'error.survey.attribute.multiple',
      'error.template.noListener',
    ]) {
      expect(isMessageKey(key), key).toBe(true);
    }
  });
});

describe('t', () => {
  it('fills placeholders and leaves unknown ones alone', () => {
    expect(t('status.version', { version: '0.4.1' })).toBe('Version 0.4.1');
    expect(t('status.version')).toBe('Version {version}');
  });

  it('follows the current language and remembers the choice', () => {
    expect(t('screen.settings.title')).toBe('Settings');
    setLocale('de');
    expect(getLocale()).toBe('de');
    expect(t('screen.settings.title')).toBe('Einstellungen');
    expect(localStorage.getItem('resonanz.lang')).toBe('de');
  });
});

describe('tError', () => {
  it('translates a known key', () => {
    setLocale('de');
    expect(tError({ key: 'error.notFound', message: 'Not there.' })).toBe(de['error.notFound']);
  });

  it('fills the parameters Go sends (the objects a refused restore names)', () => {
    setLocale('de');
    const text = tError({ key: 'error.store.schema', message: 'x', params: { objects: 'unknown trigger forget_withdrawals' } });
    expect(text).toContain('verändert (unknown trigger forget_withdrawals)');
    setLocale('en');
    expect(tError({ key: 'error.store.schema', message: 'x', params: { objects: 'missing trigger consent_append_only' } })).toContain(
      'outside Resonanz (missing trigger consent_append_only)',
    );
  });

  it('shows amounts in the number format of the language, ids and quoted values as sent', () => {
    setLocale('de');
    expect(tError({ key: 'error.reactions.row.tooLargeAt', message: 'x', params: { max: '1048576', offset: '2048' } })).toBe(
      'Das Ereignis ist größer als 1.048.576 Byte (es beginnt bei Byte 2.048).',
    );
    expect(tError({ key: 'error.reactions.row.timeUnix', message: 'x', params: { field: 'ts', value: '1742288403' } })).toContain('„1742288403“');
    setLocale('en');
    expect(tError({ key: 'error.reactions.row.lineTooLong', message: 'x', params: { max: '1048576' } })).toBe('the line is longer than 1,048,576 bytes');
  });

  it('falls back to the message for an unknown or missing key', () => {
    expect(tError({ key: 'error.somethingNew', message: 'Go explains.' })).toBe('Go explains.');
    expect(tError({ message: 'Plain.' })).toBe('Plain.');
  });
});

describe('initial language', () => {
  beforeEach(() => {
    vi.resetModules();
  });

  const freshLocale = async (): Promise<string> => (await import('./index.svelte')).getLocale();

  it('is German for a German browser', async () => {
    vi.spyOn(navigator, 'language', 'get').mockReturnValue('de-AT');
    expect(await freshLocale()).toBe('de');
  });

  it('is English for any other browser language', async () => {
    vi.spyOn(navigator, 'language', 'get').mockReturnValue('fr-FR');
    expect(await freshLocale()).toBe('en');
  });

  it('is the stored choice when there is one', async () => {
    vi.spyOn(navigator, 'language', 'get').mockReturnValue('de-DE');
    localStorage.setItem('resonanz.lang', 'en');
    expect(await freshLocale()).toBe('en');
  });

  it('is the language saved in the settings when the page carries it (only its messages load)', async () => {
    vi.spyOn(navigator, 'language', 'get').mockReturnValue('en-US');
    localStorage.setItem('resonanz.lang', 'en');
    const element = document.createElement('script');
    element.id = 'resonanz-preload';
    element.type = 'application/json';
    element.textContent = JSON.stringify([{ service: 'Settings', method: 'GetLanguage', args: [], result: 'de' }]);
    document.head.append(element);
    try {
      expect(await freshLocale()).toBe('de');
      // The settings' own call still gets the answer.
      const { takePreloaded } = await import('../api/preload');
      expect(takePreloaded('Settings', 'GetLanguage', [])).toEqual({ result: 'de' });
    } finally {
      element.remove();
    }
  });
});

describe('the start language\'s messages in the page', () => {
  beforeEach(() => {
    vi.resetModules();
  });

  /** page puts the elements Go puts into the window's page: the saved language and its messages. */
  const page = (saved: string, lang: string, text: string): (() => void) => {
    const preload = document.createElement('script');
    preload.id = 'resonanz-preload';
    preload.type = 'application/json';
    preload.textContent = JSON.stringify([{ service: 'Settings', method: 'GetLanguage', args: [], result: saved }]);
    const messages = document.createElement('script');
    messages.id = 'resonanz-messages';
    messages.type = 'application/json';
    messages.dataset.lang = lang;
    messages.textContent = text;
    document.head.append(preload, messages);
    return () => {
      preload.remove();
      messages.remove();
    };
  };

  it('are taken from the page instead of loading their chunk', async () => {
    const cleanup = page('de', 'de', JSON.stringify({ ...de, 'screen.recipients.title': 'Aus der Seite' }));
    try {
      const i18n = await import('./index.svelte');
      await i18n.ready;
      expect(i18n.getLocale()).toBe('de');
      expect(i18n.t('screen.recipients.title')).toBe('Aus der Seite');
      expect(document.getElementById('resonanz-messages')).toBeNull();
      // Another language still loads as its chunk.
      await i18n.setLocale('en');
      expect(i18n.t('screen.recipients.title')).toBe(en['screen.recipients.title']);
    } finally {
      cleanup();
    }
  });

  it.each([
    ['of another language', 'en', JSON.stringify({ ...en, 'screen.recipients.title': 'From the page' })],
    ['that is broken', 'de', '{"screen.recipients.title": '],
    ['that is no catalogue', 'de', '["Aus der Seite"]'],
  ])('are loaded as their chunk when the page carries messages %s', async (_, lang, text) => {
    const cleanup = page('de', lang, text);
    try {
      const i18n = await import('./index.svelte');
      await i18n.ready;
      expect(i18n.t('screen.recipients.title')).toBe(de['screen.recipients.title']);
    } finally {
      cleanup();
    }
  });
});

describe('formatNumber', () => {
  it('writes decimals the German way ("4,0", not "4.0") and groups thousands', () => {
    setLocale('de');
    expect(formatNumber(4, 1)).toBe('4,0');
    expect(formatNumber(12345)).toBe('12.345');
    setLocale('en');
    expect(formatNumber(4, 1)).toBe('4.0');
  });
});

describe('unquoted', () => {
  it.each([
    ['„Ja, ich möchte den Newsletter.“', 'Ja, ich möchte den Newsletter.'],
    ['"Yes, send me the newsletter."', 'Yes, send me the newsletter.'],
    ['“Yes, please.”', 'Yes, please.'],
    ['»Ja, gern.«', 'Ja, gern.'],
    ['  „Ja.“  ', 'Ja.'],
    ['Ja, ich möchte „Reiseziele“ erhalten.', 'Ja, ich möchte „Reiseziele“ erhalten.'],
    ['„Reiseziele“ und „Angebote“', '„Reiseziele“ und „Angebote“'],
    ['„unbalanced', '„unbalanced'],
    ['', ''],
  ])('strips one outer pair of quotes from %j', (input, want) => {
    expect(unquoted(input)).toBe(want);
  });
});

describe('result figures', () => {
  // The import results (recipients and reactions) label their figures alike: capitalised, in both languages.
  it.each([
    'import.result.read',
    'import.result.created',
    'import.result.updated',
    'import.result.skipped',
    'import.result.rejected',
    'reactions.result.imported',
    'reactions.result.duplicates',
    'reactions.result.unmatched',
    'reactions.result.anonymized',
    'reactions.result.warned',
  ])('%s starts with a capital letter', (key) => {
    expect((de as Record<string, string>)[key]).toMatch(/^\p{Lu}/u);
    expect((en as Record<string, string>)[key]).toMatch(/^\p{Lu}/u);
  });
});
