package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/fjordlabs/fjord/internal/cli"
)

type timingJSON struct {
	WarmupS   float64 `json:"warmup_s"`
	MeasuredS float64 `json:"measured_s"`
}

type serverInfo struct {
	Name    string `json:"name"`
	Label   string `json:"label"`
	Version string `json:"version"`
}

// report is one run of the bench: what bench/results/*.json holds.
type report struct {
	Started      time.Time     `json:"started"`
	Finished     time.Time     `json:"finished"`
	Quick        bool          `json:"quick"`
	Runs         int           `json:"runs"`
	Timing       timingJSON    `json:"timing"`
	PacedRate    float64       `json:"paced_rate"`
	Commit       string        `json:"commit"`
	GoVersion    string        `json:"go_version"`
	CPUs         int           `json:"cpus"`
	LoadStart    [3]float64    `json:"load_average_start"`
	LoadEnd      [3]float64    `json:"load_average_end"`
	Servers      []serverInfo  `json:"servers"`
	Workloads    []workload    `json:"workloads"`
	Limits       *limits       `json:"limits,omitempty"`
	Measurements []measurement `json:"measurements"`
	Summary      []summary     `json:"summary"`
}

// summary is the median of a cell's runs.
type summary struct {
	Server        string              `json:"server"`
	Workload      string              `json:"workload"`
	Runs          int                 `json:"runs"` // that succeeded
	Errors        []string            `json:"errors,omitempty"`
	MBPerSec      float64             `json:"mb_per_sec"`
	RecordsPerSec float64             `json:"records_per_sec"`
	VsNull        float64             `json:"vs_null,omitempty"` // MB/s over the null server's in this run
	Latency       *cli.LatencySummary `json:"latency,omitempty"`
	OtherCores    float64             `json:"other_cores"` // the highest of its runs
	StealCores    float64             `json:"steal_cores"` // the highest of its runs
}

func (r *report) summarise() {
	r.Summary = nil
	for _, w := range r.Workloads {
		for _, s := range r.Servers {
			var ms []measurement
			for _, m := range r.Measurements {
				if m.Server == s.Name && m.Workload == w.ID() {
					ms = append(ms, m)
				}
			}
			if len(ms) == 0 {
				continue
			}
			sum := summary{Server: s.Name, Workload: w.ID()}
			var mbps, rps []float64
			var lats []*cli.LatencySummary
			for _, m := range ms {
				sum.OtherCores = max(sum.OtherCores, m.OtherCores)
				sum.StealCores = max(sum.StealCores, m.StealCores)
				if m.Err != "" {
					sum.Errors = append(sum.Errors, m.Err)
					continue
				}
				sum.Runs++
				mbps = append(mbps, m.Result.MBPerSec)
				rps = append(rps, m.Result.RecordsPerSec)
				if m.Result.Latency != nil {
					lats = append(lats, m.Result.Latency)
				}
			}
			sum.MBPerSec, sum.RecordsPerSec = round2(median(mbps)), math.Round(median(rps))
			if len(lats) > 0 {
				pick := func(f func(*cli.LatencySummary) float64) float64 {
					var v []float64
					for _, l := range lats {
						v = append(v, f(l))
					}
					return math.Round(median(v)*1000) / 1000
				}
				sum.Latency = &cli.LatencySummary{
					Count:   int64(pick(func(l *cli.LatencySummary) float64 { return float64(l.Count) })),
					MeanMs:  pick(func(l *cli.LatencySummary) float64 { return l.MeanMs }),
					P50Ms:   pick(func(l *cli.LatencySummary) float64 { return l.P50Ms }),
					P90Ms:   pick(func(l *cli.LatencySummary) float64 { return l.P90Ms }),
					P99Ms:   pick(func(l *cli.LatencySummary) float64 { return l.P99Ms }),
					P999Ms:  pick(func(l *cli.LatencySummary) float64 { return l.P999Ms }),
					P9999Ms: pick(func(l *cli.LatencySummary) float64 { return l.P9999Ms }),
					MaxMs:   pick(func(l *cli.LatencySummary) float64 { return l.MaxMs }),
				}
			}
			r.Summary = append(r.Summary, sum)
		}
	}
	for i, s := range r.Summary {
		if n := r.cell("null", s.Workload); n != nil && n.MBPerSec > 0 && s.Runs > 0 {
			r.Summary[i].VsNull = round2(s.MBPerSec / n.MBPerSec)
		}
	}
}

func (r *report) cell(server, workload string) *summary {
	for i := range r.Summary {
		if r.Summary[i].Server == server && r.Summary[i].Workload == workload {
			return &r.Summary[i]
		}
	}
	return nil
}

func (r *report) writeJSON(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	name := "run-" + r.Started.Format("20060102-150405")
	if r.Quick {
		name = "quick-" + r.Started.Format("20060102-150405")
	}
	path := filepath.Join(dir, name+".json")
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	return path, os.WriteFile(path, append(b, '\n'), 0o644)
}

// busyMark flags a cell measured while other work kept a core or more
// than this busy.
const busyMark = 0.25

func (r *report) serverLabel(name string) string {
	for _, s := range r.Servers {
		if s.Name == name {
			return s.Label
		}
	}
	return name
}

func (r *report) hasServer(name string) bool {
	return slices.ContainsFunc(r.Servers, func(s serverInfo) bool { return s.Name == name })
}

// mainServers are the table columns: the fsync variants have a table of
// their own.
func (r *report) mainServers() []string {
	var out []string
	for _, s := range r.Servers {
		if s.Name != "fjord-fsync" && s.Name != "kfake-sync" {
			out = append(out, s.Name)
		}
	}
	return out
}

func (r *report) workloads(kind string, paced bool) []workload {
	var out []workload
	for _, w := range r.Workloads {
		if w.Kind == kind && (w.Rate > 0) == paced {
			out = append(out, w)
		}
	}
	return out
}

func (r *report) mark(s *summary) string {
	m := ""
	if s.OtherCores+s.StealCores >= busyMark {
		m += " †"
	}
	if len(s.Errors) > 0 {
		m += fmt.Sprintf(" (%d failed)", len(s.Errors))
	}
	return m
}

// markdown is the generated section of docs/benchmarks.md; imgDir is the
// charts' directory relative to the document ("" for none).
func (r *report) markdown(imgDir string) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	took := fmt.Sprintf("%.0f minutes", r.Finished.Sub(r.Started).Minutes())
	p("## 3. Side by side: Fjord, kfake, NATS JetStream, Redis Streams\n\n")
	p("Generated by `cd bench && go run .` (see [bench/README.md](../bench/README.md)) on %s UTC, in %s, at commit %s with %s.",
		r.Started.Format("2006-01-02 15:04"), took, r.Commit, r.GoVersion)
	if r.Quick {
		p(" **Quick mode**: one short run per cell; development figures only.")
	}
	p(" Servers pinned to core 0 and the load to core 1 (`taskset`), a fresh server and data directory for every run,")
	p(" %.0f s warm-up then %.0f s measured; each figure is the median of %d run(s).", r.Timing.WarmupS, r.Timing.MeasuredS, r.Runs)
	p(" \"× null\" is the ratio to the null Kafka server measured in the same run: the fraction of the client's ceiling a server reaches.\n\n")
	var other, steal []float64
	for _, m := range r.Measurements {
		other, steal = append(other, m.OtherCores), append(steal, m.StealCores)
	}
	p("Machine load: 1-minute load average %.2f before the run and %.2f after it (the bench itself keeps about two cores busy).", r.LoadStart[0], r.LoadEnd[0])
	if len(other) > 0 {
		p(" During the measurements, other work on the machine (all CPU time less the bench's own) kept a median of %.2f and at most %.2f cores busy,",
			median(other), slices.Max(other))
		p(" and the hypervisor took (steal time) a median of %.2f and at most %.2f of the 2 cores.", median(steal), slices.Max(steal))
		p(" Before each run the bench waited for a quiet second (up to a limit); cells with a run at %.2f cores or more of the two together are marked †.", busyMark)
	}
	p("\n\n")

	if l := r.Limits; l != nil {
		p("### The machine's limits, measured in the same run\n\n| what | figure |\n|---|---|\n")
		p("| loopback TCP, 1 stream (`iperf3`, server on core 0, client on core 1, median of 3) | %.1f Gbit/s (%.0f MB/s) |\n", l.LoopbackGbps, l.LoopbackGbps*1e3/8)
		p("| sequential buffered writes, %s in 1 MiB writes then fsync (`fio`, timed to the end of the fsync) | %.0f MB/s |\n", formatSize(l.SeqWriteBytes), l.SeqWriteMBps)
		p("| append 4 KiB + fdatasync each (`fio`) | %.0f per s; fdatasync p50 %.2f ms, p99 %.2f ms |\n", l.SyncWritesPerS, l.SyncP50Ms, l.SyncP99Ms)
		for _, e := range l.Errors {
			p("| error | %s |\n", e)
		}
		p("\n")
	}

	cols := r.mainServers()
	header := func(first string) {
		p("| %s |", first)
		for _, c := range cols {
			p(" %s |", c)
		}
		p("\n|---|")
		for range cols {
			p("---:|")
		}
		p("\n")
	}
	if ws := r.workloads("produce", false); len(ws) > 0 {
		p("### Produce throughput (MB/s, × null)\n\n")
		p("`fjord perf produce` (franz-go, one client, at most 10,000 records in flight, linger 1 ms, no compression) for Kafka servers;")
		p(" for NATS, `PublishAsync` to one stream per partition with 10,000 in flight; for Redis, pipelined `XADD`s to one stream key per partition")
		p(" (8 connections, up to 512 commands per pipeline). NATS and Redis acknowledge a write once stored (their only mode): they run the acks=all rows only.\n\n")
		header("workload")
		for _, w := range ws {
			p("| %s |", w.Short())
			for _, c := range cols {
				s := r.cell(c, w.ID())
				switch {
				case s == nil:
					p(" – |")
				case s.Runs == 0:
					p(" failed |")
				case c == "null":
					p(" **%.0f**%s |", s.MBPerSec, r.mark(s))
				default:
					p(" %.0f (%.2f×)%s |", s.MBPerSec, s.VsNull, r.mark(s))
				}
			}
			p("\n")
		}
		p("\nRecords per second and throughput-mode latency percentiles are in the raw results.\n\n")
		if imgDir != "" {
			p("![produce throughput](%s/produce-throughput.png)\n\n", imgDir)
		}
	}
	if ws := r.workloads("produce", true); len(ws) > 0 {
		p("### Produce latency at %s records/s (ms: p50 / p99 / p99.9 / max)\n\n", thousands(r.PacedRate))
		p("Sends scheduled on a fixed timeline; latency runs from each record's scheduled send to its acknowledgement, so a stall delays")
		p(" every record scheduled during it (no coordinated omission). A cell that did not keep the rate says so.\n\n")
		header("workload")
		for _, w := range ws {
			p("| %s |", w.Short())
			for _, c := range cols {
				s := r.cell(c, w.ID())
				switch {
				case s == nil:
					p(" – |")
				case s.Runs == 0 || s.Latency == nil:
					p(" failed |")
				default:
					l := s.Latency
					p(" %s / %s / %s / %s", fmtMs(l.P50Ms), fmtMs(l.P99Ms), fmtMs(l.P999Ms), fmtMs(l.MaxMs))
					if s.RecordsPerSec < 0.97*w.Rate {
						p(" (only %s/s)", thousands(s.RecordsPerSec))
					}
					p("%s |", r.mark(s))
				}
			}
			p("\n")
		}
		p("\n")
		if imgDir != "" {
			p("![produce latency percentiles](%s/paced-latency.png)\n\n", imgDir)
		}
	}
	if r.hasServer("fjord-fsync") || r.hasServer("kfake-sync") {
		var rows []workload
		for _, w := range r.workloads("produce", false) {
			if r.cell("fjord-fsync", w.ID()) != nil || r.cell("kfake-sync", w.ID()) != nil {
				rows = append(rows, w)
			}
		}
		if len(rows) > 0 {
			p("### fsync every batch (MB/s)\n\n")
			p("Fjord with `log.flush.interval.messages=1` (`flush.messages=1`) and kfake with `SyncWrites`, against themselves without.\n\n")
			p("| workload | fjord | fjord, flush.messages=1 | ratio | kfake, data dir | kfake, fsync every batch | ratio |\n|---|---:|---:|---:|---:|---:|---:|\n")
			for _, w := range rows {
				f, fs, k, ks := r.cell("fjord", w.ID()), r.cell("fjord-fsync", w.ID()), r.cell("kfake-disk", w.ID()), r.cell("kfake-sync", w.ID())
				p("| %s | %s | %s | %s | %s | %s | %s |\n", w.Short(), mbps(f), mbps(fs), ratio(fs, f), mbps(k), mbps(ks), ratio(ks, k))
			}
			p("\n")
		}
	}
	if ws := r.workloads("consume", false); len(ws) > 0 {
		for _, w := range ws {
			p("### Consume throughput: %s of %s records in %d partitions\n\n", formatSize(w.Records*int64(w.RecordSize)), sizeLabel(w.RecordSize), w.Partitions)
			p("Filled first (not timed), then read from the beginning by `fjord perf consume` (one franz-go client, all partitions);")
			p(" NATS with an ordered consumer per stream, Redis with `XRANGE` pages of 1,000 per key. The rate runs from the first record to the last.")
			p(" The null server serves copies of one in-memory batch: its row is what the client can receive and parse.\n\n")
			p("| server | MB/s | records/s | × null |\n|---|---:|---:|---:|\n")
			for _, c := range cols {
				s := r.cell(c, w.ID())
				if s == nil {
					continue
				}
				if s.Runs == 0 {
					p("| %s | failed | | |\n", r.serverLabel(c))
					continue
				}
				p("| %s | %.0f%s | %s | %s |\n", r.serverLabel(c), s.MBPerSec, r.mark(s), thousands(s.RecordsPerSec), map[bool]string{true: "", false: fmt.Sprintf("%.2f×", s.VsNull)}[c == "null"])
			}
			p("\n")
			if imgDir != "" {
				p("![consume throughput](%s/consume-throughput.png)\n\n", imgDir)
			}
		}
	}
	r.targets(&b)
	r.notes(&b)
	p("Servers: ")
	for i, s := range r.Servers {
		if i > 0 {
			p("; ")
		}
		p("%s = %s", s.Name, s.Label)
		if s.Version != "" {
			p(" (%s)", s.Version)
		}
	}
	p(".\n")
	return b.String()
}

// targets compares Fjord with the goals.
func (r *report) targets(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	find := func(kind string, size int, acks string, parts int, paced bool) string {
		for _, w := range r.Workloads {
			if w.Kind == kind && w.RecordSize == size && (kind == "consume" || (w.Acks == acks && w.Partitions == parts && (w.Rate > 0) == paced)) {
				return w.ID()
			}
		}
		return ""
	}
	type row struct{ goal, got, met string }
	var rows []row
	yes := func(ok bool) string { return map[bool]string{true: "yes", false: "**no**"}[ok] }
	if id := find("produce", 1024, "all", 6, false); id != "" {
		if f, k := r.cell("fjord", id), r.cell("kfake", id); f != nil && f.Runs > 0 {
			rows = append(rows, row{"produce 1 KiB acks=all (6 partitions) ≥ 0.6× null", fmt.Sprintf("%.2f×", f.VsNull), yes(f.VsNull >= 0.6)})
			if k != nil && k.Runs > 0 {
				rows = append(rows, row{"… and above kfake", fmt.Sprintf("%.0f vs %.0f MB/s", f.MBPerSec, k.MBPerSec), yes(f.MBPerSec > k.MBPerSec)})
			}
		}
		if f, fs := r.cell("fjord", id), r.cell("fjord-fsync", id); f != nil && fs != nil && f.Runs > 0 && fs.Runs > 0 {
			q := fs.MBPerSec / f.MBPerSec
			rows = append(rows, row{"flush.messages=1 ≥ 0.6× unflushed", fmt.Sprintf("%.2f×", q), yes(q >= 0.6)})
		}
	}
	if id := find("consume", 1024, "", 0, false); id != "" {
		if f := r.cell("fjord", id); f != nil && f.Runs > 0 && f.VsNull > 0 {
			rows = append(rows, row{"consume from page cache ≥ 0.8× the null fetch source", fmt.Sprintf("%.2f×", f.VsNull), yes(f.VsNull >= 0.8)})
		}
	}
	if id := find("produce", 1024, "all", 6, true); id != "" {
		if f := r.cell("fjord", id); f != nil && f.Latency != nil {
			rows = append(rows, row{"paced 10,000/s (1 KiB acks=all, 6 partitions): p99 ≤ 2 ms", fmtMs(f.Latency.P99Ms) + " ms", yes(f.Latency.P99Ms <= 2)})
			rows = append(rows, row{"… p99.9 ≤ 5 ms", fmtMs(f.Latency.P999Ms) + " ms", yes(f.Latency.P999Ms <= 5)})
		}
	}
	if len(rows) == 0 {
		return
	}
	p("### Fjord against the performance issue's targets\n\n| target | measured | met |\n|---|---:|---|\n")
	for _, r := range rows {
		p("| %s | %s | %s |\n", r.goal, r.got, r.met)
	}
	p("\n")
}

// notes are the caveats the figures call for.
func (r *report) notes(b *strings.Builder) {
	var notes []string
	burst := map[string]bool{}
	for _, s := range r.Summary {
		if strings.HasPrefix(s.Workload, "produce") && s.MBPerSec > 350 && (s.Server == "fjord" || s.Server == "kfake-disk" || s.Server == "nats") {
			burst[s.Server] = true
		}
	}
	if len(burst) > 0 {
		var names []string
		for n := range burst {
			names = append(names, n)
		}
		slices.Sort(names)
		fio := ""
		if r.Limits != nil && r.Limits.SeqWriteMBps > 0 {
			fio = fmt.Sprintf(" (%.0f MB/s for fio's %s written and fsynced in this run)", r.Limits.SeqWriteMBps, formatSize(r.Limits.SeqWriteBytes))
		}
		notes = append(notes, fmt.Sprintf("Produce figures above ~350 MB/s from servers that write files without fsync (%s) rest on buffered writes: over a %.0f s run they land in the page cache, and MACHINE.md measures ~300–350 MB/s of sustained writeback on this kind of machine%s. Read them as a page-cache burst, not a rate the disk sustains.",
			strings.Join(names, ", "), r.Timing.WarmupS+r.Timing.MeasuredS, fio))
	}
	if r.hasServer("fjord-fsync") || r.hasServer("kfake-sync") {
		fast := ""
		if r.Limits != nil && r.Limits.SyncWritesPerS > 0 {
			fast = fmt.Sprintf(" (fio: %.0f fdatasyncs/s of 4 KiB)", r.Limits.SyncWritesPerS)
		}
		notes = append(notes, "fsync every batch is cheap here"+fast+": the virtio disk acknowledges a flush long before a physical disk could, so the fsync rows say what the broker's flushing costs on this VM, not on bare metal.")
	}
	if spread, worst, cell := r.spread(); spread > 0 {
		notes = append(notes, fmt.Sprintf("Run-to-run spread of the produce and consume throughput cells ((max − min) / median of a cell's runs): median %.0f%%, worst %.0f%% (%s). Compare servers within one run of this bench, not across runs or with figures measured elsewhere.", spread*100, worst*100, cell))
	}
	notes = append(notes, "kfake in memory and the null server keep nothing on disk; Redis keeps the stream in memory and appends to its AOF, fsynced once a second; NATS JetStream acknowledges once a message is written to its file store, with no fsync per message (it syncs on a timer).")
	notes = append(notes, "Latency in throughput mode is mostly queueing in the client (up to 10,000 records wait for a slot); compare latencies in the paced table.")
	fmt.Fprintf(b, "Notes:\n\n")
	for _, n := range notes {
		fmt.Fprintf(b, "- %s\n", n)
	}
	fmt.Fprintln(b)
}

// spread is the median and the worst (max - min) / median of the
// throughput cells' runs, and the worst cell.
func (r *report) spread() (med, worst float64, cell string) {
	var all []float64
	for _, s := range r.Summary {
		w, ok := r.workload(s.Workload)
		if !ok || w.Rate > 0 || s.Runs < 2 || s.MBPerSec <= 0 {
			continue
		}
		var v []float64
		for _, m := range r.Measurements {
			if m.Server == s.Server && m.Workload == s.Workload && m.Result != nil {
				v = append(v, m.Result.MBPerSec)
			}
		}
		sp := (slices.Max(v) - slices.Min(v)) / s.MBPerSec
		all = append(all, sp)
		if sp > worst {
			worst, cell = sp, s.Server+" "+s.Workload
		}
	}
	return median(all), worst, cell
}

func (r *report) workload(id string) (workload, bool) {
	for _, w := range r.Workloads {
		if w.ID() == id {
			return w, true
		}
	}
	return workload{}, false
}

func mbps(s *summary) string {
	if s == nil || s.Runs == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f", s.MBPerSec)
}

func ratio(a, b *summary) string {
	if a == nil || b == nil || a.Runs == 0 || b.Runs == 0 || b.MBPerSec == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a.MBPerSec/b.MBPerSec)
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

func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func formatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d B", n)
}

func moduleVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == path {
				return d.Version
			}
		}
	}
	return "?"
}

const (
	beginMarker = "<!-- bench:begin -->"
	endMarker   = "<!-- bench:end -->"
)

// writeDocs puts the section between the markers of docs/benchmarks.md
// (appending it, or creating the file, when there are none) and the
// charts in docs/bench/.
func (r *report) writeDocs(root string) error {
	imgDir := filepath.Join(root, "docs", "bench")
	if err := os.MkdirAll(imgDir, 0o755); err != nil {
		return err
	}
	if err := r.charts(imgDir); err != nil {
		return err
	}
	path := filepath.Join(root, "docs", "benchmarks.md")
	section := beginMarker + "\n" + r.markdown("bench") + endMarker + "\n"
	old, err := os.ReadFile(path)
	switch {
	case os.IsNotExist(err):
		old = []byte(docIntro)
	case err != nil:
		return err
	}
	doc := string(old)
	i, j := strings.Index(doc, beginMarker), strings.Index(doc, endMarker)
	if i >= 0 && j > i {
		doc = doc[:i] + section + strings.TrimPrefix(doc[j+len(endMarker):], "\n")
	} else {
		doc = strings.TrimRight(doc, "\n") + "\n\n" + section
	}
	return os.WriteFile(path, []byte(doc), 0o644)
}

const docIntro = `# Benchmarks

Measured performance of Fjord and how to reproduce it. Every figure here
comes from this repository's tools on the development machine (2 cores,
24 GiB, virtio disk): the side-by-side run below from ` + "`bench/`" + `, with load
from ` + "`fjord perf`" + `.
`
