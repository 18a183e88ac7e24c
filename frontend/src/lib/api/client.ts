import { ApiError } from './error';
import { takePreloaded } from './preload';

/** WailsService is one bound Go struct as Wails exposes it: each method returns a promise. */
type WailsService = Record<string, ((...args: unknown[]) => Promise<unknown>) | undefined>;

declare global {
  interface Window {
    /** go holds the Wails bindings; Go package "desktop" binds the façades. Absent in a browser. */
    go?: { desktop?: Record<string, WailsService | undefined> };
  }
}

const tokenStorageKey = 'resonanz.token';

/** TokenHeader carries the per-launch token on every HTTP bridge call. */
export const TokenHeader = 'X-Resonanz-Token';

/**
 * captureToken moves the access token from the address (?token=…) into
 * sessionStorage and removes it from the address bar, so it survives reloads
 * but is not left in the history or shown on screen.
 */
export function captureToken(): void {
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token');
  if (token === null) return;
  sessionStorage.setItem(tokenStorageKey, token);
  url.searchParams.delete('token');
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
}

/**
 * call invokes the bound Go method service.method with args, through the Wails
 * bindings in the desktop window or the HTTP bridge in a browser. It rejects
 * with an ApiError only.
 */
export async function call<T>(service: string, method: string, ...args: unknown[]): Promise<T> {
  const preloaded = takePreloaded(service, method, args);
  if (preloaded !== undefined) return preloaded.result as T;
  const desktop = window.go?.desktop;
  if (desktop !== undefined) {
    const fn = desktop[service]?.[method];
    if (fn === undefined) {
      throw new ApiError({ code: 'not_found', message: `There is no method ${service}.${method}.` });
    }
    try {
      return (await fn(...args)) as T;
    } catch (reason) {
      throw ApiError.from(reason);
    }
  }
  return callHTTP<T>(service, method, args);
}

/** authHeaders returns the headers that authenticate an HTTP bridge request (the token, if known). */
export function authHeaders(): Record<string, string> {
  const token = sessionStorage.getItem(tokenStorageKey);
  return token === null ? {} : { [TokenHeader]: token };
}

/**
 * withToken adds the token to the address of a GET that cannot send headers
 * (EventSource, a download link). The asset cookie does not open the API.
 */
export function withToken(path: string): string {
  const token = sessionStorage.getItem(tokenStorageKey);
  if (token === null) return path;
  return `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

async function callHTTP<T>(service: string, method: string, args: unknown[]): Promise<T> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...authHeaders() };
  let response: Response;
  try {
    response = await fetch(`/api/${encodeURIComponent(service)}/${encodeURIComponent(method)}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(args),
    });
  } catch (reason) {
    throw new ApiError({ code: 'internal', message: String(reason), key: 'error.network' });
  }
  if (response.ok) return (await response.json()) as T;
  throw await errorFrom(response);
}

/** errorFrom reads an HTTP error response (`{error:{code,message,…}}` or text) as an ApiError. */
export async function errorFrom(response: Response): Promise<ApiError> {
  const text = await response.text();
  let error: ApiError;
  try {
    const body: unknown = JSON.parse(text);
    error = ApiError.from(typeof body === 'object' && body !== null && 'error' in body ? body.error : body);
  } catch {
    error = new ApiError({ code: 'internal', message: text.trim() || `HTTP ${response.status}` });
  }
  if (response.status === 401 && error.code !== 'unauthorized') {
    return new ApiError({ code: 'unauthorized', message: error.message, key: 'error.unauthorized' });
  }
  return error;
}
