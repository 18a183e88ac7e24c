import { afterEach, describe, expect, it } from 'vitest';
import { consentSourceLabel } from './consentSource';
import { setLocale } from './i18n/index.svelte';

describe('consentSourceLabel', () => {
  afterEach(() => setLocale('en'));

  it.each([
    ['de', 'provider:mailbox', 'Spam-Beschwerde (Meldung im Postfach)'],
    ['en', 'provider:mailbox', 'spam complaint (report in the mailbox)'],
    ['de', 'provider:brevo', 'Versanddienst (brevo)'],
    ['en', 'mail_unsubscribe', 'unsubscribe by e-mail'],
    ['de', 'double_opt_in', 'Double-Opt-in'],
    ['en', 'something_new', 'something_new'],
  ] as const)('%s: %s', (locale, source, want) => {
    setLocale(locale);
    expect(consentSourceLabel(source)).toBe(want);
  });
});
