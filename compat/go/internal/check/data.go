package check

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"
)

// Environment of a client script, set by the runner.
const (
	// EnvBootstrap is a broker with Fjord's defaults (topics auto-created).
	EnvBootstrap = "FJORD_COMPAT_BOOTSTRAP"
	// EnvNoAutoBootstrap is a broker started with auto.create.topics.enable=false.
	EnvNoAutoBootstrap = "FJORD_COMPAT_NOAUTO_BOOTSTRAP"
	// EnvFjord is the fjord binary (scripts of clients without an admin API
	// create their fixture topics with it).
	EnvFjord = "FJORD_COMPAT_FJORD"
	// EnvMember, when set, makes a client's binary run as one consumer
	// group member for the runner's scenario 4 (see Member).
	EnvMember = "FJORD_COMPAT_MEMBER"
	EnvTopic  = "FJORD_COMPAT_TOPIC"
	EnvGroup  = "FJORD_COMPAT_GROUP"
)

// Env returns a required environment variable or exits with a message.
func Env(name string) string {
	v := os.Getenv(name)
	if v == "" {
		fmt.Fprintf(os.Stderr, "%s is not set: run the suite with compat/run, which starts the brokers\n", name)
		os.Exit(2)
	}
	return v
}

// Header is a record header.
type Header struct{ Key, Value string }

// Rec is a record as produced and as consumed. Nil Key or Value is null.
type Rec struct {
	Key, Value []byte
	Headers    []Header
	Timestamp  time.Time
}

// StandardRecords is the record set every client produces in scenario 2
// and reads back in scenario 3 (the Python and Node scripts build the same
// set): keys, a null key, a null value, an empty value, binary bytes, a
// compressible value, repeated and empty headers, UTF-8, and explicit
// timestamps one second apart from base.
func StandardRecords(base time.Time) []Rec {
	bin := make([]byte, 256)
	for i := range bin {
		bin[i] = byte(i)
	}
	recs := []Rec{
		{Key: []byte("k0"), Value: []byte("v0"), Headers: []Header{{"h1", "v1"}}},
		{Key: nil, Value: []byte("no key")},
		{Key: []byte("k2"), Value: nil},
		{Key: []byte("k3"), Value: []byte{}},
		{Key: []byte("\x00\xffbin"), Value: bin},
		{Key: []byte("k5"), Value: []byte(strings.Repeat("compressible ", 1000))},
		{Key: []byte("k6"), Value: []byte("v6"), Headers: []Header{{"h1", "v1"}, {"h1", "v2"}, {"empty", ""}}},
		{Key: []byte("ключ-✓"), Value: []byte("значение ✓")},
	}
	for i := range recs {
		recs[i].Timestamp = base.Add(time.Duration(i) * time.Second)
	}
	return recs
}

// Base is a timestamp base for StandardRecords: an hour ago, to the
// millisecond (inside retention, and before any record produced now).
func Base() time.Time { return time.Now().Add(-time.Hour).Truncate(time.Millisecond) }

// Compare reports the first difference between consumed and produced
// records, field by field; nil when identical and in the same order.
func Compare(got, want []Rec) error {
	for i := 0; i < len(got) && i < len(want); i++ {
		g, w := got[i], want[i]
		switch {
		case !eqNullable(g.Key, w.Key):
			return fmt.Errorf("record %d: key %s, want %s", i, show(g.Key), show(w.Key))
		case !eqNullable(g.Value, w.Value):
			return fmt.Errorf("record %d: value %s, want %s", i, show(g.Value), show(w.Value))
		case !g.Timestamp.Equal(w.Timestamp):
			return fmt.Errorf("record %d: timestamp %d, want %d", i, g.Timestamp.UnixMilli(), w.Timestamp.UnixMilli())
		case fmt.Sprint(normHeaders(g.Headers)) != fmt.Sprint(normHeaders(w.Headers)):
			return fmt.Errorf("record %d: headers %q, want %q", i, g.Headers, w.Headers)
		}
	}
	if len(got) != len(want) {
		return fmt.Errorf("%d records, want %d", len(got), len(want))
	}
	return nil
}

func normHeaders(h []Header) []Header {
	if len(h) == 0 {
		return nil
	}
	return h
}

func eqNullable(a, b []byte) bool {
	if (a == nil) != (b == nil) {
		return false
	}
	return bytes.Equal(a, b)
}

func show(b []byte) string {
	if b == nil {
		return "null"
	}
	if len(b) > 40 {
		return fmt.Sprintf("%q...(%d bytes)", b[:40], len(b))
	}
	return fmt.Sprintf("%q", b)
}

// EmptyAsNull is recs with empty keys and values made null, for readers
// that cannot tell the two apart.
func EmptyAsNull(recs []Rec) []Rec {
	out := make([]Rec, len(recs))
	for i, r := range recs {
		if r.Key != nil && len(r.Key) == 0 {
			r.Key = nil
		}
		if r.Value != nil && len(r.Value) == 0 {
			r.Value = nil
		}
		out[i] = r
	}
	return out
}
