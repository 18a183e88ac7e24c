import { describe, expect, it } from 'vitest';
import { heatMax, localOffsetMinutes, toLocalHeatmap } from './heatmap';

function empty(): number[][] {
  return Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
}

describe('toLocalHeatmap', () => {
  it('keeps the map in UTC', () => {
    const m = empty();
    m[2]![9] = 4;
    expect(toLocalHeatmap(m, 0)).toEqual(m);
  });

  it('moves cells east of UTC later, across midnight and from Sunday to Monday', () => {
    const m = empty();
    m[0]![9] = 1; // Monday 09 UTC
    m[0]![23] = 2; // Monday 23 UTC
    m[6]![23] = 3; // Sunday 23 UTC
    const cest = toLocalHeatmap(m, 120);
    expect(cest[0]![11]).toBe(1);
    expect(cest[1]![1]).toBe(2); // Tuesday 01 local
    expect(cest[0]![1]).toBe(3); // Monday 01 local
    expect(cest.flat().reduce((a, b) => a + b, 0)).toBe(6);
  });

  it('moves cells west of UTC earlier, from Monday back to Sunday', () => {
    const m = empty();
    m[0]![2] = 5;
    const ny = toLocalHeatmap(m, -300);
    expect(ny[6]![21]).toBe(5);
  });

  it('rounds half-hour offsets and tolerates short rows', () => {
    const m: number[][] = [[1]];
    expect(toLocalHeatmap(m, 330)[0]![6]).toBe(1); // +5:30 → +6 h (rounded)
  });

  it('reads the local offset east of UTC', () => {
    const d = new Date();
    expect(localOffsetMinutes(d)).toBe(-d.getTimezoneOffset());
    expect(heatMax(empty())).toBe(1);
  });
});
