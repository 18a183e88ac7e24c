import { render, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import App from './App.svelte';
import { forgetPreloads, PreloadElement } from './lib/api/preload';
import { setLocale } from './lib/i18n/index.svelte';
import { router } from './lib/stores/router.svelte';
import { carryPreloads, stubDesktop } from './test/desktop';

// The first screen Go puts into the desktop window's page (backend/desktop/
// firstscreen.go) must be the UI's own, element for element: the UI takes
// its place without a redraw the user could see. Go's test writes it and
// the preloads it was made from to testdata/; this test renders the UI from
// the same preloads and compares.
const testdata = import.meta.glob<string>('../../backend/desktop/testdata/firstscreen.*', { query: '?raw', import: 'default', eager: true });

/** file returns a file of Go's testdata (firstscreen.<name>). */
function file(name: string): string {
  const text = testdata[`../../backend/desktop/testdata/firstscreen.${name}`];
  if (text === undefined) throw new Error(`no backend/desktop/testdata/firstscreen.${name} (go test ./backend/desktop -update writes it)`);
  return text;
}

/**
 * canonical writes the nodes under root one per line: elements with their
 * attributes sorted (the style as the browser reads it), text quoted (so a
 * space between two elements shows), comments and empty text (Svelte's
 * anchors) left out.
 * The attributes that mark Go's copy (its id, inert) are left out too.
 */
function canonical(root: ParentNode): string {
  const lines: string[] = [];
  const children = (node: ParentNode, depth: number): void => {
    // Adjacent text nodes (apart only by a comment) are one text.
    let text = '';
    const flush = () => {
      if (text !== '') lines.push('  '.repeat(depth) + JSON.stringify(text));
      text = '';
    };
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) text += child.textContent ?? '';
      if (!(child instanceof Element)) continue;
      flush();
      const attrs = [...child.attributes]
        .filter((a) => !(a.name === 'style' && a.value === '') && a.name !== 'inert' && !(a.name === 'id' && a.value === 'resonanz-prerendered'))
        .map((a) => (a.name === 'style' ? `style="${(child as HTMLElement).style.cssText}"` : `${a.name}="${a.value}"`))
        .sort();
      lines.push(`${'  '.repeat(depth)}<${child.localName}${attrs.length ? ' ' + attrs.join(' ') : ''}>`);
      children(child, depth + 1);
    }
    flush();
  };
  children(root, 0);
  return lines.join('\n');
}


afterEach(() => {
  document.getElementById(PreloadElement)?.remove();
  forgetPreloads();
});

describe('the prerendered first screen', () => {
  for (const lang of ['de', 'en'] as const) {
    it(`is the UI's first screen (${lang})`, async () => {
      const golden = file(`${lang}.html`).trim();
      carryPreloads(file(`${lang}.preloads.json`));
      stubDesktop();
      router.current = 'recipients';
      await setLocale(lang);
      const want = document.createElement('template');
      want.innerHTML = golden;
      expect(want.content.querySelectorAll('[data-testid="recipient-row"]').length).toBeGreaterThan(20);

      const { container } = render(App);
      await waitFor(() => expect(container.querySelectorAll('[data-testid="recipient-row"]').length).toBeGreaterThan(20));
      await waitFor(() => expect(container.querySelector('[data-testid="status-version"]')).not.toBeNull());
      expect(canonical(container)).toBe(canonical(want.content));
    });
  }
});
