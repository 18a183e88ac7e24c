// The typed call stubs: one per bound façade method (backend/desktop), with
// Go's argument and result types. This is the only module that names Go
// services and methods; the other modules of lib/api call these stubs.
// Hand-written and checked: TestContract_Stubs (contract_test.go) fails when
// a method is added, renamed or retyped on one side only, and prints the line
// to write; lint.test.ts fails on a call(…) anywhere else.
import { call } from './client';
import { takePreloaded } from './preload';
import type {
  AttributeDef,
  Audience,
  AuditEntry,
  Branding,
  BackupNowResult,
  BackupRequest,
  BackupStatus,
  Condition,
  ConfirmationResult,
  ConsentRecord,
  DuplicateRequest,
  FileContent,
  ImportMapping,
  ImportPreview,
  ImportRequest,
  ImportResult,
  ImportRun,
  IntegrityInfo,
  Layout,
  LayoutPreview,
  List,
  ListenerSettings,
  ListenerStatus,
  MailPreview,
  MailboxMessage,
  MailboxSettings,
  MailboxStatus,
  MailboxSyncResult,
  Mailing,
  MailingDetail,
  MailingFigures,
  MailingStats,
  MailingTemplate,
  MailingTimeline,
  ManualConsent,
  PersonalDataExport,
  PreviewRequest,
  QuarantinedEvent,
  ReactionImportRequest,
  ReactionImportResult,
  ReactionPreview,
  Recipient,
  RecipientDetail,
  RecipientFilter,
  RecipientPage,
  RelayFailure,
  RelayOverview,
  RelayPairing,
  RelaySyncResult,
  RejectedRowsRequest,
  RuleCount,
  SMTPSettings,
  SalutationBlock,
  SalutationRow,
  SaveMailboxRequest,
  SaveSMTPRequest,
  SendConfirmationsRequest,
  SendRequest,
  SendRun,
  SenderIdentity,
  SignupForm,
  StartTimings,
  Survey,
  SurveyResults,
  SurveySummary,
  SystemInfo,
  TargetGroup,
  TargetGroupCount,
  TestSendRequest,
  ToGo,
} from './types';

/** Settings is the bound façade for the sender, mail server and listener settings (desktop.Settings). */
export const Settings = {
  GetBranding: (): Promise<Branding> => call('Settings', 'GetBranding'),
  GetListener: (): Promise<ListenerSettings> => call('Settings', 'GetListener'),
  GetSMTP: (): Promise<SMTPSettings> => call('Settings', 'GetSMTP'),
  GetLanguage: (): Promise<string> => call('Settings', 'GetLanguage'),
  GetSender: (): Promise<SenderIdentity> => call('Settings', 'GetSender'),
  GetLogo: (): Promise<string> => call('Settings', 'GetLogo'),
  ListenerStatus: (): Promise<ListenerStatus> => call('Settings', 'ListenerStatus'),
  RemoveLogo: (): Promise<Branding> => call('Settings', 'RemoveLogo'),
  SaveBranding: (b: Branding): Promise<Branding> => call('Settings', 'SaveBranding', b),
  SaveLanguage: (language: string): Promise<string> => call('Settings', 'SaveLanguage', language),
  SaveListener: (s: ListenerSettings): Promise<ListenerSettings> => call('Settings', 'SaveListener', s),
  SaveSMTP: (req: SaveSMTPRequest): Promise<SMTPSettings> => call('Settings', 'SaveSMTP', req),
  SaveLogo: (data: string): Promise<Branding> => call('Settings', 'SaveLogo', data),
  SaveSender: (s: SenderIdentity): Promise<SenderIdentity> => call('Settings', 'SaveSender', s),
  SignupForms: (): Promise<SignupForm[]> => call('Settings', 'SignupForms'),
  StartListener: (): Promise<ListenerStatus> => call('Settings', 'StartListener'),
  StopListener: (): Promise<ListenerStatus> => call('Settings', 'StopListener'),
  TestSMTP: (): Promise<boolean> => call('Settings', 'TestSMTP'),
};

/** System is the bound façade for program information, the native file dialogs and the audit log (desktop.System). */
export const System = {
  AuditLog: (limit: number): Promise<AuditEntry[]> => call('System', 'AuditLog', limit),
  CloseWindow: (): Promise<void> => call('System', 'CloseWindow'),
  FirstScreen: (t: StartTimings): Promise<void> => call('System', 'FirstScreen', t),
  FirstScreenPrerendered: (t: StartTimings): Promise<void> => call('System', 'FirstScreenPrerendered', t),
  Info: (): Promise<SystemInfo> => call('System', 'Info'),
  PickCSVFile: (title: string): Promise<string> => call('System', 'PickCSVFile', title),
  PickLogFile: (title: string): Promise<string> => call('System', 'PickLogFile', title),
  SaveBase64File: (name: string, content: string): Promise<string> => call('System', 'SaveBase64File', name, content),
  SetUnsaved: (unsaved: boolean): Promise<void> => call('System', 'SetUnsaved', unsaved),
  SaveTextFile: (name: string, content: string): Promise<string> => call('System', 'SaveTextFile', name, content),
};

/** Recipients is the bound façade for people, lists, attributes, consent, imports and confirmation mails (desktop.Recipients). */
export const Recipients = {
  Attributes: (): Promise<AttributeDef[]> => call('Recipients', 'Attributes'),
  CancelConfirmations: (opId: string): Promise<boolean> => call('Recipients', 'CancelConfirmations', opId),
  CancelImport: (opId: string): Promise<boolean> => call('Recipients', 'CancelImport', opId),
  Create: (r: ToGo<Recipient>): Promise<Recipient> => call('Recipients', 'Create', r),
  CreateAttribute: (a: Pick<AttributeDef, 'key' | 'label' | 'type' | 'choices'>): Promise<AttributeDef> => call('Recipients', 'CreateAttribute', a),
  CreateList: (l: Pick<List, 'name' | 'description' | 'doubleOptIn'>): Promise<List> => call('Recipients', 'CreateList', l),
  Detail: (id: number): Promise<RecipientDetail> => call('Recipients', 'Detail', id),
  Erase: (id: number): Promise<boolean> => call('Recipients', 'Erase', id),
  Export: (id: number): Promise<PersonalDataExport> => call('Recipients', 'Export', id),
  ExportCSV: (filter: RecipientFilter): Promise<string> => call('Recipients', 'ExportCSV', filter),
  Find: (filter: RecipientFilter): Promise<RecipientPage> => call('Recipients', 'Find', filter),
  ImportFile: (req: ImportRequest): Promise<ImportResult> => call('Recipients', 'ImportFile', req),
  Imports: (): Promise<ImportRun[]> => call('Recipients', 'Imports'),
  Lists: (): Promise<List[]> => call('Recipients', 'Lists'),
  PreviewImport: (source: string, mapping: ImportMapping | null): Promise<ImportPreview> => call('Recipients', 'PreviewImport', source, mapping),
  ProofHTML: (id: number): Promise<string> => call('Recipients', 'ProofHTML', id),
  RejectedCSV: (req: RejectedRowsRequest): Promise<string> => call('Recipients', 'RejectedCSV', req),
  SendConfirmation: (recipientId: number, listId: number): Promise<ConfirmationResult> => call('Recipients', 'SendConfirmation', recipientId, listId),
  SendConfirmations: (req: SendConfirmationsRequest): Promise<ConfirmationResult> => call('Recipients', 'SendConfirmations', req),
  SetConsent: (c: ManualConsent): Promise<ConsentRecord> => call('Recipients', 'SetConsent', c),
  UndoImport: (id: number): Promise<boolean> => call('Recipients', 'UndoImport', id),
  Update: (r: ToGo<Recipient>): Promise<Recipient> => call('Recipients', 'Update', r),
};

/** Mailings is the bound façade for mailings, salutations, previews, sending and the exports (desktop.Mailings). */
export const Mailings = {
  Audience: (mailingId: number, targetGroupId: number): Promise<Audience> => call('Mailings', 'Audience', mailingId, targetGroupId),
  Duplicate: (req: DuplicateRequest): Promise<MailingDetail> => call('Mailings', 'Duplicate', req),
  ExportEML: (mailingId: number, recipientId: number): Promise<FileContent> => call('Mailings', 'ExportEML', mailingId, recipientId),
  ExportEMLZip: (mailingId: number, targetGroupId: number): Promise<FileContent> => call('Mailings', 'ExportEMLZip', mailingId, targetGroupId),
  ExportMbox: (mailingId: number, targetGroupId: number): Promise<FileContent> => call('Mailings', 'ExportMbox', mailingId, targetGroupId),
  Get: (id: number): Promise<MailingDetail> => call('Mailings', 'Get', id),
  List: (): Promise<Mailing[]> => call('Mailings', 'List'),
  PauseSend: (mailingId: number): Promise<boolean> => call('Mailings', 'PauseSend', mailingId),
  Preview: (req: PreviewRequest): Promise<MailPreview> => call('Mailings', 'Preview', req),
  SalutationSamples: (block: SalutationBlock, recipientIds: number[]): Promise<SalutationRow[]> => call('Mailings', 'SalutationSamples', block, recipientIds),
  Salutations: (): Promise<SalutationBlock[]> => call('Mailings', 'Salutations'),
  Save: (m: ToGo<Mailing>): Promise<MailingDetail> => call('Mailings', 'Save', m),
  SaveSalutation: (block: SalutationBlock): Promise<SalutationBlock[]> => call('Mailings', 'SaveSalutation', block),
  SendStatus: (mailingId: number): Promise<SendRun> => call('Mailings', 'SendStatus', mailingId),
  StartSend: (req: SendRequest): Promise<SendRun> => call('Mailings', 'StartSend', req),
  TestSend: (req: TestSendRequest): Promise<string[]> => call('Mailings', 'TestSend', req),
};

/** Analysis is the bound façade for reports, target groups and rules (desktop.Analysis). */
export const Analysis = {
  Compare: (): Promise<MailingStats[]> => call('Analysis', 'Compare'),
  CountRule: (rule: Condition): Promise<number> => call('Analysis', 'CountRule', rule),
  DeleteTargetGroup: (id: number): Promise<boolean> => call('Analysis', 'DeleteTargetGroup', id),
  ExplainRule: (rule: Condition): Promise<RuleCount> => call('Analysis', 'ExplainRule', rule),
  MailingFigures: (): Promise<MailingFigures[]> => call('Analysis', 'MailingFigures'),
  MailingStats: (mailingId: number): Promise<MailingStats> => call('Analysis', 'MailingStats', mailingId),
  RuleMembers: (rule: Condition, filter: RecipientFilter): Promise<RecipientPage> => call('Analysis', 'RuleMembers', rule, filter),
  SaveTargetGroup: (g: Pick<TargetGroup, 'id' | 'name' | 'description' | 'rule'>): Promise<TargetGroup> => call('Analysis', 'SaveTargetGroup', g),
  StatsCSV: (mailingId: number): Promise<string> => call('Analysis', 'StatsCSV', mailingId),
  TargetGroupCounts: (): Promise<TargetGroupCount[]> => call('Analysis', 'TargetGroupCounts'),
  TargetGroups: (): Promise<TargetGroup[]> => call('Analysis', 'TargetGroups'),
  Timeline: (mailingId: number): Promise<MailingTimeline> => call('Analysis', 'Timeline', mailingId),
};

/** Reactions is the bound façade for provider log imports and the quarantine (desktop.Reactions). */
export const Reactions = {
  AssignQuarantined: (ids: number[], mailingId: number): Promise<ReactionImportResult> => call('Reactions', 'AssignQuarantined', ids, mailingId),
  Cancel: (opId: string): Promise<boolean> => call('Reactions', 'Cancel', opId),
  DiscardQuarantined: (ids: number[]): Promise<number> => call('Reactions', 'DiscardQuarantined', ids),
  ImportFile: (req: ReactionImportRequest): Promise<ReactionImportResult> => call('Reactions', 'ImportFile', req),
  PreviewFile: (req: ReactionImportRequest): Promise<ReactionPreview> => call('Reactions', 'PreviewFile', req),
  Providers: (): Promise<string[]> => call('Reactions', 'Providers'),
  Quarantine: (importId: number): Promise<QuarantinedEvent[]> => call('Reactions', 'Quarantine', importId),
  RematchQuarantine: (ids: number[]): Promise<ReactionImportResult> => call('Reactions', 'RematchQuarantine', ids),
};

/** Mailbox is the bound façade for the mailbox settings, its sync and the kept replies (desktop.Mailbox). */
export const Mailbox = {
  GetSettings: (): Promise<MailboxSettings> => call('Mailbox', 'GetSettings'),
  Replies: (limit: number): Promise<MailboxMessage[]> => call('Mailbox', 'Replies', limit),
  SaveSettings: (req: SaveMailboxRequest): Promise<MailboxSettings> => call('Mailbox', 'SaveSettings', req),
  Status: (): Promise<MailboxStatus> => call('Mailbox', 'Status'),
  Sync: (): Promise<MailboxSyncResult> => call('Mailbox', 'Sync'),
  TestConnection: (): Promise<boolean> => call('Mailbox', 'TestConnection'),
};

/** Surveys is the bound façade for surveys and their results (desktop.Surveys). */
export const Surveys = {
  Attributes: (): Promise<AttributeDef[]> => call('Surveys', 'Attributes'),
  Delete: (id: number): Promise<void> => call('Surveys', 'Delete', id),
  ExportCSV: (id: number): Promise<FileContent> => call('Surveys', 'ExportCSV', id),
  Get: (id: number): Promise<Survey> => call('Surveys', 'Get', id),
  List: (): Promise<SurveySummary[]> => call('Surveys', 'List'),
  Results: (id: number): Promise<SurveyResults> => call('Surveys', 'Results', id),
  Save: (s: ToGo<Survey>): Promise<Survey> => call('Surveys', 'Save', s),
  SetStatus: (id: number, status: string): Promise<Survey> => call('Surveys', 'SetStatus', id, status),
};

/** Templates is the bound façade for layouts and mailing templates (desktop.Templates). */
export const Templates = {
  CreateMailingFromTemplate: (templateId: number, name: string): Promise<MailingDetail> => call('Templates', 'CreateMailingFromTemplate', templateId, name),
  DefaultLayout: (): Promise<string> => call('Templates', 'DefaultLayout'),
  DeleteLayout: (id: number): Promise<void> => call('Templates', 'DeleteLayout', id),
  DeleteMailingTemplate: (id: number): Promise<void> => call('Templates', 'DeleteMailingTemplate', id),
  Layouts: (): Promise<Layout[]> => call('Templates', 'Layouts'),
  MailingTemplates: (): Promise<MailingTemplate[]> => call('Templates', 'MailingTemplates'),
  PreviewLayout: (html: string, language: string): Promise<LayoutPreview> => call('Templates', 'PreviewLayout', html, language),
  SaveLayout: (l: ToGo<Layout>): Promise<Layout> => call('Templates', 'SaveLayout', l),
  SaveMailingTemplate: (m: ToGo<MailingTemplate>): Promise<MailingTemplate> => call('Templates', 'SaveMailingTemplate', m),
};

/** Backups is the bound façade for backups, restore and the integrity check (desktop.Backups). */
export const Backups = {
  BackupNow: (req: BackupRequest): Promise<BackupNowResult> => call('Backups', 'BackupNow', req),
  Cancel: (opId: string): Promise<boolean> => call('Backups', 'Cancel', opId),
  Check: (full: boolean): Promise<IntegrityInfo> => call('Backups', 'Check', full),
  PickBackupFile: (title: string): Promise<string> => call('Backups', 'PickBackupFile', title),
  Quit: (): Promise<boolean> => call('Backups', 'Quit'),
  Restore: (req: BackupRequest): Promise<BackupStatus> => call('Backups', 'Restore', req),
  SetRetention: (n: number): Promise<BackupStatus> => call('Backups', 'SetRetention', n),
  Status: (): Promise<BackupStatus> => call('Backups', 'Status'),
};

/** Relays is the bound façade for pairing relays, the listener mode and their sync (desktop.Relays). */
export const Relays = {
  Failures: (): Promise<RelayFailure[]> => call('Relays', 'Failures'),
  Overview: (): Promise<RelayOverview> => call('Relays', 'Overview'),
  Pair: (code: string): Promise<RelayPairing> => call('Relays', 'Pair', code),
  Retry: (id: string): Promise<boolean> => call('Relays', 'Retry', id),
  SetMode: (mode: string): Promise<RelayOverview> => call('Relays', 'SetMode', mode),
  Sync: (): Promise<RelaySyncResult[]> => call('Relays', 'Sync'),
  Unpair: (relayId: string): Promise<boolean> => call('Relays', 'Unpair', relayId),
};

/**
 * preloadedRecipientPage returns the answer of Recipients.Find(filter) that
 * the window's page carries (preload.ts) at once, not as a promise, so the
 * first screen is built with its rows; undefined when it carries none.
 */
export function preloadedRecipientPage(filter: RecipientFilter): RecipientPage | undefined {
  return takePreloaded('Recipients', 'Find', [filter])?.result as RecipientPage | undefined;
}
