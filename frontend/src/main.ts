import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { captureToken } from './lib/api/client';

captureToken();

const target = document.getElementById('app');
if (target === null) throw new Error('index.html has no #app element');
mount(App, { target });
