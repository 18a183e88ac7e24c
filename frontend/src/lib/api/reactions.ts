import { call } from './client';
import type { QuarantinedEvent, ReactionImportRequest, ReactionImportResult } from './types';

const service = 'Reactions';

/** providers lists the log formats the import understands ("auto" first). */
export async function providers(): Promise<string[]> {
  return (await call<string[] | null>(service, 'Providers')) ?? ['auto'];
}

/** importReactions imports a provider log; progress arrives as reactions:progress:<opId> events. */
export async function importReactions(req: ReactionImportRequest): Promise<ReactionImportResult> {
  const r = await call<ReactionImportResult>(service, 'ImportFile', req);
  return { ...r, by_type: r.by_type ?? {}, errors: r.errors ?? [] };
}

/** cancelReactions stops the running import opId after its current batch. */
export function cancelReactions(opId: string): Promise<boolean> {
  return call<boolean>(service, 'Cancel', opId);
}

/** quarantine returns the unmatched events of an import (0: of all). */
export async function quarantine(importId: number): Promise<QuarantinedEvent[]> {
  return (await call<QuarantinedEvent[] | null>(service, 'Quarantine', importId)) ?? [];
}
