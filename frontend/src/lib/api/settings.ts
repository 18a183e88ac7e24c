import { call } from './client';
import type { SenderIdentity } from './types';

/** getSender returns the stored sender identity (empty fields if none was saved). */
export function getSender(): Promise<SenderIdentity> {
  return call<SenderIdentity>('Settings', 'GetSender');
}

/** saveSender validates and stores s on the Go side and returns what was stored. */
export function saveSender(s: SenderIdentity): Promise<SenderIdentity> {
  return call<SenderIdentity>('Settings', 'SaveSender', s);
}
