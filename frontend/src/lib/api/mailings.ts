import { Mailings } from './facades';
import type {
  Audience,
  FileContent,
  MailPreview,
  Mailing,
  MailingDetail,
  PreviewRequest,
  SalutationBlock,
  SalutationRow,
  SendRequest,
  SendRun,
  ToGo,
} from './types';

/** mailings returns all mailings, newest first. */
export async function mailings(): Promise<Mailing[]> {
  return Mailings.List();
}

/** mailing returns a mailing with its links. */
export async function mailing(id: number): Promise<MailingDetail> {
  return (await Mailings.Get(id));
}

/**
 * forGo drops the times Go sets itself (an empty string is no time Go can
 * read) and the status, which only the sender changes.
 */
function forGo(m: ToGo<Mailing> & Partial<Pick<Mailing, 'createdAt' | 'updatedAt' | 'sentAt'>>): ToGo<Mailing> {
  const { createdAt: _c, updatedAt: _u, sentAt: _s, ...rest } = m;
  return rest;
}

/** saveMailing checks the template and stores the mailing (new when id is 0) with its links. */
export async function saveMailing(m: Mailing): Promise<MailingDetail> {
  return (await Mailings.Save(forGo(m)));
}

/** duplicateMailing stores a copy of mailing id as a new draft named name (" (2)" added while taken). */
export async function duplicateMailing(id: number, name: string): Promise<MailingDetail> {
  return (await Mailings.Duplicate({ id, name }));
}

/** previewMailing renders the mailing as edited for one recipient (0: the first one). */
export function previewMailing(req: PreviewRequest): Promise<MailPreview> {
  return Mailings.Preview({ ...req, mailing: forGo(req.mailing) });
}

/** salutations returns the salutation blocks in use (defaults replaced by own blocks). */
export async function salutations(): Promise<SalutationBlock[]> {
  return Mailings.Salutations();
}

/** saveSalutation stores one block after checking its rules and returns all blocks in use. */
export async function saveSalutation(b: SalutationBlock): Promise<SalutationBlock[]> {
  return Mailings.SaveSalutation(b);
}

/** salutationSamples evaluates a block as edited for recipients ids (empty: the built-in sample people). */
export async function salutationSamples(b: SalutationBlock, ids: number[]): Promise<SalutationRow[]> {
  return Mailings.SalutationSamples(b, ids);
}

/** audience counts who mailing id would go to (targetGroupId 0: the whole list). */
export function audience(mailingId: number, targetGroupId: number): Promise<Audience> {
  return Mailings.Audience(mailingId, targetGroupId);
}

/** testSend sends the mailing as edited, rendered for recipientId (0: a sample), to addresses; it returns those that accepted it. */
export async function testSend(m: Mailing, recipientId: number, addresses: string[]): Promise<string[]> {
  return Mailings.TestSend({ mailing: forGo(m), recipientId, addresses });
}

/** startSend prepares (first time) or resumes the send; progress follows as "send:progress:<mailingId>" events. */
export function startSend(req: SendRequest): Promise<SendRun> {
  return Mailings.StartSend(req);
}

/** pauseSend stops a running send after its current batch; false when none was running. */
export function pauseSend(mailingId: number): Promise<boolean> {
  return Mailings.PauseSend(mailingId);
}

/** sendStatus returns the send ledger's counts of a mailing. */
export function sendStatus(mailingId: number): Promise<SendRun> {
  return Mailings.SendStatus(mailingId);
}

/** exportMbox renders the stored mailing for its audience (within targetGroupId, 0: the whole list) as one .mbox file. */
export function exportMbox(mailingId: number, targetGroupId: number): Promise<FileContent> {
  return Mailings.ExportMbox(mailingId, targetGroupId);
}

/** exportEMLZip renders the stored mailing for its audience as a ZIP of .eml files (base64). */
export function exportEMLZip(mailingId: number, targetGroupId: number): Promise<FileContent> {
  return Mailings.ExportEMLZip(mailingId, targetGroupId);
}

/** exportEML renders the stored mailing for recipientId (0: the first) as an .eml file. */
export function exportEML(mailingId: number, recipientId: number): Promise<FileContent> {
  return Mailings.ExportEML(mailingId, recipientId);
}
