import type { ApiError } from './api/error';

/** TemplateError is a template mistake at a place in one field of a mailing. */
export interface TemplateError {
  /** field is subject, preheader or body (or another field Go named). */
  field: string;
  line: number;
  column: number;
  /** message is what is wrong, without the place. */
  message: string;
}

const place = /^(?:(?:subject|preheader|body|layout):\s*)?line (\d+), column (\d+):\s*(.*)$/s;

/**
 * templateError reads an error from Mailings.Save or Preview as a template
 * mistake: Go sends field subject/preheader/body and the message
 * "[field: ]line L, column C: what". Anything else gives null.
 */
export function templateError(error: Pick<ApiError, 'code' | 'field' | 'message'>): TemplateError | null {
  if (error.code !== 'invalid' || error.field === undefined) return null;
  const m = place.exec(error.message.trim());
  if (m === null) return null;
  return { field: error.field, line: Number(m[1]), column: Number(m[2]), message: m[3] ?? '' };
}

/** offsetOf returns the character offset of line:column (both from 1) in text, for placing the cursor. */
export function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  const end = text.indexOf('\n', offset);
  const lineEnd = end < 0 ? text.length : end;
  // Columns count code points; for the usual text this is the same as UTF-16 units.
  return Math.min(offset + Math.max(0, column - 1), lineEnd);
}
