import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BackupStatus } from '../lib/api/types';
import { setLocale } from '../lib/i18n/index.svelte';
import { stubDesktop, systemInfo } from '../test/desktop';
import { addServices, resolved } from '../test/services';
import App from '../App.svelte';
import BackupsCard from './BackupsCard.svelte';

const status: BackupStatus = {
  dir: '/home/ada/.local/share/resonanz/backups',
  retention: 7,
  last: { at: '2026-11-28T08:00:00Z', ok: true, kind: 'daily', file: '/home/ada/.local/share/resonanz/backups/resonanz-2026-11-28.db' },
  backups: [
    { name: 'resonanz-2026-11-28.db', kind: 'daily', size: 3 << 20, at: '2026-11-28T08:00:00Z' },
    { name: 'resonanz-manual-2026-11-27-101500.db', kind: 'manual', size: 2048, at: '2026-11-27T10:15:00Z' },
  ],
  check: { path: '/x/resonanz.db', ok: true, full: false, problems: [], at: '2026-11-28T08:00:00Z', millis: 12 },
  secrets: 'OS keyring',
};

// Progress events arrive through the Wails runtime in the desktop window.
beforeEach(() => {
  setLocale('en');
  window.runtime = { EventsOn: vi.fn(() => () => {}) };
});
afterEach(() => {
  delete window.runtime;
});

describe('Backups card', () => {
  beforeEach(() => {
    stubDesktop();
  });

  it('lists the copies with size and kind, the start-up check and the last result', async () => {
    addServices({ Backups: { Status: resolved(status) } });
    render(BackupsCard);
    const rows = await screen.findAllByTestId('backups-entry');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('daily');
    expect(rows[0]).toHaveTextContent('3 MB');
    expect(rows[1]).toHaveTextContent('by hand');
    expect(screen.getByTestId('backups-check')).toHaveTextContent('sound (quick_check, 12 ms)');
    expect(screen.getByTestId('backups-last')).toHaveTextContent('resonanz-2026-11-28.db');
    expect(screen.getByTestId('backups-retention')).toHaveValue(7);
    expect(screen.getByTestId('backups-secrets')).toHaveTextContent('OS keyring');
  });

  it('shows a failed backup as an alert', async () => {
    addServices({
      Backups: { Status: resolved({ ...status, last: { at: '2026-11-28T08:00:00Z', ok: false, kind: 'daily', file: '', message: 'Disk full.' } }) },
    });
    render(BackupsCard);
    expect(await screen.findByTestId('backups-last')).toHaveTextContent('Disk full. Older copies were kept.');
  });

  it('restores a listed copy only after confirmation', async () => {
    const user = userEvent.setup({ delay: null });
    const restore = resolved(status);
    const reload = vi.fn();
    vi.stubGlobal('location', { ...window.location, reload });
    addServices({ Backups: { Status: resolved(status), Restore: restore } });
    render(BackupsCard);
    await user.click(await screen.findByTestId('backups-restore-resonanz-2026-11-28.db'));
    const dialog = screen.getByTestId('backups-confirm');
    expect(dialog).toHaveTextContent('resonanz-2026-11-28.db');
    await user.click(within(dialog).getByTestId('backups-confirm-cancel'));
    expect(restore).not.toHaveBeenCalled();

    await user.click(screen.getByTestId('backups-restore-resonanz-2026-11-28.db'));
    await user.click(screen.getByTestId('backups-confirm-confirm'));
    await waitFor(() => expect(restore).toHaveBeenCalledTimes(1));
    expect(restore.mock.calls[0]?.[0]).toMatchObject({ name: 'resonanz-2026-11-28.db', source: '' });
    await waitFor(() => expect(reload).toHaveBeenCalled());
    expect(sessionStorage.getItem('resonanz.restored')).toBe('resonanz-2026-11-28.db');
    vi.unstubAllGlobals();
    sessionStorage.clear();
  });

  it('backs up through the save dialog and says where the copy went', async () => {
    const user = userEvent.setup({ delay: null });
    const now = resolved({ at: '2026-11-28T09:00:00Z', ok: true, kind: 'manual', file: '/home/ada/mine.db', cancelled: false, download: '' });
    addServices({ Backups: { Status: resolved(status), BackupNow: now } });
    render(BackupsCard);
    await user.click(await screen.findByTestId('backups-now'));
    expect(await screen.findByTestId('backups-outcome')).toHaveTextContent('/home/ada/mine.db');
  });

  it('shows the Go message when the retention is out of range', async () => {
    const user = userEvent.setup({ delay: null });
    addServices({
      Backups: {
        Status: resolved(status),
        SetRetention: vi.fn(() => Promise.reject({ code: 'invalid', message: 'Keep between 1 and 365 daily backups.', key: 'error.backup.retention', field: 'retention' })),
      },
    });
    render(BackupsCard);
    const input = await screen.findByTestId('backups-retention');
    await user.clear(input);
    await user.type(input, '0');
    await user.click(screen.getByTestId('backups-retention-save'));
    expect(await screen.findByTestId('backups-error')).toHaveTextContent('Keep between 1 and 365 daily backups.');
  });
});

describe('Recovery screen', () => {
  it('replaces the desk when the data file is damaged and offers the newest good backup', async () => {
    const user = userEvent.setup({ delay: null });
    const stub = stubDesktop();
    stub.Info.mockResolvedValue({
      ...systemInfo,
      damaged: 'The data file /x/resonanz.db is damaged (database disk image is malformed).',
      newestBackup: 'resonanz-2026-11-28.db',
    });
    const restore = resolved(status);
    addServices({ Backups: { Status: resolved(status), Restore: restore } });
    render(App);
    expect(await screen.findByTestId('recovery')).toHaveTextContent(systemInfo.dbPath);
    expect(screen.queryByRole('navigation')).not.toBeInTheDocument();
    await user.click(screen.getByTestId('recovery-restore-newest'));
    await user.click(screen.getByTestId('recovery-confirm-confirm'));
    expect(await screen.findByTestId('recovery-done')).toBeInTheDocument();
    expect(restore.mock.calls[0]?.[0]).toMatchObject({ name: 'resonanz-2026-11-28.db' });
    expect(screen.getByTestId('recovery-quit')).toBeInTheDocument();
  });

  it('switches to the recovery screen when the late check reports damage', async () => {
    const handlers = new Map<string, (...data: unknown[]) => void>();
    window.runtime = {
      EventsOn: vi.fn((name: string, cb: (...data: unknown[]) => void) => {
        handlers.set(name, cb);
        return () => handlers.delete(name);
      }),
    };
    const stub = stubDesktop();
    addServices({ Backups: { Status: resolved(status) } });
    render(App);
    await waitFor(() => expect(stub.Info).toHaveBeenCalled());
    expect(screen.queryByTestId('recovery')).not.toBeInTheDocument();
    stub.Info.mockResolvedValue({ ...systemInfo, damaged: 'The data file /x/resonanz.db is damaged.', newestBackup: '' });
    handlers.get('system:damaged')?.('The data file /x/resonanz.db is damaged.');
    expect(await screen.findByTestId('recovery')).toBeInTheDocument();
    expect(screen.getByTestId('recovery-none')).toBeInTheDocument();
  });
});
