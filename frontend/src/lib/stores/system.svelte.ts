import { ApiError } from '../api/error';
import { info } from '../api/system';
import type { SystemInfo } from '../api/types';

/** SystemState holds what the running program reports about itself. */
class SystemState {
  info = $state<SystemInfo | null>(null);
  error = $state<ApiError | null>(null);

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
