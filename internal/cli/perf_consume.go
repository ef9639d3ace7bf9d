package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
)

type perfConsumeOptions struct {
	topic          string
	numRecords     int64         // 0: to the end (or, with --e2e, until --duration)
	duration       time.Duration // 0: no limit
	e2e            bool
	fromLatest     bool
	consumers      int
	group          string
	fetchMaxBytes  int32
	partitionBytes int32
	fetchMaxWait   time.Duration
	idleTimeout    time.Duration
	consumerProps  []string
	reportInterval time.Duration
	quiet          bool
}

func newPerfConsumeCommand(g *Globals) *cobra.Command {
	var (
		o         perfConsumeOptions
		topicFlag string
	)
	cmd := &cobra.Command{
		Use:   "consume TOPIC",
		Short: "Read a topic as fast as possible, or measure end-to-end latency",
		Long: `Read TOPIC and report records/s and MB/s (key and value bytes, as
kafka-consumer-perf-test counts them). By default every partition is read
from its start up to where it ended when the run began; --num-records,
--duration or --idle-timeout end the run earlier. The rate runs from the
first record received to the last.

--e2e measures end-to-end latency: it starts at the end of every partition
and times each new record from its send, read from the stamp "fjord perf
produce" puts at the start of each value (records without one are timed
from their Kafka timestamp, to the millisecond). Start it, then run "fjord
perf produce" against the same topic in another terminal; it ends after
--num-records, --duration, or --idle-timeout without new records. Both
must run on machines whose clocks agree (the same machine is simplest).

With --consumers N the partitions are split among N clients; with --group
they join the group and the group assigns them.

kafka-consumer-perf-test's flags work too: --topic, --messages,
--from-latest, --group, --threads and --fetch-size (its --timeout is
--idle-timeout here: --timeout bounds each request to the cluster).`,
		Example: `  fjord perf consume bench
  fjord perf consume bench --messages 1000000 --consumers 2 -o json
  # end-to-end latency: in one terminal
  fjord perf consume bench --e2e --duration 60s
  # and in another
  fjord perf produce bench --duration 60s --throughput 10000`,
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
				return usagef("name the topic: fjord perf consume TOPIC")
			}
			return runPerfConsume(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.Int64VarP(&o.numRecords, "num-records", "n", 0, "records to read (default: up to the end of every partition as at the start)")
	f.Int64Var(&o.numRecords, "messages", 0, "kafka-consumer-perf-test: same as --num-records")
	f.DurationVarP(&o.duration, "duration", "d", 0, "read for at most this long")
	f.BoolVar(&o.e2e, "e2e", false, "measure end-to-end latency of new records (starts at the end)")
	f.BoolVar(&o.fromLatest, "from-latest", false, "start at the end of every partition")
	f.IntVar(&o.consumers, "consumers", 1, "consumers (clients) sharing the partitions")
	f.IntVar(&o.consumers, "threads", 1, "kafka-consumer-perf-test: same as --consumers")
	f.StringVarP(&o.group, "group", "g", "", "consume as members of this group (committing nothing)")
	f.Int32Var(&o.fetchMaxBytes, "fetch-max-bytes", 50<<20, "most bytes one fetch response may carry")
	f.Int32Var(&o.partitionBytes, "fetch-size", 1<<20, "most bytes a fetch response carries per partition")
	f.DurationVar(&o.fetchMaxWait, "fetch-max-wait", 500*time.Millisecond, "how long the broker may hold a fetch waiting for data")
	f.DurationVar(&o.idleTimeout, "idle-timeout", 10*time.Second, "end when no record came for this long")
	f.StringArrayVar(&o.consumerProps, "consumer-props", nil, "consumer properties key=value: fetch.max.bytes, max.partition.fetch.bytes, fetch.max.wait.ms")
	f.DurationVar(&o.reportInterval, "report-interval", 5*time.Second, "print a progress line to stderr this often (0: never)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress lines")
	f.StringVar(&topicFlag, "topic", "", "kafka-consumer-perf-test: the topic")
	for _, name := range []string{"messages", "threads"} {
		f.Lookup(name).Hidden = true
	}
	return cmd
}

func (o *perfConsumeOptions) applyProps() error {
	kvs, err := parseKeyValues("--consumer-props", o.consumerProps, false)
	if err != nil {
		return err
	}
	for _, kv := range kvs {
		n, err := strconv.ParseInt(kv[1], 10, 32)
		if err != nil || n < 0 {
			return usagef("--consumer-props %s=%s is not a number", kv[0], kv[1])
		}
		switch kv[0] {
		case "fetch.max.bytes":
			o.fetchMaxBytes = int32(n)
		case "max.partition.fetch.bytes":
			o.partitionBytes = int32(n)
		case "fetch.max.wait.ms":
			o.fetchMaxWait = time.Duration(n) * time.Millisecond
		default:
			return unsupportedProps("--consumer-props", kv[0], "fetch.max.bytes", "max.partition.fetch.bytes", "fetch.max.wait.ms")
		}
	}
	return nil
}

func (o *perfConsumeOptions) check() error {
	switch {
	case o.numRecords < 0:
		return usagef("--num-records must be positive")
	case o.duration < 0 || o.idleTimeout < 0:
		return usagef("--duration and --idle-timeout must be positive")
	case o.consumers < 1:
		return usagef("--consumers must be 1 or more")
	case o.group != "" && o.e2e:
		return usagef("--e2e reads partitions directly; give no --group")
	case o.fetchMaxBytes <= 0 || o.partitionBytes <= 0:
		return usagef("--fetch-max-bytes and --fetch-size must be positive")
	}
	return nil
}

func runPerfConsume(ctx context.Context, g *Globals, o perfConsumeOptions) error {
	if err := o.applyProps(); err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	adm, err := g.newAdmin()
	if err != nil {
		return err
	}
	actx, cancel := g.ctx(ctx)
	starts, ends, err := listPartitionOffsets(actx, g, adm, []string{o.topic}, nil)
	cancel()
	adm.Close()
	if err != nil {
		return err
	}
	fromEnd := o.e2e || o.fromLatest
	// What is left to read, when the run ends at the ends as listed now.
	remaining := map[int32]int64{}
	var parts []int32
	for p, end := range ends[o.topic] {
		parts = append(parts, p)
		if !fromEnd && o.numRecords == 0 && end > starts[o.topic][p] {
			remaining[p] = end
		}
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	untilEnd := !fromEnd && o.numRecords == 0
	if untilEnd && len(remaining) == 0 {
		res := &PerfResult{Tool: "consume", Topic: o.topic, Partitions: len(parts), Clients: o.consumers}
		return res.write(g)
	}

	base := []kgo.Opt{kgo.ClientID("fjord-perf"), kgo.FetchMaxBytes(o.fetchMaxBytes),
		kgo.FetchMaxPartitionBytes(o.partitionBytes), kgo.FetchMaxWait(o.fetchMaxWait)}
	clients := make([]*kgo.Client, o.consumers)
	for i := range clients {
		opts := slices.Clone(base)
		if o.group != "" {
			reset := kgo.NewOffset().AtStart()
			if fromEnd {
				reset = kgo.NewOffset().AtEnd()
			}
			opts = append(opts, kgo.ConsumerGroup(o.group), kgo.ConsumeTopics(o.topic), kgo.ConsumeResetOffset(reset),
				kgo.DisableAutoCommit())
		} else {
			assign := map[int32]kgo.Offset{}
			for j, p := range parts {
				if j%o.consumers != i {
					continue
				}
				at := starts[o.topic][p]
				if fromEnd {
					at = ends[o.topic][p]
				}
				assign[p] = kgo.NewOffset().At(at)
			}
			if len(assign) == 0 {
				clients = clients[:i]
				break // more consumers than partitions
			}
			opts = append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{o.topic: assign}))
		}
		if clients[i], err = g.newClient(opts...); err != nil {
			return err
		}
		defer clients[i].Close()
	}

	ctx, stop := interruptible(ctx)
	defer stop()
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	run := &perfConsumeRun{o: o, counter: newPerfCounter(), e2e: NewHistogram(), remaining: remaining, untilEnd: untilEnd}
	run.lastSeen.Store(time.Now().UnixNano())
	ctx, run.finish = context.WithCancel(ctx)
	defer run.finish()
	if !o.quiet {
		verb := "received"
		go run.counter.reportProgress(ctx, g.stderr, o.reportInterval, verb, "end-to-end latency")
	}
	if o.idleTimeout > 0 {
		go run.watchIdle(ctx)
	}
	var wg sync.WaitGroup
	for _, cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run.poll(ctx, cl)
		}()
	}
	wg.Wait()
	if err := run.err(); err != nil {
		return g.kafkaError("consume "+o.topic, err, "")
	}
	res := &PerfResult{Tool: "consume", Topic: o.topic, Records: run.counter.records.Load(), Bytes: run.counter.bytes.Load(),
		Partitions: len(parts), Clients: len(clients)}
	if first, last := run.first.Load(), run.last.Load(); first > 0 {
		res.Seconds = time.Duration(last - first).Seconds()
	}
	if o.e2e {
		res.E2E = run.e2e.Summary()
	}
	res.setRates()
	return res.write(g)
}

// perfConsumeRun is the state of one run shared by its consumers.
type perfConsumeRun struct {
	o        perfConsumeOptions
	counter  *perfCounter
	e2e      *Histogram
	finish   context.CancelFunc
	untilEnd bool

	first, last atomic.Int64 // unix ns of the first and latest record received
	lastSeen    atomic.Int64 // unix ns of the latest poll that returned records, or the start

	mu        sync.Mutex
	remaining map[int32]int64 // partition -> end offset still to reach; guarded by mu
	firstErr  error
}

func (r *perfConsumeRun) err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.firstErr
}

// watchIdle ends the run when no record came for --idle-timeout.
func (r *perfConsumeRun) watchIdle(ctx context.Context) {
	t := time.NewTicker(min(r.o.idleTimeout/4, 250*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if now.Sub(time.Unix(0, r.lastSeen.Load())) >= r.o.idleTimeout {
				r.finish()
				return
			}
		}
	}
}

func (r *perfConsumeRun) poll(ctx context.Context, cl *kgo.Client) {
	for ctx.Err() == nil {
		fetches := cl.PollFetches(ctx)
		for _, fe := range fetches.Errors() {
			if errors.Is(fe.Err, context.Canceled) || errors.Is(fe.Err, context.DeadlineExceeded) || errors.Is(fe.Err, kgo.ErrClientClosed) {
				continue
			}
			r.mu.Lock()
			if r.firstErr == nil {
				r.firstErr = fmt.Errorf("partition %d: %w", fe.Partition, fe.Err)
			}
			r.mu.Unlock()
			r.finish()
			return
		}
		now := time.Now()
		var got int64
		fetches.EachPartition(func(p kgo.FetchTopicPartition) {
			if len(p.Records) == 0 {
				return
			}
			for _, rec := range p.Records {
				var lat time.Duration
				if r.o.e2e {
					at, ok := perfStamp(rec.Value)
					if !ok {
						at = rec.Timestamp
					}
					lat = now.Sub(at)
					r.e2e.Record(lat)
				}
				r.counter.add(len(rec.Key)+len(rec.Value), lat, r.o.e2e)
			}
			got += int64(len(p.Records))
			if r.untilEnd {
				last := p.Records[len(p.Records)-1].Offset
				r.mu.Lock()
				if end, ok := r.remaining[p.Partition]; ok && last >= end-1 {
					delete(r.remaining, p.Partition)
				}
				if len(r.remaining) == 0 {
					r.finish()
				}
				r.mu.Unlock()
			}
		})
		if got == 0 {
			continue
		}
		r.first.CompareAndSwap(0, now.UnixNano())
		for {
			last := r.last.Load()
			if now.UnixNano() <= last || r.last.CompareAndSwap(last, now.UnixNano()) {
				break
			}
		}
		r.lastSeen.Store(now.UnixNano())
		if n := r.o.numRecords; n > 0 && r.counter.records.Load() >= n {
			r.finish()
		}
	}
}
