/**
 * Preloads: answers Go puts into the desktop window's page as it serves it
 * (backend/desktop/preload.go), so the first screen need not wait for a
 * round trip through the bridge after the bundle has run. Each is taken by
 * the first call of its service and method with equal arguments, and only
 * while the page starts: later calls ask Go, whose answer may have changed.
 */

/** PreloadElement is the id of the JSON script element that carries them. */
export const PreloadElement = 'resonanz-preload';

/** PreloadTTL is how long after navigation a preloaded answer is used (ms). */
export const PreloadTTL = 10_000;

interface Preload {
  service: string;
  method: string;
  args: unknown[];
  result: unknown;
}

let preloads: Preload[] | null = null;

function isPreload(value: unknown): value is Preload {
  return typeof value === 'object' && value !== null && 'service' in value && 'method' in value && 'args' in value && 'result' in value;
}

/** read takes the preloads out of the page (once). */
function read(): Preload[] {
  if (preloads !== null) return preloads;
  const element = document.getElementById(PreloadElement);
  if (element === null) return []; // none; nothing is kept, so an element added later (tests) is read
  preloads = [];
  element.remove();
  try {
    const parsed: unknown = JSON.parse(element.textContent ?? '');
    if (Array.isArray(parsed)) preloads = parsed.filter(isPreload);
  } catch {
    // A broken element is no preload: the calls go to Go.
  }
  return preloads;
}

/** same compares two JSON values; null, undefined and a missing key are equal, key order does not matter. */
export function same(a: unknown, b: unknown): boolean {
  if (a === undefined || a === null || b === undefined || b === null) return (a ?? null) === (b ?? null);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => same(v, b[i]));
  }
  if (typeof a === 'object' && typeof b === 'object') {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    return [...new Set([...Object.keys(x), ...Object.keys(y)])].every((k) => same(x[k], y[k]));
  }
  return a === b;
}

/**
 * takePreloaded returns the preloaded answer of service.method(...args) and
 * forgets it, or undefined when there is none (or the page started more than
 * PreloadTTL ago).
 */
export function takePreloaded(service: string, method: string, args: unknown[]): { result: unknown } | undefined {
  const list = read();
  if (list.length === 0) return undefined;
  if (performance.now() > PreloadTTL) {
    list.length = 0;
    return undefined;
  }
  const i = list.findIndex((p) => p.service === service && p.method === method && same(p.args, args));
  if (i < 0) return undefined;
  const [hit] = list.splice(i, 1);
  return hit === undefined ? undefined : { result: hit.result };
}

/**
 * peekPreloaded returns the preloaded answer of service.method(...args)
 * without taking it (the call that follows still gets it), or undefined.
 */
export function peekPreloaded(service: string, method: string, args: unknown[]): { result: unknown } | undefined {
  if (performance.now() > PreloadTTL) return undefined;
  const hit = read().find((p) => p.service === service && p.method === method && same(p.args, args));
  return hit === undefined ? undefined : { result: hit.result };
}

/** forgetPreloads drops what was read (tests). */
export function forgetPreloads(): void {
  preloads = null;
}
