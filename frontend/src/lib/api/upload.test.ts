import { describe, expect, it, vi } from 'vitest';
import { ApiError } from './error';
import { uploadFile } from './upload';

const file = () => new File(['E-Mail;Vorname\nada@example.org;Ada\n'], 'Kunden März.csv', { type: 'text/csv' });

describe('uploadFile', () => {
  it('POSTs the bytes with the token and the encoded file name', async () => {
    sessionStorage.setItem('resonanz.token', 'tok-9');
    const fetchMock = vi.fn((_url: string, _init: RequestInit) =>
      Promise.resolve(new Response(JSON.stringify({ source: 'upload:abc', name: 'Kunden März.csv', size: 37 }))),
    );
    vi.stubGlobal('fetch', fetchMock);
    const f = file();

    await expect(uploadFile(f)).resolves.toEqual({ source: 'upload:abc', name: 'Kunden März.csv', size: 37 });

    const [url, init] = fetchMock.mock.calls[0] ?? [];
    expect(url).toBe('/api/upload');
    expect(init?.method).toBe('POST');
    expect(init?.headers).toEqual({ 'X-Resonanz-Token': 'tok-9', 'X-File-Name': 'Kunden%20M%C3%A4rz.csv' });
    expect(init?.body).toBe(f);
  });

  it('maps an error body to an ApiError', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() =>
        Promise.resolve(
          new Response(JSON.stringify({ error: { code: 'invalid', message: 'The file is larger than 1024 MB.' } }), {
            status: 400,
          }),
        ),
      ),
    );
    const error: unknown = await uploadFile(file()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'invalid', message: 'The file is larger than 1024 MB.' });
  });

  it('maps 401 to unauthorized and a network failure to the network key', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.resolve(new Response('Unauthorized', { status: 401 }))));
    await expect(uploadFile(file())).rejects.toMatchObject({ code: 'unauthorized', key: 'error.unauthorized' });
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))));
    await expect(uploadFile(file())).rejects.toMatchObject({ code: 'internal', key: 'error.network' });
  });
});
