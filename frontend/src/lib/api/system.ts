import { System } from './facades';
import type { AuditEntry, StartTimings, SystemInfo } from './types';

/** info returns version, data location, mode and schema version. */
export function info(): Promise<SystemInfo> {
  return System.Info();
}

/** firstScreen tells Go that the first screen shows data, with the start marks (start-up timing). */
export function firstScreen(t: StartTimings): Promise<void> {
  return System.FirstScreen(t);
}

/** pickCSVFile shows the native file dialog (desktop window only) and returns the path, '' if cancelled. */
export function pickCSVFile(title: string): Promise<string> {
  return System.PickCSVFile(title);
}

/** pickLogFile shows the native file dialog for provider logs (.json, .ndjson, .txt, .csv), '' if cancelled. */
export function pickLogFile(title: string): Promise<string> {
  return System.PickLogFile(title);
}

/** saveTextFile shows the native save dialog (desktop window only), writes content and returns the path, '' if cancelled. */
export function saveTextFile(name: string, content: string): Promise<string> {
  return System.SaveTextFile(name, content);
}

/** saveBase64File is saveTextFile for binary content, base64-encoded. */
export function saveBase64File(name: string, content: string): Promise<string> {
  return System.SaveBase64File(name, content);
}

/** inDesktopWindow tells whether the Wails bindings are present (no Blob downloads there). */
export function inDesktopWindow(): boolean {
  return window.go?.desktop !== undefined;
}

/** setUnsaved tells the desktop window whether the UI holds unsaved changes (it then asks before closing). */
export function setUnsaved(unsaved: boolean): Promise<void> {
  return System.SetUnsaved(unsaved);
}

/** closeWindow closes the desktop window after the user agreed to drop unsaved changes. */
export function closeWindow(): Promise<void> {
  return System.CloseWindow();
}

/** auditLog returns the newest admin actions, newest first (limit 1..1000). */
export function auditLog(limit: number): Promise<AuditEntry[]> {
  return System.AuditLog(limit);
}
