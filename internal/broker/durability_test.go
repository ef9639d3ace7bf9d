package broker_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fjordlabs/fjord/internal/fjordtest"
)

func TestCleanRestartKeepsEverything(t *testing.T) {
	b := fjordtest.Start(t, "num.partitions=3")
	cl := b.Client(kgo.AllowAutoTopicCreation())
	var recs []*kgo.Record
	for i := range 3000 {
		recs = append(recs, &kgo.Record{Topic: "keep", Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprintf("v%d", i))})
	}
	produceAll(t, cl, recs...)
	cl.Close()
	adm := b.Admin()
	before, err := adm.ListTopics(fjordtest.Context(t), "keep")
	if err != nil {
		t.Fatal(err)
	}
	b.Restart()
	after, err := b.Admin().ListTopics(fjordtest.Context(t), "keep")
	if err != nil {
		t.Fatal(err)
	}
	if before["keep"].ID != after["keep"].ID || len(after["keep"].Partitions) != 3 {
		t.Fatalf("topic changed across restart: %v → %v", before["keep"].ID, after["keep"].ID)
	}
	got := consumeN(t, b.Addr(), "keep", 3000)
	seen := map[string]bool{}
	for _, r := range got {
		seen[string(r.Key)] = true
	}
	if len(seen) != 3000 {
		t.Fatalf("%d distinct records after restart", len(seen))
	}
}

// TestKill9LosesNoAcknowledgedRecord kills a real fjord server process with
// SIGKILL while producers are writing, restarts it, and checks that every
// record the broker acknowledged is served at the offset it was given.
func TestKill9LosesNoAcknowledgedRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the fjord binary")
	}
	for _, acks := range []struct {
		name string
		ack  kgo.Acks
	}{{"acks=1", kgo.LeaderAck()}, {"acks=all", kgo.AllISRAcks()}} {
		t.Run(acks.name, func(t *testing.T) {
			p := fjordtest.StartProcess(t, "", "num.partitions=4")
			cl := fjordtest.NewClient(t, p.Addr(), kgo.AllowAutoTopicCreation(), kgo.RequiredAcks(acks.ack),
				kgo.DisableIdempotentWrite(), kgo.ProducerLinger(time.Millisecond), kgo.RecordRetries(0),
				kgo.ProduceRequestTimeout(5*time.Second))
			var (
				mu    sync.Mutex
				acked = map[int32][]int64{} // partition → acknowledged values
				wg    sync.WaitGroup
			)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			half := make(chan struct{})
			var once sync.Once
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int64(0); ctx.Err() == nil && i < 200000; i++ {
					cl.Produce(ctx, &kgo.Record{Topic: "crash", Key: []byte(fmt.Sprint(i % 64)), Value: []byte(fmt.Sprint(i))},
						func(r *kgo.Record, err error) {
							if err != nil {
								return
							}
							mu.Lock()
							var v int64
							fmt.Sscan(string(r.Value), &v)
							acked[r.Partition] = append(acked[r.Partition], r.Offset)
							n := 0
							for _, a := range acked {
								n += len(a)
							}
							mu.Unlock()
							if n >= 20000 {
								once.Do(func() { close(half) })
							}
						})
				}
			}()
			select {
			case <-half:
			case <-time.After(60 * time.Second):
				t.Fatal("producers made no progress")
			}
			p.Kill9() // mid-stream
			cancel()
			wg.Wait()
			cl.Close()
			mu.Lock()
			want := map[int32][]int64{}
			total := 0
			for part, offs := range acked {
				o := append([]int64(nil), offs...)
				sort.Slice(o, func(i, j int) bool { return o[i] < o[j] })
				want[part] = o
				total += len(o)
			}
			mu.Unlock()

			p.Restart()
			// Every acknowledged offset must be readable after recovery.
			cons := fjordtest.NewClient(t, p.Addr(), kgo.ConsumeTopics("crash"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
			have := map[int32]map[int64]bool{}
			need := total
			rctx := fjordtest.Context(t)
			for need > 0 {
				fs := cons.PollFetches(rctx)
				if rctx.Err() != nil {
					t.Fatalf("%d acknowledged records missing after kill -9 and restart", need)
				}
				fs.EachRecord(func(r *kgo.Record) {
					m := have[r.Partition]
					if m == nil {
						m = map[int64]bool{}
						have[r.Partition] = m
					}
					if !m[r.Offset] {
						m[r.Offset] = true
					}
				})
				need = 0
				for part, offs := range want {
					for _, o := range offs {
						if !have[part][o] {
							need++
						}
					}
				}
			}
			t.Logf("%d acknowledged records, all present after SIGKILL", total)
		})
	}
}
