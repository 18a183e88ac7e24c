import { preloadedRecipientPage, Recipients } from './facades';
import type {
  AttributeDef,
  ConfirmationResult,
  ConsentRecord,
  ImportMapping,
  ImportPreview,
  ImportRequest,
  ImportResult,
  ImportRun,
  RejectedRow,
  List,
  ManualConsent,
  PersonalDataExport,
  Recipient,
  RecipientDetail,
  RecipientFilter,
  RecipientPage,
} from './types';

/** findRecipients returns one page of the recipient table. */
export async function findRecipients(filter: RecipientFilter): Promise<RecipientPage> {
  return Recipients.Find(filter);
}

/**
 * firstRecipientPage returns the page of the recipient table that the
 * window's page carries, at once; undefined when there is none (in a
 * browser, on a reload after some seconds): then findRecipients asks Go.
 */
export function firstRecipientPage(filter: RecipientFilter): RecipientPage | undefined {
  return preloadedRecipientPage(filter);
}

/** recipientDetail returns everything stored about one recipient. */
export async function recipientDetail(id: number): Promise<RecipientDetail> {
  return Recipients.Detail(id);
}

/**
 * withoutTimes drops the times Go sets itself: an empty string is not a time
 * Go can read, and a client never decides when something was created.
 */
function withoutTimes(r: Recipient): Omit<Recipient, 'createdAt' | 'updatedAt'> {
  const { createdAt: _createdAt, updatedAt: _updatedAt, ...rest } = r;
  return rest;
}

/** createRecipient adds a recipient and returns it as stored. */
export function createRecipient(r: Recipient): Promise<Recipient> {
  return Recipients.Create(withoutTimes(r));
}

/** updateRecipient corrects a recipient's data (rectification) and returns it as stored. */
export function updateRecipient(r: Recipient): Promise<Recipient> {
  return Recipients.Update(withoutTimes(r));
}

/** eraseRecipient deletes a person with their memberships and consent records (erasure). */
export function eraseRecipient(id: number): Promise<boolean> {
  return Recipients.Erase(id);
}

/** exportRecipient returns the person's data as the GDPR export document. */
export function exportRecipient(id: number): Promise<PersonalDataExport> {
  return Recipients.Export(id);
}

/** consentProofHTML returns a standalone HTML page that documents the person's consent. */
export function consentProofHTML(id: number): Promise<string> {
  return Recipients.ProofHTML(id);
}

/** setConsent appends a manual grant (wording and evidence required) or withdrawal to the ledger. */
export function setConsent(c: ManualConsent): Promise<ConsentRecord> {
  return Recipients.SetConsent(c);
}

/** lists returns all lists with their member counts. */
export async function lists(): Promise<List[]> {
  return Recipients.Lists();
}

/** createList adds a list. */
export function createList(l: Pick<List, 'name' | 'description' | 'doubleOptIn'>): Promise<List> {
  return Recipients.CreateList(l);
}

/** attributes returns the builtin attribute definitions, then the custom ones. */
export async function attributes(): Promise<AttributeDef[]> {
  return Recipients.Attributes();
}

/** createAttribute defines a custom attribute. */
export async function createAttribute(
  a: Pick<AttributeDef, 'key' | 'label' | 'type' | 'choices'>,
): Promise<AttributeDef> {
  return Recipients.CreateAttribute(a);
}

/** previewImport reads the header and first rows of source with mapping (null: automatic). */
export async function previewImport(source: string, mapping: ImportMapping | null): Promise<ImportPreview> {
  return Recipients.PreviewImport(source, mapping);
}

/** importFile imports a previewed file; progress arrives as import:progress:<opId> events. */
export async function importFile(req: ImportRequest): Promise<ImportResult> {
  return Recipients.ImportFile(req);
}

/** rejectedCSV returns the rejected rows of source in the file's own layout plus a reason column. */
export function rejectedCSV(source: string, mapping: ImportMapping, rows: RejectedRow[], reasonHeader: string): Promise<string> {
  return Recipients.RejectedCSV({ source, mapping, rows, reasonHeader });
}

/** cancelImport stops the running import opId after its current batch. */
export function cancelImport(opId: string): Promise<boolean> {
  return Recipients.CancelImport(opId);
}

/** imports returns the recorded imports, newest first. */
export async function imports(): Promise<ImportRun[]> {
  return Recipients.Imports();
}

/** undoImport reverts an import. */
export function undoImport(id: number): Promise<boolean> {
  return Recipients.UndoImport(id);
}

/** sendConfirmation mails the double opt-in link to one unconfirmed member of a list. */
export function sendConfirmation(recipientId: number, listId: number): Promise<ConfirmationResult> {
  return Recipients.SendConfirmation(recipientId, listId);
}

/** sendConfirmations mails the link to every unconfirmed member; progress comes as "doi:progress:<opId>". */
export function sendConfirmations(listId: number, opId: string): Promise<ConfirmationResult> {
  return Recipients.SendConfirmations({ listId, opId });
}

/** cancelConfirmations stops a running sendConfirmations after the current mail. */
export function cancelConfirmations(opId: string): Promise<boolean> {
  return Recipients.CancelConfirmations(opId);
}
