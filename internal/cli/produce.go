package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
)

type produceOptions struct {
	topic        string
	file         string // "" or "-": stdin
	keySeparator string // split each line into key and value at its first occurrence
	key          string // a key for every record, when set
	headers      []string
	partition    int32 // -1: by key (murmur2, as Java's client), else sticky
	acks         string
	compression  string
	linger       time.Duration
	batchBytes   int32
	verbose      bool
	quiet        bool

	// Per-line headers (kafka-console-producer's parse.headers): the line
	// starts with k1:v1,k2:v2 and then headersDelimiter.
	parseHeaders          bool
	headersDelimiter      string
	headersSeparator      string
	headersKeySeparator   string
	nullMarker            string // a key or value equal to it is null
	properties            []string
	producerProperties    []string
	interactiveProgressOK bool // stderr is a terminal: show progress while running
}

func newProduceCommand() *cobra.Command {
	var (
		o         produceOptions
		topicFlag string
		lingerMs  int64
	)
	var g *Globals // set below, once the command exists
	cmd := &cobra.Command{
		Use:   "produce TOPIC",
		Short: "Write lines from stdin or a file as records",
		Long: `Write each line of stdin (or --file) as one record to TOPIC. With
--key-separator, the text before the first separator is the key. Records
without a key are spread over partitions; records with a key go to the
partition Kafka's Java client would choose; --partition picks one.

-v prints the partition and offset of every record, in input order, and a
summary with records/s and MB/s; runs longer than a second print the summary
anyway (-q silences it). Ctrl-C stops reading, waits for the records already
read to be acknowledged and exits.

kafka-console-producer's flags work too: --topic, --property parse.key=true,
--property key.separator=:, --property parse.headers=true,
--producer-property acks=all|compression.type=..|linger.ms=..|batch.size=..,
--request-required-acks, --compression-codec, --linger-ms, --batch-size.`,
		Example: `  echo 'hello' | fjord produce demo
  printf 'user-1:logged in\nuser-2:logged out\n' | fjord produce demo --key-separator :
  fjord produce demo -f events.txt --compression zstd --acks 1 -v
  fjord produce demo -H source=import -H version=2 --partition 0 < lines.txt
  # kafka-console-producer.sh style
  fjord produce --topic demo --property parse.key=true --property key.separator=:`,
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
				return usagef("name the topic: fjord produce TOPIC")
			}
			if cmd.Flags().Changed("linger-ms") {
				o.linger = time.Duration(lingerMs) * time.Millisecond
			}
			return runProduce(cmd.Context(), g, o)
		},
	}
	g = addGlobalFlags(cmd)
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "", "read lines from this file instead of stdin")
	f.StringVarP(&o.keySeparator, "key-separator", "K", "", "split each line into key and value at the first SEP")
	f.StringVarP(&o.key, "key", "k", "", "key of every record")
	f.StringArrayVarP(&o.headers, "header", "H", nil, "header key=value on every record (repeatable)")
	f.Int32VarP(&o.partition, "partition", "p", -1, "write every record to this partition (default: chosen by key)")
	f.Lookup("partition").DefValue = ""
	f.StringVarP(&o.acks, "acks", "a", "all", "acknowledgements to wait for: all, 1 or 0")
	f.StringVarP(&o.compression, "compression", "z", "none", "batch compression: none, gzip, snappy, lz4 or zstd")
	f.DurationVar(&o.linger, "linger", 0, "wait this long for more records before sending a batch")
	f.Int32Var(&o.batchBytes, "batch-size", 1000012, "maximum bytes in one batch (the largest record, too)")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "print each record's partition and offset, and a summary")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "print no summary")
	f.StringVar(&topicFlag, "topic", "", "kafka-console-producer: the topic")
	f.StringArrayVar(&o.properties, "property", nil, "kafka-console-producer: parse.key, key.separator, parse.headers, headers.delimiter, headers.separator, headers.key.separator, null.marker")
	f.StringArrayVar(&o.producerProperties, "producer-property", nil, "kafka-console-producer: acks, compression.type, linger.ms, batch.size")
	f.StringVar(&o.acks, "request-required-acks", "all", "kafka-console-producer: same as --acks")
	f.StringVar(&o.compression, "compression-codec", "none", "kafka-console-producer: same as --compression")
	f.Int64Var(&lingerMs, "linger-ms", 0, "kafka-console-producer: --linger in milliseconds")
	for _, name := range []string{"request-required-acks", "compression-codec", "linger-ms"} {
		f.Lookup(name).Hidden = true
	}
	return cmd
}

// applyProperties maps kafka-console-producer's --property and
// --producer-property onto the options.
func (o *produceOptions) applyProperties() error {
	parseKey := false
	keySep := "\t"
	o.headersDelimiter, o.headersSeparator, o.headersKeySeparator = "\t", ",", ":"
	props, err := parseKeyValues("--property", o.properties, false)
	if err != nil {
		return err
	}
	for _, kv := range props {
		switch kv[0] {
		case "parse.key":
			parseKey = kv[1] == "true"
		case "key.separator":
			keySep = kv[1]
		case "parse.headers":
			o.parseHeaders = kv[1] == "true"
		case "headers.delimiter":
			o.headersDelimiter = kv[1]
		case "headers.separator":
			o.headersSeparator = kv[1]
		case "headers.key.separator":
			o.headersKeySeparator = kv[1]
		case "null.marker":
			o.nullMarker = kv[1]
		case "ignore.error":
		default:
			return usagef("--property %s is not supported (parse.key, key.separator, parse.headers, headers.delimiter, headers.separator, headers.key.separator, null.marker)", kv[0])
		}
	}
	if parseKey && o.keySeparator == "" {
		o.keySeparator = keySep
	}
	pprops, err := parseKeyValues("--producer-property", o.producerProperties, false)
	if err != nil {
		return err
	}
	for _, kv := range pprops {
		switch kv[0] {
		case "acks":
			o.acks = kv[1]
		case "compression.type":
			o.compression = kv[1]
		case "linger.ms":
			ms, err := strconv.ParseInt(kv[1], 10, 64)
			if err != nil || ms < 0 {
				return usagef("--producer-property linger.ms=%s is not a number of milliseconds", kv[1])
			}
			o.linger = time.Duration(ms) * time.Millisecond
		case "batch.size":
			n, err := strconv.ParseInt(kv[1], 10, 32)
			if err != nil || n <= 0 {
				return usagef("--producer-property batch.size=%s is not a positive number of bytes", kv[1])
			}
			o.batchBytes = int32(n)
		case "client.id", "enable.idempotence", "retries", "max.in.flight.requests.per.connection":
		default:
			return usagef("--producer-property %s is not supported (acks, compression.type, linger.ms, batch.size)", kv[0])
		}
	}
	return nil
}

// clientOpts turns the options into kgo options.
func (o *produceOptions) clientOpts(g *Globals) ([]kgo.Opt, error) {
	opts := []kgo.Opt{
		kgo.DefaultProduceTopic(o.topic),
		kgo.AllowAutoTopicCreation(),
		kgo.RecordDeliveryTimeout(g.Timeout),
		kgo.ProducerLinger(o.linger),
	}
	switch strings.ToLower(o.acks) {
	case "all", "-1":
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	case "1", "leader":
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	case "0", "none":
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite())
	default:
		return nil, usagef("--acks %q: give all, 1 or 0", o.acks)
	}
	codec, err := compressionCodec(o.compression)
	if err != nil {
		return nil, err
	}
	opts = append(opts, kgo.ProducerBatchCompression(codec))
	if o.batchBytes <= 0 {
		return nil, usagef("--batch-size must be positive")
	}
	opts = append(opts, kgo.ProducerBatchMaxBytes(o.batchBytes))
	if o.partition >= 0 {
		opts = append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	} else if o.partition != -1 {
		return nil, usagef("--partition must be 0 or more")
	}
	return opts, nil
}

func compressionCodec(name string) (kgo.CompressionCodec, error) {
	switch strings.ToLower(name) {
	case "none", "":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.CompressionCodec{}, usagef("--compression %q: give none, gzip, snappy, lz4 or zstd", name)
}

// produced is one acknowledged record as -v prints it.
type produced struct {
	Line      int64  `json:"line"`
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}

func runProduce(ctx context.Context, g *Globals, o produceOptions) error {
	if err := o.applyProperties(); err != nil {
		return err
	}
	staticHeaders, err := parseKeyValues("--header", o.headers, false)
	if err != nil {
		return err
	}
	if o.key != "" && o.keySeparator != "" {
		return usagef("give either --key or --key-separator, not both")
	}
	opts, err := o.clientOpts(g)
	if err != nil {
		return err
	}
	in := g.stdin
	if o.file != "" && o.file != "-" {
		f, err := os.Open(o.file)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	cl, err := g.newClient(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()

	// Ctrl-C stops the reading; records already read are still sent.
	rctx, stop := interruptible(ctx)
	defer stop()
	lines := make(chan []byte, 256)
	readErr := make(chan error, 1)
	go func() {
		defer close(lines)
		readErr <- readLines(rctx, in, lines)
	}()

	p := newProgress(g, o)
	defer p.stop()
	var (
		mu       sync.Mutex
		firstErr error
		errLine  int64
		acks     = newReorder(p.printRecord)
		line     int64
	)
	failed := func(err error, n int64) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr, errLine = err, n
		}
	}
	hasFailed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return firstErr != nil
	}
	noAcks := o.acks == "0" || strings.EqualFold(o.acks, "none")
	interrupted := false
read:
	for !hasFailed() {
		var b []byte
		select {
		case next, ok := <-lines:
			if !ok {
				break read
			}
			b = next
		case <-rctx.Done():
			interrupted = true
			break read
		}
		line++
		rec, err := o.record(b, staticHeaders)
		if err != nil {
			failed(err, line)
			break
		}
		n := line
		cl.Produce(context.Background(), rec, func(r *kgo.Record, err error) {
			if err != nil {
				failed(err, n)
				return
			}
			p.add(r)
			mu.Lock()
			defer mu.Unlock()
			off := r.Offset
			if noAcks {
				off = -1 // acks=0: no response, so no offset
			}
			acks.done(n, produced{Line: n, Topic: r.Topic, Partition: r.Partition, Offset: off})
		})
	}
	stop()
	fctx, cancel := context.WithTimeout(context.Background(), g.Timeout)
	defer cancel()
	flushErr := cl.Flush(fctx)
	var rerr error
	if !interrupted && !hasFailed() {
		rerr = <-readErr // the reader has closed lines: it is done
	}
	mu.Lock()
	err = firstErr
	mu.Unlock()
	p.finish(err == nil && flushErr == nil && rerr == nil)
	switch {
	case err != nil:
		return g.kafkaError(fmt.Sprintf("produce line %d to %s", errLine, o.topic), err, "")
	case flushErr != nil:
		return g.kafkaError("produce to "+o.topic, flushErr, "")
	case rerr != nil:
		return fmt.Errorf("read input: %w", rerr)
	}
	return nil
}

// progress counts what was acknowledged, prints -v's per-record lines, a
// progress line on a terminal and the final summary.
type progress struct {
	g        *Globals
	o        produceOptions
	start    time.Time
	records  atomic.Int64
	bytes    atomic.Int64
	terminal bool

	mu  sync.Mutex // guards out
	out *bufio.Writer

	quit chan struct{}
	done chan struct{}
}

func newProgress(g *Globals, o produceOptions) *progress {
	p := &progress{g: g, o: o, start: time.Now(), terminal: isTerminal(g.stderr) && !o.quiet,
		out: bufio.NewWriter(g.stdout), quit: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p
}

func (p *progress) add(r *kgo.Record) {
	n := len(r.Key) + len(r.Value)
	for _, h := range r.Headers {
		n += len(h.Key) + len(h.Value)
	}
	p.records.Add(1)
	p.bytes.Add(int64(n))
}

// run flushes -v's output and redraws the progress line while producing.
func (p *progress) run() {
	defer close(p.done)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	lastDraw := time.Now()
	for {
		select {
		case <-p.quit:
			return
		case now := <-tick.C:
			p.mu.Lock()
			p.out.Flush()
			p.mu.Unlock()
			if p.terminal && now.Sub(lastDraw) >= time.Second {
				lastDraw = now
				fmt.Fprintf(p.g.stderr, "\r\033[K%s", p.summary("Producing", now))
			}
		}
	}
}

func (p *progress) printRecord(r produced) {
	if !p.o.verbose {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.g.json() {
		writeJSONLine(p.out, r)
		return
	}
	if r.Offset < 0 {
		fmt.Fprintf(p.out, "line %d: partition %d (acks=0: no offset)\n", r.Line, r.Partition)
		return
	}
	fmt.Fprintf(p.out, "line %d: partition %d, offset %d\n", r.Line, r.Partition, r.Offset)
}

func (p *progress) stop() {
	select {
	case <-p.quit:
	default:
		close(p.quit)
	}
	<-p.done
}

// finish prints the summary: with -v, or after a successful run long
// enough to want one, unless -q.
func (p *progress) finish(succeeded bool) {
	p.stop()
	p.mu.Lock()
	p.out.Flush()
	p.mu.Unlock()
	now := time.Now()
	if p.terminal {
		fmt.Fprint(p.g.stderr, "\r\033[K")
	}
	if p.o.quiet || (!p.o.verbose && (!succeeded || now.Sub(p.start) < time.Second)) {
		return
	}
	fmt.Fprintln(p.g.stderr, p.summary("Produced", now))
}

func (p *progress) summary(verb string, now time.Time) string {
	n, b := p.records.Load(), p.bytes.Load()
	secs := now.Sub(p.start).Seconds()
	s := fmt.Sprintf("%s %s (%s) to %s in %s", verb, plural(n, "record"), formatBytes(b), p.o.topic,
		now.Sub(p.start).Round(time.Millisecond))
	if secs > 0 {
		s += fmt.Sprintf(": %.0f records/s, %.2f MB/s", float64(n)/secs, float64(b)/1e6/secs)
	}
	return s
}

// formatBytes prints a byte count with a decimal unit.
func formatBytes(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// record builds the record for one input line.
func (o *produceOptions) record(line []byte, staticHeaders [][2]string) (*kgo.Record, error) {
	r := &kgo.Record{Partition: max(o.partition, 0)}
	for _, h := range staticHeaders {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: h[0], Value: []byte(h[1])})
	}
	if o.parseHeaders {
		hs, rest, ok := bytes.Cut(line, []byte(o.headersDelimiter))
		if !ok {
			return nil, fmt.Errorf("no headers delimiter %q on the line", o.headersDelimiter)
		}
		line = rest
		for _, h := range bytes.Split(hs, []byte(o.headersSeparator)) {
			if len(h) == 0 {
				continue
			}
			k, v, ok := bytes.Cut(h, []byte(o.headersKeySeparator))
			if !ok {
				return nil, fmt.Errorf("header %q has no key separator %q", h, o.headersKeySeparator)
			}
			hv := v
			if o.nullMarker != "" && string(v) == o.nullMarker {
				hv = nil
			}
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: string(k), Value: hv})
		}
	}
	switch {
	case o.key != "":
		r.Key, r.Value = []byte(o.key), line
	case o.keySeparator != "":
		k, v, ok := bytes.Cut(line, []byte(o.keySeparator))
		if !ok {
			return nil, fmt.Errorf("no key separator %q on the line", o.keySeparator)
		}
		r.Key, r.Value = k, v
	default:
		r.Value = line
	}
	if o.nullMarker != "" {
		if string(r.Key) == o.nullMarker {
			r.Key = nil
		}
		if string(r.Value) == o.nullMarker {
			r.Value = nil
		}
	}
	return r, nil
}

// readLines sends each line of r without its line ending ("\n" or
// "\r\n"); a last line without one counts too.
func readLines(ctx context.Context, r io.Reader, out chan<- []byte) error {
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		b, err := br.ReadBytes('\n')
		if len(b) > 0 {
			b = bytes.TrimSuffix(b, []byte("\n"))
			b = bytes.TrimSuffix(b, []byte("\r"))
			select {
			case out <- b:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// reorder releases acknowledgements in input order: acks of different
// partitions arrive in any order.
type reorder struct {
	next    int64
	pending map[int64]produced
	emit    func(produced)
}

func newReorder(emit func(produced)) *reorder {
	return &reorder{next: 1, pending: map[int64]produced{}, emit: emit}
}

func (r *reorder) done(n int64, p produced) {
	r.pending[n] = p
	for {
		p, ok := r.pending[r.next]
		if !ok {
			return
		}
		delete(r.pending, r.next)
		r.next++
		r.emit(p)
	}
}
