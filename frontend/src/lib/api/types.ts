import type { ErrorBody } from './error';
/** SenderIdentity is who a mailing comes from: the From header and an optional Reply-To. */
export interface SenderIdentity {
  fromName: string;
  fromAddress: string;
  replyTo: string;
}

/** Branding is how the recipient pages present the business: name, colours (#rrggbb) and the stored logo's hash. */
export interface Branding {
  name: string;
  accent: string;
  background: string;
  logoHash: string;
  logoType: string;
}

/** MailingFigures are a mailing's headline figures for the mailing list (equal to its report's). */
export interface MailingFigures {
  mailingId: number;
  sent: number;
  base: number;
  openers: number;
  clickers: number;
  openRate: number;
  clickRate: number;
}

/** TargetGroupCount is how many people a target group selects now (-1: the rule cannot be counted). */
export interface TargetGroupCount {
  id: number;
  members: number;
}

/** SystemInfo describes the running program, for the status bar and support. */
export interface SystemInfo {
  version: string;
  dataDir: string;
  dbPath: string;
  mode: 'desktop' | 'browser';
  schemaVersion: number;
  /** damaged is the message about a damaged data file: the app then shows only the recovery screen. */
  damaged?: string;
  /** newestBackup is the newest backup that passed its check (recovery). */
  newestBackup?: string;
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
  /** rule restricts to a target group's rule (none: no restriction). */
  rule?: Condition | null;
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
  /** wordingKey and evidenceKey name the catalogue texts of an entry the program wrote (textParams fill both); wording and evidence are then their English form. */
  wordingKey?: string;
  evidenceKey?: string;
  textParams?: Record<string, string>;
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
  /** source says where the data came from (import, form, manual entry), in English; sourceKey and sourceParams name its catalogue text (date: YYYY-MM-DD). */
  source: string;
  sourceKey?: string;
  sourceParams?: Record<string, string>;
  /** reactions are the person's stored reactions, newest first. */
  reactions: PersonReaction[];
  /** deliveries are the mailings sent to the person. */
  deliveries: PersonDelivery[];
  /** interests is the interest profile (only with profiling consent): clicks and interests declared in surveys. */
  interests: InterestScore[];
  /** surveys are the person's survey answers, newest first. */
  surveys: PersonSurvey[];
  /** suppressed says why the person is not mailed any more: hard_bounce, soft_bounce, complaint, manual; '' if not. */
  suppressed: string;
  /** optIns are the double opt-in requests, newest first. */
  optIns: OptInRequest[];
}

/** OptInRequest is a pending or confirmed double opt-in with both steps' proof. */
export interface OptInRequest {
  id: number;
  recipientId: number;
  listId: number;
  listName: string;
  wording: string;
  requestedAt: string;
  requestedIp: string;
  requestedUa: string;
  expiresAt: string;
  /** zero time while pending */
  confirmedAt: string;
  confirmedIp: string;
  confirmedUa: string;
  /** tracking consents ticked on the form, granted at confirmation */
  consents: { purpose: string; wording: string }[];
}

/** ConfirmationResult is the outcome (and progress) of sending confirmation mails. */
export interface ConfirmationResult {
  total: number;
  done: number;
  sent: number;
  skipped: number;
  failed: number;
  errors: string[];
}

/** ReactionType is the kind of a stored reaction. */
export type ReactionType =
  | 'sent'
  | 'delivered'
  | 'deferred'
  | 'bounced'
  | 'rejected'
  | 'opened'
  | 'clicked'
  | 'image_load'
  | 'unsubscribed'
  | 'resubscribed'
  | 'complained'
  | 'failed'
  | 'unknown';

/** PersonReaction is one stored reaction of a person. */
export interface PersonReaction {
  type: ReactionType;
  at: string;
  mailingId: number;
  mailingName: string;
  url?: string;
  linkKind?: string;
  machineOpen?: boolean;
  userAgent?: string;
  /** source is "listener" or "import". */
  source: string;
}

/** PersonDelivery is one mailing sent to a person. */
export interface PersonDelivery {
  mailingId: number;
  mailingName: string;
  messageId: string;
  status: string;
  at: string;
}

/** InterestScore is a person's decayed interest in one tag. */
export interface InterestScore {
  tag: string;
  score: number;
  clicks: number;
  lastClick?: string;
  /** declared says the person named the interest in a survey. */
  declared?: boolean;
  declaredAt?: string;
}

/** PersonSurvey is a person's answers to one survey, in words. */
export interface PersonSurvey {
  surveyId: number;
  surveyName: string;
  surveyTitle: string;
  submittedAt: string;
  /** updateProfile: the person allowed the answers to update the profile, with this wording. */
  updateProfile: boolean;
  profileWording?: string;
  /** where the answers came from */
  ip?: string;
  userAgent?: string;
  answers: { question: string; answer: string }[];
}

/** QuestionType is the kind of a survey question. */
export type QuestionType = 'single' | 'multiple' | 'text' | 'rating';

/** SurveyChoice is one answer option; value fills the question's attribute, interest is a declared interest tag. */
export interface SurveyChoice {
  key: string;
  label: string;
  value: string;
  interest: string;
}

/** SurveyQuestion is one question; key is assigned by Go and stays stable. */
export interface SurveyQuestion {
  key: string;
  type: QuestionType;
  text: string;
  required: boolean;
  choices: SurveyChoice[];
  /** attribute is the custom attribute the answer fills ('' none). */
  attribute: string;
}

/** Survey is a questionnaire linked from mailings with {{ survey_url "slug" }}. */
export interface Survey {
  id: number;
  name: string;
  slug: string;
  title: string;
  intro: string;
  status: 'open' | 'closed';
  questions: SurveyQuestion[];
  createdAt: string;
  updatedAt: string;
}

/** SurveySummary is a survey with its number of answers. */
export interface SurveySummary extends Survey {
  responses: number;
  lastResponse?: string;
}

/** SurveyResults counts the answers of a survey. */
export interface SurveyResults {
  survey: Survey;
  responses: number;
  questions: QuestionResult[];
}

/** QuestionResult counts the answers to one question (ratings as choices "1".."5"). */
export interface QuestionResult {
  key: string;
  type: QuestionType;
  text: string;
  answered: number;
  choices: { key: string; label: string; count: number }[];
  average: number;
  texts: { text: string; at: string }[];
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
  /** also lists further consent fields the same column grants. */
  also?: string[];
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

/** RejectedRow is a row an import could not take (or took with a warning), with its line and reason. */
export interface RejectedRow {
  line: number;
  /** reason is the English text; key and params name its catalogue text. */
  reason: string;
  key?: string;
  params?: Record<string, string>;
}

/** ImportResult is the outcome of an import. */
export interface ImportResult {
  importId: number;
  read: number;
  created: number;
  updated: number;
  skipped: number;
  rejected: RejectedRow[];
  /** warnings are rows imported with a change worth knowing (an unknown salutation made neutral). */
  warnings: RejectedRow[];
  cancelled?: boolean;
  /** notMailable counts the members of the import's list who will not receive mailings yet. */
  notMailable?: number;
  /** noConsent of them lack a newsletter consent for the list; unconfirmed wait for their confirmation. */
  noConsent?: number;
  unconfirmed?: number;
  /** listId is the list the import put people on (0: none). */
  listId?: number;
}

/** ImportProgress is the payload of import:progress:<opId> events. */
export interface ImportProgress {
  rows: number;
  bytes: number;
  totalBytes: number;
  /** indexing: a large import builds the search index over names after its last row */
  phase?: 'indexing';
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

/** MailingStatus is where a mailing is in its life. */
export type MailingStatus = 'draft' | 'sending' | 'paused' | 'sent' | 'imported';

/** Mailing is one newsletter issue: a template with a name, language and list. */
export interface Mailing {
  id: number;
  name: string;
  subject: string;
  preheader: string;
  /** body is the Markdown template. */
  body: string;
  language: '' | 'de' | 'en';
  listId: number;
  /** layoutId is the layout around the body; 0: the built-in default layout. */
  layoutId: number;
  status: MailingStatus | '';
  externalId: string;
  createdAt: string;
  updatedAt: string;
  sentAt: string;
}

/** LinkKind says whether a link's content is text or an image. */
export type LinkKind = 'text' | 'image' | 'unknown' | 'asset';

/** Link is one link found in a mailing's body. */
export interface Link {
  id: number;
  mailingId: number;
  index: number;
  url: string;
  name: string;
  kind: LinkKind;
  tags: string[];
}

/** MailingDetail is a mailing with its links, the target groups it uses and the placeholders available. */
export interface MailingDetail {
  mailing: Mailing;
  links: Link[];
  groups: string[];
  fields: AttributeDef[];
  /** problem is the template error of a stored draft: it is kept, but sending refuses it until fixed. */
  problem?: ErrorBody;
}

/** PreviewRequest asks for a mailing as edited rendered for one recipient (0: the first one). */
export interface PreviewRequest {
  mailing: ToGo<Mailing>;
  recipientId: number;
}

/** MailPreview is a mailing rendered for one recipient. */
export interface MailPreview {
  recipient: Recipient;
  subject: string;
  preheader: string;
  html: string;
  text: string;
  /** skipped says why the recipient would not get the mailing ('' if they would). */
  skipped: string;
}

/** SalutationRule is one rule of a salutation block: the first matching rule wins. */
export interface SalutationRule {
  genders: Gender[];
  requires: string[];
  text: string;
}

/** SalutationBlock is a named set of salutation rules for one language. */
export interface SalutationBlock {
  name: string;
  language: string;
  rules: SalutationRule[];
}

/** SalutationRow is a block's result for one sample recipient (rule -1: none matched). */
export interface SalutationRow {
  recipient: Recipient;
  text: string;
  rule: number;
}

/** RuleCount is a rule's live count and the count if reaction conditions ignored current consent. */
export interface RuleCount {
  count: number;
  ignoringConsent: number;
}

/** Count is a reaction count: total, unique people, machine-made, anonymous. */
export interface Count {
  total: number;
  unique: number;
  machine: number;
  anonymous: number;
}

/** Rates are a mailing's shares, 0..1, all of the report's base (bounce: of base + bounced). */
export interface Rates {
  open: number;
  open_incl_machine: number;
  click: number;
  click_to_open: number;
  bounce: number;
  unsubscribe: number;
  complaint: number;
}

/** ReportBase is the one denominator of a report's rates. */
export interface ReportBase {
  kind: 'sent' | 'delivered' | 'mixed';
  count: number;
}

/** Reach is how many distinct people reacted: exact (with consent) and estimated (everyone, no identifiers kept). */
export interface Reach {
  people: number;
  estimate: number;
}

/** UnsubscribeChannel is where an unsubscribe came from. */
export type UnsubscribeChannel = 'unsubscribe_link' | 'one_click' | 'profile_page' | 'provider' | 'mail_unsubscribe' | 'unknown';

/** LinkStats are the clicks on one link. */
export interface LinkStats {
  link_id: number;
  url: string;
  name: string;
  kind: LinkKind;
  tags: string[];
  clicks: Count;
  image_loads: Count;
}

/** MailingStats is the report of one mailing (mailing_id 0: all mailings). */
export interface MailingStats {
  mailing_id: number;
  name: string;
  sent_at?: string;
  sent: number;
  delivered: number;
  deferred: number;
  bounced_hard: number;
  bounced_soft: number;
  bounced: number;
  rejected: number;
  opens: Count;
  clicks: Count;
  image_loads: Count;
  unsubscribes: number;
  unsubscribe_channels: Partial<Record<UnsubscribeChannel, number>>;
  complaints: number;
  base: ReportBase;
  openers: Reach;
  clickers: Reach;
  openers_incl_machine: number;
  trackable?: { count: number; of: number };
  rates: Rates;
  links: LinkStats[];
}

/** TimePoint is one hour of reactions. */
export interface TimePoint {
  at: string;
  opens: number;
  clicks: number;
}

/** ClientShare is how many reactions came from one mail client. */
export interface ClientShare {
  /** key names a known mail client (translated), "browser" or "unknown"; client is the name to show otherwise. */
  key: string;
  client: string;
  device: string;
  count: number;
}

/** MailingTimeline is the hourly series, the weekday × hour (UTC, Monday first) heat map and the mail clients. */
export interface MailingTimeline {
  hourly: TimePoint[];
  heatmap: number[][];
  clients: ClientShare[];
}

/** ConditionKind is the kind of a target-group condition. */
export type ConditionKind = 'group' | 'attribute' | 'list' | 'consent' | 'reaction' | 'interest' | 'target_group';

/** AttributeOp is a comparison of an attribute condition. */
export type AttributeOp =
  | 'eq'
  | 'ne'
  | 'contains'
  | 'starts'
  | 'ends'
  | 'empty'
  | 'not_empty'
  | 'before'
  | 'after'
  | 'gt'
  | 'lt';

/** ReactionKind is what a reaction condition asks for. */
export type ReactionKind = 'opened' | 'clicked' | 'not_opened' | 'bounced';

/** Condition is a target-group rule (node) as Go reads it; unused fields are left out. */
export interface Condition {
  kind: ConditionKind;
  negate?: boolean;
  match?: 'all' | 'any';
  conditions?: Condition[];
  field?: string;
  op?: AttributeOp;
  value?: string;
  listId?: number;
  status?: '' | MembershipStatus;
  purpose?: Purpose;
  reaction?: ReactionKind;
  /** scope of a reaction: any mailing, one mailing (mailingId), the mailings of a list (listId). */
  scope?: 'any' | 'mailing' | 'list';
  mailingId?: number;
  linkId?: number;
  tag?: string;
  days?: number;
  min?: number;
  targetGroupId?: number;
}

/** TargetGroup is a saved rule. */
export interface TargetGroup {
  id: number;
  name: string;
  description: string;
  rule: Condition;
  createdAt: string;
  updatedAt: string;
}

/** ReactionImportRequest asks for the import of a provider log. */
export interface ReactionImportRequest {
  source: string;
  /** provider is a provider name or "auto". */
  provider: string;
  /** mailingId is for events that name no mailing; 0 quarantines them. */
  mailingId: number;
  /** opId scopes the progress events: reactions:progress:<opId>. */
  opId: string;
}

/** ReactionImportResult is the outcome of a reaction import. */
export interface ReactionImportResult {
  importId: number;
  provider: string;
  read: number;
  imported: number;
  duplicates: number;
  unmatched: number;
  anonymized: number;
  rejected: number;
  by_type: Record<string, number>;
  errors: RejectedRow[];
  /** campaigns are the provider campaigns the events named and the mailings they were filed under. */
  campaigns: CampaignFiling[];
  cancelled?: boolean;
  /** warned counts events kept with a warning (a field converted or left out); warnings names the first 1000. */
  warned?: number;
  warnings?: RejectedRow[];
}

/** CampaignPreview is a campaign found in a log before the import (mailingId 0: a new mailing). */
export interface CampaignPreview {
  id: string;
  events: number;
  mailingId: number;
  mailingName: string;
}

/** ReactionPreview is what a log holds, read before importing it. */
export interface ReactionPreview {
  provider: string;
  events: number;
  campaigns: CampaignPreview[];
  withoutCampaign: number;
}

/** CampaignFiling is one provider campaign of an import and the mailing its events went to. */
export interface CampaignFiling {
  id: string;
  mailing_id: number;
  /** created is true when the import created an imported mailing for the campaign. */
  created: boolean;
  events: number;
}

/** ProviderEvent is a normalized provider event (the quarantine table shows a few of its fields). */
export interface ProviderEvent {
  provider: string;
  source_kind: string;
  provider_event_id?: string;
  dedupe_key: string;
  event_type: string;
  event_raw: string;
  bounce_kind?: string;
  occurred_at: string;
  occurred_at_raw: string;
  sent_at?: string;
  recipient_email: string;
  recipient_email_raw: string;
  recipient_ambiguous?: boolean;
  provider_message_id?: string;
  rfc_message_id?: string;
  campaign_id?: string;
  /** further message ids the provider sends (part of the dedupe key). */
  message_ids?: string[];
  /** optional fields of an unexpected type converted or left out, fallbacks used (catalogue texts; a plain English string in rows stored before). */
  warnings?: (StoredText | string)[];
  tags?: string[];
  metadata?: Record<string, string>;
  url?: string;
  link_name?: string;
  link_kind?: string;
  mime_part?: string;
  user_agent?: string;
  client_ip?: string;
  geo_country?: string;
  geo_region?: string;
  geo_city?: string;
  client_name?: string;
  client_os?: string;
  device_type?: string;
  is_first?: boolean;
  machine_open?: boolean;
  machine_open_source?: string;
  smtp_status?: string;
  smtp_response?: string;
  /** raw is the original event after unwrapping envelopes. */
  raw?: unknown;
  import_line: number;
}

/** StoredText is a text the program stored: its catalogue key and params, and its English message. */
export interface StoredText {
  key: string;
  params?: Record<string, string>;
  message: string;
}

/** QuarantinedEvent is an imported event that could not be matched. */
export interface QuarantinedEvent {
  id: number;
  importId: number;
  /** reason is the English text; key and params name its catalogue text (no key: an older row, shown as stored). */
  reason: string;
  key?: string;
  params?: Record<string, string>;
  event: ProviderEvent;
}

/** Audience counts who a mailing would go to. */
export interface Audience {
  /** confirmed members of the list (in the target group) */
  members: number;
  /** of them with newsletter consent and not suppressed */
  eligible: number;
  /** confirmed but no valid newsletter consent on the list */
  withoutConsent: number;
  /** hard bounce or complaint */
  suppressed: number;
  /** in the send ledger already */
  alreadySent: number;
}

/** SendRunStatus is the state of a mailing's send run. */
export type SendRunStatus = 'idle' | 'sending' | 'paused' | 'done';

/** SendRun is the progress of a mailing's send, from its send ledger. */
export interface SendRun {
  mailingId: number;
  status: SendRunStatus | '';
  total: number;
  queued: number;
  sent: number;
  failed: number;
  skipped: number;
  /** why a run paused by itself; empty when paused by hand */
  pausedReason: string;
}

/** SendRequest starts or resumes the send of a mailing. */
export interface SendRequest {
  mailingId: number;
  /** 0: the whole list */
  targetGroupId: number;
  /** 0: as fast as the server takes them */
  ratePerSecond: number;
  /** most messages in any minute / hour; 0: no limit */
  ratePerMinute: number;
  ratePerHour: number;
  /** 0: Go's default */
  errorThreshold: number;
  opId: string;
  /** start even when a paired relay could not be synced first (its latest unsubscribes may be missing) */
  withoutRelay?: boolean;
}

/** FileContent is a file Go made for the frontend to save. */
export interface FileContent {
  name: string;
  content: string;
  /** 'base64' for binary content (ZIP archives) */
  encoding?: string;
}

/** SMTPSecurity is how the connection to the mail server is secured. */
export type SMTPSecurity = 'starttls' | 'tls' | 'none';

/** SMTPSettings are the mail server settings; the password never comes back. */
export interface SMTPSettings {
  host: string;
  port: number;
  security: SMTPSecurity | '';
  username: string;
  maxConnections: number;
  /** default limits of send runs; 0: none */
  ratePerSecond: number;
  ratePerMinute: number;
  ratePerHour: number;
  /** read only: a password is stored */
  hasPassword: boolean;
}

/** ListenerSettings say where recipients reach the listener and how the desk runs it. */
export interface ListenerSettings {
  /** empty: no tracking links */
  publicUrl: string;
  /** host:port the desk's listener listens on */
  addr: string;
  /** start the listener with the app */
  autoStart: boolean;
  /** reverse proxies (addresses or CIDR prefixes) whose X-Forwarded-For/Forwarded is believed */
  trustedProxies: string[];
}

/** ListenerStatus is the state of the listener the desk runs. */
export interface ListenerStatus {
  running: boolean;
  addr: string;
  publicUrl: string;
  startedAt: string;
  /** tracking hits written since the start */
  hits: number;
  queued: number;
  dropped: number;
  /** confirmation and profile-link mails sent since the start */
  notices: number;
  noticeErrors: number;
  /** why the last start failed or the listener stopped ("" when fine) */
  error: string;
}

/** SignupForm is a list's public signup form: its URL and an HTML snippet. */
export interface SignupForm {
  listId: number;
  listName: string;
  url: string;
  snippet: string;
}

/** BackupKind says who made a copy: the daily automatic backup, "Back up now", or the safety copy before a restore. */
export type BackupKind = 'daily' | 'manual' | 'safety';

/** BackupFile is one copy of the data file in the backup folder. */
export interface BackupFile {
  name: string;
  kind: BackupKind;
  size: number;
  at: string;
}

/** BackupResult is the outcome of the last backup attempt. */
export interface BackupResult {
  at: string;
  ok: boolean;
  kind: BackupKind;
  file: string;
  message?: string;
}

/** IntegrityInfo is the result of the integrity check of a data file. */
export interface IntegrityInfo {
  path: string;
  ok: boolean;
  full: boolean;
  problems: string[];
  at: string;
  millis: number;
}

/** BackupStatus is what the Backups card shows. */
export interface BackupStatus {
  dir: string;
  retention: number;
  last: BackupResult | null;
  backups: BackupFile[];
  check: IntegrityInfo | null;
  /** secrets says where the SMTP password and listener key are kept: "OS keyring" or a folder. */
  secrets: string;
}

/** BackupNowResult: in the desktop window the copy went where the user chose; in a browser, download names it. */
export interface BackupNowResult extends BackupResult {
  cancelled: boolean;
  download: string;
}

/** BackupProgress reports a running backup or restore (pages copied of total). */
export interface BackupProgress {
  phase: 'backup' | 'verify' | 'safety' | 'restore';
  done: number;
  total: number;
}

/** Layout is a reusable HTML wrapper around a mailing's body, with {{ content }} exactly once. */
export interface Layout {
  id: number;
  name: string;
  html: string;
  createdAt: string;
  updatedAt: string;
}

/** LayoutPreview is a layout rendered around sample content. */
export interface LayoutPreview {
  subject: string;
  html: string;
  text: string;
}

/** MailingTemplate is a mailing's content kept to start new mailings from. */
export interface MailingTemplate {
  id: number;
  name: string;
  subject: string;
  preheader: string;
  body: string;
  language: '' | 'de' | 'en';
  /** layoutId 0 is the built-in default layout. */
  layoutId: number;
  createdAt: string;
  updatedAt: string;
}

/** MailboxSecurity is how the desk connects to the IMAP server. */
export type MailboxSecurity = 'tls' | 'starttls' | 'none';

/** MailboxSettings say which IMAP mailbox the desk reads and which addresses lead back to it; the password never comes back. */
export interface MailboxSettings {
  host: string;
  /** 0: 993 with TLS, else 143 */
  port: number;
  security: MailboxSecurity | '';
  username: string;
  /** folders a sync reads (empty: INBOX) */
  folders: string[];
  /** where handled mails are moved (created if missing); '': nothing is moved */
  processedFolder: string;
  syncOnStart: boolean;
  /** minutes between syncs while the desk runs; 0: off */
  intervalMinutes: number;
  /** suppress after this many mailings in a row bounced softly; 0: never */
  softBounceLimit: number;
  bounceAddress: string;
  unsubscribeAddress: string;
  subAddressing: boolean;
  /** read only: a password is stored */
  hasPassword: boolean;
}

/** MailboxError names a message a sync could not read: reason in English, key and params for the catalogues. */
export interface MailboxError {
  folder: string;
  uid: number;
  reason: string;
  key: string;
  params?: Record<string, string>;
}

/** MailboxSyncResult is the outcome of one sync (the same as `resonanz mailbox sync --json`). */
export interface MailboxSyncResult {
  read: number;
  bounces_hard: number;
  bounces_soft: number;
  complaints: number;
  unsubscribes: number;
  auto_replies: number;
  replies: number;
  unmatched: number;
  errors: MailboxError[];
  skipped: number;
  cancelled?: boolean;
}

/** MailboxProgress is sent while a sync runs (event mailbox:progress). */
export interface MailboxProgress {
  folder: string;
  done: number;
  total: number;
}

/** MailboxStatus is the desk's running or last sync. */
export interface MailboxStatus {
  running: boolean;
  progress: MailboxProgress;
  lastAt: string;
  last: MailboxSyncResult | null;
  error: string;
}

/** MailboxMessage is a processed message; the desk lists the replies. */
export interface MailboxMessage {
  key: string;
  kind: string;
  outcome: string;
  reason: string;
  date: string;
  from: string;
  fromName: string;
  subject: string;
  /** 0: the sender is no recipient */
  recipientId: number;
  mailingId: number;
  folder: string;
  uid: number;
}

// The requests the bound façades take (backend/desktop), beside the domain
// types above; facades.ts types its stubs with them.

/**
 * ToGo is T as the frontend sends it to Go: without the times Go sets itself
 * (an empty string is no time Go can read, and a client never decides them).
 */
export type ToGo<T> = Omit<T, 'createdAt' | 'updatedAt' | 'sentAt'>;

/** SaveSMTPRequest carries the mail server settings and, when it changes, the password. */
export interface SaveSMTPRequest {
  settings: SMTPSettings;
  /** password replaces the stored one when not empty. */
  password: string;
  /** clearPassword removes the stored password. */
  clearPassword: boolean;
}

/** SaveMailboxRequest carries the mailbox settings and, when it changes, the password. */
export interface SaveMailboxRequest {
  settings: MailboxSettings;
  /** password replaces the stored one when not empty. */
  password: string;
  /** clearPassword removes the stored password. */
  clearPassword: boolean;
}

/** StartTimings are the UI's start marks: navigationStart in Unix ms, the rest in ms after it. */
export interface StartTimings {
  navigationStart: number;
  document: number;
  script: number;
  messages: number;
  mounted: number;
  data: number;
  painted: number;
}

/** RejectedRowsRequest asks for the rejected rows of an imported file in its own layout plus a reason column. */
export interface RejectedRowsRequest {
  source: string;
  mapping: ImportMapping;
  /** rows are the rejected rows with their reasons in the user's language. */
  rows: RejectedRow[];
  /** reasonHeader is the header of the added reason column ("Grund"). */
  reasonHeader: string;
}

/** SendConfirmationsRequest asks for confirmation mails to every unconfirmed member of a list. */
export interface SendConfirmationsRequest {
  listId: number;
  /** opId scopes the progress events: doi:progress:<opId>. */
  opId: string;
}

/** DuplicateRequest copies mailing id as a new draft named name (" (2)" added while taken). */
export interface DuplicateRequest {
  id: number;
  name: string;
}

/** TestSendRequest sends a mailing as edited, rendered for recipientId (0: a sample), to addresses. */
export interface TestSendRequest {
  mailing: ToGo<Mailing>;
  recipientId: number;
  addresses: string[];
}

/** BackupRequest starts a backup or restore; opId scopes the progress events (backup:progress:<opId>) and Cancel. */
export interface BackupRequest {
  opId: string;
  /** source is the backup to restore: a picked path, "upload:<id>" in browser mode, or '' with name. */
  source: string;
  /** name is a copy in the backup folder. */
  name: string;
}

// The relay (backend/relay, desktop.Relays).

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

/** RelayOverview is the mode ('local' or 'relay'), the paired relays and publish on change. */
export interface RelayOverview {
  mode: 'local' | 'relay';
  linksUrl: string;
  localPublicUrl: string;
  relays: RelayInfo[];
  sync?: RelaySyncProgress;
  autoPublish: AutoPublishStatus;
}

/** RelayPairing is a pairing as the UI sees it (the secret stays in Go: always null here). */
export interface RelayPairing {
  url: string;
  relayId: string;
  secret: null;
}

/** RelayCollectResult counts the events one sync took up from a relay. */
export interface RelayCollectResult {
  relayId: string;
  applied: Record<string, number>;
  skipped: number;
  failed: number;
  quarantined: number;
  through: number;
}

/** RelayPublishResult counts what one sync published to a relay. */
export interface RelayPublishResult {
  generation: number;
  profiles: number;
  lists: number;
  links: number;
  surveys: number;
}

/** RelayFailure is a relay event the desk could not apply: quarantined, or tried again by the next sync. Key and params name the catalogue text of the reason; reason is its English form. */
export interface RelayFailure {
  id: string;
  relayId: string;
  seq: number;
  kind: string;
  at: string;
  attempts: number;
  quarantined: boolean;
  reason: string;
  key: string;
  params?: Record<string, string>;
  failedAt: string;
}

/** RelaySyncResult is one relay's sync. */
export interface RelaySyncResult {
  relayId: string;
  url: string;
  collected: RelayCollectResult;
  published?: RelayPublishResult;
  error?: string;
  problem?: RelayProblem;
}
