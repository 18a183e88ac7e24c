/** safeFileName keeps a name usable as a download file name on every system. */
export function safeFileName(name: string): string {
  return name.replace(/[\\/:*?"<>|\s]+/g, '_');
}

import type { FileContent } from './api/types';
import { inDesktopWindow, saveBase64File, saveTextFile } from './api/system';

/**
 * download offers content as a file called name: through the native save
 * dialog in the desktop window (its WebKit view ignores Blob downloads), else
 * through a Blob and an object URL. It resolves when the file is handed over.
 */
export async function download(name: string, content: string, type: string): Promise<void> {
  if (inDesktopWindow()) {
    await saveTextFile(safeFileName(name), content);
    return;
  }
  offerBlob(name, new Blob([content], { type }));
}

/** offerBlob starts the browser's download of blob as name. */
function offerBlob(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = safeFileName(name);
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // Give the browser time to start the download before the URL goes away.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * downloadFile offers a file Go made, text or base64-encoded binary, as
 * download does.
 */
export async function downloadFile(f: FileContent, type: string): Promise<void> {
  if (f.encoding !== 'base64') return download(f.name, f.content, type);
  if (inDesktopWindow()) {
    await saveBase64File(safeFileName(f.name), f.content);
    return;
  }
  offerBlob(f.name, new Blob([Uint8Array.from(atob(f.content), (c) => c.charCodeAt(0))], { type }));
}

/**
 * openInWindow shows an HTML document in a new window, through a Blob URL.
 * The desktop window cannot open one, so there the document is saved instead.
 */
export async function openInWindow(html: string, name: string): Promise<void> {
  if (inDesktopWindow()) {
    await saveTextFile(safeFileName(name), html);
    return;
  }
  const url = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
  window.open(url, '_blank', 'noopener');
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
