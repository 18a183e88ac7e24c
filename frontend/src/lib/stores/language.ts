import { getLanguage, saveLanguage } from '../api/settings';
import { getLocale, isLocale, setLocale, type Locale } from '../i18n/index.svelte';

/**
 * chooseLanguage switches the UI language and stores the choice in the
 * settings, so that the desktop window and browser mode (each with its own
 * browser storage) start in it.
 */
export function chooseLanguage(locale: Locale): void {
  void setLocale(locale);
  saveLanguage(locale).catch(() => {}); // the switch works without it (e.g. on the recovery screen)
}

/**
 * loadLanguage applies the language stored in the settings; when none is
 * stored yet, the one the UI started in is stored (the one this browser
 * remembers, else the browser's): the desk then starts in it, and the
 * desktop window's page carries its messages and first screen in it
 * (backend/desktop/preload.go) from the next start on.
 */
export async function loadLanguage(): Promise<void> {
  try {
    const saved = await getLanguage();
    if (isLocale(saved)) {
      if (saved !== getLocale()) await setLocale(saved);
    } else {
      await saveLanguage(getLocale());
    }
  } catch {
    // the recovery screen has no settings; the browser's choice stays
  }
}
