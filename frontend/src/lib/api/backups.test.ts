import { afterEach, describe, expect, it, vi } from 'vitest';
import { downloadBackup } from './backups';

describe('downloadBackup', () => {
  afterEach(() => {
    sessionStorage.removeItem('resonanz.token');
    vi.restoreAllMocks();
  });

  it('authenticates the download link with the token in the query, not with the asset cookie', () => {
    sessionStorage.setItem('resonanz.token', 'tok/en');
    let href = '';
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      href = this.getAttribute('href') ?? '';
    });
    downloadBackup('resonanz-manual 1.db');
    expect(href).toBe('/api/download/backup/resonanz-manual%201.db?token=tok%2Fen');
  });
});
