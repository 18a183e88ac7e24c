import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { captureToken } from './lib/api/client';

// Start marks for the start-up breakdown (System.FirstScreen): the first
// bundle has been fetched and parsed, and the modules it imports have run.
performance.mark('resonanz:script');
captureToken();

const target = document.getElementById('app');
if (target === null) throw new Error('index.html has no #app element');
mount(App, { target });
performance.mark('resonanz:mounted');
