// The events Go sends to the frontend: the same catalogue as
// backend/resonanz/events.go (TestContract_Events in contract_test.go fails
// when the two differ). subscribe and withProgress take only these names, so
// a listener for an event Go never sends does not type-check.

/** Events names each event Go sends; the comment says what its data is. */
export const Events = {
  /** ImportProgress of a recipient import, scoped by its opId. */
  importProgress: 'import:progress',
  /** ImportProgress of a provider-log import, scoped by its opId. */
  reactionsProgress: 'reactions:progress',
  /** ConfirmationResult so far while confirmation mails go out, scoped by its opId. */
  confirmationsProgress: 'doi:progress',
  /** SendRun while a mailing is sent, scoped by the mailing's id. */
  sendProgress: 'send:progress',
  /** BackupProgress of a backup or restore, scoped by its opId. */
  backupProgress: 'backup:progress',
  /** MailboxProgress while a mailbox sync runs. */
  mailboxProgress: 'mailbox:progress',
  /** MailboxSyncResult of a sync the desk ran by itself (on start, every N minutes). */
  mailboxDone: 'mailbox:done',
  /** The relay sync's progress while it runs. */
  relayProgress: 'relay:progress',
  /** The message, when the late integrity check finds the data file damaged. */
  systemDamaged: 'system:damaged',
  /** No data: the user closes the window with unsaved changes; the UI asks. */
  closeRequested: 'window:closeRequested',
} as const;

/** EventName is one event of the catalogue. */
export type EventName = (typeof Events)[keyof typeof Events];

/** ScopedEventName is an event of one operation: "<event>:<op>". */
export type ScopedEventName = `${EventName}:${string}`;

/** scoped returns the name of event for one operation op: "<event>:<op>" (Go's resonanz.Scoped). */
export function scoped(event: EventName, op: string | number): ScopedEventName {
  return `${event}:${op}`;
}
