import { afterEach, describe, expect, it, vi } from 'vitest';
import { Events } from '../api/eventNames';
import type { ImportProgress } from '../api/types';
import { Operation } from './operation.svelte';

describe('Operation', () => {
  afterEach(() => {
    delete window.runtime;
  });

  it('follows its own progress events, returns the result, cancels only while running', async () => {
    const handlers = new Map<string, (...data: unknown[]) => void>();
    window.runtime = {
      EventsOn: vi.fn((name: string, cb: (...data: unknown[]) => void) => {
        handlers.set(name, cb);
        return () => handlers.delete(name);
      }),
    };
    const cancel = vi.fn((_opId: string) => Promise.resolve(true));
    const op = new Operation<ImportProgress>(Events.importProgress, cancel);
    await op.cancel();
    expect(cancel).not.toHaveBeenCalled();

    let finish: (n: number) => void = () => {};
    let opId = '';
    const done = op.run({ rows: 0, bytes: 0, totalBytes: 0 }, (id) => {
      opId = id;
      return new Promise<number>((resolve) => (finish = resolve));
    });
    expect(op.progress).toEqual({ rows: 0, bytes: 0, totalBytes: 0 });
    await vi.waitFor(() => expect(opId).not.toBe(''));
    handlers.get(`import:progress:${opId}`)?.({ rows: 5, bytes: 10, totalBytes: 100 });
    expect(op.progress).toEqual({ rows: 5, bytes: 10, totalBytes: 100 });
    await op.cancel();
    expect(cancel).toHaveBeenCalledWith(opId);

    finish(42);
    expect(await done).toBe(42);
    expect(handlers.size).toBe(0); // unsubscribed when it ended
    await op.cancel();
    expect(cancel).toHaveBeenCalledTimes(1);
  });

  it('throws what the job throws and unsubscribes', async () => {
    const handlers = new Map<string, unknown>();
    window.runtime = {
      EventsOn: vi.fn((name: string, cb: unknown) => {
        handlers.set(name, cb);
        return () => handlers.delete(name);
      }),
    };
    const op = new Operation<ImportProgress>(Events.importProgress, () => Promise.resolve());
    await expect(op.run(null, () => Promise.reject(new Error('kaputt')))).rejects.toThrow('kaputt');
    expect(handlers.size).toBe(0);
  });
});
