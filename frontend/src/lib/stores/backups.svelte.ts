import { ApiError } from '../api/error';
import { Events } from '../api/eventNames';
import {
  backupNow,
  backupStatus,
  cancelBackup,
  checkIntegrity,
  downloadBackup,
  pickBackupFile,
  restoreBackup,
  setRetention,
} from '../api/backups';
import { inDesktopWindow } from '../api/system';
import { uploadFile } from '../api/upload';
import type { BackupProgress, BackupStatus, IntegrityInfo } from '../api/types';
import { Operation } from './operation.svelte';

/** Outcome is the last thing the card reports. */
export type Outcome =
  | { kind: 'backedUp'; file: string }
  | { kind: 'restored'; from: string }
  | { kind: 'cancelled' }
  | null;

/** RestoreChoice is the restore waiting for the user's confirmation. */
export type RestoreChoice = { name: string } | { source: string; label: string };

/** BackupsState drives the Backups card and the recovery screen. */
export class BackupsState {
  status = $state<BackupStatus | null>(null);
  error = $state<ApiError | null>(null);
  running = $state<'backup' | 'restore' | null>(null);
  outcome = $state<Outcome>(null);
  confirm = $state<RestoreChoice | null>(null);
  check = $state<IntegrityInfo | null>(null);
  checking = $state(false);
  retentionDraft = $state(7);
  readonly #op = new Operation<BackupProgress>(Events.backupProgress, cancelBackup);

  /** progress is the running backup's or restore's progress. */
  get progress(): BackupProgress | null {
    return this.#op.progress;
  }

  /** load fetches the status. */
  async load(): Promise<void> {
    try {
      this.status = await backupStatus();
      this.retentionDraft = this.status.retention;
      this.check ??= this.status.check;
      this.error = null;
    } catch (reason) {
      this.error = ApiError.from(reason);
    }
  }

  async #run<T>(kind: 'backup' | 'restore', job: (opId: string) => Promise<T>): Promise<T | null> {
    this.running = kind;
    this.outcome = null;
    this.error = null;
    try {
      return await this.#op.run(null, job);
    } catch (reason) {
      this.error = ApiError.from(reason);
      return null;
    } finally {
      this.running = null;
      this.#op.progress = null;
    }
  }

  /** backupNow writes a copy: save dialog in the desktop window, download in a browser. */
  async backupNow(): Promise<void> {
    const res = await this.#run('backup', (opId) => backupNow(opId));
    if (res !== null) {
      if (res.cancelled) {
        this.outcome = { kind: 'cancelled' };
      } else {
        this.outcome = { kind: 'backedUp', file: res.file };
        if (res.download !== '') downloadBackup(res.download);
      }
    }
    await this.load();
  }

  /** ask shows the confirmation for restoring choice. */
  ask(choice: RestoreChoice): void {
    this.confirm = choice;
  }

  /** pickFile lets the user choose a backup file natively (desktop window) and asks for confirmation. */
  async pickFile(title: string): Promise<void> {
    try {
      const path = await pickBackupFile(title);
      if (path !== '') this.ask({ source: path, label: path });
    } catch (reason) {
      this.error = ApiError.from(reason);
    }
  }

  /** upload sends a backup file (browser mode) and asks for confirmation. */
  async upload(file: File): Promise<void> {
    try {
      const up = await uploadFile(file);
      this.ask({ source: up.source, label: up.name });
    } catch (reason) {
      this.error = ApiError.from(reason);
    }
  }

  /** restore runs the confirmed restore; it resolves true on success. */
  async restore(): Promise<boolean> {
    const choice = this.confirm;
    this.confirm = null;
    if (choice === null) return false;
    const from = 'name' in choice ? { name: choice.name } : { source: choice.source };
    const status = await this.#run('restore', (opId) => restoreBackup(opId, from));
    if (status === null) return false;
    this.status = status;
    this.outcome = { kind: 'restored', from: 'name' in choice ? choice.name : choice.label };
    return true;
  }

  /** cancel stops the running job. */
  async cancel(): Promise<void> {
    await this.#op.cancel().catch(() => false);
  }

  /** saveRetention stores the retention. */
  async saveRetention(): Promise<void> {
    try {
      this.status = await setRetention(Number(this.retentionDraft));
      this.error = null;
    } catch (reason) {
      this.error = ApiError.from(reason);
    }
  }

  /** runCheck runs the integrity check (full: integrity_check). */
  async runCheck(full: boolean): Promise<void> {
    this.checking = true;
    try {
      this.check = await checkIntegrity(full);
      this.error = null;
    } catch (reason) {
      this.error = ApiError.from(reason);
    } finally {
      this.checking = false;
    }
  }

  /** desktop tells whether the native dialogs are available. */
  get desktop(): boolean {
    return inDesktopWindow();
  }
}
