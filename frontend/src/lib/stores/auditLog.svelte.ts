import { ApiError } from '../api/error';
import { auditLog } from '../api/system';
import type { AuditEntry } from '../api/types';

/** AuditLogState holds the newest entries of the audit log. */
export class AuditLogState {
  entries = $state<AuditEntry[]>([]);
  error = $state<ApiError | null>(null);
  busy = $state(false);

  /** load fetches the newest limit entries. */
  async load(limit = 200): Promise<void> {
    this.busy = true;
    try {
      this.entries = await auditLog(limit);
      this.error = null;
    } catch (reason) {
      this.error = ApiError.from(reason);
    } finally {
      this.busy = false;
    }
  }
}
