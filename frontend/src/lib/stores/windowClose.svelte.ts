import { subscribe } from '../api/events';
import { Events } from '../api/eventNames';
import { closeWindow, inDesktopWindow, setUnsaved } from '../api/system';
import { confirmDiscard, hasUnsaved } from './unsaved';

/**
 * guardWindowClose makes the desktop window ask before it closes with
 * unsaved changes, as a browser tab does: Go is told whenever unsaved
 * changes come or go, keeps the window open when they exist and sends
 * window:closeRequested; the UI asks and closes the window if the user
 * agrees. It returns the function that ends the guard (nothing to do in a
 * browser, where beforeunload asks).
 */
export function guardWindowClose(): () => void {
  // The window always has the Wails runtime (a test's stub may not).
  if (!inDesktopWindow() || window.runtime?.EventsOn === undefined) return () => {};
  let told = false;
  const stop = $effect.root(() => {
    $effect(() => {
      const unsaved = hasUnsaved();
      if (unsaved === told) return;
      told = unsaved;
      setUnsaved(unsaved).catch(() => {});
    });
  });
  const unsubscribe = subscribe(Events.closeRequested, () => {
    if (confirmDiscard()) closeWindow().catch(() => {});
  });
  return () => {
    stop();
    unsubscribe();
  };
}
