/** Debounced is a function that runs its target only after calls have paused; cancel drops a pending run. */
export interface Debounced<A extends unknown[]> {
  (...args: A): void;
  /** cancel drops the pending run, if any. */
  cancel(): void;
  /** flush runs the pending call now, if any. */
  flush(): void;
}

/**
 * debounce returns a function that calls fn with the latest arguments once
 * wait milliseconds have passed without another call: the live preview and
 * the live count ask Go once the user pauses typing, not on every key.
 */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, wait: number): Debounced<A> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let pending: A | null = null;
  const run = (): void => {
    timer = null;
    const args = pending;
    pending = null;
    if (args !== null) fn(...args);
  };
  const debounced = (...args: A): void => {
    pending = args;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(run, wait);
  };
  debounced.cancel = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    pending = null;
  };
  debounced.flush = (): void => {
    if (timer !== null) clearTimeout(timer);
    run();
  };
  return debounced;
}
