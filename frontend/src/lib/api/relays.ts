import { call } from './client';

/** ListenerMode says where the links in new mails point. */
export type ListenerMode = 'local' | 'relay';

/** RelayProblem is a failure as Go describes it: a catalogue key with its parameters and the English message. */
export interface RelayProblem {
  key: string;
  message: string;
  params?: Record<string, string>;
}

/** RelayInfo is one paired relay. */
export interface RelayInfo {
  id: string;
  url: string;
  /** links is true when the links in new mails point at this relay. */
  links: boolean;
  /** lastSync is the end of the last complete sync (absent: never). */
  lastSync?: string;
  /** lastProblem is why the last sync failed. */
  lastProblem?: RelayProblem;
  /** reachable is the answer of the status check just now; problem says why not. */
  reachable: boolean;
  problem?: RelayProblem;
  /** pending counts the events waiting on the relay. */
  pending: number;
}

/** RelaySyncProgress is where a running sync is (relay:progress events). */
export interface RelaySyncProgress {
  relayId: string;
  phase: 'collect' | 'publish';
  done: number;
  total: number;
}

/** AutoPublishStatus is the state of publish on change. */
export interface AutoPublishStatus {
  pending: boolean;
  running: boolean;
  lastAt?: string;
  problem?: RelayProblem;
  count: number;
}

/** RelayOverview is the mode, the paired relays and publish on change. */
export interface RelayOverview {
  mode: ListenerMode;
  linksUrl: string;
  localPublicUrl: string;
  relays: RelayInfo[];
  sync?: RelaySyncProgress;
  autoPublish: AutoPublishStatus;
}

/** RelayPairing is a pairing as the UI sees it (the secret stays in Go). */
export interface RelayPairing {
  url: string;
  relayId: string;
}

/** RelaySyncResult is one relay's sync. */
export interface RelaySyncResult {
  relayId: string;
  url: string;
  collected: { relayId: string; applied: Record<string, number>; skipped: number; through: number };
  published?: { generation: number; profiles: number; lists: number; links: number; surveys: number };
  error?: string;
  problem?: RelayProblem;
}

/** RelayProgressEvent carries RelaySyncProgress while a sync runs. */
export const RelayProgressEvent = 'relay:progress';

/** relayOverview returns the mode and every paired relay with its state (each relay is asked). */
export function relayOverview(): Promise<RelayOverview> {
  return call<RelayOverview>('Relays', 'Overview');
}

/** pairRelay pairs the desk with the relay the code names and points new links at it. */
export function pairRelay(code: string): Promise<RelayPairing> {
  return call<RelayPairing>('Relays', 'Pair', code);
}

/** unpairRelay forgets the relay. */
export function unpairRelay(id: string): Promise<boolean> {
  return call<boolean>('Relays', 'Unpair', id);
}

/** setListenerMode points new links at the local listener or the first paired relay. */
export function setListenerMode(mode: ListenerMode): Promise<RelayOverview> {
  return call<RelayOverview>('Relays', 'SetMode', mode);
}

/** syncRelays collects and publishes now; progress arrives as relay:progress events. */
export function syncRelays(): Promise<RelaySyncResult[]> {
  return call<RelaySyncResult[]>('Relays', 'Sync');
}
