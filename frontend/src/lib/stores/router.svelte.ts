import { confirmDiscard } from './unsaved';

/** screens are the app's screens in navigation order; each is reached at #/<screen>. */
export const screens = ['recipients', 'templates', 'mailings', 'reactions', 'analysis', 'target-groups', 'surveys', 'settings'] as const;

/** Screen identifies one screen. */
export type Screen = (typeof screens)[number];

function isScreen(value: string): value is Screen {
  return (screens as readonly string[]).includes(value);
}

/** screenFromHash returns the screen an address fragment names, or the first screen. */
function screenFromHash(hash: string): Screen {
  const id = hash.replace(/^#\/?/, '');
  return isScreen(id) ? id : screens[0];
}

/** href returns the link to screen. */
export function href(screen: Screen): string {
  return `#/${screen}`;
}

class Router {
  current = $state<Screen>(screenFromHash(window.location.hash));

  constructor() {
    window.addEventListener('hashchange', () => {
      const next = screenFromHash(window.location.hash);
      if (next === this.current) return;
      // Leaving a screen with unsaved changes asks first; "stay" puts the address back.
      if (!confirmDiscard()) {
        history.replaceState(null, '', href(this.current));
        return;
      }
      this.current = next;
    });
  }
}

/** router follows the address fragment. */
export const router = new Router();
