package broker_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fjordlabs/fjord/internal/fjordtest"
)

// produceAll produces recs synchronously and fails the test on any error.
func produceAll(t *testing.T, cl *kgo.Client, recs ...*kgo.Record) {
	t.Helper()
	ctx := fjordtest.Context(t)
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// consumeN reads n records from the start of topic.
func consumeN(t *testing.T, addr, topic string, n int, opts ...kgo.Opt) []*kgo.Record {
	t.Helper()
	cl := fjordtest.NewClient(t, addr, append([]kgo.Opt{kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}, opts...)...)
	ctx := fjordtest.Context(t)
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records: %v", len(out), n, err)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s[%d]: %v", topic, p, err) })
		out = append(out, fs.Records()...)
	}
	return out
}

func TestProduceConsumeEveryCodecAndAcks(t *testing.T) {
	b := fjordtest.Start(t)
	codecs := map[string]kgo.CompressionCodec{
		"none": kgo.NoCompression(), "gzip": kgo.GzipCompression(), "snappy": kgo.SnappyCompression(),
		"lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression(),
	}
	acks := map[string]kgo.Acks{"0": kgo.NoAck(), "1": kgo.LeaderAck(), "all": kgo.AllISRAcks()}
	for cname, codec := range codecs {
		for aname, ack := range acks {
			t.Run(cname+"/acks="+aname, func(t *testing.T) {
				topic := "t-" + cname + "-" + aname
				opts := []kgo.Opt{kgo.ProducerBatchCompression(codec), kgo.RequiredAcks(ack), kgo.AllowAutoTopicCreation()}
				if aname != "all" {
					opts = append(opts, kgo.DisableIdempotentWrite())
				}
				cl := b.Client(opts...)
				const n = 200
				var recs []*kgo.Record
				for i := range n {
					r := &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("key-%d", i%7)), Value: bytes.Repeat([]byte{byte('a' + i%26)}, 100+i)}
					if i%3 == 0 {
						r.Headers = []kgo.RecordHeader{{Key: "h", Value: []byte(fmt.Sprint(i))}, {Key: "empty"}}
					}
					if i%11 == 0 {
						r.Value = nil
					}
					recs = append(recs, r)
				}
				produceAll(t, cl, recs...)
				got := consumeN(t, b.Addr(), topic, n)
				if len(got) != n {
					t.Fatalf("got %d records", len(got))
				}
				// Ordering: one partition by default, so offsets follow production.
				for i, r := range got {
					want := recs[i]
					if r.Offset != int64(i) || !bytes.Equal(r.Key, want.Key) || !bytes.Equal(r.Value, want.Value) || (r.Value == nil) != (want.Value == nil) {
						t.Fatalf("record %d: offset %d key %q value len %d (nil %v)", i, r.Offset, r.Key, len(r.Value), r.Value == nil)
					}
					if len(r.Headers) != len(want.Headers) {
						t.Fatalf("record %d: %d headers", i, len(r.Headers))
					}
					for j, h := range r.Headers {
						if h.Key != want.Headers[j].Key || !bytes.Equal(h.Value, want.Headers[j].Value) {
							t.Fatalf("record %d header %d: %+v", i, j, h)
						}
					}
				}
			})
		}
	}
}

func TestOrderingWithinPartitionsUnderConcurrency(t *testing.T) {
	b := fjordtest.Start(t, "num.partitions=4")
	cl := b.Client(kgo.AllowAutoTopicCreation(), kgo.ProducerLinger(time.Millisecond))
	const n = 4000
	ctx := context.Background()
	done := make(chan error, n)
	for i := range n {
		cl.Produce(ctx, &kgo.Record{Topic: "ordered", Key: []byte(fmt.Sprint(i % 16)), Value: []byte(fmt.Sprint(i))},
			func(_ *kgo.Record, err error) { done <- err })
	}
	for range n {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	got := consumeN(t, b.Addr(), "ordered", n)
	last := map[string]int{}
	for _, r := range got {
		var v int
		fmt.Sscan(string(r.Value), &v)
		if prev, ok := last[string(r.Key)]; ok && v <= prev {
			t.Fatalf("key %s: %d after %d", r.Key, v, prev)
		}
		last[string(r.Key)] = v
	}
}
