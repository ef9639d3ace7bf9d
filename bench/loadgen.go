package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"

	"github.com/fjordlabs/fjord/internal/cli"
)

// The NATS and Redis load generators (`bench load-nats`, `bench
// load-redis`) measure the way `fjord perf produce` does: the same
// histogram, the same fixed-timeline pacing (latency from the scheduled
// send), the same warm-up rule (acknowledgements before its end are left
// out; the rate runs from its end to the last acknowledgement), at most
// maxInFlight records sent and not yet acknowledged, and the same JSON.
// "Partitions" are separate streams (NATS) or stream keys (Redis), sent to
// in turn.

type loadOptions struct {
	addr        string
	mode        string // produce, consume
	partitions  int
	recordSize  int
	records     int64 // produce: stop after this many (0: --duration); consume: read this many
	duration    time.Duration
	warmup      time.Duration
	rate        float64 // records/s; 0: as fast as possible
	maxInFlight int
}

func parseLoadOptions(name string, args []string) (loadOptions, error) {
	var o loadOptions
	fs := newFlagSet(name)
	fs.StringVar(&o.addr, "addr", "", "server address host:port")
	fs.StringVar(&o.mode, "mode", "produce", "produce or consume")
	fs.IntVar(&o.partitions, "partitions", 1, "streams to spread the records over")
	fs.IntVar(&o.recordSize, "record-size", 1024, "bytes in each record")
	fs.Int64Var(&o.records, "num-records", 0, "records to produce or consume")
	fs.DurationVar(&o.duration, "duration", 0, "produce for this long")
	fs.DurationVar(&o.warmup, "warmup", 0, "leave the first part out of the figures")
	fs.Float64Var(&o.rate, "throughput", 0, "records per second (0: as fast as possible)")
	fs.IntVar(&o.maxInFlight, "max-in-flight", 10000, "records sent and not yet acknowledged, at most")
	err := fs.Parse(args)
	switch {
	case err != nil:
	case o.addr == "":
		err = errors.New("give --addr")
	case o.mode == "produce" && o.records == 0 && o.duration == 0:
		err = errors.New("give --num-records or --duration")
	case o.mode == "consume" && o.records == 0:
		err = errors.New("give --num-records to consume")
	}
	return o, err
}

// loadRun measures one produce run.
type loadRun struct {
	o         loadOptions
	start     time.Time
	warmupEnd time.Time
	end       time.Time
	latency   *cli.Histogram
	measured  atomic.Int64
	warm      atomic.Int64
	errs      atomic.Int64
	lastAck   atomic.Int64
	firstErr  atomic.Pointer[error]
}

func newLoadRun(o loadOptions) *loadRun {
	r := &loadRun{o: o, latency: cli.NewHistogram(), start: time.Now()}
	r.warmupEnd = r.start.Add(o.warmup)
	if o.duration > 0 {
		r.end = r.start.Add(o.duration)
	}
	return r
}

func (r *loadRun) acked(at time.Time, err error) {
	now := time.Now()
	if err != nil {
		r.errs.Add(1)
		r.firstErr.CompareAndSwap(nil, &err)
		return
	}
	if now.Before(r.warmupEnd) {
		r.warm.Add(1)
		return
	}
	r.measured.Add(1)
	r.latency.Record(now.Sub(at))
	for {
		last := r.lastAck.Load()
		if now.UnixNano() <= last || r.lastAck.CompareAndSwap(last, now.UnixNano()) {
			return
		}
	}
}

// drive calls send for each record on the timeline (or as fast as send
// returns) until --num-records, --duration, an error or ctx ends it.
func (r *loadRun) drive(ctx context.Context, send func(part int, at time.Time)) {
	if r.o.rate > 0 {
		cli.PacedProcs()
	}
	pacer := cli.Pacer{Start: r.start, Rate: r.o.rate}
	for i := int64(0); r.o.records == 0 || i < r.o.records; i++ {
		var at time.Time
		if r.o.rate > 0 {
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
		if r.firstErr.Load() != nil {
			return
		}
		send(int(i%int64(r.o.partitions)), at)
	}
}

func (r *loadRun) result(tool, topic string) (*cli.PerfResult, error) {
	if e := r.firstErr.Load(); e != nil {
		return nil, *e
	}
	o := r.o
	res := &cli.PerfResult{Tool: tool, Topic: topic, Records: r.measured.Load(), TargetRate: o.rate, RecordSize: o.recordSize,
		Partitions: o.partitions, Acks: "all", Compression: "none", Clients: 1, WarmupSeconds: o.warmup.Seconds(),
		WarmupRecords: r.warm.Load(), Errors: r.errs.Load(), Latency: r.latency.Summary()}
	res.Bytes = res.Records * int64(o.recordSize)
	if last := r.lastAck.Load(); last > 0 {
		res.Seconds = time.Unix(0, last).Sub(r.warmupEnd).Seconds()
	}
	setRates(res)
	return res, nil
}

func setRates(r *cli.PerfResult) {
	if r.Seconds > 0 {
		r.RecordsPerSec = float64(int64(float64(r.Records) / r.Seconds))
		r.MBPerSec = float64(int64(float64(r.Bytes)/1e6/r.Seconds*100)) / 100
	}
}

// consumeMeter counts what a consume run receives.
type consumeMeter struct {
	records, bytes atomic.Int64
	first, last    atomic.Int64
}

func (m *consumeMeter) got(n, bytes int) {
	now := time.Now().UnixNano()
	m.first.CompareAndSwap(0, now)
	m.last.Store(now)
	m.records.Add(int64(n))
	m.bytes.Add(int64(bytes))
}

func (m *consumeMeter) result(topic string, partitions int) *cli.PerfResult {
	res := &cli.PerfResult{Tool: "consume", Topic: topic, Records: m.records.Load(), Bytes: m.bytes.Load(),
		Partitions: partitions, Clients: 1}
	if f := m.first.Load(); f > 0 {
		res.Seconds = time.Duration(m.last.Load() - f).Seconds()
	}
	setRates(res)
	return res
}

func loadContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func printResult(res *cli.PerfResult) error {
	return json.NewEncoder(os.Stdout).Encode(res)
}

func payload(size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = 'A' + byte((i*7+i/26)%26)
	}
	return b
}

// runLoadNATS is `bench load-nats`: JetStream with file storage, one
// stream per partition (subject bench.N), published asynchronously.
func runLoadNATS(args []string) error {
	o, err := parseLoadOptions("load-nats", args)
	if err != nil {
		return err
	}
	ctx, cancel := loadContext()
	defer cancel()
	nc, err := nats.Connect("nats://"+o.addr, nats.Timeout(10*time.Second))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(o.maxInFlight*2))
	if err != nil {
		return err
	}
	streams := make([]string, o.partitions)
	for i := range streams {
		streams[i] = "bench-" + strconv.Itoa(i)
		if o.mode == "produce" {
			_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: streams[i], Subjects: []string{"bench." + strconv.Itoa(i)},
				Storage: jetstream.FileStorage, Replicas: 1})
			if err != nil {
				return fmt.Errorf("create stream %s: %w", streams[i], err)
			}
		}
	}
	if o.mode == "consume" {
		return consumeNATS(ctx, js, o, streams)
	}
	value := payload(o.recordSize)
	type pending struct {
		f  jetstream.PubAckFuture
		at time.Time
	}
	sem := make(chan struct{}, o.maxInFlight)
	queues := make([]chan pending, o.partitions)
	run := newLoadRun(o)
	var wg sync.WaitGroup
	for i := range queues {
		// Acks of one stream come in publish order: one collector per
		// stream waits for them in turn.
		queues[i] = make(chan pending, o.maxInFlight)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range queues[i] {
				select {
				case <-p.f.Ok():
					run.acked(p.at, nil)
				case err := <-p.f.Err():
					run.acked(p.at, err)
				}
				<-sem
			}
		}()
	}
	subjects := make([]string, o.partitions)
	for i := range subjects {
		subjects[i] = "bench." + strconv.Itoa(i)
	}
	run.drive(ctx, func(part int, at time.Time) {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		f, err := js.PublishAsync(subjects[part], value)
		if err != nil {
			run.acked(at, err)
			<-sem
			return
		}
		queues[part] <- pending{f, at}
	})
	for _, q := range queues {
		close(q)
	}
	wg.Wait()
	res, err := run.result("produce", "bench")
	if err != nil {
		return err
	}
	return printResult(res)
}

func consumeNATS(ctx context.Context, js jetstream.JetStream, o loadOptions, streams []string) error {
	var m consumeMeter
	errs := make(chan error, len(streams))
	for _, name := range streams {
		go func() {
			errs <- func() error {
				s, err := js.Stream(ctx, name)
				if err != nil {
					return err
				}
				want := s.CachedInfo().State.Msgs
				c, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
				if err != nil {
					return err
				}
				it, err := c.Messages()
				if err != nil {
					return err
				}
				defer it.Stop()
				for got := uint64(0); got < want; got++ {
					msg, err := it.Next()
					if err != nil {
						return fmt.Errorf("stream %s after %d of %d messages: %w", name, got, want, err)
					}
					m.got(1, len(msg.Data()))
				}
				return nil
			}()
		}()
	}
	for range streams {
		if err := <-errs; err != nil {
			return err
		}
	}
	return printResult(m.result("bench", len(streams)))
}

// runLoadRedis is `bench load-redis`: XADD to one stream key per
// partition, pipelined by workers that each send what is waiting (up to
// 512 commands) and wait for the replies.
func runLoadRedis(args []string) error {
	o, err := parseLoadOptions("load-redis", args)
	if err != nil {
		return err
	}
	ctx, cancel := loadContext()
	defer cancel()
	const workers, maxPipeline = 8, 512
	rdb := redis.NewClient(&redis.Options{Addr: o.addr, PoolSize: workers + 8, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second})
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return err
	}
	keys := make([]string, o.partitions)
	for i := range keys {
		keys[i] = "bench-" + strconv.Itoa(i)
	}
	if o.mode == "consume" {
		return consumeRedis(ctx, rdb, o, keys)
	}
	value := payload(o.recordSize)
	type item struct {
		part int
		at   time.Time
	}
	items := make(chan item, max(o.maxInFlight-workers*maxPipeline, workers))
	run := newLoadRun(o)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			batch := make([]item, 0, maxPipeline)
			for it := range items {
				batch = append(batch[:0], it)
			drain:
				for len(batch) < maxPipeline {
					select {
					case it, ok := <-items:
						if !ok {
							break drain
						}
						batch = append(batch, it)
					default:
						break drain
					}
				}
				pipe := rdb.Pipeline()
				for _, it := range batch {
					pipe.XAdd(ctx, &redis.XAddArgs{Stream: keys[it.part], ID: "*", Values: []any{"v", value}})
				}
				cmds, err := pipe.Exec(ctx)
				for i, it := range batch {
					e := err
					if i < len(cmds) {
						e = cmds[i].Err()
					}
					run.acked(it.at, e)
				}
			}
		}()
	}
	run.drive(ctx, func(part int, at time.Time) {
		select {
		case items <- item{part, at}:
		case <-ctx.Done():
		}
	})
	close(items)
	wg.Wait()
	res, err := run.result("produce", "bench")
	if err != nil {
		return err
	}
	return printResult(res)
}

func consumeRedis(ctx context.Context, rdb *redis.Client, o loadOptions, keys []string) error {
	var m consumeMeter
	errs := make(chan error, len(keys))
	for _, key := range keys {
		go func() {
			errs <- func() error {
				want, err := rdb.XLen(ctx, key).Result()
				if err != nil {
					return err
				}
				start := "-"
				for got := int64(0); got < want; {
					msgs, err := rdb.XRangeN(ctx, key, start, "+", 1000).Result()
					if err != nil {
						return err
					}
					if len(msgs) == 0 {
						return fmt.Errorf("stream %s ended after %d of %d entries", key, got, want)
					}
					bytes := 0
					for _, msg := range msgs {
						if v, ok := msg.Values["v"].(string); ok {
							bytes += len(v)
						}
					}
					m.got(len(msgs), bytes)
					got += int64(len(msgs))
					start = "(" + msgs[len(msgs)-1].ID
				}
				return nil
			}()
		}()
	}
	for range keys {
		if err := <-errs; err != nil {
			return err
		}
	}
	return printResult(m.result("bench", len(keys)))
}
