import { withToken } from './client';
import { Backups } from './facades';
import type { BackupNowResult, BackupStatus, IntegrityInfo } from './types';

/** backupStatus returns the backup folder, retention, last result and the copies. */
export function backupStatus(): Promise<BackupStatus> {
  return Backups.Status();
}

/** setRetention sets how many daily copies are kept (1..365). */
export function setRetention(n: number): Promise<BackupStatus> {
  return Backups.SetRetention(n);
}

/** backupNow writes a copy: native save dialog in the desktop window, the backup folder (for download) in a browser. */
export function backupNow(opId: string): Promise<BackupNowResult> {
  return Backups.BackupNow({ opId, source: '', name: '' });
}

/** restoreBackup replaces the data with a copy from the backup folder (name) or a picked/uploaded file (source). */
export function restoreBackup(opId: string, from: { name?: string; source?: string }): Promise<BackupStatus> {
  return Backups.Restore({ opId, source: from.source ?? '', name: from.name ?? '' });
}

/** cancelBackup stops a running backup or restore. */
export function cancelBackup(opId: string): Promise<boolean> {
  return Backups.Cancel(opId);
}

/** checkIntegrity runs quick_check (full: integrity_check) over the data file. */
export function checkIntegrity(full: boolean): Promise<IntegrityInfo> {
  return Backups.Check(full);
}

/** pickBackupFile shows the native file dialog (desktop window only), '' if cancelled. */
export function pickBackupFile(title: string): Promise<string> {
  return Backups.PickBackupFile(title);
}

/** quitApp closes the desktop window (after a restore on the recovery screen). */
export function quitApp(): Promise<boolean> {
  return Backups.Quit();
}

/** downloadBackup has the browser save a copy from the backup folder (browser mode). */
export function downloadBackup(name: string): void {
  // A plain link: the download streams to disk instead of through memory;
  // a link sends no headers, so the token goes in the query.
  const a = document.createElement('a');
  a.href = withToken(`/api/download/backup/${encodeURIComponent(name)}`);
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
}
