package desktop

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// Emitter sends named events to the frontend: progress of long jobs, for
// instance "import:progress:<op>".
type Emitter interface {
	Emit(name string, data any)
}

// WailsEmitter emits through the Wails runtime once the window has started.
type WailsEmitter struct {
	mu  sync.Mutex
	ctx context.Context
}

// Startup receives the Wails context (options.App.OnStartup).
func (w *WailsEmitter) Startup(ctx context.Context) {
	w.mu.Lock()
	w.ctx = ctx
	w.mu.Unlock()
}

// current returns the Wails context, nil before start-up.
func (w *WailsEmitter) current() context.Context {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ctx
}

// Emit implements Emitter; before start-up events are dropped.
func (w *WailsEmitter) Emit(name string, data any) {
	if ctx := w.current(); ctx != nil {
		runtime.EventsEmit(ctx, name, data)
	}
}

// EventHub fans events out to browsers over Server-Sent Events
// (GET /api/events in browser mode).
type EventHub struct {
	mu   sync.Mutex
	subs map[chan []byte]struct{}
}

// NewEventHub returns an empty hub.
func NewEventHub() *EventHub { return &EventHub{subs: map[chan []byte]struct{}{}} }

// Emit implements Emitter. A subscriber that cannot keep up loses events
// rather than blocking the job that emits them.
func (h *EventHub) Emit(name string, data any) {
	body, err := json.Marshal(data)
	if err != nil {
		return
	}
	msg := fmt.Appendf(nil, "event: message\ndata: %s\n\n", mustJSON(map[string]json.RawMessage{"name": mustJSON(name), "data": body}))
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- msg:
		default:
		}
	}
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// ServeHTTP streams events until the client goes away.
func (h *EventHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	ch := make(chan []byte, 64)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": connected\n\n")
	flusher.Flush()
	keepAlive := time.NewTicker(25 * time.Second)
	defer keepAlive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case msg := <-ch:
			w.Write(msg)
			flusher.Flush()
		case <-keepAlive.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			flusher.Flush()
		}
	}
}

// Throttle returns a function that emits at most every interval (and always
// the call with final set), so progress events stay ≤ 10/s.
func Throttle(e Emitter, name string, interval time.Duration) func(data any, final bool) {
	var last time.Time
	return func(data any, final bool) {
		if now := time.Now(); final || now.Sub(last) >= interval {
			last = now
			e.Emit(name, data)
		}
	}
}
