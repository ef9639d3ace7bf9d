package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runProfile is `bench profile`: a CPU profile of `fjord server` (pinned
// as in the bench) under the 1 KiB acks=all 6-partition throughput load
// and under consume, saved with `go tool pprof -top` summaries in
// bench/results/profiles/.
func runProfile(args []string) error {
	fs := newFlagSet("profile")
	secs := fs.Int("seconds", 10, "profile this long, after a 3 s warm-up")
	fjordBin := fs.String("fjord", "", "a fjord binary to profile (default: built from this repository)")
	which := fs.String("workloads", "produce,consume", "produce, consume or both")
	fs.Parse(args)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer killAll()
	go func() {
		<-ctx.Done()
		killAll()
	}()
	b, err := setup(ctx, *fjordBin)
	if err != nil {
		return err
	}
	defer os.RemoveAll(b.work)
	out := filepath.Join(b.root, "bench", "results", "profiles")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, kind := range strings.Split(*which, ",") {
		if err := b.profileOne(ctx, kind, time.Duration(*secs)*time.Second, out); err != nil {
			return fmt.Errorf("profile %s: %w", kind, err)
		}
	}
	return nil
}

func (b *bench) profileOne(ctx context.Context, kind string, secs time.Duration, out string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	b.debugAddr = "127.0.0.1:" + strconv.Itoa(port)
	defer func() { b.debugAddr = "" }()
	dir, err := os.MkdirTemp(b.work, "profile-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	w := workload{Kind: "produce", RecordSize: 1024, Acks: "all", Partitions: 6}
	if kind == "consume" {
		w = workload{Kind: "consume", RecordSize: 1024, Partitions: 6, Records: 1 << 20}
	}
	addr, p, err := startFjord(nil)(b, dir, w)
	if p != nil {
		defer p.stop(15 * time.Second)
	}
	if err != nil {
		return err
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	loadDone := make(chan error, 1)
	var summary string
	switch kind {
	case "produce":
		go func() {
			res, err := runLoad(lctx, "fjord perf produce", b.fjord, "perf", "produce", "bench", "-b", addr, "--partitions", "6",
				"--record-size", "1024", "--acks", "all", "--compression", "none", "--linger", "1ms",
				"--duration", (secs + 5*time.Second).String(), "--warmup", "3s", "-q", "-o", "json")
			if err == nil {
				summary = fmt.Sprintf("load: fjord perf produce, 1 KiB, acks=all, 6 partitions: %.0f MB/s", res.MBPerSec)
			}
			loadDone <- err
		}()
	case "consume":
		fmt.Fprintln(os.Stderr, "filling 1 GiB")
		if _, err := runLoad(ctx, "fill", b.fjord, "perf", "produce", "bench", "-b", addr, "--partitions", "6", "--record-size", "1024",
			"--acks", "1", "-n", strconv.FormatInt(w.Records, 10), "-q", "-o", "json"); err != nil {
			return err
		}
		go func() {
			var rates []string
			for lctx.Err() == nil { // read the topic again and again until the profile is taken
				res, err := runLoad(lctx, "fjord perf consume", b.fjord, "perf", "consume", "bench", "-b", addr, "-q", "-o", "json")
				if err != nil {
					if lctx.Err() == nil {
						loadDone <- err
						return
					}
					break
				}
				rates = append(rates, fmt.Sprintf("%.0f", res.MBPerSec))
			}
			summary = "load: fjord perf consume of 1 GiB (1 KiB records, 6 partitions), read repeatedly: " + strings.Join(rates, ", ") + " MB/s"
			loadDone <- nil
		}()
	default:
		return fmt.Errorf("%q: give produce or consume", kind)
	}
	select {
	case <-time.After(3 * time.Second):
	case err := <-loadDone:
		return fmt.Errorf("load ended early: %v", err)
	}
	fmt.Fprintf(os.Stderr, "profiling fjord server under %s for %s\n", kind, secs)
	pb := filepath.Join(out, "fjord-"+kind+".pb.gz")
	if err := fetchProfile(ctx, b.debugAddr, secs, pb); err != nil {
		return err
	}
	if kind == "consume" {
		cancel()
	}
	if err := <-loadDone; err != nil {
		return err
	}
	top, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount=25", b.fjord, pb).CombinedOutput()
	if err != nil {
		return fmt.Errorf("go tool pprof: %v\n%s", err, top)
	}
	head := fmt.Sprintf("# fjord server CPU profile, %s, commit %s; server pinned to core 0, load to core 1\n# %s\n# go tool pprof -top -nodecount=25 %s\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), gitCommit(b.root), summary, filepath.Base(pb))
	txt := filepath.Join(out, "fjord-"+kind+".top.txt")
	if err := os.WriteFile(txt, append([]byte(head), top...), 0o644); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "wrote", txt)
	return nil
}

func fetchProfile(ctx context.Context, addr string, d time.Duration, path string) error {
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, int(d.Seconds()))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s: %s: %s", url, resp.Status, msg)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
