package cli

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// `fjord perf produce` and `fjord perf consume` are load generators in the
// manner of kafka-producer-perf-test and kafka-consumer-perf-test. This file
// holds what they share; Histogram, Pacer, PerfResult and LatencySummary
// are exported for bench/ (the side-by-side benchmark, its own module),
// whose NATS and Redis load generators use them so that every server is
// measured with the same histogram, pacing and result format.

// PerfCommand returns `fjord perf` with its produce and consume
// subcommands.
func PerfCommand() *cobra.Command {
	cmd := parentCommand(&cobra.Command{
		Use:   "perf",
		Short: "Measure produce and consume throughput and latency",
		Long: `Load generators in the manner of kafka-producer-perf-test and
kafka-consumer-perf-test, for Fjord or any Kafka cluster: records/s, MB/s
and latency percentiles (p50, p99, p99.9, max), with a progress line every
few seconds on stderr and a summary at the end (-o json for a program).

Latency is produce latency (from the record's send, or in paced mode from
its scheduled send, to its acknowledgement) and, with consume --e2e,
end-to-end latency (from the producer's send to the consumer's receipt).`,
		Example: `  fjord perf produce bench --partitions 6 --num-records 1000000 --record-size 1024
  fjord perf produce bench --duration 30s --throughput 10000
  fjord perf consume bench --messages 1000000`,
	})
	g := addGlobalFlags(cmd)
	cmd.AddCommand(newPerfProduceCommand(g), newPerfConsumeCommand(g))
	return cmd
}

// Histogram counts durations in log-linear buckets, as HdrHistogram does
// with two significant digits: each power of two is split into
// histSubBuckets/2 linear buckets, so a quantile is within 1/128 (0.8%) of
// the true value. Durations below histSubBuckets ns are exact. Record is
// safe for concurrent use and does not allocate; quantiles read while
// others record see a slightly torn but usable state.
type Histogram struct {
	counts [histBuckets]atomic.Int64
	total  atomic.Int64
	sum    atomic.Int64 // ns
	max    atomic.Int64 // ns
}

const (
	histSubBits    = 8
	histSubBuckets = 1 << histSubBits // linear buckets below histSubBuckets ns, then half as many per power of two
	histMaxShift   = 48 - histSubBits // durations up to 2^48 ns (3.2 days); longer ones count as the longest
	histBuckets    = histSubBuckets + histMaxShift*histSubBuckets/2
)

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram { return &Histogram{} }

func histIndex(v int64) int {
	if v < histSubBuckets {
		return int(max(v, 0))
	}
	shift := bits.Len64(uint64(v)) - histSubBits // >= 1
	if shift > histMaxShift {
		return histBuckets - 1
	}
	return histSubBuckets + (shift-1)*histSubBuckets/2 + int(v>>shift) - histSubBuckets/2
}

// histValue is the highest value that lands in bucket i.
func histValue(i int) int64 {
	if i < histSubBuckets {
		return int64(i)
	}
	i -= histSubBuckets
	shift := i/(histSubBuckets/2) + 1
	sub := int64(i%(histSubBuckets/2) + histSubBuckets/2)
	return (sub+1)<<shift - 1
}

// Record counts one duration.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	h.counts[histIndex(v)].Add(1)
	h.total.Add(1)
	h.sum.Add(v)
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			return
		}
	}
}

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	for i := range o.counts {
		if n := o.counts[i].Load(); n > 0 {
			h.counts[i].Add(n)
		}
	}
	h.total.Add(o.total.Load())
	h.sum.Add(o.sum.Load())
	if m := o.max.Load(); m > h.max.Load() {
		h.max.Store(m)
	}
}

// Count is the number of durations recorded.
func (h *Histogram) Count() int64 { return h.total.Load() }

// Max is the longest duration recorded, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max.Load()) }

// Mean is the mean duration.
func (h *Histogram) Mean() time.Duration {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(h.sum.Load() / n)
}

// Quantile returns the duration at or below which the fraction q of the
// recorded durations lie (0 <= q <= 1), never above Max.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(n)))
	rank = min(max(rank, 1), n)
	if rank == n {
		return h.Max()
	}
	var seen int64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			if i == histBuckets-1 { // past the range: only Max is known
				return h.Max()
			}
			return min(time.Duration(histValue(i)), h.Max())
		}
	}
	return h.Max()
}

// LatencySummary is a histogram's summary in milliseconds.
type LatencySummary struct {
	Count  int64   `json:"count"`
	MeanMs float64 `json:"mean_ms"`
	P50Ms  float64 `json:"p50_ms"`
	P90Ms  float64 `json:"p90_ms"`
	P99Ms  float64 `json:"p99_ms"`
	P999Ms float64 `json:"p99_9_ms"`
	// P9999Ms is only meaningful with 10,000 or more samples.
	P9999Ms float64 `json:"p99_99_ms"`
	MaxMs   float64 `json:"max_ms"`
}

// Summary summarises h; nil when nothing was recorded.
func (h *Histogram) Summary() *LatencySummary {
	if h.Count() == 0 {
		return nil
	}
	return &LatencySummary{
		Count: h.Count(), MeanMs: ms(h.Mean()),
		P50Ms: ms(h.Quantile(0.5)), P90Ms: ms(h.Quantile(0.9)), P99Ms: ms(h.Quantile(0.99)),
		P999Ms: ms(h.Quantile(0.999)), P9999Ms: ms(h.Quantile(0.9999)), MaxMs: ms(h.Max()),
	}
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// String is "p50 1.2 ms, p99 3.4 ms, p99.9 5.0 ms, max 9.1 ms".
func (s *LatencySummary) String() string {
	if s == nil {
		return "no latency samples"
	}
	return fmt.Sprintf("p50 %s, p99 %s, p99.9 %s, max %s ms", fmtMs(s.P50Ms), fmtMs(s.P99Ms), fmtMs(s.P999Ms), fmtMs(s.MaxMs))
}

func fmtMs(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// Pacer schedules sends on a fixed timeline: send i is due at
// Start + Offset + i/Rate, whatever happened to the sends before it. A
// sender that falls behind sends at once, and latency measured from the
// due time (not from the late send) includes the delay: the measurement
// is safe from coordinated omission, which would otherwise hide exactly
// the stalls it is meant to show.
type Pacer struct {
	Start  time.Time
	Rate   float64       // sends per second, > 0
	Offset time.Duration // shifts the timeline, to interleave several senders
}

// At is when send i is due.
func (p Pacer) At(i int64) time.Time {
	return p.Start.Add(p.Offset + time.Duration(float64(i)*1e9/p.Rate))
}

// Wait blocks until send i is due and returns its due time; false when
// ctx ended first. The Go runtime's timers wake up to a millisecond late,
// which at 10,000 sends/s would count as latency; spinning instead takes
// the core from the client's own goroutines (on a load generator pinned
// to one core it added 5 ms to every latency) and, with GOMAXPROCS 1,
// starves the network poller. So the last 2 ms of a wait sleep in the
// kernel (nanosleep: its timer slack is 50 µs). Paced senders should run
// with GOMAXPROCS >= 2 (PacedProcs) so that the sleeping thread never
// holds the only P.
func (p Pacer) Wait(ctx context.Context, i int64) (time.Time, bool) {
	const kernelBelow = 2 * time.Millisecond
	due := p.At(i)
	for {
		wait := time.Until(due)
		switch {
		case wait <= 0:
			return due, ctx.Err() == nil
		case wait < kernelBelow:
			ts := syscall.NsecToTimespec(int64(wait))
			syscall.Nanosleep(&ts, nil)
		default:
			t := time.NewTimer(wait - kernelBelow)
			select {
			case <-ctx.Done():
				t.Stop()
				return due, false
			case <-t.C:
			}
		}
	}
}

// PacedProcs raises GOMAXPROCS to 2 at least, for Pacer.Wait.
func PacedProcs() {
	if runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
}

// PerfResult is what one `fjord perf` run measured, as -o json prints it.
// Bytes are key and value bytes, as Kafka's perf tools count them; MB is
// 10^6 bytes.
type PerfResult struct {
	Tool          string  `json:"tool"` // "produce" or "consume"
	Topic         string  `json:"topic"`
	Records       int64   `json:"records"`
	Bytes         int64   `json:"bytes"`
	Seconds       float64 `json:"seconds"`
	RecordsPerSec float64 `json:"records_per_sec"`
	MBPerSec      float64 `json:"mb_per_sec"`
	// Latency is produce latency: from the send (or scheduled send, when
	// TargetRate is set) to the acknowledgement.
	Latency *LatencySummary `json:"latency,omitempty"`
	// E2E is end-to-end latency: from the producer's send to receipt.
	E2E *LatencySummary `json:"e2e_latency,omitempty"`

	TargetRate    float64 `json:"target_rate,omitempty"` // records/s; 0: as fast as possible
	RecordSize    int     `json:"record_size,omitempty"`
	Partitions    int     `json:"partitions,omitempty"`
	Acks          string  `json:"acks,omitempty"`
	Compression   string  `json:"compression,omitempty"`
	LingerMs      float64 `json:"linger_ms,omitempty"`
	Clients       int     `json:"clients"`
	WarmupSeconds float64 `json:"warmup_seconds,omitempty"`
	WarmupRecords int64   `json:"warmup_records,omitempty"` // acknowledged during the warm-up, not counted
	Errors        int64   `json:"errors,omitempty"`
}

func (r *PerfResult) setRates() {
	if r.Seconds > 0 {
		r.RecordsPerSec = math.Round(float64(r.Records) / r.Seconds)
		r.MBPerSec = math.Round(float64(r.Bytes)/1e6/r.Seconds*100) / 100
	}
	r.Seconds = math.Round(r.Seconds*1e3) / 1e3
}

// write prints the result: JSON, or Kafka perf-test style lines.
func (r *PerfResult) write(g *Globals) error {
	if g.json() {
		return writeJSON(g.stdout, r)
	}
	verb := map[string]string{"produce": "sent", "consume": "received"}[r.Tool]
	fmt.Fprintf(g.stdout, "%d records %s in %.2f s: %.0f records/s (%.2f MB/s)\n", r.Records, verb, r.Seconds, r.RecordsPerSec, r.MBPerSec)
	if r.Latency != nil {
		fmt.Fprintf(g.stdout, "produce latency ms: mean %s, p50 %s, p90 %s, p99 %s, p99.9 %s, max %s\n", fmtMs(r.Latency.MeanMs),
			fmtMs(r.Latency.P50Ms), fmtMs(r.Latency.P90Ms), fmtMs(r.Latency.P99Ms), fmtMs(r.Latency.P999Ms), fmtMs(r.Latency.MaxMs))
	}
	if r.E2E != nil {
		fmt.Fprintf(g.stdout, "end-to-end latency ms: mean %s, p50 %s, p90 %s, p99 %s, p99.9 %s, max %s\n", fmtMs(r.E2E.MeanMs),
			fmtMs(r.E2E.P50Ms), fmtMs(r.E2E.P90Ms), fmtMs(r.E2E.P99Ms), fmtMs(r.E2E.P999Ms), fmtMs(r.E2E.MaxMs))
	}
	return nil
}

// perfCounter counts records and bytes and keeps a per-interval histogram
// for the progress line, swapped out at each report.
type perfCounter struct {
	records, bytes atomic.Int64
	window         atomic.Pointer[Histogram]
}

func newPerfCounter() *perfCounter {
	c := &perfCounter{}
	c.window.Store(NewHistogram())
	return c
}

func (c *perfCounter) add(n int, latency time.Duration, withLatency bool) {
	c.records.Add(1)
	c.bytes.Add(int64(n))
	if withLatency {
		c.window.Load().Record(latency)
	}
}

// reportProgress prints a line to w every interval until ctx ends: the
// records and MB per second of the interval and its latency percentiles.
func (c *perfCounter) reportProgress(ctx context.Context, w io.Writer, interval time.Duration, verb, latencyName string) {
	if interval <= 0 {
		return
	}
	start := time.Now()
	last, lastRecords, lastBytes := start, int64(0), int64(0)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			recs, b := c.records.Load(), c.bytes.Load()
			secs := now.Sub(last).Seconds()
			h := c.window.Swap(NewHistogram())
			line := fmt.Sprintf("%6.1fs: %d records %s, %.0f records/s (%.2f MB/s)", now.Sub(start).Seconds(), recs-lastRecords, verb,
				float64(recs-lastRecords)/secs, float64(b-lastBytes)/1e6/secs)
			if h.Count() > 0 {
				line += ", " + latencyName + " " + h.Summary().String()
			}
			fmt.Fprintln(w, line)
			last, lastRecords, lastBytes = now, recs, b
		}
	}
}

// Values written by `fjord perf produce` start with a stamp that `fjord
// perf consume --e2e` reads: the magic and the send time (scheduled send
// time in paced mode) in nanoseconds since the Unix epoch, big-endian. A
// record without it (shorter, or from another producer) is timed from its
// Kafka timestamp, which has millisecond precision.
const (
	perfMagic     = "fjp1"
	perfStampSize = len(perfMagic) + 8
)

func putPerfStamp(value []byte, at time.Time) {
	if len(value) >= perfStampSize {
		copy(value, perfMagic)
		binary.BigEndian.PutUint64(value[len(perfMagic):], uint64(at.UnixNano()))
	}
}

// perfStamp returns the send time stamped in value, if any.
func perfStamp(value []byte) (time.Time, bool) {
	if len(value) < perfStampSize || string(value[:len(perfMagic)]) != perfMagic {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(value[len(perfMagic):]))), true
}

// perfPayload is the filler of every value: random upper-case letters, as
// kafka-producer-perf-test uses, from a fixed seed.
func perfPayload(size int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, size)
	for i := range b {
		b[i] = byte('A' + rng.IntN(26))
	}
	return b
}

// parseRate reads --throughput: records/s, with -1 or 0 meaning as fast as
// possible.
func parseRate(v float64) (float64, error) {
	switch {
	case v == -1 || v == 0:
		return 0, nil
	case v < 0 || math.IsNaN(v) || math.IsInf(v, 0):
		return 0, usagef("--throughput %v: give records per second, or -1 for no limit", v)
	}
	return v, nil
}

// unsupportedProps is the usage error for a Kafka client property that
// the perf tools do not map.
func unsupportedProps(flag string, k string, supported ...string) error {
	return usagef("%s %s is not supported (%s)", flag, k, strings.Join(supported, ", "))
}
