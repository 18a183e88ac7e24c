import { flushSync } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';

const api = vi.hoisted(() => ({
  setUnsaved: vi.fn(() => Promise.resolve()),
  closeWindow: vi.fn(() => Promise.resolve()),
  onClose: null as null | (() => void),
}));
vi.mock('../api/system', () => ({
  inDesktopWindow: () => true,
  setUnsaved: api.setUnsaved,
  closeWindow: api.closeWindow,
}));
vi.mock('../api/events', () => ({
  subscribe: (name: string, cb: () => void) => {
    if (name === 'window:closeRequested') api.onClose = cb;
    return () => {};
  },
}));

const { guardUnsaved } = await import('./unsaved');
const { guardWindowClose } = await import('./windowClose.svelte');

describe('guardWindowClose', () => {
  afterEach(() => vi.restoreAllMocks());

  it('tells the window about unsaved changes and closes it only when the user agrees', () => {
    window.runtime = { EventsOn: () => () => {} };
    const stop = guardWindowClose();
    flushSync();
    expect(api.setUnsaved).not.toHaveBeenCalled();

    const unguard = guardUnsaved(() => true);
    flushSync();
    expect(api.setUnsaved).toHaveBeenLastCalledWith(true);

    vi.spyOn(window, 'confirm').mockReturnValueOnce(false);
    api.onClose?.();
    expect(api.closeWindow).not.toHaveBeenCalled();
    vi.spyOn(window, 'confirm').mockReturnValueOnce(true);
    api.onClose?.();
    expect(api.closeWindow).toHaveBeenCalledOnce();

    unguard();
    flushSync();
    expect(api.setUnsaved).toHaveBeenLastCalledWith(false);
    stop();
    delete window.runtime;
  });
});
