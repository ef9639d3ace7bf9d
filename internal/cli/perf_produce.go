package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

type perfProduceOptions struct {
	topic          string
	numRecords     int64         // 0: until --duration
	duration       time.Duration // 0: until --num-records
	warmup         time.Duration
	recordSize     int
	throughput     float64 // records/s over all producers; 0: as fast as possible
	partitions     int32   // > 0: create the topic with this many if it does not exist
	replication    int16
	acks           string
	compression    string
	linger         time.Duration
	batchBytes     int32
	maxBuffered    int
	producers      int
	producerProps  []string
	reportInterval time.Duration
	quiet          bool
}

func newPerfProduceCommand(g *Globals) *cobra.Command {
	var (
		o          perfProduceOptions
		topicFlag  string
		throughput float64
	)
	cmd := &cobra.Command{
		Use:   "produce TOPIC",
		Short: "Produce records as fast as possible or at a fixed rate, and measure latency",
		Long: `Produce --num-records records (or for --duration) of --record-size bytes to
TOPIC and report records/s, MB/s and produce latency percentiles. Every
record is sent with a callback; its latency runs from its send to its
acknowledgement (with --acks 0: to its write to the connection).

Without --throughput, records are sent as fast as the client takes them,
with at most --max-buffered-records waiting per producer: throughput mode.
With --throughput N, sends are scheduled on a fixed timeline, N per second
over all producers, and latency runs from each record's scheduled time, so
a stall of the producer or the broker shows in the percentiles instead of
silently delaying the sends after it (coordinated omission). Use it to
measure latency at a given load.

--warmup leaves the first seconds out of every figure. With --partitions
the topic is created if it does not exist. Values are random upper-case
letters after a 12-byte stamp (the send time) that "fjord perf consume
--e2e" reads to measure end-to-end latency.

kafka-producer-perf-test's flags work too: --topic, --num-records,
--record-size, --throughput (-1: no limit) and --producer-props
acks=..|compression.type=..|linger.ms=..|batch.size=..|buffer.memory=..`,
		Example: `  fjord perf produce bench --partitions 6 --num-records 1000000 --record-size 1024
  fjord perf produce bench --duration 30s --warmup 5s --acks 1 --compression lz4
  fjord perf produce bench --duration 60s --throughput 10000 -o json
  # kafka-producer-perf-test.sh style
  fjord perf produce --topic bench --num-records 100000 --record-size 100 --throughput -1 --producer-props acks=all linger.ms=5`,
		Args: rangeArgs(0, 1, "one topic"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && topicFlag != "" && args[0] != topicFlag {
				return usagef("give the topic either as an argument or with --topic, not both")
			}
			o.topic = topicFlag
			if len(args) == 1 {
				o.topic = args[0]
			}
			if o.topic == "" {
				return usagef("name the topic: fjord perf produce TOPIC")
			}
			var err error
			if o.throughput, err = parseRate(throughput); err != nil {
				return err
			}
			return runPerfProduce(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.Int64VarP(&o.numRecords, "num-records", "n", 0, "records to send (with --duration: whichever ends first)")
	f.DurationVarP(&o.duration, "duration", "d", 0, "send for this long")
	f.DurationVar(&o.warmup, "warmup", 0, "leave the first part of the run out of the figures")
	f.IntVarP(&o.recordSize, "record-size", "s", 1024, "bytes in each record value")
	f.Float64VarP(&throughput, "throughput", "r", -1, "target records per second over all producers (-1: as fast as possible)")
	f.Int32VarP(&o.partitions, "partitions", "p", 0, "create the topic with this many partitions if it does not exist")
	f.Int16Var(&o.replication, "replication-factor", -1, "replicas of each partition when creating the topic (default: the broker's)")
	f.StringVarP(&o.acks, "acks", "a", "all", "acknowledgements to wait for: all, 1 or 0")
	f.StringVarP(&o.compression, "compression", "z", "none", "batch compression: none, gzip, snappy, lz4 or zstd")
	f.DurationVar(&o.linger, "linger", time.Millisecond, "wait this long for more records before sending a batch")
	f.Int32Var(&o.batchBytes, "batch-size", 1000012, "maximum bytes in one batch")
	f.IntVar(&o.maxBuffered, "max-buffered-records", 10000, "records each producer may have sent but not yet acknowledged")
	f.IntVar(&o.producers, "producers", 1, "producers (clients, each with its own connections) sharing the load")
	f.StringArrayVar(&o.producerProps, "producer-props", nil, "kafka-producer-perf-test: producer properties key=value (repeatable)")
	f.DurationVar(&o.reportInterval, "report-interval", 5*time.Second, "print a progress line to stderr this often (0: never)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress lines")
	f.StringVar(&topicFlag, "topic", "", "kafka-producer-perf-test: the topic")
	return cmd
}

// applyProps maps --producer-props onto the options. Kafka's tool takes
// them space-separated after one flag; here each is a value of the flag.
func (o *perfProduceOptions) applyProps() error {
	var props []string
	for _, p := range o.producerProps {
		props = append(props, strings.Fields(p)...)
	}
	kvs, err := parseKeyValues("--producer-props", props, false)
	if err != nil {
		return err
	}
	for _, kv := range kvs {
		k, v := kv[0], kv[1]
		switch k {
		case "acks":
			o.acks = v
		case "compression.type":
			o.compression = v
		case "linger.ms":
			n, err := strconv.ParseFloat(v, 64)
			if err != nil || n < 0 {
				return usagef("--producer-props linger.ms=%s is not a number of milliseconds", v)
			}
			o.linger = time.Duration(n * float64(time.Millisecond))
		case "batch.size":
			n, err := strconv.ParseInt(v, 10, 32)
			if err != nil || n <= 0 {
				return usagef("--producer-props batch.size=%s is not a positive number of bytes", v)
			}
			o.batchBytes = int32(n)
		case "max.buffered.records":
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return usagef("--producer-props max.buffered.records=%s is not a positive number", v)
			}
			o.maxBuffered = n
		case "bootstrap.servers", "client.id", "enable.idempotence", "retries", "max.in.flight.requests.per.connection",
			"buffer.memory", "key.serializer", "value.serializer":
		default:
			return unsupportedProps("--producer-props", k, "acks", "compression.type", "linger.ms", "batch.size", "max.buffered.records")
		}
	}
	return nil
}

func (o *perfProduceOptions) check() error {
	switch {
	case o.numRecords < 0:
		return usagef("--num-records must be positive")
	case o.duration < 0 || o.warmup < 0:
		return usagef("--duration and --warmup must be positive")
	case o.numRecords == 0 && o.duration == 0:
		return usagef("give --num-records or --duration")
	case o.duration > 0 && o.warmup >= o.duration:
		return usagef("--warmup %s leaves nothing of --duration %s to measure", o.warmup, o.duration)
	case o.recordSize < 0:
		return usagef("--record-size must be 0 or more")
	case o.producers < 1:
		return usagef("--producers must be 1 or more")
	case o.maxBuffered < 1:
		return usagef("--max-buffered-records must be 1 or more")
	case o.partitions < 0:
		return usagef("--partitions must be positive")
	}
	return nil
}

func (o *perfProduceOptions) clientOpts(g *Globals) ([]kgo.Opt, error) {
	po := produceOptions{topic: o.topic, acks: o.acks, compression: o.compression, linger: o.linger,
		batchBytes: max(o.batchBytes, int32(o.recordSize)+512), partition: -1}
	opts, err := po.clientOpts(g)
	if err != nil {
		return nil, err
	}
	return append(opts, kgo.MaxBufferedRecords(o.maxBuffered), kgo.ClientID("fjord-perf")), nil
}

func runPerfProduce(ctx context.Context, g *Globals, o perfProduceOptions) error {
	if err := o.applyProps(); err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	opts, err := o.clientOpts(g)
	if err != nil {
		return err
	}
	partitions, err := perfEnsureTopic(ctx, g, o)
	if err != nil {
		return err
	}
	clients := make([]*kgo.Client, o.producers)
	for i := range clients {
		if clients[i], err = g.newClient(opts...); err != nil {
			return err
		}
		defer clients[i].Close()
	}
	// Connect and load the topic's metadata before the clock starts.
	mctx, cancel := g.ctx(ctx)
	for _, cl := range clients {
		if err := cl.Ping(mctx); err != nil {
			cancel()
			return g.kafkaError("connect", err, "")
		}
	}
	cancel()

	if o.throughput > 0 {
		PacedProcs()
	}
	ctx, stop := interruptible(ctx)
	defer stop()
	run := newPerfProduceRun(o)
	progressCtx, stopProgress := context.WithCancel(ctx)
	defer stopProgress()
	if !o.quiet {
		go run.counter.reportProgress(progressCtx, g.stderr, o.reportInterval, "acknowledged", "latency")
	}
	var wg sync.WaitGroup
	for i, cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run.send(ctx, cl, i)
		}()
	}
	wg.Wait()
	for _, cl := range clients {
		fctx, cancel := g.ctx(context.Background())
		if err := cl.Flush(fctx); err != nil && run.err() == nil {
			run.fail(err)
		}
		cancel()
	}
	stopProgress()
	if err := run.err(); err != nil {
		return g.kafkaError("produce to "+o.topic, err, "")
	}
	res := run.result(partitions)
	return res.write(g)
}

// perfEnsureTopic creates the topic when --partitions asks for it and
// returns its partition count (0 when unknown).
func perfEnsureTopic(ctx context.Context, g *Globals, o perfProduceOptions) (int, error) {
	adm, err := g.newAdmin()
	if err != nil {
		return 0, err
	}
	defer adm.Close()
	actx, cancel := g.ctx(ctx)
	defer cancel()
	if o.partitions > 0 {
		resp, err := adm.CreateTopic(actx, o.partitions, o.replication, nil, o.topic)
		if err == nil {
			err = resp.Err
		}
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return 0, g.kafkaError("create topic "+o.topic, err, resp.ErrMessage)
		}
	}
	td, err := adm.ListTopics(actx, o.topic)
	if err != nil {
		return 0, g.kafkaError("describe topic "+o.topic, err, "")
	}
	d, ok := td[o.topic]
	if !ok || d.Err != nil {
		return 0, nil // auto-creation may still make it
	}
	n := len(d.Partitions)
	if o.partitions > 0 && n != int(o.partitions) {
		fmt.Fprintf(g.stderr, "topic %s exists with %s; --partitions %d does not change it\n", o.topic,
			plural(int64(n), "partition"), o.partitions)
	}
	return n, nil
}

// perfProduceRun is the state of one run shared by its producers.
type perfProduceRun struct {
	o         perfProduceOptions
	start     time.Time // of the sends
	warmupEnd time.Time
	end       time.Time // no send is due after it (zero: --num-records only)
	payload   []byte
	pool      sync.Pool // *kgo.Record with a value of recordSize bytes

	counter  *perfCounter // every acknowledged record, for the progress line
	latency  *Histogram   // records acknowledged after the warm-up
	measured atomic.Int64 // records acknowledged after the warm-up
	warmRecs atomic.Int64
	lastAck  atomic.Int64 // unix ns
	errs     atomic.Int64

	mu       sync.Mutex
	firstErr error
}

func newPerfProduceRun(o perfProduceOptions) *perfProduceRun {
	r := &perfProduceRun{o: o, counter: newPerfCounter(), latency: NewHistogram(), payload: perfPayload(o.recordSize)}
	r.pool.New = func() any {
		return &kgo.Record{Value: append([]byte(nil), r.payload...)}
	}
	r.start = time.Now()
	r.warmupEnd = r.start.Add(o.warmup)
	if o.duration > 0 {
		r.end = r.start.Add(o.duration)
	}
	return r
}

func (r *perfProduceRun) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.firstErr == nil {
		r.firstErr = err
	}
}

func (r *perfProduceRun) err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.firstErr
}

// send is the loop of producer k: its share of the records, on its share
// of the timeline in paced mode.
func (r *perfProduceRun) send(ctx context.Context, cl *kgo.Client, k int) {
	o := r.o
	p := int64(o.producers)
	n := int64(-1) // records of this producer: unbounded until --duration
	if o.numRecords > 0 {
		n = o.numRecords / p
		if int64(k) < o.numRecords%p {
			n++
		}
	}
	var pacer Pacer
	if o.throughput > 0 {
		pacer = Pacer{Start: r.start, Rate: o.throughput / float64(p), Offset: time.Duration(float64(k) * 1e9 / o.throughput)}
	}
	for i := int64(0); n < 0 || i < n; i++ {
		var at time.Time
		if o.throughput > 0 {
			var ok bool
			if at, ok = pacer.Wait(ctx, i); !ok {
				return
			}
		} else {
			if ctx.Err() != nil {
				return
			}
			at = time.Now()
		}
		if !r.end.IsZero() && at.After(r.end) {
			return
		}
		if i&1023 == 0 && r.err() != nil {
			return
		}
		rec := r.pool.Get().(*kgo.Record)
		*rec = kgo.Record{Value: rec.Value, Timestamp: at}
		putPerfStamp(rec.Value, at)
		cl.Produce(context.Background(), rec, func(rec *kgo.Record, err error) {
			r.acked(rec, at, err)
		})
	}
}

func (r *perfProduceRun) acked(rec *kgo.Record, at time.Time, err error) {
	now := time.Now()
	size := len(rec.Key) + len(rec.Value)
	r.pool.Put(rec)
	if err != nil {
		r.errs.Add(1)
		r.fail(err)
		return
	}
	lat := now.Sub(at)
	r.counter.add(size, lat, true)
	if now.Before(r.warmupEnd) {
		r.warmRecs.Add(1)
		return
	}
	r.measured.Add(1)
	r.latency.Record(lat)
	for {
		last := r.lastAck.Load()
		if now.UnixNano() <= last || r.lastAck.CompareAndSwap(last, now.UnixNano()) {
			break
		}
	}
}

// result covers the records acknowledged after the warm-up, over the time
// from the warm-up's end to the last acknowledgement.
func (r *perfProduceRun) result(partitions int) *PerfResult {
	o := r.o
	res := &PerfResult{Tool: "produce", Topic: o.topic, Records: r.measured.Load(), TargetRate: o.throughput,
		RecordSize: o.recordSize, Partitions: partitions, Acks: o.acks, Compression: o.compression,
		LingerMs: float64(o.linger) / 1e6, Clients: o.producers, WarmupSeconds: o.warmup.Seconds(),
		WarmupRecords: r.warmRecs.Load(), Errors: r.errs.Load(), Latency: r.latency.Summary()}
	res.Bytes = res.Records * int64(o.recordSize)
	if last := r.lastAck.Load(); last > 0 {
		res.Seconds = time.Unix(0, last).Sub(r.warmupEnd).Seconds()
	}
	res.setRates()
	return res
}
