package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type consumeOptions struct {
	topics        []string
	fromBeginning bool
	offset        string  // earliest, latest, N or -N (N before the end)
	partitions    []int32 // all when empty
	group         string
	maxMessages   int64
	format        string
	idleTimeout   time.Duration
	exitAtEnd     bool
	quiet         bool
	properties    []string
}

func newConsumeCommand() *cobra.Command {
	var (
		o         consumeOptions
		g         *Globals // set below, once the command exists
		topicFlag []string
		timeoutMs int64
	)
	cmd := &cobra.Command{
		Use:   "consume TOPIC...",
		Short: "Print records of topics",
		Long: `Print the records of one or more topics, from the end (new records only)
unless --from-beginning or --offset says otherwise.

Without --group the partitions are read directly and nothing is committed.
With --group the consumer joins the group, starts from the group's committed
offsets (or from the beginning/end for partitions without one), and commits
the offsets of the records it printed. Ctrl-C stops cleanly: it commits and
leaves the group.

Output: the value of each record on its own line, or --format, like kcat's -f:
  %t topic  %p partition  %o offset  %k key  %s value  %h headers (k=v,...)
  %K key length  %S value length (-1 when null)  %T timestamp in ms
  %D timestamp in RFC 3339  %%  percent sign  \n \t \r \\ escapes
-o json prints one JSON object a line; keys and values that are not UTF-8
come as key_base64 / value_base64.

kafka-console-consumer's flags work too: --topic, --from-beginning, --offset,
--partition, --group, --max-messages, --timeout-ms and --property
print.key=true, print.timestamp, print.partition, print.offset,
print.headers, print.value, key.separator, line.separator, null.literal.`,
		Example: `  fjord consume demo --from-beginning
  fjord consume demo -e -f '%k => %s (partition %p, offset %o)\n'
  fjord consume demo --partition 0 --offset -10 --max-messages 10
  fjord consume orders payments --group billing
  fjord consume demo --from-beginning -o json | jq .value
  # kafka-console-consumer.sh style
  fjord consume --topic demo --from-beginning --property print.key=true --property key.separator=:`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.topics = topicArgs(args, topicFlag)
			if len(o.topics) == 0 {
				return usagef("name the topic: fjord consume TOPIC")
			}
			if cmd.Flags().Changed("timeout-ms") {
				o.idleTimeout = time.Duration(timeoutMs) * time.Millisecond
			}
			return runConsume(cmd.Context(), g, o)
		},
	}
	g = addGlobalFlags(cmd)
	f := cmd.Flags()
	f.BoolVar(&o.fromBeginning, "from-beginning", false, "start at the oldest record (with --group: where the group has no offset)")
	f.StringVar(&o.offset, "offset", "", "start at: earliest, latest, an offset N, or -N for N records before the end")
	f.Int32SliceVarP(&o.partitions, "partition", "p", nil, "read only these partitions (repeatable, or 0,2,5)")
	f.Lookup("partition").DefValue = "" // not "[]" in the help
	f.StringVarP(&o.group, "group", "g", "", "consume as a member of this group and commit offsets")
	f.Int64VarP(&o.maxMessages, "max-messages", "n", 0, "exit after this many records")
	f.StringVarP(&o.format, "format", "f", "", `output format, e.g. '%k:%s\n' (default: the value and a newline)`)
	f.DurationVar(&o.idleTimeout, "idle-timeout", 0, "exit when no record comes for this long")
	f.BoolVarP(&o.exitAtEnd, "exit-at-end", "e", false, "exit once every partition is read up to where it ended at the start")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "do not print the count of records at the end")
	f.StringArrayVar(&topicFlag, "topic", nil, "kafka-console-consumer: the topic (repeatable)")
	f.StringArrayVar(&o.properties, "property", nil, "kafka-console-consumer: print.key=true, key.separator=:, ...")
	f.Int64Var(&timeoutMs, "timeout-ms", 0, "kafka-console-consumer: --idle-timeout in milliseconds")
	return cmd
}

// printer chooses the output form.
func (o *consumeOptions) printer(g *Globals) (recordPrinter, error) {
	switch {
	case g.json() && (o.format != "" || len(o.properties) > 0):
		return nil, usagef("give either -o json or --format/--property, not both")
	case o.format != "" && len(o.properties) > 0:
		return nil, usagef("give either --format or --property, not both")
	case g.json():
		return jsonPrinter{}, nil
	case o.format != "":
		f, err := parseRecordFormat(o.format)
		if err != nil {
			return nil, UsageError{err}
		}
		return &formatPrinter{f: f}, nil
	case len(o.properties) > 0:
		kf := newKafkaFormatter()
		props, err := parseKeyValues("--property", o.properties, false)
		if err != nil {
			return nil, err
		}
		for _, kv := range props {
			if !kf.set(kv[0], kv[1]) {
				return nil, usagef("--property %s is not supported (print.key, print.value, print.timestamp, print.partition, print.offset, print.headers, key.separator, line.separator, headers.separator, headers.key.separator, null.literal)", kv[0])
			}
		}
		return &formatPrinter{f: kf}, nil
	}
	f, _ := parseRecordFormat(`%s\n`)
	return &formatPrinter{f: f}, nil
}

func (o *consumeOptions) check() error {
	if o.group != "" {
		switch {
		case o.offset != "":
			return usagef("--offset cannot be used with --group: the group's committed offsets say where to start (see fjord group reset)")
		case len(o.partitions) > 0:
			return usagef("--partition cannot be used with --group: the group assigns the partitions")
		case o.exitAtEnd:
			return usagef("--exit-at-end cannot be used with --group; use --idle-timeout or --max-messages")
		}
	}
	if o.offset != "" && o.fromBeginning {
		return usagef("give either --from-beginning or --offset, not both")
	}
	if o.maxMessages < 0 {
		return usagef("--max-messages must be positive")
	}
	if o.idleTimeout < 0 {
		return usagef("--idle-timeout must be positive")
	}
	if o.offset != "" {
		if _, _, err := parseStartOffset(o.offset); err != nil {
			return err
		}
	}
	return nil
}

// startKind is where a partition read starts.
type startKind int

const (
	startLatest   startKind = iota
	startEarliest           // the log start
	startAt                 // an absolute offset
	startFromEnd            // n before the end
)

func parseStartOffset(s string) (startKind, int64, error) {
	switch strings.ToLower(s) {
	case "", "latest", "end":
		return startLatest, 0, nil
	case "earliest", "beginning", "start":
		return startEarliest, 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, 0, usagef("--offset %q: give earliest, latest, an offset or -N", s)
	}
	if n < 0 {
		return startFromEnd, -n, nil
	}
	return startAt, n, nil
}

func runConsume(ctx context.Context, g *Globals, o consumeOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	printer, err := o.printer(g)
	if err != nil {
		return err
	}
	adm, err := g.newAdmin()
	if err != nil {
		return err
	}
	defer adm.Close()

	// Where each partition starts and, for --exit-at-end, where it ends.
	actx, cancel := g.ctx(ctx)
	starts, ends, err := listPartitionOffsets(actx, g, adm, o.topics, o.partitions)
	cancel()
	if err != nil {
		return err
	}
	opts := []kgo.Opt{kgo.FetchMaxWait(time.Second)}
	// In a group the idle clock starts once fetching has started after the
	// latest assignment: joining a group and loading its offsets can take
	// longer than the idle timeout.
	var group groupProgress
	remaining := map[string]map[int32]int64{} // --exit-at-end: partition -> last offset to read
	if o.group == "" {
		kind, n, _ := parseStartOffset(o.offset)
		if o.fromBeginning {
			kind = startEarliest
		}
		assign := map[string]map[int32]kgo.Offset{}
		for t, ps := range ends {
			assign[t] = map[int32]kgo.Offset{}
			for p, end := range ps {
				start := starts[t][p]
				at := end
				switch kind {
				case startEarliest:
					at = start
				case startAt:
					at = min(max(n, start), end)
				case startFromEnd:
					at = max(end-n, start)
				}
				assign[t][p] = kgo.NewOffset().At(at)
				if at < end {
					if remaining[t] == nil {
						remaining[t] = map[int32]int64{}
					}
					remaining[t][p] = end - 1
				}
			}
		}
		opts = append(opts, kgo.ConsumePartitions(assign), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	} else {
		reset := kgo.NewOffset().AtEnd()
		if o.fromBeginning {
			reset = kgo.NewOffset().AtStart()
		}
		opts = append(opts, kgo.ConsumerGroup(o.group), kgo.ConsumeTopics(o.topics...),
			kgo.ConsumeResetOffset(reset), kgo.AutoCommitMarks(),
			kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) {
				group.assignedAt.Store(time.Now().UnixNano())
			}),
			kgo.WithHooks(&group))
	}
	if o.exitAtEnd && len(remaining) == 0 {
		if !o.quiet {
			fmt.Fprintln(g.stderr, "Processed a total of 0 messages.")
		}
		return nil
	}
	cl, err := g.newClient(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()

	ctx, stop := interruptible(ctx)
	defer stop()
	out := bufio.NewWriterSize(g.stdout, 64<<10)
	var (
		count    int64
		pollErr  error
		lastSeen = time.Now()
	)
poll:
	for {
		pctx, cancel := ctx, context.CancelFunc(func() {})
		if o.idleTimeout > 0 {
			pctx, cancel = context.WithDeadline(ctx, lastSeen.Add(o.idleTimeout))
		}
		limit := -1
		if o.maxMessages > 0 {
			limit = int(o.maxMessages - count)
		}
		fetches := cl.PollRecords(pctx, limit)
		idle := pctx.Err() != nil && ctx.Err() == nil
		cancel()
		if idle && o.group != "" {
			switch since, ok := group.fetchingSince(); {
			case !ok: // not fetching yet: wait another period
				lastSeen, idle = time.Now(), false
			case since.After(lastSeen):
				lastSeen = since
				idle = time.Since(lastSeen) >= o.idleTimeout
			}
		}
		for _, fe := range fetches.Errors() {
			if errors.Is(fe.Err, context.Canceled) || errors.Is(fe.Err, context.DeadlineExceeded) || errors.Is(fe.Err, kgo.ErrClientClosed) {
				continue
			}
			what := fmt.Sprintf("consume %s partition %d", fe.Topic, fe.Partition)
			if fe.Topic == "" {
				what = "consume as group " + o.group
			}
			pollErr = g.kafkaError(what, fe.Err, "")
			break poll
		}
		var printed []*kgo.Record
		for _, r := range fetches.Records() {
			if err := printer.print(out, r); err != nil {
				return err
			}
			printed = append(printed, r)
			count++
			if last, ok := remaining[r.Topic][r.Partition]; ok && r.Offset >= last {
				delete(remaining[r.Topic], r.Partition)
				if len(remaining[r.Topic]) == 0 {
					delete(remaining, r.Topic)
				}
			}
			if o.maxMessages > 0 && count >= o.maxMessages {
				break
			}
		}
		if err := out.Flush(); err != nil {
			return err
		}
		if o.group != "" {
			cl.MarkCommitRecords(printed...)
		}
		if len(printed) > 0 {
			lastSeen = time.Now()
		}
		switch {
		case ctx.Err() != nil, idle:
			break poll
		case o.maxMessages > 0 && count >= o.maxMessages:
			break poll
		case o.exitAtEnd && len(remaining) == 0:
			break poll
		}
	}
	stop()
	var commitErr error
	if o.group != "" {
		cctx, cancel := g.ctx(context.Background())
		commitErr = cl.CommitMarkedOffsets(cctx)
		if commitErr == nil {
			commitErr = cl.LeaveGroupContext(cctx)
		}
		cancel()
	}
	if !o.quiet {
		fmt.Fprintf(g.stderr, "Processed a total of %s.\n", plural(count, "message"))
	}
	if pollErr != nil {
		return pollErr
	}
	return g.kafkaError("commit offsets of group "+o.group, commitErr, "")
}

// groupProgress tracks when a group member last got partitions and when
// it started fetching them; it is a kgo hook.
type groupProgress struct {
	assignedAt atomic.Int64 // unix ns of the latest assignment; 0: none yet
	fetchedAt  atomic.Int64 // unix ns of the first fetch response after it
}

// OnBrokerRead implements kgo.HookBrokerRead.
func (g *groupProgress) OnBrokerRead(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if key != int16(kmsg.Fetch) || err != nil {
		return
	}
	if a := g.assignedAt.Load(); a != 0 && g.fetchedAt.Load() < a {
		g.fetchedAt.Store(time.Now().UnixNano())
	}
}

// fetchingSince returns when fetching started after the latest assignment.
func (g *groupProgress) fetchingSince() (time.Time, bool) {
	a, f := g.assignedAt.Load(), g.fetchedAt.Load()
	if a == 0 || f < a {
		return time.Time{}, false
	}
	return time.Unix(0, f), true
}

// listPartitionOffsets returns the log start and end offsets of the
// partitions to read, failing for a topic or partition that does not exist.
func listPartitionOffsets(ctx context.Context, g *Globals, adm *kadm.Client, topics []string, partitions []int32) (starts, ends map[string]map[int32]int64, err error) {
	ls, err := adm.ListStartOffsets(ctx, topics...)
	if err != nil {
		return nil, nil, g.kafkaError("list offsets", shardErr(err), "")
	}
	le, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return nil, nil, g.kafkaError("list offsets", shardErr(err), "")
	}
	starts, ends = map[string]map[int32]int64{}, map[string]map[int32]int64{}
	for _, t := range topics {
		ps, ok := le[t]
		if !ok {
			return nil, nil, g.kafkaError("consume "+t, kerr.UnknownTopicOrPartition, "")
		}
		if bad, ok := ps[-1]; ok && bad.Err != nil {
			return nil, nil, g.kafkaError("consume "+t, bad.Err, "")
		}
		starts[t], ends[t] = map[int32]int64{}, map[int32]int64{}
		for p, e := range ps {
			if len(partitions) > 0 && !slices.Contains(partitions, p) {
				continue
			}
			if e.Err != nil {
				return nil, nil, g.kafkaError(fmt.Sprintf("list offsets of %s partition %d", t, p), e.Err, "")
			}
			s, ok := ls.Lookup(t, p)
			if !ok || s.Err != nil {
				var err error = kerr.UnknownTopicOrPartition
				if ok {
					err = s.Err
				}
				return nil, nil, g.kafkaError(fmt.Sprintf("list offsets of %s partition %d", t, p), err, "")
			}
			starts[t][p], ends[t][p] = s.Offset, e.Offset
		}
		for _, p := range partitions {
			if _, ok := ps[p]; !ok {
				return nil, nil, g.kafkaError(fmt.Sprintf("consume %s partition %d", t, p), kerr.UnknownTopicOrPartition,
					fmt.Sprintf("topic %s has %s", t, plural(int64(len(ps)), "partition")))
			}
		}
	}
	return starts, ends, nil
}
