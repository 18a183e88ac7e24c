package render

import (
	"bytes"
	"strings"
)

// DefaultLayout is the layout used when a template has none: a simple,
// responsive single-column e-mail (600 px wide, full width on phones) with
// the preheader as hidden preview text and, when a listener is configured,
// a footer with the recipient's profile and unsubscribe links. Custom
// layouts use the same slots: {{ content }} (required, once),
// {{ preheader }}, {{ subject }}, {{ lang }} and {{ footer }}, plus any
// placeholder and system link; the open pixel goes before </body>.
const DefaultLayout = `<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<title>{{ subject }}</title>
<style>
body{margin:0;padding:0;background:#f4f4f5;color:#1f2937;font-family:Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;-webkit-text-size-adjust:100%;}
.wrapper{width:100%;background:#f4f4f5;padding:24px 0;}
.content{max-width:600px;margin:0 auto;background:#ffffff;padding:32px;border-radius:6px;}
h1,h2,h3{color:#111827;line-height:1.25;margin:0 0 16px;}
h1{font-size:26px;}h2{font-size:21px;}h3{font-size:18px;}
p,ul,ol,blockquote,pre{margin:0 0 16px;}
a{color:#1d4ed8;}
img{max-width:100%;height:auto;border:0;}
blockquote{border-left:4px solid #d1d5db;padding-left:12px;color:#4b5563;}
pre{background:#f3f4f6;padding:12px;overflow:auto;}
hr{border:0;border-top:1px solid #e5e7eb;margin:24px 0;}
@media only screen and (max-width:620px){.wrapper{padding:0;}.content{border-radius:0;padding:20px;}}
</style>
</head>
<body>
<div class="preheader" style="display:none;font-size:1px;color:#f4f4f5;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;">{{ preheader }}&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;</div>
<div class="wrapper">
<div class="content">
{{ content }}
</div>{{ footer }}
</div>
</body>
</html>
`

// htmlState is where in a layout's HTML the scanner stands.
type htmlState uint8

const (
	hText        htmlState = iota
	hTagName               // after "<" or "</"
	hInTag                 // between attributes
	hAttrName              // in an attribute's name
	hAfterName             // after an attribute's name, before "=" or the next
	hBeforeVal             // after "="
	hValDouble             // in a "…" value
	hValSingle             // in a '…' value
	hValUnquoted           // in an unquoted value
	hComment               // in <!-- … -->
	hRaw                   // in <script> or <style>
)

// htmlScanner follows a layout's HTML far enough to tell in which context
// a placeholder stands: a small tokenizer (text, tags, attributes, comments,
// script and style elements), not a validator.
type htmlScanner struct {
	state    htmlState
	tag      []byte // the current tag's name, lower case
	endTag   bool
	attr     []byte // the current attribute's name, lower case
	valueLen int    // bytes of the current attribute value so far
	raw      string // "script" or "style" while in hRaw
	openLT   bool   // the literal so far ends with "<" in the text: a value would name the tag
}

// feed advances the scanner over literal HTML.
func (h *htmlScanner) feed(s []byte) {
	h.openLT = false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch h.state {
		case hText:
			if c != '<' {
				continue
			}
			if i+1 >= len(s) {
				h.openLT = true
				continue
			}
			if n := s[i+1]; bytes.HasPrefix(s[i+1:], []byte("!--")) {
				h.state, i = hComment, i+3
			} else if n == '/' || isASCIILetter(n) {
				h.state, h.tag, h.endTag = hTagName, h.tag[:0], n == '/'
				if n == '/' {
					i++
				}
			}
		case hComment:
			if bytes.HasPrefix(s[i:], []byte("-->")) {
				h.state, i = hText, i+2
			}
		case hRaw:
			if c == '<' && i+2+len(h.raw) <= len(s) && s[i+1] == '/' && strings.EqualFold(string(s[i+2:i+2+len(h.raw)]), h.raw) {
				h.state, h.tag, h.endTag = hInTag, append(h.tag[:0], h.raw...), true
				i += 1 + len(h.raw)
			}
		case hTagName:
			switch {
			case isSpace(c), c == '/':
				h.state = hInTag
			case c == '>':
				h.closeTag()
			default:
				h.tag = append(h.tag, lower(c))
			}
		case hInTag, hAfterName:
			switch {
			case isSpace(c), c == '/':
			case c == '>':
				h.closeTag()
			case c == '=' && h.state == hAfterName:
				h.state = hBeforeVal
			default:
				h.state, h.attr = hAttrName, append(h.attr[:0], lower(c))
			}
		case hAttrName:
			switch {
			case isSpace(c):
				h.state = hAfterName
			case c == '=':
				h.state = hBeforeVal
			case c == '>':
				h.closeTag()
			case c == '/':
				h.state = hInTag
			default:
				h.attr = append(h.attr, lower(c))
			}
		case hBeforeVal:
			switch {
			case isSpace(c):
			case c == '"':
				h.state, h.valueLen = hValDouble, 0
			case c == '\'':
				h.state, h.valueLen = hValSingle, 0
			case c == '>':
				h.closeTag()
			default:
				h.state, h.valueLen = hValUnquoted, 1
			}
		case hValDouble, hValSingle:
			if (c == '"' && h.state == hValDouble) || (c == '\'' && h.state == hValSingle) {
				h.state = hInTag
			} else {
				h.valueLen++
			}
		case hValUnquoted:
			switch {
			case isSpace(c):
				h.state = hInTag
			case c == '>':
				h.closeTag()
			default:
				h.valueLen++
			}
		}
	}
}

func (h *htmlScanner) closeTag() {
	h.state = hText
	if t := string(h.tag); !h.endTag && (t == "script" || t == "style") {
		h.state, h.raw = hRaw, t
	}
}

// urlAttributes take a URL (or a list of them) as their value.
var urlAttributes = map[string]bool{
	"href": true, "src": true, "srcset": true, "action": true, "formaction": true, "background": true, "poster": true,
	"cite": true, "longdesc": true, "usemap": true, "data": true, "codebase": true, "manifest": true, "xlink:href": true,
	"lowsrc": true, "dynsrc": true, "icon": true, "profile": true, "ping": true, "archive": true, "classid": true,
}

// check says why the layout tag k cannot stand where the scanner is ("" if
// it can). Values are HTML-escaped, which protects text and quoted ordinary
// attributes only; system links are URLs Resonanz makes and may fill a URL
// attribute (as its whole value).
func (h *htmlScanner) check(k tagKind) string {
	markup := k == tagContent || k == tagFooter
	switch {
	case h.openLT:
		return "a placeholder must not stand inside a tag, only in the text or in a quoted attribute value"
	case h.state == hText, h.state == hComment:
		return ""
	}
	switch h.state {
	case hRaw:
		return "a placeholder must not stand inside <" + h.raw + ">: the value could run code or load something past the consent gate"
	case hValDouble, hValSingle:
		attr, tag := string(h.attr), string(h.tag)
		switch {
		case markup:
			return "{{ " + tagKeyword(k) + " }} must stand in the text, not in an attribute"
		case strings.HasPrefix(attr, "on"):
			return "a placeholder must not stand in the event handler " + attr
		case attr == "style":
			return "a placeholder must not stand in a style attribute: the value could load something past the consent gate"
		case urlAttributes[attr] || (tag == "meta" && attr == "content"):
			if k == tagSystem && h.valueLen == 0 {
				return ""
			}
			return "only a system link such as {{ unsubscribe_url }} may stand in " + attr + `="…", as the whole value: another value could make a javascript: link or load something past the consent gate`
		}
		return ""
	case hValUnquoted, hBeforeVal:
		return "a placeholder in an attribute value needs quotes around the value, e.g. alt=\"{{ first_name }}\""
	}
	return "a placeholder must not stand inside a tag, only in the text or in a quoted attribute value"
}

func tagKeyword(k tagKind) string {
	if k == tagFooter {
		return "footer"
	}
	return "content"
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func isASCIILetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
