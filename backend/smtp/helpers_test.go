package smtp_test

import (
	"encoding/base64"
	"io"
	"mime/quotedprintable"
	"net/textproto"
)

func quotedPrintable(r io.Reader) io.Reader { return quotedprintable.NewReader(r) }

func base64Reader(r io.Reader) io.Reader { return base64.NewDecoder(base64.StdEncoding, r) }

func textprotoCanonical(s string) string { return textproto.CanonicalMIMEHeaderKey(s) }
