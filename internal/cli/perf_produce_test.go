package cli

import (
	"strings"
	"testing"

	"github.com/fjordlabs/fjord/internal/fjordtest"
)

func TestPerfProduceCountCreatesTopicAndReportsRatesAndLatency(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	r := ok(t, b, "", "perf", "produce", "bench", "--partitions", "3", "--num-records", "20000", "--record-size", "100",
		"--acks", "1", "-o", "json")
	res := decodeJSON[PerfResult](t, r.stdout)
	if res.Tool != "produce" || res.Records != 20000 || res.Bytes != 2000000 || res.Partitions != 3 || res.Errors != 0 {
		t.Fatalf("result: %+v", res)
	}
	if res.RecordsPerSec <= 0 || res.MBPerSec <= 0 || res.Latency == nil || res.Latency.Count != 20000 ||
		res.Latency.P50Ms <= 0 || res.Latency.P50Ms > res.Latency.P99Ms || res.Latency.P99Ms > res.Latency.MaxMs {
		t.Errorf("rates and latency: %+v %+v", res, res.Latency)
	}
	recs := readRecords(t, b, "bench", 20000)
	parts := map[int32]bool{}
	for _, rec := range recs {
		parts[rec.Partition] = true
		if len(rec.Value) != 100 {
			t.Fatalf("value of %d bytes", len(rec.Value))
		}
		if _, ok := perfStamp(rec.Value); !ok {
			t.Fatalf("value without the send stamp: %q", rec.Value)
		}
	}
	if len(parts) != 3 {
		t.Errorf("records on %d of 3 partitions", len(parts))
	}
	// An existing topic keeps its partitions, with a word about it.
	r = ok(t, b, "", "perf", "produce", "bench", "--partitions", "5", "-n", "10", "--producers", "2")
	if !strings.Contains(r.stderr, "exists with 3 partitions") || !strings.HasPrefix(r.stdout, "10 records sent in ") ||
		!strings.Contains(r.stdout, "produce latency ms: mean ") || !strings.Contains(r.stdout, "p99.9") {
		t.Errorf("second run: %s", r)
	}
}

func TestPerfProducePacedKeepsTheRateWithWarmupAndProgress(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	createTopic(t, b, "paced", 2, nil)
	r := ok(t, b, "", "perf", "produce", "--topic", "paced", "--throughput", "2000", "--duration", "1500ms",
		"--warmup", "500ms", "--report-interval", "500ms", "--producers", "2", "--producer-props", "acks=all linger.ms=0",
		"-o", "json")
	res := decodeJSON[PerfResult](t, r.stdout)
	// One second measured at 2,000 records/s; the clock of the window
	// starts at the warm-up's end, so allow for scheduling either side.
	if res.Records < 1800 || res.Records > 2200 || res.TargetRate != 2000 || res.Clients != 2 || res.Acks != "all" ||
		res.WarmupRecords < 800 || res.RecordsPerSec < 1800 || res.RecordsPerSec > 2200 {
		t.Errorf("paced result: %+v", res)
	}
	if got := strings.Count(r.stderr, "records acknowledged"); got < 2 || !strings.Contains(r.stderr, "latency p50 ") {
		t.Errorf("progress lines: %q", r.stderr)
	}
}

func TestPerfProduceUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"perf", "produce", "t"},
		{"perf", "produce", "-n", "10"},
		{"perf", "produce", "t", "-n", "10", "--throughput", "-5"},
		{"perf", "produce", "t", "--duration", "1s", "--warmup", "2s"},
		{"perf", "produce", "t", "-n", "10", "--acks", "2"},
		{"perf", "produce", "t", "-n", "10", "--producer-props", "no.such=1"},
		{"perf", "produce", "t", "-n", "10", "--producers", "0"},
		{"perf", "nonsense"},
	} {
		fails(t, nil, 2, "", append(args, "-b", "127.0.0.1:1"))
	}
	fails(t, nil, 1, "", []string{"perf", "produce", "t", "-n", "1", "-b", "127.0.0.1:1"}, "cannot connect to 127.0.0.1:1")
}
