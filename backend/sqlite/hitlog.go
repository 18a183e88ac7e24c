package sqlite

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// The hit log: the listener's inbox is a directory of append-only files,
// one written by each running listener. A file is a header — the magic
// "RZHITS1\n" and 8 random bytes, the file's generation, which names its
// merge mark in the store — and then one frame per hit:
//
//	length  uint32, little endian: bytes of the payload
//	crc     uint32, little endian: CRC-32C of the payload
//	payload type (uvarint length, bytes), mailing, recipient, link and
//	        time in ms (varints), machine open (one byte 0/1),
//	        user agent (uvarint length, bytes)
//
// A frame is written with one write(2) before the request is answered. A
// reader stops at the first frame that is not whole and valid: the torn
// tail a power cut can leave (a killed process cannot tear a frame: the
// kernel has the whole write or none of it).
const (
	// InboxDirName is the hit inbox's directory beside the store.
	InboxDirName = "hits-inbox"

	logMagic       = "RZHITS1\n"
	logHeaderLen   = len(logMagic) + 8
	frameHeaderLen = 8
	maxTypeLen     = 64
	maxAgentLen    = 1000
	// maxFramePayload bounds a frame's payload: anything longer is garbage.
	maxFramePayload = 1 + maxTypeLen + 4*binary.MaxVarintLen64 + 1 + 2 + maxAgentLen
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// appendFrame appends the frame of h to b. Type and user agent are cut to
// their bounds (the listener's user agents are shorter already).
func appendFrame(b []byte, h resonanz.Hit) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)
	p := len(b)
	typ, ua := string(h.Type), h.UserAgent
	if len(typ) > maxTypeLen {
		typ = typ[:maxTypeLen]
	}
	if len(ua) > maxAgentLen {
		ua = ua[:maxAgentLen]
	}
	b = binary.AppendUvarint(b, uint64(len(typ)))
	b = append(b, typ...)
	b = binary.AppendVarint(b, h.MailingID)
	b = binary.AppendVarint(b, h.RecipientID)
	b = binary.AppendVarint(b, h.LinkID)
	b = binary.AppendVarint(b, millis(h.At))
	if h.MachineOpen {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(ua)))
	b = append(b, ua...)
	binary.LittleEndian.PutUint32(b[start:], uint32(len(b)-p))
	binary.LittleEndian.PutUint32(b[start+4:], crc32.Checksum(b[p:], crcTable))
	return b
}

// frameStatus is what decodeFrame found at the start of its input.
type frameStatus int

const (
	frameOK    frameStatus = iota
	frameShort             // a frame begins, but the input ends before it does
	frameBad               // not a valid frame: garbage or a torn write
)

// decodeFrame decodes the frame at the start of b and returns the hit and
// the frame's length. frameShort means b holds only the beginning of a
// frame (more input may complete it; at the end of a file it is a torn
// tail); frameBad that b does not begin with a valid frame.
func decodeFrame(b []byte) (resonanz.Hit, int, frameStatus) {
	var h resonanz.Hit
	if len(b) < frameHeaderLen {
		return h, 0, frameShort
	}
	n := int(binary.LittleEndian.Uint32(b))
	if n == 0 || n > maxFramePayload {
		return h, 0, frameBad
	}
	if len(b) < frameHeaderLen+n {
		return h, 0, frameShort
	}
	p := b[frameHeaderLen : frameHeaderLen+n]
	if crc32.Checksum(p, crcTable) != binary.LittleEndian.Uint32(b[4:]) {
		return h, 0, frameBad
	}
	d := decoder{b: p}
	typ := d.bytes(maxTypeLen)
	h.Type = resonanz.ReactionType(typ)
	h.MailingID, h.RecipientID, h.LinkID = d.varint(), d.varint(), d.varint()
	at := d.varint()
	machine := d.byte()
	h.UserAgent = string(d.bytes(maxAgentLen))
	if d.err || len(d.b) != 0 || machine > 1 || len(typ) == 0 {
		return resonanz.Hit{}, 0, frameBad
	}
	h.At, h.MachineOpen = fromMillis(at), machine == 1
	return h, frameHeaderLen + n, frameOK
}

// decoder reads a frame's payload; err is set once anything is missing.
type decoder struct {
	b   []byte
	err bool
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.err = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) bytes(limit int) []byte {
	n, k := binary.Uvarint(d.b)
	if k <= 0 || n > uint64(limit) || n > uint64(len(d.b)-k) {
		d.err, d.b = true, nil
		return nil
	}
	v := d.b[k : k+int(n)]
	d.b = d.b[k+int(n):]
	return v
}

// logFile is one file of the hit log that this process owns (holds the
// lock of): the one it appends to, or one it rotated away from or adopted
// from a process that ended (final: no more appends).
type logFile struct {
	seq  uint64
	path string
	f    *os.File
	gen  string // hex of the header's generation: the merge mark's name

	size  atomic.Int64 // bytes of whole frames written (with the header)
	final atomic.Bool  // no more appends; set after the last one

	own    bool  // appended to by this process (its hits count in the backlog)
	marked bool  // merged was read from the store
	merged int64 // offset up to which the file is merged into the store
}

// logFileName is the name of the file with sequence number seq.
func logFileName(seq uint64) string { return fmt.Sprintf("%016d.log", seq) }

// logSeq parses a file name of the hit log.
func logSeq(name string) (uint64, bool) {
	s, ok := strings.CutSuffix(name, ".log")
	if !ok || len(s) != 16 {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// listLogs returns the sequence numbers of the hit log's files, ascending.
func listLogs(dir string) ([]uint64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var seqs []uint64
	for _, e := range ents {
		if n, ok := logSeq(e.Name()); ok && e.Type().IsRegular() {
			seqs = append(seqs, n)
		}
	}
	slices.Sort(seqs)
	return seqs, nil
}

// errLocked: another running process owns the file.
var errLocked = errors.New("hit log file in use")

// createLog creates the next file of the hit log, locked, with its header.
func createLog(dir string) (*logFile, error) {
	seqs, err := listLogs(dir)
	if err != nil {
		return nil, err
	}
	seq := uint64(1)
	if len(seqs) > 0 {
		seq = seqs[len(seqs)-1] + 1
	}
	for ; ; seq++ {
		path := filepath.Join(dir, logFileName(seq))
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600) // user agents: the owner's only
		if errors.Is(err, os.ErrExist) {
			continue // another process took this number
		}
		if err != nil {
			return nil, err
		}
		if err := lockFile(f); err != nil {
			f.Close()
			return nil, err
		}
		hdr := make([]byte, logHeaderLen)
		copy(hdr, logMagic)
		rand.Read(hdr[len(logMagic):])
		if _, err := f.Write(hdr); err != nil {
			f.Close()
			os.Remove(path)
			return nil, err
		}
		lf := &logFile{seq: seq, path: path, f: f, gen: hex.EncodeToString(hdr[len(logMagic):])}
		lf.size.Store(int64(logHeaderLen))
		return lf, nil
	}
}

// adoptLog opens and locks a file of the hit log left by a process that
// ended. It returns errLocked when a running process owns it, and a nil
// file (removed) when it holds no header: its creator died before writing
// one, so it holds no hits either.
func adoptLog(dir string, seq uint64) (*logFile, error) {
	path := filepath.Join(dir, logFileName(seq))
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, err
	}
	hdr := make([]byte, logHeaderLen)
	n, _ := f.ReadAt(hdr, 0)
	if n < logHeaderLen && string(hdr[:min(n, len(logMagic))]) == logMagic[:min(n, len(logMagic))] {
		f.Close()
		return nil, os.Remove(path)
	}
	if string(hdr[:len(logMagic)]) != logMagic {
		f.Close()
		return nil, fmt.Errorf("%s is not a hit log file", path)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	lf := &logFile{seq: seq, path: path, f: f, gen: hex.EncodeToString(hdr[len(logMagic):])}
	lf.size.Store(st.Size())
	lf.final.Store(true)
	return lf, nil
}
