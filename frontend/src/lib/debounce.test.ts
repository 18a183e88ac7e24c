import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { debounce } from './debounce';

describe('debounce', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs once with the latest arguments after calls pause', () => {
    const fn = vi.fn();
    const d = debounce(fn, 400);
    d('a');
    vi.advanceTimersByTime(300);
    d('ab');
    vi.advanceTimersByTime(300);
    expect(fn).not.toHaveBeenCalled();
    d('abc');
    vi.advanceTimersByTime(400);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn).toHaveBeenCalledWith('abc');
  });

  it('cancel drops a pending run, flush runs it now', () => {
    const fn = vi.fn();
    const d = debounce(fn, 400);
    d(1);
    d.cancel();
    vi.advanceTimersByTime(1000);
    expect(fn).not.toHaveBeenCalled();
    d(2);
    d.flush();
    expect(fn).toHaveBeenCalledWith(2);
    vi.advanceTimersByTime(1000);
    expect(fn).toHaveBeenCalledTimes(1);
    d.flush();
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
