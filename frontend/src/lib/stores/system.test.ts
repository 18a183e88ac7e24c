import { describe, expect, it, vi } from 'vitest';
import { system } from './system.svelte';

describe('system.whenShown', () => {
  // main.ts swaps Go's prerendered first screen for the UI's then.
  it('runs its callbacks once, when the first screen shows its data, and at once after that', () => {
    window.go = { desktop: { System: { FirstScreen: () => Promise.resolve() } } };
    const early = vi.fn();
    system.whenShown(early);
    expect(early).not.toHaveBeenCalled();
    system.shown();
    expect(early).toHaveBeenCalledTimes(1);
    system.shown();
    expect(early).toHaveBeenCalledTimes(1);
    const late = vi.fn();
    system.whenShown(late);
    expect(late).toHaveBeenCalledTimes(1);
  });
});
