package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
)

// server is one system under test. Every measurement starts it afresh,
// pinned to the server core, with a fresh data directory.
type server struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Kafka bool   `json:"kafka"` // measured with `fjord perf`; else with this program's own load generator
	// start launches it and returns its address.
	start func(b *bench, dir string, w workload) (string, *proc, error)
	// applies says whether the workload is run on this server.
	applies func(w workload) bool
}

func allServers() []server {
	kafkaAll := func(workload) bool { return true }
	ackAll := func(w workload) bool { return w.Kind == "consume" || w.Acks == "all" }
	kib := func(w workload) bool { return w.Kind == "consume" || w.RecordSize == 1024 }
	fsyncOnly := func(w workload) bool {
		return w.Kind == "produce" && w.RecordSize == 1024 && w.Acks == "all" && w.Rate == 0
	}
	return []server{
		{Name: "null", Label: "null Kafka server (client ceiling)", Kafka: true, applies: kafkaAll, start: startNull},
		{Name: "fjord", Label: "Fjord", Kafka: true, applies: kafkaAll, start: startFjord(nil)},
		{Name: "fjord-fsync", Label: "Fjord, flush.messages=1 (fsync every batch)", Kafka: true, applies: fsyncOnly,
			start: startFjord([]string{"log.flush.interval.messages=1"})},
		{Name: "kfake", Label: "kfake, in memory", Kafka: true, applies: kafkaAll, start: startKfake("")},
		{Name: "kfake-disk", Label: "kfake, data dir (page cache)", Kafka: true, applies: kib, start: startKfake("disk")},
		{Name: "kfake-sync", Label: "kfake, fsync every batch", Kafka: true, applies: fsyncOnly, start: startKfake("sync")},
		{Name: "nats", Label: "NATS JetStream, file store", applies: ackAll, start: startNATS},
		{Name: "redis", Label: "Redis Streams, AOF everysec", applies: ackAll, start: startRedis},
	}
}

func startNull(b *bench, dir string, w workload) (string, *proc, error) {
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	args := []string{"serve-null", "-addr", addr, "-partitions", strconv.Itoa(w.Partitions), "-record-size", strconv.Itoa(w.RecordSize)}
	if w.Kind == "consume" {
		args = append(args, "-fetch-records", strconv.FormatInt((w.Records+int64(w.Partitions)-1)/int64(w.Partitions), 10))
	}
	p, err := startProc("null server", serverCPU, filepath.Join(dir, "server.log"), b.self, args...)
	if err != nil {
		return "", nil, err
	}
	return addr, p, waitListening(p, addr, startTimeout)
}

func startFjord(overrides []string) func(b *bench, dir string, w workload) (string, *proc, error) {
	return func(b *bench, dir string, w workload) (string, *proc, error) {
		port, err := freePort()
		if err != nil {
			return "", nil, err
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		args := []string{"server", "--override", "listeners=PLAINTEXT://" + addr, "--override", "log.dirs=" + filepath.Join(dir, "data")}
		for _, o := range overrides {
			args = append(args, "--override", o)
		}
		if b.debugAddr != "" {
			args = append(args, "--debug-addr", b.debugAddr)
		}
		p, err := startProc("fjord server", serverCPU, filepath.Join(dir, "server.log"), b.fjord, args...)
		if err != nil {
			return "", nil, err
		}
		return addr, p, waitListening(p, addr, startTimeout)
	}
}

func startKfake(mode string) func(b *bench, dir string, w workload) (string, *proc, error) {
	return func(b *bench, dir string, w workload) (string, *proc, error) {
		port, err := freePort()
		if err != nil {
			return "", nil, err
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		args := []string{"serve-kfake", "-port", strconv.Itoa(port)}
		if mode != "" {
			args = append(args, "-data-dir", filepath.Join(dir, "data"))
		}
		if mode == "sync" {
			args = append(args, "-sync")
		}
		p, err := startProc("kfake", serverCPU, filepath.Join(dir, "server.log"), b.self, args...)
		if err != nil {
			return "", nil, err
		}
		return addr, p, waitListening(p, addr, startTimeout)
	}
}

func startNATS(b *bench, dir string, w workload) (string, *proc, error) {
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	p, err := startProc("nats-server", serverCPU, filepath.Join(dir, "server.log"), "nats-server",
		"-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", filepath.Join(dir, "data"))
	if err != nil {
		return "", nil, err
	}
	return addr, p, waitListening(p, addr, startTimeout)
}

func startRedis(b *bench, dir string, w workload) (string, *proc, error) {
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	p, err := startProc("redis-server", serverCPU, filepath.Join(dir, "server.log"), "redis-server",
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes",
		"--appendfsync", "everysec", "--save", "", "--protected-mode", "no", "--daemonize", "no")
	if err != nil {
		return "", nil, err
	}
	return addr, p, waitListening(p, addr, startTimeout)
}

// runKfake is `bench serve-kfake`: a one-broker kfake cluster until
// SIGTERM.
func runKfake(args []string) error {
	fs := newFlagSet("serve-kfake")
	port := fs.Int("port", 0, "port on 127.0.0.1")
	dataDir := fs.String("data-dir", "", "persist to this directory (default: in memory)")
	sync := fs.Bool("sync", false, "fsync every batch (with -data-dir)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.Ports(*port), kfake.AllowAutoTopicCreation()}
	if *dataDir != "" {
		opts = append(opts, kfake.DataDir(*dataDir))
	}
	if *sync {
		opts = append(opts, kfake.SyncWrites())
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	c.Close()
	return nil
}

// kafkaLoad measures a Kafka server with `fjord perf`.
func kafkaLoad(ctx context.Context, b *bench, addr string, w workload, t timing) (*perfResult, error) {
	if w.Kind == "consume" {
		return kafkaConsume(ctx, b, addr, w)
	}
	args := []string{"perf", "produce", "bench", "-b", addr, "--partitions", strconv.Itoa(w.Partitions),
		"--record-size", strconv.Itoa(w.RecordSize), "--acks", w.Acks, "--compression", "none", "--linger", "1ms",
		"--duration", t.duration(w).String(), "--warmup", t.warmup.String(), "--timeout", "30s", "-q", "-o", "json"}
	if w.Rate > 0 {
		args = append(args, "--throughput", strconv.FormatFloat(w.Rate, 'f', -1, 64))
	}
	return runLoad(ctx, "fjord perf produce", b.fjord, args...)
}

func kafkaConsume(ctx context.Context, b *bench, addr string, w workload) (*perfResult, error) {
	if !b.isNull(addr) {
		_, err := runLoad(ctx, "fill", b.fjord, "perf", "produce", "bench", "-b", addr, "--partitions", strconv.Itoa(w.Partitions),
			"--record-size", strconv.Itoa(w.RecordSize), "--acks", "1", "--compression", "none", "--linger", "1ms",
			"-n", strconv.FormatInt(w.Records, 10), "--timeout", "60s", "-q", "-o", "json")
		if err != nil {
			return nil, err
		}
	}
	return runLoad(ctx, "fjord perf consume", b.fjord, "perf", "consume", "bench", "-b", addr, "--idle-timeout", "20s",
		"--timeout", "30s", "-q", "-o", "json")
}

// ownLoad measures NATS or Redis with this program's load generators.
func ownLoad(ctx context.Context, b *bench, s server, addr string, w workload, t timing) (*perfResult, error) {
	cmd := "load-" + s.Name
	base := []string{cmd, "-addr", addr, "-partitions", strconv.Itoa(w.Partitions), "-record-size", strconv.Itoa(w.RecordSize)}
	if w.Kind == "consume" {
		fill := append(base, "-mode", "produce", "-num-records", strconv.FormatInt(w.Records, 10))
		if _, err := runLoad(ctx, "fill", b.self, fill...); err != nil {
			return nil, err
		}
		return runLoad(ctx, cmd+" consume", b.self, append(base, "-mode", "consume", "-num-records", strconv.FormatInt(w.Records, 10))...)
	}
	args := append(base, "-duration", t.duration(w).String(), "-warmup", t.warmup.String())
	if w.Rate > 0 {
		args = append(args, "-throughput", strconv.FormatFloat(w.Rate, 'f', -1, 64))
	}
	return runLoad(ctx, cmd, b.self, args...)
}

func runLoad(ctx context.Context, label, name string, args ...string) (*perfResult, error) {
	out, err := runProc(ctx, label, loadCPU, name, args...)
	if err != nil {
		return nil, err
	}
	var res perfResult
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, fmt.Errorf("%s: output is not a result: %v: %.200s", label, err, out)
	}
	return &res, nil
}
