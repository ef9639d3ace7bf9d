package cli

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestRecordFormat(t *testing.T) {
	r := &kgo.Record{Topic: "t", Partition: 3, Offset: 42, Key: nil, Value: []byte("v"),
		Timestamp: time.UnixMilli(1000), Headers: []kgo.RecordHeader{{Key: "a", Value: []byte("1")}}}
	for _, c := range []struct{ format, want string }{
		{`%s\n`, "v\n"},
		{`%k|%s`, "|v"},
		{`%K %S`, "-1 1"},
		{`%t-%p@%o`, "t-3@42"},
		{`%h %T %D`, "a=1 1000 1970-01-01T00:00:01Z"},
		{`\t\\%%\x`, "\t\\%\\x"},
		{`trailing\`, `trailing\`},
		{`\0`, "\x00"},
	} {
		f, err := parseRecordFormat(c.format)
		if err != nil {
			t.Fatalf("%q: %v", c.format, err)
		}
		if got := string(f.append(nil, r)); got != c.want {
			t.Errorf("%q: got %q, want %q", c.format, got, c.want)
		}
	}
	for _, bad := range []string{"%", "%x", "abc%"} {
		if _, err := parseRecordFormat(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestKafkaFormatterDefaultsAndSeparators(t *testing.T) {
	r := &kgo.Record{Partition: 1, Offset: 2, Value: []byte("v"), Timestamp: time.UnixMilli(5)}
	k := newKafkaFormatter()
	if got := string(k.append(nil, r)); got != "v\n" {
		t.Errorf("defaults: %q", got)
	}
	for _, kv := range [][2]string{{"print.key", "true"}, {"print.timestamp", "true"}, {"null.literal", "NULL"}, {"line.separator", ";"}} {
		if !k.set(kv[0], kv[1]) {
			t.Fatalf("%s not known", kv[0])
		}
	}
	if got := string(k.append(nil, r)); got != "CreateTime:5\tNULL\tv;" {
		t.Errorf("got %q", got)
	}
	if k.set("print.everything", "true") {
		t.Error("an unknown property was accepted")
	}
}

func TestJSONBytesFallsBackToBase64(t *testing.T) {
	if s, b64 := jsonBytes([]byte("héllo")); s == nil || *s != "héllo" || b64 != "" {
		t.Errorf("utf-8: %v %q", s, b64)
	}
	if s, b64 := jsonBytes([]byte{0xff}); s != nil || b64 != "/w==" {
		t.Errorf("binary: %v %q", s, b64)
	}
	if s, b64 := jsonBytes(nil); s != nil || b64 != "" {
		t.Errorf("null: %v %q", s, b64)
	}
}
