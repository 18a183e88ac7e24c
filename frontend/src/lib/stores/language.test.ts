import { describe, expect, it, vi } from 'vitest';
import { getLocale, setLocale } from '../i18n/index.svelte';
import { loadLanguage } from './language';

/** stubSettings installs the two Settings calls loadLanguage makes. */
function stubSettings(saved: string) {
  const save = vi.fn((...args: unknown[]) => Promise.resolve(args[0]));
  window.go = { desktop: { Settings: { GetLanguage: () => Promise.resolve(saved), SaveLanguage: save } } };
  return save;
}

describe('loadLanguage', () => {
  it('applies the saved language', async () => {
    await setLocale('en');
    const save = stubSettings('de');
    await loadLanguage();
    expect(getLocale()).toBe('de');
    expect(save).not.toHaveBeenCalled();
  });

  // Then the window's page carries its messages and first screen from the next start on.
  it('saves the language the UI started in when none is saved', async () => {
    await setLocale('de');
    localStorage.clear(); // nothing chosen in this browser either
    const save = stubSettings('');
    await loadLanguage();
    expect(save).toHaveBeenCalledWith('de');
    expect(getLocale()).toBe('de');
  });
});
