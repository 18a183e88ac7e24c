package desktop

import (
	"context"
	"sync"
)

// operations tracks long-running jobs by the opId the frontend chose, so a
// Cancel call can stop them.
type operations struct {
	mu      sync.Mutex
	running map[string]context.CancelFunc
}

// start derives a cancellable context for opID; call the returned done when
// the job ends.
func (o *operations) start(parent context.Context, opID string) (ctx context.Context, done func()) {
	ctx, cancel := context.WithCancel(parent)
	if opID == "" {
		return ctx, cancel
	}
	o.mu.Lock()
	if o.running == nil {
		o.running = map[string]context.CancelFunc{}
	}
	o.running[opID] = cancel
	o.mu.Unlock()
	return ctx, func() {
		o.mu.Lock()
		delete(o.running, opID)
		o.mu.Unlock()
		cancel()
	}
}

// cancel stops the job opID and reports whether it was running.
func (o *operations) cancel(opID string) bool {
	o.mu.Lock()
	cancel, ok := o.running[opID]
	o.mu.Unlock()
	if ok {
		cancel()
	}
	return ok
}
