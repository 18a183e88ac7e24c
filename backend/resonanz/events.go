package resonanz

import "fmt"

// The events Go sends to the frontend: one catalogue, shared with
// frontend/src/lib/api/eventNames.ts (contract_test.go TestContract_Events
// keeps both equal, and no Go code emits a name that is not here). Each says
// what its data is. A progress event of one operation is scoped: its name,
// ":" and the operation's id (Scoped), e.g. "import:progress:op7".
const (
	// EventImportProgress carries ImportProgress of a recipient import (scoped by its opId).
	EventImportProgress = "import:progress"
	// EventReactionsProgress carries ImportProgress of a provider-log import (scoped by its opId).
	EventReactionsProgress = "reactions:progress"
	// EventConfirmationsProgress carries ConfirmationResult so far while confirmation mails go out (scoped by its opId).
	EventConfirmationsProgress = "doi:progress"
	// EventSendProgress carries SendRun while a mailing is sent (scoped by the mailing's id).
	EventSendProgress = "send:progress"
	// EventBackupProgress carries BackupProgress of a backup or restore (scoped by its opId).
	EventBackupProgress = "backup:progress"
	// EventMailboxProgress carries MailboxProgress while a mailbox sync runs.
	EventMailboxProgress = "mailbox:progress"
	// EventMailboxDone carries MailboxSyncResult of a sync the desk ran by itself (on start, every N minutes).
	EventMailboxDone = "mailbox:done"
	// EventRelayProgress carries the relay sync's progress (relay.SyncProgress) while it runs.
	EventRelayProgress = "relay:progress"
	// EventSystemDamaged carries the message when the late integrity check finds the data file damaged.
	EventSystemDamaged = "system:damaged"
	// EventCloseRequested (no data) asks the UI to confirm closing the window with unsaved changes.
	EventCloseRequested = "window:closeRequested"
)

// Scoped returns the name of event for one operation, op: "<event>:<op>".
func Scoped(event string, op any) string { return fmt.Sprintf("%s:%v", event, op) }
