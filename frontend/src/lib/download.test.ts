import { afterEach, describe, expect, it, vi } from 'vitest';
import { download, downloadFile, openInWindow, safeFileName } from './download';

afterEach(() => {
  delete window.go;
  vi.restoreAllMocks();
});

describe('download', () => {
  it('uses the native save dialog in the desktop window, not a Blob link', async () => {
    const save = vi.fn(() => Promise.resolve('/home/ada/x.json'));
    window.go = { desktop: { System: { SaveTextFile: save as (...args: unknown[]) => Promise<unknown> } } };
    const createURL = vi.spyOn(URL, 'createObjectURL');
    await download('resonanz-anna@example.org.json', '{"a":1}', 'application/json');
    await openInWindow('<h1>proof</h1>', 'consent proof.html');
    expect(save).toHaveBeenNthCalledWith(1, 'resonanz-anna@example.org.json', '{"a":1}');
    expect(save).toHaveBeenNthCalledWith(2, 'consent_proof.html', '<h1>proof</h1>');
    expect(createURL).not.toHaveBeenCalled();
  });

  it('passes a failed save on to the caller', async () => {
    window.go = {
      desktop: {
        System: { SaveTextFile: () => Promise.reject({ code: 'invalid', message: 'Cannot write /x.' }) },
      },
    };
    await expect(download('x.json', '{}', 'application/json')).rejects.toMatchObject({ code: 'invalid' });
  });

  it('decodes base64 files into the bytes of the Blob in a browser', async () => {
    let blob: Blob | null = null;
    vi.spyOn(URL, 'createObjectURL').mockImplementation((b) => {
      blob = b as Blob;
      return 'blob:x';
    });
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {});
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    // "PK\x03\x04\xff": a ZIP signature and a byte that is not valid UTF-8.
    await downloadFile({ name: 'a.zip', content: btoa('PK\x03\x04\xff'), encoding: 'base64' }, 'application/zip');
    expect(blob).not.toBeNull();
    const bytes = new Uint8Array(await (blob as unknown as Blob).arrayBuffer());
    expect(Array.from(bytes)).toEqual([0x50, 0x4b, 3, 4, 0xff]);
  });

  it('makes names safe for every file system', () => {
    expect(safeFileName('a/b\\c:d*e?f"g<h>i|j k')).toBe('a_b_c_d_e_f_g_h_i_j_k');
  });
});
