package listener

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies parses the trusted-proxy setting: CIDR prefixes
// ("10.0.0.0/8", "2001:db8::/32") or single addresses ("127.0.0.1").
// Empty entries are skipped. The error names the first entry that is
// neither.
func ParseTrustedProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("listener: trusted proxy %q is neither an address nor a CIDR prefix (e.g. 10.0.0.0/8)", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// clientAddr is the client's IP: the connection's peer, or, when the peer
// is a trusted proxy, the right-most hop of X-Forwarded-For (or, when no
// proxy set that header, of Forwarded) that is not a trusted proxy. Hops
// left of it were written by the client and are never believed. A hop that
// is not an address ("unknown", an obfuscated identifier, garbage) ends
// the walk at the last trusted address seen.
//
// X-Forwarded-For wins over Forwarded because the common proxies (Caddy,
// nginx with $proxy_add_x_forwarded_for, Go's ReverseProxy) write the
// former and pass a client's own Forwarded header through untouched.
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	var addr netip.Addr
	if err != nil {
		addr, _ = netip.ParseAddr(r.RemoteAddr)
	} else {
		addr = ap.Addr()
	}
	addr = addr.Unmap().WithZone("")
	if len(s.cfg.TrustedProxies) == 0 || !s.trusted(addr) {
		return addr
	}
	hops := forwardedFor(r.Header)
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			return addr
		}
		if !s.trusted(a) {
			return a
		}
		addr = a
	}
	return addr
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedFor returns the hops the proxies recorded, left (client) to
// right (nearest proxy): X-Forwarded-For's entries, or Forwarded's for=
// parameters when there is no X-Forwarded-For.
func forwardedFor(h http.Header) []string {
	var hops []string
	if xff := h.Values("X-Forwarded-For"); len(xff) > 0 {
		for _, v := range xff {
			for part := range strings.SplitSeq(v, ",") {
				hops = append(hops, strings.TrimSpace(part))
			}
		}
		return hops
	}
	for _, v := range h.Values("Forwarded") {
		for _, elem := range splitQuoted(v, ',') {
			hop := "" // an element without for= is a hop we cannot place
			for _, pair := range splitQuoted(elem, ';') {
				k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "for") {
					hop = strings.TrimSpace(val)
				}
			}
			hops = append(hops, hop)
		}
	}
	return hops
}

// splitQuoted splits s at sep outside of double quotes (RFC 7239 values
// may be quoted strings).
func splitQuoted(s string, sep byte) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// parseHop parses one hop: "203.0.113.9", "203.0.113.9:4711",
// "2001:db8::1", "[2001:db8::1]:4711", each optionally double-quoted.
func parseHop(v string) (netip.Addr, bool) {
	v = strings.Trim(strings.TrimSpace(v), `"`)
	if a, err := netip.ParseAddr(v); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(v); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
		if a, err := netip.ParseAddr(v[1 : len(v)-1]); err == nil {
			return a.Unmap().WithZone(""), true
		}
	}
	return netip.Addr{}, false
}
