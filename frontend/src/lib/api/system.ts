import { call } from './client';
import type { SystemInfo } from './types';

/** info returns version, data location, mode and schema version. */
export function info(): Promise<SystemInfo> {
  return call<SystemInfo>('System', 'Info');
}
