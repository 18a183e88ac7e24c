import { describe, expect, it } from 'vitest';

// Every file of the frontend's source, as text.
const sources = import.meta.glob<string>(['/src/**/*.ts', '/src/**/*.svelte'], {
  query: '?raw',
  import: 'default',
  eager: true,
});

describe('calls into Go', () => {
  it('go through the typed stubs of facades.ts only', () => {
    expect(Object.keys(sources).length).toBeGreaterThan(50);
    const offenders: string[] = [];
    for (const [path, text] of Object.entries(sources)) {
      // client.ts defines call; facades.ts is the one module that names
      // Go's services and methods; client.test.ts tests call itself.
      if (/\/lib\/api\/(client|facades)(\.test)?\.ts$/.test(path)) continue;
      text.split('\n').forEach((line, i) => {
        if (/\bcall\s*(<[^()]*>)?\s*\(\s*['"`]/.test(line) || /import\s*\{[^}]*\bcall\b[^}]*\}\s*from\s*['"][^'"]*client['"]/.test(line)) {
          offenders.push(`${path}:${i + 1}: ${line.trim()}`);
        }
      });
    }
    // Use (or add) a stub in lib/api/facades.ts instead of a string call.
    expect(offenders).toEqual([]);
  });
});
