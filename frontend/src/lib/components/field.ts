/** fieldIds names the hint and error elements of a form field and what its control's aria-describedby lists. */
export function fieldIds(
  id: string,
  hint: string | undefined,
  error: string | null,
): { hintId: string; errorId: string; describedBy: string | undefined } {
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter((part) => part !== null).join(' ') || undefined;
  return { hintId, errorId, describedBy };
}
