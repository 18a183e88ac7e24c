import { Events } from './eventNames';
import { Relays } from './facades';
import type { RelayOverview, RelayPairing, RelaySyncResult } from './types';

export type { AutoPublishStatus, RelayInfo, RelayOverview, RelayPairing, RelayProblem, RelaySyncProgress, RelaySyncResult } from './types';

/** ListenerMode says where the links in new mails point. */
export type ListenerMode = RelayOverview['mode'];

/** RelayProgressEvent carries RelaySyncProgress while a sync runs. */
export const RelayProgressEvent = Events.relayProgress;

/** relayOverview returns the mode and every paired relay with its state (each relay is asked). */
export function relayOverview(): Promise<RelayOverview> {
  return Relays.Overview();
}

/** pairRelay pairs the desk with the relay the code names and points new links at it. */
export function pairRelay(code: string): Promise<RelayPairing> {
  return Relays.Pair(code);
}

/** unpairRelay forgets the relay. */
export function unpairRelay(id: string): Promise<boolean> {
  return Relays.Unpair(id);
}

/** setListenerMode points new links at the local listener or the first paired relay. */
export function setListenerMode(mode: ListenerMode): Promise<RelayOverview> {
  return Relays.SetMode(mode);
}

/** syncRelays collects and publishes now; progress arrives as relay:progress events. */
export function syncRelays(): Promise<RelaySyncResult[]> {
  return Relays.Sync();
}
