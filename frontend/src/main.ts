import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { captureToken } from './lib/api/client';
import { ready } from './lib/i18n/index.svelte';

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
mount(App, { target });
performance.mark('resonanz:mounted');
