import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * loadSharedChunksAtOnce makes index.html load the chunks the entry script
 * imports as module scripts of their own instead of modulepreload links:
 * WebKitGTK asks for a modulepreload link's file only after it has parsed
 * the entry (a second round trip before the first screen), a module script
 * at once. A module runs once however often it is named.
 */
function loadSharedChunksAtOnce(): Plugin {
  return {
    name: 'resonanz:load-shared-chunks-at-once',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler: (html) =>
        html.replace(/<link rel="modulepreload" crossorigin href="([^"]+)">/g, '<script type="module" crossorigin src="$1"></script>'),
    },
  };
}

export default defineConfig({
  plugins: [svelte(), svelteTesting(), loadSharedChunksAtOnce()],
  // Absolute asset paths: the HTTP bridge serves index.html at / and the
  // Wails asset server does the same.
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rolldownOptions: {
      output: {
        // What the first screen runs is one file (the bundler would split
        // the modules it shares with other screens into many small ones).
        codeSplitting: { groups: [{ name: 'start', tags: ['$initial'] }] },
      },
    },
  },
  // The tests read Go's first-screen golden files (src/firstScreen.test.ts).
  server: { fs: { allow: ['.', '../backend/desktop/testdata'] } },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test/setup.ts'],
    testTimeout: 20_000,
    restoreMocks: true,
    unstubGlobals: true,
  },
});
