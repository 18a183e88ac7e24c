package mailbox

// SetAfterApply sets the hook between a batch's transaction and its move
// (tests of a crash there).
func SetAfterApply(s *Syncer, f func(folder string) error) { s.afterApply = f }
