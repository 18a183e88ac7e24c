import { SvelteSet } from 'svelte/reactivity';
import { t } from '../i18n/index.svelte';

/** Guard reports whether a screen holds changes that are not saved. */
export type Guard = () => boolean;

// Reactive, so that the desktop window learns when unsaved changes come and go (windowClose.svelte.ts).
const guards = new SvelteSet<Guard>();

/** guardUnsaved registers a screen's guard; the returned function removes it (call it when the screen goes). */
export function guardUnsaved(guard: Guard): () => void {
  guards.add(guard);
  return () => guards.delete(guard);
}

/** hasUnsaved reports whether any registered screen holds unsaved changes. */
export function hasUnsaved(): boolean {
  return [...guards].some((g) => g());
}

/** confirmDiscard asks before unsaved changes are dropped; true when there are none or the user agrees. */
export function confirmDiscard(): boolean {
  return !hasUnsaved() || window.confirm(t('unsaved.confirm'));
}

// Closing the browser tab or window asks too (the browser words the question).
window.addEventListener('beforeunload', (event) => {
  if (hasUnsaved()) {
    event.preventDefault();
    event.returnValue = '';
  }
});
