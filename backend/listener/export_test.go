package listener

import (
	"net/http"
	"net/netip"
)

// LimiterSizes exposes the rate limiters' client counts to the black-box tests.
func LimiterSizes(s *Server) (track, page int) { return s.trackLimit.size(), s.pageLimit.size() }

// CSRFFor returns a valid CSRF value for a page token (tests only).
func CSRFFor(s *Server, pageToken string) string { return s.signer.csrf(pageToken, s.cfg.Now()) }

// ClientAddr exposes the client address the listener derives from a request.
func ClientAddr(s *Server, r *http.Request) netip.Addr { return s.clientAddr(r) }
