import { ApiError } from '../api/error';
import { firstScreen, info } from '../api/system';
import type { SystemInfo } from '../api/types';

/** SystemState holds what the running program reports about itself. */
class SystemState {
  info = $state<SystemInfo | null>(null);
  error = $state<ApiError | null>(null);

  #shown = false;
  #whenShown: (() => void)[] = [];

  /** whenShown runs fn once the first screen shows its data, before that is painted (at once if it has). */
  whenShown(fn: () => void): void {
    if (this.#shown) fn();
    else this.#whenShown.push(fn);
  }

  /**
   * shown reports, once per launch, that the first screen has painted its
   * data: after the next two animation frames, so the browser has laid out
   * and painted what the data changed. Go logs the start-up time.
   */
  shown(): void {
    if (this.#shown) return;
    this.#shown = true;
    for (const fn of this.#whenShown.splice(0)) fn();
    const data = performance.now();
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        const mark = (name: string) => performance.getEntriesByName(name)[0]?.startTime ?? 0;
        // When index.html had arrived (WebKit keeps no timing for the
        // window's other resources: Go notes when it served the bundle).
        const page = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
        firstScreen({
          navigationStart: performance.timeOrigin,
          document: page?.responseEnd ?? 0,
          script: mark('resonanz:script'),
          messages: mark('resonanz:messages'),
          mounted: mark('resonanz:mounted'),
          data,
          painted: performance.now(),
        }).catch(() => {});
      }),
    );
  }

  /** load asks Go for the system information. */
  async load(): Promise<void> {
    try {
      this.info = await info();
      this.error = null;
    } catch (reason) {
      this.error = ApiError.from(reason);
    }
  }
}

/** system is the app-wide system information, loaded once by the shell. */
export const system = new SystemState();
