package ingest

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
)

// GenerateSendGrid writes a deterministic SendGrid Event Webhook array of n
// events (delivered, open, click text/image, bounce, machine open,
// processed, deferred, each with a unique sg_event_id) to w. email(i) names
// the recipient of event i; nil uses user<i>@example.com. The same seed gives
// the same bytes. Benchmarks use it to make large files.
func GenerateSendGrid(w io.Writer, n int, seed int64, email func(i int) string) error {
	if n < 0 {
		return fmt.Errorf("ingest: generate: n must not be negative")
	}
	if email == nil {
		email = func(i int) string { return "user" + strconv.Itoa(i) + "@example.com" }
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	bw := bufio.NewWriterSize(w, 64<<10)
	const base = 1742288400
	ts := int64(base)
	bw.WriteString("[\n")
	for i := range n {
		if i > 0 {
			bw.WriteString(",\n")
		}
		ts += int64(rng.IntN(5))
		addr := email(i)
		msg := fmt.Sprintf("m%08x.recvd-%d", rng.Uint32(), i/8)
		var b []byte
		b = append(b, `{"email":`...)
		b = strconv.AppendQuote(b, addr)
		b = append(b, `,"timestamp":`...)
		b = strconv.AppendInt(b, ts, 10)
		b = append(b, `,"sg_event_id":"ev-`...)
		b = strconv.AppendInt(b, seed, 36)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(i), 36)
		b = append(b, `","sg_message_id":"`...)
		b = append(b, msg...)
		b = append(b, `","category":["spring-sale-2025","newsletter"],"campaign_id":"spring-sale-2025"`...)
		switch k := rng.IntN(20); {
		case k < 7:
			b = append(b, `,"event":"delivered","smtp-id":"<`...)
			b = append(b, msg...)
			b = append(b, `@example.net>","ip":"198.51.100.21","response":"250 2.0.0 OK","tls":1`...)
		case k < 12:
			b = append(b, `,"event":"open","sg_machine_open":false,"ip":"203.0.113.45","useragent":"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.8.0"`...)
		case k < 14:
			b = append(b, `,"event":"open","sg_machine_open":true,"ip":"192.0.2.77","useragent":"Mozilla/5.0"`...)
		case k < 16:
			b = append(b, `,"event":"click","url":"https://www.example.com/spring?utm_content=text-cta","url_offset":{"index":0,"type":"html"},"ip":"203.0.113.45","useragent":"Mozilla/5.0 (X11; Linux x86_64; rv:136.0) Gecko/20100101 Firefox/136.0"`...)
		case k < 17:
			b = append(b, `,"event":"click","url":"https://www.example.com/spring?utm_content=hero-banner-image","url_offset":{"index":1,"type":"html"},"ip":"203.0.113.45","useragent":"Mozilla/5.0 (X11; Linux x86_64; rv:136.0) Gecko/20100101 Firefox/136.0"`...)
		case k < 18:
			b = append(b, `,"event":"bounce","type":"bounce","bounce_classification":"Invalid Address","status":"5.1.1","reason":"550 5.1.1 The email account that you tried to reach does not exist","ip":"198.51.100.21"`...)
		case k < 19:
			b = append(b, `,"event":"processed"`...)
		default:
			b = append(b, `,"event":"deferred","response":"421 4.7.0 Try again later","attempt":"1","ip":"198.51.100.21"`...)
		}
		b = append(b, '}')
		if _, err := bw.Write(b); err != nil {
			return fmt.Errorf("ingest: generate: %w", err)
		}
	}
	bw.WriteString("\n]\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("ingest: generate: %w", err)
	}
	return nil
}
