// Command bench measures Fjord side by side with a null Kafka server (the
// client's ceiling), franz-go's kfake, NATS JetStream and Redis Streams on
// the same workloads, on this machine, in one run, and writes the results
// into docs/benchmarks.md with charts under docs/bench/ and raw JSON under
// bench/results/. See README.md.
//
// It is its own module so that Fjord does not depend on other brokers'
// clients. Kafka servers are driven by `fjord perf` (built from this
// repository); NATS and Redis by this program's own load generators, which
// share fjord perf's histogram, pacing and result format.
//
// The program re-executes itself for the parts that run pinned to a core:
// `bench serve-null`, `serve-kfake`, `load-nats`, `load-redis`.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/fjordlabs/fjord/internal/cli"
)

const (
	serverCPU    = "0"
	loadCPU      = "1"
	startTimeout = 30 * time.Second
	pacedRate    = 10000
)

type perfResult = cli.PerfResult

func newFlagSet(name string) *flag.FlagSet {
	return flag.NewFlagSet(name, flag.ExitOnError)
}

func main() {
	sub := map[string]func([]string) error{
		"serve-null":  runNullServer,
		"serve-kfake": runKfake,
		"load-nats":   runLoadNATS,
		"load-redis":  runLoadRedis,
		"profile":     runProfile,
	}
	var err error
	if len(os.Args) > 1 && sub[os.Args[1]] != nil {
		err = sub[os.Args[1]](os.Args[2:])
	} else {
		err = runBench(os.Args[1:])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// workload is one cell of the matrix.
type workload struct {
	Kind       string  `json:"kind"` // produce or consume
	RecordSize int     `json:"record_size"`
	Acks       string  `json:"acks,omitempty"`
	Partitions int     `json:"partitions"`
	Rate       float64 `json:"rate,omitempty"`    // records/s; 0: throughput mode
	Records    int64   `json:"records,omitempty"` // consume: records in the topic
}

func (w workload) ID() string {
	if w.Kind == "consume" {
		return fmt.Sprintf("consume-%s-%dp-%dMiB", sizeName(w.RecordSize), w.Partitions, w.Records*int64(w.RecordSize)>>20)
	}
	mode := "max"
	if w.Rate > 0 {
		mode = fmt.Sprintf("paced%d", int(w.Rate))
	}
	return fmt.Sprintf("produce-%s-acks%s-%dp-%s", sizeName(w.RecordSize), w.Acks, w.Partitions, mode)
}

// Short is the workload without its mode, for table rows.
func (w workload) Short() string {
	p := "partitions"
	if w.Partitions == 1 {
		p = "partition"
	}
	return fmt.Sprintf("%s, acks=%s, %d %s", sizeLabel(w.RecordSize), w.Acks, w.Partitions, p)
}

func sizeName(n int) string {
	if n%1024 == 0 {
		return fmt.Sprintf("%dKiB", n/1024)
	}
	return fmt.Sprintf("%dB", n)
}

func sizeLabel(n int) string {
	if n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return fmt.Sprintf("%d B", n)
}

// timing is how long the runs last.
type timing struct {
	warmup   time.Duration
	measured time.Duration
}

func (t timing) duration(workload) time.Duration { return t.warmup + t.measured }

func matrix(quick bool, consumeBytes int64) []workload {
	var ws []workload
	sizes, acks, parts := []int{1024, 100}, []string{"all", "1"}, []int{1, 6}
	if quick {
		sizes, acks, parts = []int{1024}, []string{"all"}, []int{6}
	}
	for _, rate := range []float64{0, pacedRate} {
		for _, s := range sizes {
			for _, a := range acks {
				for _, p := range parts {
					ws = append(ws, workload{Kind: "produce", RecordSize: s, Acks: a, Partitions: p, Rate: rate})
				}
			}
		}
	}
	return append(ws, workload{Kind: "consume", RecordSize: 1024, Partitions: 6, Records: consumeBytes / 1024})
}

// bench is the state of a run.
type bench struct {
	fjord     string // the fjord binary
	self      string // this program
	root      string // the repository
	work      string // scratch directory for data dirs
	debugAddr string // profile: fjord's pprof address
	nullAddrs map[string]bool
	quietWait time.Duration // before each measurement, wait up to this long for a quiet machine
}

func (b *bench) isNull(addr string) bool { return b.nullAddrs[addr] }

// measurement is one run of one workload on one server.
type measurement struct {
	Server   string    `json:"server"`
	Workload string    `json:"workload"`
	Rep      int       `json:"rep"`
	Started  time.Time `json:"started"`
	Load1    float64   `json:"load1"` // 1-minute load average when it started
	// OtherCores is how many cores other work on the machine kept busy
	// on average during the measurement (all CPU time less the bench's);
	// StealCores how many the hypervisor took (steal time).
	OtherCores float64 `json:"other_cores"`
	StealCores float64 `json:"steal_cores"`
	// QuietWaitS is how long the bench waited for the machine to calm
	// down before starting.
	QuietWaitS float64     `json:"quiet_wait_s,omitempty"`
	Result     *perfResult `json:"result,omitempty"`
	Err        string      `json:"error,omitempty"`
}

func runBench(args []string) error {
	fs := newFlagSet("bench")
	quick := fs.Bool("quick", false, "a small matrix with short runs, for development (about 3 minutes)")
	runs := fs.Int("runs", 0, "runs of each measurement; the median is reported (default 3, 1 with --quick)")
	serversFlag := fs.String("servers", "", "comma-separated servers to measure (default all: "+strings.Join(serverNames(), ",")+")")
	only := fs.String("only", "", "measure only workloads whose ID contains one of these comma-separated strings (e.g. produce-1KiB-acksall-6p-max,consume)")
	docs := fs.Bool("docs", true, "write docs/benchmarks.md and docs/bench/*.png (not with --quick, --servers or --only unless given)")
	skipLimits := fs.Bool("skip-limits", false, "do not measure the machine's limits (iperf3, fio)")
	fjordBin := fs.String("fjord", "", "a fjord binary to measure (default: built from this repository)")
	consumeMiB := fs.Int64("consume-mib", 0, "MiB in the consumed topic (default 1024, 256 with --quick)")
	quietWait := fs.Duration("quiet-wait", 20*time.Second, "before each measurement, wait up to this long for other work and CPU steal to drop below a quarter of a core")
	reportFrom := fs.String("report-from", "", "measure nothing: write the docs from this raw results file (bench/results/run-*.json)")
	docsRoot := fs.String("docs-root", "", "write docs/benchmarks.md and docs/bench/ under this directory (default: the repository)")
	fs.Parse(args)
	if *reportFrom != "" {
		return reportFromFile(*reportFrom, *docsRoot)
	}
	docsSet := false
	fs.Visit(func(f *flag.Flag) { docsSet = docsSet || f.Name == "docs" })
	if !docsSet && (*quick || *serversFlag != "" || *only != "") {
		*docs = false
	}
	if *runs == 0 {
		*runs = 3
		if *quick {
			*runs = 1
		}
	}
	t := timing{warmup: 2 * time.Second, measured: 8 * time.Second}
	consumeBytes := int64(1 << 30)
	if *quick {
		t = timing{warmup: time.Second, measured: 3 * time.Second}
		consumeBytes = 256 << 20
	}
	if *consumeMiB > 0 {
		consumeBytes = *consumeMiB << 20
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer killAll()
	go func() { // Ctrl-C: kill the children at once, whatever is running
		<-ctx.Done()
		killAll()
	}()

	b, err := setup(ctx, *fjordBin)
	if err != nil {
		return err
	}
	defer os.RemoveAll(b.work)
	b.quietWait = *quietWait
	if err := checkTools(); err != nil {
		return err
	}

	servers := allServers()
	if *serversFlag != "" {
		want := strings.Split(*serversFlag, ",")
		servers = slices.DeleteFunc(servers, func(s server) bool { return !slices.Contains(want, s.Name) })
		if len(servers) == 0 {
			return fmt.Errorf("--servers %s: none of %s", *serversFlag, strings.Join(serverNames(), ","))
		}
	}
	workloads := matrix(*quick, consumeBytes)
	if *only != "" {
		workloads = slices.DeleteFunc(workloads, func(w workload) bool {
			for _, o := range strings.Split(*only, ",") {
				if strings.Contains(w.ID(), o) {
					return false
				}
			}
			return true
		})
	}
	rep := &report{Started: time.Now().UTC(), Quick: *quick, Runs: *runs, Timing: timingJSON{t.warmup.Seconds(), t.measured.Seconds()},
		Commit: gitCommit(b.root), GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), LoadStart: loadAvg(),
		PacedRate: pacedRate}
	for _, s := range servers {
		rep.Servers = append(rep.Servers, serverInfo{Name: s.Name, Label: s.Label, Version: serverVersion(b, s)})
	}
	rep.Workloads = workloads

	if !*skipLimits {
		fmt.Fprintln(os.Stderr, "measuring the machine's limits (iperf3, fio)")
		rep.Limits = measureLimits(ctx, b.work, *quick)
	}
	total := 0
	for range *runs {
		for _, w := range workloads {
			for _, s := range servers {
				if s.applies(w) {
					total++
				}
			}
		}
	}
	start, done := time.Now(), 0
	for r := 1; r <= *runs; r++ {
		// Each run starts the round at another server, so that none is
		// always the first after a pause or after the same neighbour.
		order := append(slices.Clone(servers[(r-1)%len(servers):]), servers[:(r-1)%len(servers)]...)
		for _, w := range workloads {
			for _, s := range order {
				if !s.applies(w) {
					continue
				}
				if ctx.Err() != nil {
					return errors.New("interrupted")
				}
				m := b.measure(ctx, s, w, r, t)
				rep.Measurements = append(rep.Measurements, m)
				if _, err := rep.writeJSON(filepath.Join(b.root, "bench", "results")); err != nil {
					return err
				}
				done++
				eta := time.Duration(float64(time.Since(start)) / float64(done) * float64(total-done)).Round(time.Second)
				fmt.Fprintf(os.Stderr, "[%d/%d, %s left] run %d %-32s %-12s %s\n", done, total, eta, r, w.ID(), s.Name, m.brief())
			}
		}
	}
	rep.LoadEnd = loadAvg()
	rep.Finished = time.Now().UTC()
	rep.summarise()
	path, err := rep.writeJSON(filepath.Join(b.root, "bench", "results"))
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "raw results:", path)
	fmt.Print(rep.markdown(""))
	if *docs {
		if *docsRoot == "" {
			*docsRoot = b.root
		}
		if err := rep.writeDocs(*docsRoot); err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, "wrote docs/benchmarks.md and docs/bench/*.png")
	}
	return nil
}

func serverNames() []string {
	var names []string
	for _, s := range allServers() {
		names = append(names, s.Name)
	}
	return names
}

func (m measurement) brief() string {
	switch {
	case m.Err != "":
		return "error: " + m.Err
	case m.Result.TargetRate > 0 && m.Result.Latency != nil:
		return fmt.Sprintf("%.0f records/s, latency %s%s", m.Result.RecordsPerSec, m.Result.Latency, m.noise())
	}
	return fmt.Sprintf("%.1f MB/s, %.0f records/s%s", m.Result.MBPerSec, m.Result.RecordsPerSec, m.noise())
}

func (m measurement) noise() string {
	s := fmt.Sprintf(" [other %.2f, steal %.2f cores", m.OtherCores, m.StealCores)
	if m.QuietWaitS > 0 {
		s += fmt.Sprintf(", waited %.0f s", m.QuietWaitS)
	}
	return s + "]"
}

// setup finds the repository, builds fjord (unless given) and makes the
// scratch directory.
func setup(ctx context.Context, fjordBin string) (*bench, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	root := wd
	for !fileExists(filepath.Join(root, "bench", "go.mod")) {
		parent := filepath.Dir(root)
		if parent == root {
			return nil, errors.New("run from the repository or its bench/ directory")
		}
		root = parent
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "fjord-bench-")
	if err != nil {
		return nil, err
	}
	b := &bench{root: root, self: self, work: work, fjord: fjordBin, nullAddrs: map[string]bool{}}
	if b.fjord == "" {
		b.fjord = filepath.Join(work, "fjord")
		fmt.Fprintln(os.Stderr, "building fjord")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", b.fjord, "./cmd/fjord")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			os.RemoveAll(work)
			return nil, fmt.Errorf("go build ./cmd/fjord: %v\n%s", err, out)
		}
	}
	return b, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func checkTools() error {
	var missing []string
	for _, tool := range []string{"taskset", "nats-server", "redis-server", "iperf3", "fio"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s: apt-get install util-linux nats-server redis-server iperf3 fio", strings.Join(missing, ", "))
	}
	if runtime.NumCPU() < 2 {
		return errors.New("needs 2 cores: one for the servers, one for the load")
	}
	return nil
}

// measure starts the server afresh, runs the load and stops the server.
func (b *bench) measure(ctx context.Context, s server, w workload, r int, t timing) (m measurement) {
	m = measurement{Server: s.Name, Workload: w.ID(), Rep: r, Started: time.Now().UTC(), Load1: loadAvg()[0]}
	if b.quietWait > 0 {
		m.QuietWaitS = waitQuiet(ctx, busyMark, b.quietWait).Seconds()
	}
	other := startOtherLoad()
	defer func() {
		o, st := other.done()
		m.OtherCores, m.StealCores = round2(o), round2(st)
	}()
	dir, err := os.MkdirTemp(b.work, s.Name+"-")
	if err != nil {
		m.Err = err.Error()
		return m
	}
	defer func() {
		os.RemoveAll(dir)
		syscall.Sync() // what the run left dirty is not the next run's to write back
	}()
	addr, p, err := s.start(b, dir, w)
	if p != nil {
		defer p.stop(15 * time.Second)
	}
	if err != nil {
		m.Err = err.Error()
		return m
	}
	if s.Name == "null" {
		b.nullAddrs[addr] = true
		defer delete(b.nullAddrs, addr)
	}
	lctx, cancel := context.WithTimeout(ctx, t.duration(w)+3*time.Minute)
	defer cancel()
	var res *perfResult
	if s.Kafka {
		res, err = kafkaLoad(lctx, b, addr, w, t)
	} else {
		res, err = ownLoad(lctx, b, s, addr, w, t)
	}
	if err != nil {
		m.Err = err.Error()
		select {
		case <-p.done:
			m.Err += fmt.Sprintf(" (the server exited: %v; log %s)", p.err, lastLines(readFile(filepath.Join(dir, "server.log")), 5))
		default:
		}
		return m
	}
	m.Result = res
	return m
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

// loadAvg is /proc/loadavg's 1, 5 and 15 minute figures.
func loadAvg() [3]float64 {
	var l [3]float64
	fmt.Sscan(readFile("/proc/loadavg"), &l[0], &l[1], &l[2])
	return l
}

func gitCommit(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no", "--", "internal", "cmd").Output(); err == nil && len(st) > 0 {
		c += " (with uncommitted changes)"
	}
	return c
}

func serverVersion(b *bench, s server) string {
	run := func(name string, args ...string) string {
		out, err := exec.Command(name, args...).Output()
		if err != nil {
			return "?"
		}
		return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	}
	switch s.Name {
	case "nats":
		return run("nats-server", "--version")
	case "redis":
		v := run("redis-server", "--version") // "Redis server v=7.0.15 sha=..."
		if i := strings.Index(v, " sha="); i > 0 {
			v = v[:i]
		}
		return v
	case "fjord", "fjord-fsync":
		return "fjord " + gitCommit(b.root)
	case "kfake", "kfake-disk", "kfake-sync":
		return "franz-go kfake " + moduleVersion("github.com/twmb/franz-go/pkg/kfake")
	}
	return ""
}

func reportFromFile(path, root string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	rep.summarise()
	if root == "" {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		root = filepath.Dir(wd) // run from bench/
		if fileExists(filepath.Join(wd, "bench", "go.mod")) {
			root = wd
		}
	}
	if err := rep.writeDocs(root); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "wrote", filepath.Join(root, "docs", "benchmarks.md"), "and", filepath.Join(root, "docs", "bench"))
	return nil
}
