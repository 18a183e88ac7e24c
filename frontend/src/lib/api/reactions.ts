import { Reactions } from './facades';
import type { QuarantinedEvent, ReactionImportRequest, ReactionImportResult, ReactionPreview } from './types';

/** providers lists the log formats the import understands ("auto" first). */
export async function providers(): Promise<string[]> {
  return Reactions.Providers();
}

/** importReactions imports a provider log; progress arrives as reactions:progress:<opId> events. */
export async function importReactions(req: ReactionImportRequest): Promise<ReactionImportResult> {
  return Reactions.ImportFile(req);
}

/** previewReactions reads a log without importing it: the campaigns it names and where they will be filed. */
export async function previewReactions(source: string, provider: string): Promise<ReactionPreview> {
  return Reactions.PreviewFile({ source, provider, mailingId: 0, opId: '' });
}

/** assignQuarantined files quarantined events under a mailing. */
export async function assignQuarantined(ids: number[], mailingId: number): Promise<ReactionImportResult> {
  return Reactions.AssignQuarantined(ids, mailingId);
}

/** rematchQuarantine matches quarantined events again (after a recipient import, say). */
export async function rematchQuarantine(ids: number[]): Promise<ReactionImportResult> {
  return Reactions.RematchQuarantine(ids);
}

/** discardQuarantined drops quarantined events for good; it returns how many. */
export function discardQuarantined(ids: number[]): Promise<number> {
  return Reactions.DiscardQuarantined(ids);
}

/** cancelReactions stops the running import opId after its current batch. */
export function cancelReactions(opId: string): Promise<boolean> {
  return Reactions.Cancel(opId);
}

/** quarantine returns the unmatched events of an import (0: of all). */
export async function quarantine(importId: number): Promise<QuarantinedEvent[]> {
  return Reactions.Quarantine(importId);
}
