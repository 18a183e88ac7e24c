import { authHeaders, errorFrom } from './client';
import { ApiError } from './error';
import type { UploadResult } from './types';

/**
 * uploadFile sends file to the browser-mode server (POST /api/upload) and
 * returns the source name ("upload:<id>") to import it by. The desktop window
 * picks files natively instead.
 */
export async function uploadFile(file: File): Promise<UploadResult> {
  let response: Response;
  try {
    response = await fetch('/api/upload', {
      method: 'POST',
      headers: { ...authHeaders(), 'X-File-Name': encodeURIComponent(file.name) },
      body: file,
    });
  } catch (reason) {
    throw new ApiError({ code: 'internal', message: String(reason), key: 'error.network' });
  }
  if (response.ok) return (await response.json()) as UploadResult;
  throw await errorFrom(response);
}
