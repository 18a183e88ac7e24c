import { afterEach, describe, expect, it, vi } from 'vitest';
import { stubDesktop } from '../../test/desktop';
import { call, captureToken, TokenHeader } from './client';
import { ApiError } from './error';
import { getSender, saveSender } from './settings';
import { info } from './system';

const sender = { fromName: 'Ada', fromAddress: 'ada@example.org', replyTo: '' };

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const reason: unknown = await promise.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  );
  expect(reason).toBeInstanceOf(ApiError);
  return reason as ApiError;
}

describe('desktop (Wails bindings)', () => {
  it('calls window.go.desktop[service][method] with the arguments', async () => {
    const stub = stubDesktop(sender);
    const fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);

    await expect(getSender()).resolves.toEqual(sender);
    const changed = { ...sender, fromName: 'Grace' };
    await expect(saveSender(changed)).resolves.toEqual(changed);
    expect(stub.SaveSender).toHaveBeenCalledWith(changed);
    await expect(info()).resolves.toMatchObject({ mode: 'desktop' });
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('passes the formatted error object on as an ApiError', async () => {
    const stub = stubDesktop();
    stub.SaveSender.mockRejectedValue({
      code: 'invalid',
      message: 'The sender address is not valid.',
      field: 'fromAddress',
      key: 'error.sender.fromAddress.invalid',
    });
    const error = await rejection(saveSender(sender));
    expect(error).toMatchObject({
      code: 'invalid',
      message: 'The sender address is not valid.',
      field: 'fromAddress',
      key: 'error.sender.fromAddress.invalid',
    });
  });

  it('wraps a plain string error as internal', async () => {
    stubDesktop().GetSender.mockRejectedValue('database is locked');
    const error = await rejection(getSender());
    expect(error.code).toBe('internal');
    expect(error.message).toBe('database is locked');
    expect(error.field).toBeUndefined();
  });

  it('rejects a method Go does not bind', async () => {
    stubDesktop();
    expect((await rejection(call('Settings', 'Nope'))).code).toBe('not_found');
  });
});

describe('browser (HTTP bridge)', () => {
  const respond = (status: number, body: string) =>
    vi.fn((_url: string, _init: RequestInit) => Promise.resolve(new Response(body, { status })));

  afterEach(() => {
    history.replaceState(null, '', '/');
  });

  it('POSTs the arguments as a JSON array with the token header', async () => {
    sessionStorage.setItem('resonanz.token', 'tok-123');
    const fetchMock = respond(200, JSON.stringify(sender));
    vi.stubGlobal('fetch', fetchMock);

    await expect(saveSender(sender)).resolves.toEqual(sender);

    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0] ?? [];
    expect(url).toBe('/api/Settings/SaveSender');
    expect(init?.method).toBe('POST');
    expect(init?.headers).toEqual({ 'Content-Type': 'application/json', [TokenHeader]: 'tok-123' });
    expect(JSON.parse(String(init?.body))).toEqual([sender]);
  });

  it('sends an empty array for a method without parameters', async () => {
    const fetchMock = respond(200, JSON.stringify({ version: 'v1', mode: 'browser' }));
    vi.stubGlobal('fetch', fetchMock);
    await expect(info()).resolves.toMatchObject({ mode: 'browser' });
    expect(fetchMock.mock.calls[0]?.[1].body).toBe('[]');
  });

  it('maps an error body to an ApiError', async () => {
    vi.stubGlobal(
      'fetch',
      respond(
        400,
        JSON.stringify({
          error: { code: 'invalid', message: 'Reply-to is wrong.', field: 'replyTo', key: 'error.sender.replyTo.invalid' },
        }),
      ),
    );
    const error = await rejection(saveSender(sender));
    expect(error).toMatchObject({
      code: 'invalid',
      message: 'Reply-to is wrong.',
      field: 'replyTo',
      key: 'error.sender.replyTo.invalid',
    });
  });

  it('maps 401 to unauthorized', async () => {
    vi.stubGlobal('fetch', respond(401, 'Unauthorized'));
    const error = await rejection(getSender());
    expect(error.code).toBe('unauthorized');
    expect(error.key).toBe('error.unauthorized');
  });

  it('maps a body that is not JSON to internal with its text', async () => {
    vi.stubGlobal('fetch', respond(502, 'Bad gateway\n'));
    const error = await rejection(getSender());
    expect(error).toMatchObject({ code: 'internal', message: 'Bad gateway' });
  });

  it('reports an unreachable server with the network key', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))));
    const error = await rejection(getSender());
    expect(error).toMatchObject({ code: 'internal', key: 'error.network' });
  });
});

describe('captureToken', () => {
  afterEach(() => {
    history.replaceState(null, '', '/');
  });

  it('moves the token from the address into sessionStorage', () => {
    history.replaceState(null, '', '/?token=s3cret&x=1#/settings');
    captureToken();
    expect(sessionStorage.getItem('resonanz.token')).toBe('s3cret');
    expect(window.location.search).toBe('?x=1');
    expect(window.location.hash).toBe('#/settings');
  });

  it('keeps the stored token when the address has none (a reload)', () => {
    sessionStorage.setItem('resonanz.token', 'earlier');
    history.replaceState(null, '', '/');
    captureToken();
    expect(sessionStorage.getItem('resonanz.token')).toBe('earlier');
  });
});
