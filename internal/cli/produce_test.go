package cli

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fjordlabs/fjord/internal/fjordtest"
)

func TestProduceLinesWithKeysAndHeadersPrintsOffsetsInInputOrder(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	createTopic(t, b, "demo", 3, nil)
	in := "user-1:logged in\nuser-2:clicked: twice\nuser-3:\r\nuser-1:logged out"
	r := ok(t, b, in, "produce", "demo", "--key-separator", ":", "-H", "source=test", "-H", "v=2", "-v")

	recs := readRecords(t, b, "demo", 4)
	byValue := map[string]*kgo.Record{}
	for _, rec := range recs {
		byValue[string(rec.Value)] = rec
		if len(rec.Headers) != 2 || rec.Headers[0].Key != "source" || string(rec.Headers[0].Value) != "test" ||
			rec.Headers[1].Key != "v" || string(rec.Headers[1].Value) != "2" {
			t.Errorf("headers of %q: %v", rec.Value, rec.Headers)
		}
	}
	want := []struct{ key, value string }{{"user-1", "logged in"}, {"user-2", "clicked: twice"}, {"user-3", ""}, {"user-1", "logged out"}}
	var wantOut []string
	for i, w := range want {
		rec := byValue[w.value]
		if rec == nil || string(rec.Key) != w.key {
			t.Fatalf("record %d: want key %q value %q; got %v", i, w.key, w.value, rec)
		}
		wantOut = append(wantOut, fmt.Sprintf("line %d: partition %d, offset %d", i+1, rec.Partition, rec.Offset))
	}
	// The same key lands on the same partition, after the earlier record.
	if a, c := byValue["logged in"], byValue["logged out"]; a.Partition != c.Partition || c.Offset <= a.Offset {
		t.Errorf("user-1's records: partition %d offset %d, partition %d offset %d", a.Partition, a.Offset, c.Partition, c.Offset)
	}
	if got := lines(r.stdout); strings.Join(got, "\n") != strings.Join(wantOut, "\n") {
		t.Errorf("-v output:\n%s\nwant:\n%s", r.stdout, strings.Join(wantOut, "\n"))
	}
	if !strings.Contains(r.stderr, "Produced 4 records") || !strings.Contains(r.stderr, "records/s") || !strings.Contains(r.stderr, "MB/s") {
		t.Errorf("summary: %q", r.stderr)
	}
}

func TestProduceWithoutKeyAndEmptyLines(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	createTopic(t, b, "demo", 1, nil)
	r := ok(t, b, "one\n\nthree\n", "produce", "demo")
	if r.stdout != "" || r.stderr != "" {
		t.Errorf("a quick produce without -v prints nothing: %s", r)
	}
	recs := readRecords(t, b, "demo", 3)
	for i, want := range []string{"one", "", "three"} {
		if string(recs[i].Value) != want || recs[i].Key != nil {
			t.Errorf("record %d: key %q value %q", i, recs[i].Key, recs[i].Value)
		}
	}
}

func TestProduceEveryCompressionAndAcksToAPartition(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	createTopic(t, b, "demo", 3, nil)
	n := 0
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		for _, acks := range []string{"all", "1", "0"} {
			value := codec + "/" + acks
			r := ok(t, b, value+"\n"+value+"\n", "produce", "demo", "--partition", "2", "--compression", codec,
				"--acks", acks, "--linger", "1ms", "--batch-size", "65536", "-v", "-o", "json")
			got := lines(r.stdout)
			if len(got) != 2 {
				t.Fatalf("%s: -v -o json: %q", value, r.stdout)
			}
			p := decodeJSON[produced](t, got[1])
			if p.Line != 2 || p.Partition != 2 || p.Topic != "demo" || (acks == "0") != (p.Offset == -1) {
				t.Errorf("%s: %+v", value, p)
			}
			if acks != "0" {
				n += 2 // acks=0 records may be lost: nobody waits for them
			}
		}
	}
	recs := readRecords(t, b, "demo", n)
	for _, rec := range recs {
		if rec.Partition != 2 {
			t.Errorf("record %q went to partition %d", rec.Value, rec.Partition)
		}
	}
}

func TestProduceFileReportsRates(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	path := filepath.Join(t.TempDir(), "lines.txt")
	var sb strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&sb, "%d:%s\n", i, strings.Repeat("x", 100))
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r := ok(t, b, "", "produce", "big", "-f", path, "-K", ":", "-z", "lz4", "-v")
	if got := len(lines(r.stdout)); got != 20000 {
		t.Errorf("%d offsets printed, want 20000", got)
	}
	if !strings.HasPrefix(r.stderr, "Produced 20000 records (2.09 MB) to big in ") ||
		!strings.Contains(r.stderr, "records/s") || !strings.Contains(r.stderr, "MB/s") {
		t.Errorf("summary: %q", r.stderr)
	}
	if recs := readRecords(t, b, "big", 20000); string(recs[0].Key) == "" {
		t.Errorf("keys were not parsed")
	}
	// -q silences the summary.
	if r := ok(t, b, "a\n", "produce", "big", "-v", "-q"); r.stderr != "" {
		t.Errorf("-q: %q", r.stderr)
	}
}

func TestProduceKafkaConsoleProducerFlags(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	createTopic(t, b, "demo", 1, nil)
	ok(t, b, "k1:v1\n", "produce", "--topic", "demo", "--property", "parse.key=true", "--property", "key.separator=:",
		"--producer-property", "acks=1", "--request-required-acks", "1", "--compression-codec", "gzip")
	ok(t, b, "h1:x,h2:y\tk2\tv2\n", "produce", "--topic", "demo", "--property", "parse.key=true",
		"--property", "parse.headers=true")
	recs := readRecords(t, b, "demo", 2)
	if string(recs[0].Key) != "k1" || string(recs[0].Value) != "v1" {
		t.Errorf("record 0: %q %q", recs[0].Key, recs[0].Value)
	}
	if string(recs[1].Key) != "k2" || string(recs[1].Value) != "v2" || len(recs[1].Headers) != 2 ||
		recs[1].Headers[1].Key != "h2" || string(recs[1].Headers[1].Value) != "y" {
		t.Errorf("record 1: %q %q %v", recs[1].Key, recs[1].Value, recs[1].Headers)
	}
	fails(t, b, 2, "", []string{"produce", "--topic", "demo", "--property", "no.such=1"}, "--property no.such")
}

func TestProduceFailuresNameTheLineAndKafkaError(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t, "auto.create.topics.enable=false")
	createTopic(t, b, "demo", 1, nil)
	createTopic(t, b, "small", 1, map[string]*string{"max.message.bytes": ptr("100")})

	fails(t, b, 1, "a:1\nno separator\n", []string{"produce", "demo", "-K", ":"},
		`produce line 2 to demo: no key separator ":" on the line`)
	fails(t, b, 1, strings.Repeat("x", 1000)+"\n", []string{"produce", "small"},
		"produce line 1 to small: MESSAGE_TOO_LARGE: ")
	fails(t, b, 1, "x\n", []string{"produce", "nope", "--timeout", "5s"},
		"produce line 1 to nope: UNKNOWN_TOPIC_OR_PARTITION: ")
	fails(t, b, 1, "x\n", []string{"produce", "demo", "--partition", "7"}, "produce line 1 to demo: ")
	fails(t, b, 1, "", []string{"produce", "demo", "-f", filepath.Join(t.TempDir(), "missing.txt")}, "missing.txt")
	fails(t, b, 2, "", []string{"produce", "demo", "--key", "k", "-K", ":"}, "--key")
}

func ptr(s string) *string { return &s }

// TestProduceInterruptedSendsWhatItRead types lines into a running
// producer, interrupts it and checks that every line typed was written.
func TestProduceInterruptedSendsWhatItRead(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	createTopic(t, b, "demo", 1, nil)
	cmd := fjordCmd(t, b, "produce", "demo", "-v")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	sc := bufio.NewScanner(stdout)
	for i := range 3 {
		fmt.Fprintf(stdin, "typed %d\n", i)
		// -v prints the offset once the broker has the record.
		if !sc.Scan() {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("producer ended after %d lines: %s", i, stderr.String())
		}
		if want := fmt.Sprintf("line %d: partition 0, offset %d", i+1, i); sc.Text() != want {
			t.Errorf("got %q, want %q", sc.Text(), want)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGINT: %v\n%s", err, stderr.String())
	}
	if !strings.HasPrefix(stderr.String(), "Produced 3 records") {
		t.Errorf("stderr: %q", stderr.String())
	}
	if recs := readRecords(t, b, "demo", 3); string(recs[2].Value) != "typed 2" {
		t.Errorf("last record: %q", recs[2].Value)
	}
}
