package cli

import (
	"bufio"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fjordlabs/fjord/internal/fjordtest"
)

// fillDemo creates topic demo with two partitions: partition 0 holds
// k0=v0..k4=v4 (k1's with a header), partition 1 holds k5=v5..k7=v7.
func fillDemo(t *testing.T, b *fjordtest.Broker) {
	t.Helper()
	createTopic(t, b, "demo", 2, nil)
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	var rs []*kgo.Record
	for i := range 8 {
		r := &kgo.Record{Topic: "demo", Partition: int32(i / 5), Key: []byte(fmt.Sprint("k", i)), Value: []byte(fmt.Sprint("v", i)),
			Timestamp: time.UnixMilli(int64(1700000000000 + i))}
		if i == 1 {
			r.Headers = []kgo.RecordHeader{{Key: "h", Value: []byte("x")}, {Key: "n"}}
		}
		rs = append(rs, r)
	}
	if err := cl.ProduceSync(fjordtest.Context(t), rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// byPartition groups output lines "P ..." by their first field.
func byPartition(out string) map[string][]string {
	m := map[string][]string{}
	for _, l := range lines(out) {
		p, rest, _ := strings.Cut(l, " ")
		m[p] = append(m[p], rest)
	}
	return m
}

func TestConsumeFromBeginningToTheEnd(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	fillDemo(t, b)
	r := ok(t, b, "", "consume", "demo", "--from-beginning", "-e", "-f", `%p %s\n`)
	got := byPartition(r.stdout)
	if strings.Join(got["0"], ",") != "v0,v1,v2,v3,v4" || strings.Join(got["1"], ",") != "v5,v6,v7" {
		t.Errorf("records: %v", got)
	}
	if r.stderr != "Processed a total of 8 messages.\n" {
		t.Errorf("stderr: %q", r.stderr)
	}
	// From the end (the default) there is nothing to read.
	if r := ok(t, b, "", "consume", "demo", "-e", "-q"); r.stdout != "" || r.stderr != "" {
		t.Errorf("from the end: %s", r)
	}
}

func TestConsumeFormatFields(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	fillDemo(t, b)
	r := ok(t, b, "", "consume", "demo", "--partition", "0", "--offset", "1", "--max-messages", "2", "-q",
		"-f", `%t/%p/%o %k=%s [%h] %K %S %T %D 100%%\n`)
	want := "demo/0/1 k1=v1 [h=x,n=] 2 2 1700000000001 2023-11-14T22:13:20.001Z 100%\n" +
		"demo/0/2 k2=v2 [] 2 2 1700000000002 2023-11-14T22:13:20.002Z 100%\n"
	if r.stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, want)
	}
}

func TestConsumeJSONLines(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	fillDemo(t, b)
	cl := b.Client()
	if err := cl.ProduceSync(fjordtest.Context(t), &kgo.Record{Topic: "demo", Partition: 1, Value: []byte{0xff, 0xfe}}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	r := ok(t, b, "", "consume", "demo", "--from-beginning", "-e", "-o", "json", "-q")
	got := lines(r.stdout)
	if len(got) != 9 {
		t.Fatalf("%d lines:\n%s", len(got), r.stdout)
	}
	var sawBinary, sawHeaders bool
	for _, l := range got {
		j := decodeJSON[jsonRecord](t, l)
		switch {
		case j.Value == nil:
			sawBinary = j.ValueBase64 == "//4=" && j.Key == nil
		case *j.Value == "v1":
			sawHeaders = len(j.Headers) == 2 && j.Headers[0].Key == "h" && *j.Headers[0].Value == "x" &&
				j.Partition == 0 && j.Offset == 1 && j.Timestamp == 1700000000001 && *j.Key == "k1"
		}
	}
	if !sawBinary || !sawHeaders {
		t.Errorf("binary value in base64: %v, headers: %v\n%s", sawBinary, sawHeaders, r.stdout)
	}
}

func TestConsumeStartOffsets(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	fillDemo(t, b)
	for _, c := range []struct {
		args []string
		want map[string]string
	}{
		{[]string{"--offset", "-2"}, map[string]string{"0": "v3,v4", "1": "v6,v7"}},
		{[]string{"--offset", "-100"}, map[string]string{"0": "v0,v1,v2,v3,v4", "1": "v5,v6,v7"}},
		{[]string{"--offset", "3", "--partition", "0"}, map[string]string{"0": "v3,v4"}},
		{[]string{"--offset", "earliest", "-p", "1"}, map[string]string{"1": "v5,v6,v7"}},
		{[]string{"--offset", "1", "-p", "0,1"}, map[string]string{"0": "v1,v2,v3,v4", "1": "v6,v7"}},
		{[]string{"--offset", "latest"}, map[string]string{}},
	} {
		r := ok(t, b, "", append([]string{"consume", "demo", "-e", "-q", "-f", `%p %s\n`}, c.args...)...)
		got := map[string]string{}
		for p, vs := range byPartition(r.stdout) {
			got[p] = strings.Join(vs, ",")
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%v: got %v, want %v", c.args, got, c.want)
		}
	}
}

func TestConsumeKafkaConsoleConsumerProperties(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	fillDemo(t, b)
	r := ok(t, b, "", "consume", "--topic", "demo", "--partition", "0", "--offset", "0", "--max-messages", "2",
		"--property", "print.key=true", "--property", "key.separator=:", "--property", "print.partition=true",
		"--property", "print.headers=true", "--property", "print.offset=true")
	want := "Partition:0:Offset:0:NO_HEADERS:k0:v0\nPartition:0:Offset:1:h:x,n:null:k1:v1\n"
	if r.stdout != want {
		t.Errorf("stdout:\n%q\nwant:\n%q", r.stdout, want)
	}
	r = ok(t, b, "", "consume", "--topic", "demo", "--from-beginning", "--timeout-ms", "300", "-q", "-p", "1",
		"--property", "print.timestamp=true", "--property", "print.value=false")
	if r.stdout != "CreateTime:1700000000005\nCreateTime:1700000000006\nCreateTime:1700000000007\n" {
		t.Errorf("stdout:\n%s", r.stdout)
	}
}

func TestConsumeIdleTimeoutEndsAQuietConsumer(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t) // with Kafka's 3 s delay before a new group forms
	fillDemo(t, b)
	start := time.Now()
	r := ok(t, b, "", "consume", "demo", "--from-beginning", "--idle-timeout", "500ms")
	if n := len(lines(r.stdout)); n != 8 {
		t.Errorf("%d records, want 8", n)
	}
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("exited after %v, before the idle timeout", d)
	}
	// In a group the clock starts once the member fetches: joining the
	// group does not count as idle.
	r = ok(t, b, "", "consume", "demo", "--group", "app", "--from-beginning", "--idle-timeout", "300ms")
	if n := len(lines(r.stdout)); n != 8 {
		t.Errorf("group: %d records, want 8", n)
	}
}

func TestConsumeUnknownTopicOrPartitionFails(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t, "auto.create.topics.enable=false")
	fillDemo(t, b)
	fails(t, b, 1, "", []string{"consume", "nope"}, "consume nope: UNKNOWN_TOPIC_OR_PARTITION: ")
	fails(t, b, 1, "", []string{"consume", "demo", "-p", "7"}, "consume demo partition 7: UNKNOWN_TOPIC_OR_PARTITION: ", "2 partitions")
	fails(t, b, 2, "", []string{"consume", "demo", "--from-beginning", "--offset", "3"}, "--from-beginning")
}

// TestConsumeFollowsNewRecordsAndExitsCleanlyOnSIGINT runs a consumer
// that waits for records, produces while it runs, and interrupts it once it
// printed them.
func TestConsumeFollowsNewRecordsAndExitsCleanlyOnSIGINT(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	fillDemo(t, b)
	// Start exactly at partition 0's end, so that what the test writes next
	// is what the consumer must print, however late it starts.
	cmd := fjordCmd(t, b, "consume", "demo", "-p", "0", "--offset", "5", "-f", `%k=%s\n`)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	for i := range 3 {
		r := &kgo.Record{Topic: "demo", Partition: 0, Key: []byte("new"), Value: []byte(fmt.Sprint(i))}
		if err := cl.ProduceSync(fjordtest.Context(t), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	sc := bufio.NewScanner(stdout)
	for i := range 3 {
		if !sc.Scan() {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("consumer ended after %d lines: %v\n%s", i, sc.Err(), stderr.String())
		}
		if want := fmt.Sprint("new=", i); sc.Text() != want {
			t.Errorf("line %d: %q, want %q", i, sc.Text(), want)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
		t.Errorf("extra output: %q", sc.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGINT: %v\n%s", err, stderr.String())
	}
	if stderr.String() != "Processed a total of 3 messages.\n" {
		t.Errorf("stderr: %q", stderr.String())
	}
}

func TestConsumeGroupCommitsWhatItPrintedAndResumes(t *testing.T) {
	t.Parallel()
	b := startGroupBroker(t)
	fillDemo(t, b)
	r := ok(t, b, "", "consume", "demo", "--group", "app", "--from-beginning", "-n", "3", "-f", `%p %o\n`)
	first := lines(r.stdout)
	if len(first) != 3 {
		t.Fatalf("-n 3 printed %d records:\n%s", len(first), r.stdout)
	}
	// The committed offset of each partition is one past the last record
	// printed from it.
	want := map[int32]int64{}
	for _, l := range first {
		var p int32
		var o int64
		fmt.Sscanf(l, "%d %d", &p, &o)
		want[p] = o + 1
	}
	if got := committed(t, b, "app")["demo"]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("committed %v, want %v", got, want)
	}
	// --from-beginning only matters for partitions without a committed
	// offset; the others resume where the group left them.
	r = ok(t, b, "", "consume", "demo", "--group", "app", "--from-beginning", "-n", "5", "-f", `%p %o\n`)
	all := append(first, lines(r.stdout)...)
	seen := map[string]bool{}
	for _, l := range all {
		if seen[l] {
			t.Errorf("record %s printed twice", l)
		}
		seen[l] = true
	}
	if len(seen) != 8 {
		t.Errorf("the two runs printed %d distinct records, want 8: %v", len(seen), all)
	}
	if got := committed(t, b, "app")["demo"]; got[0] != 5 || got[1] != 3 {
		t.Errorf("committed %v after reading everything", got)
	}
}

func TestConsumeGroupCommitsAndLeavesOnSIGINT(t *testing.T) {
	t.Parallel()
	b := startGroupBroker(t)
	fillDemo(t, b)
	cmd := fjordCmd(t, b, "consume", "demo", "--group", "app", "--from-beginning", "-f", `%p %o\n`)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for i := range 8 {
		if !sc.Scan() {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("consumer ended after %d lines: %v\n%s", i, sc.Err(), stderr.String())
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGINT: %v\n%s", err, stderr.String())
	}
	if got := committed(t, b, "app")["demo"]; got[0] != 5 || got[1] != 3 {
		t.Errorf("committed %v, want every printed record", got)
	}
	// It left the group: the group can be reset right away.
	ok(t, b, "", "group", "reset", "app", "--all-topics", "--to-earliest")
}
