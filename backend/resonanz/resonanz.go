// Package resonanz is the domain of the Resonanz newsletter desk: the types the
// rest of the program talks about, the service interfaces the adapters implement,
// and the error codes shown to users. It imports only the standard library.
package resonanz

// Version is the application version, overridden at build time with
// -ldflags "-X github.com/resonanz/resonanz/backend/resonanz.Version=...".
var Version = "0.1.0-dev"
