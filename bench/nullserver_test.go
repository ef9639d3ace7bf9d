package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func startNullForTest(t *testing.T, o nullOptions) string {
	t.Helper()
	s, err := newNullServer("127.0.0.1:0", o)
	if err != nil {
		t.Fatal(err)
	}
	go s.serve()
	t.Cleanup(func() { s.close() })
	return s.addr()
}

func client(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func TestNullServerAcknowledgesProduceWithAdvancingOffsets(t *testing.T) {
	addr := startNullForTest(t, nullOptions{partitions: 3, recordSize: 100})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := kadm.NewClient(client(t, addr)).CreateTopic(ctx, 2, 1, nil, "t"); err != nil {
		t.Fatal(err)
	}
	for _, acks := range []kgo.Acks{kgo.AllISRAcks(), kgo.LeaderAck()} {
		opts := []kgo.Opt{kgo.DefaultProduceTopic("t"), kgo.RequiredAcks(acks), kgo.RecordPartitioner(kgo.ManualPartitioner())}
		if acks != kgo.AllISRAcks() {
			opts = append(opts, kgo.DisableIdempotentWrite())
		}
		cl := client(t, addr, opts...)
		var recs []*kgo.Record
		for i := range 10 {
			recs = append(recs, &kgo.Record{Partition: int32(i % 2), Value: []byte("v")})
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if recs[9].Offset < 4 {
			t.Errorf("offsets did not advance: %d", recs[9].Offset)
		}
	}
	// acks=0 has no response; the client does not wait for one.
	cl := client(t, addr, kgo.DefaultProduceTopic("t"), kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite())
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func TestNullServerServesItsFetchSourceToTheEnd(t *testing.T) {
	addr := startNullForTest(t, nullOptions{partitions: 3, fetchRecords: 1000, recordSize: 100, batchRecords: 64})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ends, err := kadm.NewClient(client(t, addr)).ListEndOffsets(ctx, "src")
	if err != nil {
		t.Fatal(err)
	}
	want := int64(1024) // rounded up to whole batches of 64
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset != want {
			t.Errorf("partition %d ends at %d, want %d", o.Partition, o.Offset, want)
		}
	})
	cl := client(t, addr, kgo.ConsumeTopics("src"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxPartitionBytes(20000))
	next := map[int32]int64{}
	for n := 0; n < 3*int(want); {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d records: %v", n, ctx.Err())
		}
		fs.EachError(func(_ string, p int32, err error) { t.Fatalf("partition %d: %v", p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset != next[r.Partition] || len(r.Value) != 100 || r.Key != nil {
				t.Fatalf("partition %d offset %d (want %d), value %d bytes", r.Partition, r.Offset, next[r.Partition], len(r.Value))
			}
			next[r.Partition]++
			n++
		})
	}
}

func TestWriteDocsKeepsOtherSectionsAndReplacesItsOwn(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "docs"), 0o755)
	path := filepath.Join(root, "docs", "benchmarks.md")
	os.WriteFile(path, []byte("# Benchmarks\n\n## Storage\n\nfigures\n"), 0o644)
	r := &report{Started: time.Now(), Finished: time.Now(), Runs: 1, Servers: []serverInfo{{Name: "null"}, {Name: "fjord"}},
		Workloads: []workload{{Kind: "produce", RecordSize: 1024, Acks: "all", Partitions: 6}}}
	r.Measurements = []measurement{
		{Server: "null", Workload: r.Workloads[0].ID(), Result: &perfResult{MBPerSec: 1000}},
		{Server: "fjord", Workload: r.Workloads[0].ID(), Result: &perfResult{MBPerSec: 500}},
	}
	r.summarise()
	for range 2 {
		if err := r.writeDocs(root); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(path)
	doc := string(b)
	if !strings.HasPrefix(doc, "# Benchmarks\n\n## Storage\n\nfigures\n\n<!-- bench:begin -->") || strings.Count(doc, beginMarker) != 1 ||
		!strings.Contains(doc, "| 1 KiB, acks=all, 6 partitions | **1000** | 500 (0.50×) |") || !strings.HasSuffix(doc, endMarker+"\n") {
		t.Errorf("document:\n%s", doc)
	}
	for _, png := range []string{"produce-throughput.png"} {
		if _, err := os.Stat(filepath.Join(root, "docs", "bench", png)); err != nil {
			t.Error(err)
		}
	}
}
