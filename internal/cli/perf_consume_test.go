package cli

import (
	"bufio"
	"strings"
	"testing"
	"time"

	"github.com/fjordlabs/fjord/internal/fjordtest"
)

func TestPerfConsumeReadsToTheEndWithSeveralConsumers(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	ok(t, b, "", "perf", "produce", "bench", "--partitions", "3", "-n", "30000", "--record-size", "200", "--acks", "1")
	for _, consumers := range []string{"1", "2", "5"} {
		r := ok(t, b, "", "perf", "consume", "bench", "--consumers", consumers, "-o", "json")
		res := decodeJSON[PerfResult](t, r.stdout)
		if res.Tool != "consume" || res.Records != 30000 || res.Bytes != 30000*200 || res.Partitions != 3 ||
			res.RecordsPerSec <= 0 || res.E2E != nil {
			t.Errorf("--consumers %s: %+v", consumers, res)
		}
	}
	// kafka-consumer-perf-test's names; --messages stops early.
	r := ok(t, b, "", "perf", "consume", "--topic", "bench", "--messages", "100", "--threads", "1", "--fetch-size", "4096")
	if !strings.Contains(r.stdout, " records received in ") {
		t.Errorf("summary: %s", r)
	}
	// A group reads everything too.
	if res := decodeJSON[PerfResult](t, ok(t, b, "", "perf", "consume", "bench", "--group", "g", "-n", "30000", "-o", "json").stdout); res.Records != 30000 {
		t.Errorf("--group: %+v", res)
	}
}

func TestPerfConsumeEndToEndLatencyOfAConcurrentProducer(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	createTopic(t, b, "e2e", 2, nil)
	ok(t, b, "", "perf", "produce", "e2e", "-n", "500") // older records are not read
	cmd := fjordCmd(t, b, "perf", "consume", "e2e", "--e2e", "-n", "1000", "--idle-timeout", "20s",
		"--report-interval", "100ms", "-o", "json")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The consumer has listed the ends once it prints a progress line.
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(stderr.String(), "records received"); {
		if time.Now().After(deadline) {
			t.Fatalf("consumer did not start: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	ok(t, b, "", "perf", "produce", "e2e", "-n", "1000", "--throughput", "2000")
	var out strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		out.WriteString(sc.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("consumer: %v\n%s", err, stderr.String())
	}
	res := decodeJSON[PerfResult](t, out.String())
	if res.Records != 1000 || res.E2E == nil || res.E2E.Count != 1000 || res.E2E.P50Ms <= 0 || res.E2E.MaxMs > 10000 {
		t.Errorf("e2e result: %+v %+v", res, res.E2E)
	}
}

func TestPerfConsumeEmptyTopicAndUsageErrors(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	createTopic(t, b, "empty", 1, nil)
	if res := decodeJSON[PerfResult](t, ok(t, b, "", "perf", "consume", "empty", "-o", "json").stdout); res.Records != 0 {
		t.Errorf("empty topic: %+v", res)
	}
	fails(t, b, 1, "", []string{"perf", "consume", "nope"}, "UNKNOWN_TOPIC_OR_PARTITION")
	for _, args := range [][]string{
		{"perf", "consume"},
		{"perf", "consume", "t", "--consumers", "0"},
		{"perf", "consume", "t", "--e2e", "--group", "g"},
		{"perf", "consume", "t", "--consumer-props", "no.such=1"},
	} {
		fails(t, nil, 2, "", append(args, "-b", "127.0.0.1:1"))
	}
}
