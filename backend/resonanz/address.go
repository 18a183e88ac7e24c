package resonanz

import "strings"

// The fast paths below recognize the plain form nearly every address has
// (ASCII, a dot-atom before the @, a host name of letters, digits and
// hyphens after it) without net/mail's parser and the IDNA tables, which
// took most of the time of validating 100k imported addresses or 1M
// provider-log events. Anything else takes the full path. The fast paths
// only ever accept what the full path accepts, with the same result
// (FuzzAddressFastPath).

// atext marks the ASCII characters RFC 5322 allows in a dot-atom besides
// the dot.
var atext = func() (t [128]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "!#$%&'*+-/=?^_`{|}~" {
		t[c] = true
	}
	return t
}()

// plainLocal reports whether s is a dot-atom of ASCII atext.
func plainLocal(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			if s[i-1] == '.' {
				return false
			}
			continue
		}
		if c >= 128 || !atext[c] {
			return false
		}
	}
	return true
}

// plainHost reports whether s is a host name of at least two labels, each
// 1–63 letters, digits and hyphens, not starting or ending with a hyphen
// and without hyphens in its third and fourth place (which IDNA reserves,
// as in "xn--").
func plainHost(s string) bool {
	labels := 0
	for len(s) > 0 {
		label := s
		if i := strings.IndexByte(s, '.'); i >= 0 {
			label, s = s[:i], s[i+1:]
			if s == "" {
				return false // a trailing dot
			}
		} else {
			s = ""
		}
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' ||
			len(label) >= 4 && label[2] == '-' && label[3] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
		labels++
	}
	return labels >= 2
}

// plainAddress reports whether s is local@host in the plain form.
func plainAddress(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && len(s) <= MaxEmailLength && plainLocal(s[:at]) && plainHost(s[at+1:])
}
