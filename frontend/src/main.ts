import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { captureToken } from './lib/api/client';
import { ready } from './lib/i18n/index.svelte';
import { router } from './lib/stores/router.svelte';
import { system } from './lib/stores/system.svelte';

/** PrerenderedElement is the id of the first screen Go puts into the window's page (backend/desktop/firstscreen.go). */
const PrerenderedElement = 'resonanz-prerendered';
/** PrerenderedTimeout is how long the prerendered screen waits for the UI's own at most (ms). */
const PrerenderedTimeout = 3000;

// Start marks for the start-up breakdown (System.FirstScreen): the first
// bundle has been fetched and parsed, and the modules it imports have run.
performance.mark('resonanz:script');
captureToken();

// The messages of the language the UI starts in (a chunk of their own,
// asked for while the bundle ran).
await ready;
performance.mark('resonanz:messages');

const target = document.getElementById('app');
if (target === null) throw new Error('index.html has no #app element');
// The desktop window's page may carry the first screen as Go rendered it
// (backend/desktop/firstscreen.go), painted before this bundle ran. The UI
// then mounts beside it, hidden (app.css), and takes its place once its own
// first screen shows the same data: nothing flickers, and the page's
// controls work from then on (the prerendered screen is inert).
const prerendered = document.getElementById(PrerenderedElement);
if (prerendered !== null) {
  if (router.current === 'recipients') {
    const swap = () => {
      prerendered.remove();
      target.classList.remove('prerendered');
    };
    target.classList.add('prerendered');
    system.whenShown(swap);
    // Should the first screen not come (another screen after a late
    // integrity check), the UI shows anyway.
    setTimeout(swap, PrerenderedTimeout);
  } else {
    prerendered.remove();
  }
}
mount(App, { target });
performance.mark('resonanz:mounted');
