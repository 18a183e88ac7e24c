/** safeFileName keeps a name usable as a download file name on every system. */
export function safeFileName(name: string): string {
  return name.replace(/[\\/:*?"<>|\s]+/g, '_');
}

import { inDesktopWindow, saveTextFile } from './api/system';

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
  const url = URL.createObjectURL(new Blob([content], { type }));
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
