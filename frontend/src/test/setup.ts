import '@testing-library/jest-dom/vitest';
import { configure } from '@testing-library/svelte';
import { beforeEach, vi } from 'vitest';
import { loadCatalogue, setLocale } from '../lib/i18n/index.svelte';

// Both languages' messages, so that tests switch with setLocale at once.
await Promise.all([loadCatalogue('de'), loadCatalogue('en')]);

// findBy…/waitFor give up after 1 s by default: on a loaded 2-core machine (make
// test runs the Go suites beside vitest) a first render of the whole App can
// take longer, and the test failed without anything being wrong. A failing
// expectation now waits 5 s before it reports; a passing one still returns at once.
configure({ asyncUtilTimeout: 5000 });

// jsdom has no matchMedia; chart libraries and media-query code ask for it.
Object.defineProperty(window, 'matchMedia', {
  configurable: true,
  value: vi.fn((query: string) => ({
    matches: false,
    media: query,
    onchange: null,
    addListener: vi.fn(),
    removeListener: vi.fn(),
    addEventListener: vi.fn(),
    removeEventListener: vi.fn(),
    dispatchEvent: vi.fn(),
  })),
});

beforeEach(() => {
  void setLocale('en');
  localStorage.clear();
  sessionStorage.clear();
  delete window.go;
  window.location.hash = '';
});

// jsdom has no ResizeObserver; bind:clientHeight uses it. Elements there have no size anyway.
if (!('ResizeObserver' in window)) {
  class ResizeObserverStub {
    observe(): void {}
    unobserve(): void {}
    disconnect(): void {}
  }
  Object.defineProperty(window, 'ResizeObserver', { configurable: true, value: ResizeObserverStub });
  Object.defineProperty(globalThis, 'ResizeObserver', { configurable: true, value: ResizeObserverStub });
}
