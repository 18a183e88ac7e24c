/** SenderIdentity is who a mailing comes from: the From header and an optional Reply-To. */
export interface SenderIdentity {
  fromName: string;
  fromAddress: string;
  replyTo: string;
}

/** SystemInfo describes the running program, for the status bar and support. */
export interface SystemInfo {
  version: string;
  dataDir: string;
  dbPath: string;
  mode: 'desktop' | 'browser';
  schemaVersion: number;
}

/** AuditEntry is one admin action in the audit log; detail is a JSON object describing what changed. */
export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  detail: string;
}

/** Gender drives the salutation: f (Frau/Ms), m (Herr/Mr), d (diverse), '' unknown. */
export type Gender = '' | 'f' | 'm' | 'd';

/** RecipientLanguage is the language a recipient is written to in; '' lets the mailing decide. */
export type RecipientLanguage = '' | 'de' | 'en';

/** Recipient is one person on the desk. Times are RFC 3339 UTC strings. */
export interface Recipient {
  id: number;
  email: string;
  firstName: string;
  lastName: string;
  gender: Gender;
  title: string;
  language: RecipientLanguage;
  /** attributes holds custom attribute values by key, in canonical form. */
  attributes: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

/** MembershipStatus is a recipient's status on one list. */
export type MembershipStatus = 'unconfirmed' | 'confirmed' | 'unsubscribed';

/** RecipientSort names a sortable column; a leading '-' sorts descending. */
export type RecipientSort = '' | 'email' | '-email' | 'lastName' | '-lastName' | 'createdAt' | '-createdAt';

/** RecipientFilter selects one page of the recipient table. */
export interface RecipientFilter {
  search: string;
  listId: number;
  status: '' | MembershipStatus;
  ids: number[] | null;
  afterId: number;
  offset: number;
  /** limit is 1..1000. */
  limit: number;
  sort: RecipientSort;
}

/** RecipientPage is one page of recipients and the number of all that match. */
export interface RecipientPage {
  recipients: Recipient[];
  total: number;
}

/** Membership is a recipient's place on one list. */
export interface Membership {
  listId: number;
  listName: string;
  status: MembershipStatus;
  updatedAt: string;
}

/** Purpose is what a consent is for; newsletter consent is per list. */
export type Purpose = 'newsletter' | 'tracking:opens' | 'tracking:clicks' | 'profiling';

/** ConsentSource is where a consent record came from. */
export type ConsentSource = 'form' | 'import' | 'manual' | 'profile_page' | 'double_opt_in';

/** ConsentRecord is one entry of the append-only consent ledger. */
export interface ConsentRecord {
  id: number;
  recipientId: number;
  purpose: Purpose;
  listId: number;
  listName: string;
  granted: boolean;
  at: string;
  source: ConsentSource;
  wording: string;
  wordingHash: string;
  ip: string;
  userAgent: string;
  evidence: string;
}

/** ConsentState is the current consent for one purpose (and list), derived from the ledger. */
export interface ConsentState {
  purpose: Purpose;
  listId: number;
  listName: string;
  granted: boolean;
  since: string;
  recordId: number;
}

/** RecipientDetail is everything stored about one recipient. */
export interface RecipientDetail {
  recipient: Recipient;
  lists: Membership[];
  /** consent is the full ledger, oldest first. */
  consent: ConsentRecord[];
  consentState: ConsentState[];
  /** source says where the data came from (import, form, manual entry). */
  source: string;
}

/** PersonalDataExport is the GDPR export document of one person. */
export interface PersonalDataExport extends RecipientDetail {
  format: string;
  exportedAt: string;
}

/** ManualConsent is a consent grant or withdrawal entered on the desk. */
export interface ManualConsent {
  recipientId: number;
  purpose: Purpose;
  listId: number;
  granted: boolean;
  wording: string;
  evidence: string;
}

/** List is a mailing list with its member counts. */
export interface List {
  id: number;
  name: string;
  description: string;
  doubleOptIn: boolean;
  createdAt: string;
  confirmed: number;
  unconfirmed: number;
  unsubscribed: number;
}

/** AttributeType is the kind of value an attribute holds. */
export type AttributeType = 'text' | 'number' | 'date' | 'boolean' | 'choice';

/** AttributeDef defines a builtin or custom recipient attribute. */
export interface AttributeDef {
  id: number;
  key: string;
  label: string;
  type: AttributeType;
  /** choices are the allowed values of a choice attribute (empty otherwise). */
  choices: string[];
  builtin: boolean;
}

/** ImportColumn is one column of an import file and the field it maps to ('' ignored). */
export interface ImportColumn {
  index: number;
  header: string;
  field: string;
  /** auto is true when the field was recognised from the header. */
  auto: boolean;
}

/** ImportPreview shows how a file will be read before anything is imported. */
export interface ImportPreview {
  source: string;
  fileName: string;
  encoding: 'utf-8' | 'utf-8-bom' | 'windows-1252';
  delimiter: string;
  columns: ImportColumn[];
  /** sample holds the first rows (at most 10), by column index. */
  sample: string[][];
  /** fields are what columns can map to. */
  fields: AttributeDef[];
}

/** ImportOptions says where imported recipients go and how existing ones are treated. */
export interface ImportOptions {
  listName: string;
  status: 'confirmed' | 'unconfirmed';
  mode: 'update' | 'skip';
  consentSource: string;
  consentEvidence: string;
}

/** ImportMapping maps a header to a field key, or '-' to ignore the column. */
export type ImportMapping = Record<string, string>;

/** ImportRequest asks for the import of a previewed file. */
export interface ImportRequest {
  source: string;
  mapping: ImportMapping;
  options: ImportOptions;
  /** opId scopes the progress events: import:progress:<opId>. */
  opId: string;
}

/** RejectedRow is a row an import could not take, with its line and reason. */
export interface RejectedRow {
  line: number;
  reason: string;
}

/** ImportResult is the outcome of an import. */
export interface ImportResult {
  importId: number;
  read: number;
  created: number;
  updated: number;
  skipped: number;
  rejected: RejectedRow[];
  cancelled?: boolean;
}

/** ImportProgress is the payload of import:progress:<opId> events. */
export interface ImportProgress {
  rows: number;
  bytes: number;
  totalBytes: number;
}

/** ImportRun is one recorded import. */
export interface ImportRun {
  id: number;
  kind: string;
  fileName: string;
  startedAt: string;
  finishedAt: string;
  status: 'running' | 'done' | 'failed' | 'cancelled' | 'undone';
  result: ImportResult;
}

/** UploadResult names an uploaded file (browser mode) as an import source. */
export interface UploadResult {
  source: string;
  name: string;
  size: number;
}
