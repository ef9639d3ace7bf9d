package check

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Incompressible is n printable bytes that no codec shrinks much.
func Incompressible(n int) string {
	r := rand.New(rand.NewPCG(1, 2))
	raw := make([]byte, n)
	for i := range raw {
		raw[i] = byte(r.Uint32())
	}
	return base64.StdEncoding.EncodeToString(raw)[:n]
}

// OneRecordBatch is a v2 record batch holding one record, for clients that
// send raw produce requests.
func OneRecordBatch(value []byte) []byte {
	rec := kmsg.Record{Value: value}
	rec.Length = int32(len(rec.AppendTo(nil)) - 1) // the zero length took one byte
	recs := rec.AppendTo(nil)
	now := time.Now().UnixMilli()
	b := kmsg.RecordBatch{Magic: 2, FirstTimestamp: now, MaxTimestamp: now, ProducerID: -1, ProducerEpoch: -1,
		FirstSequence: -1, NumRecords: 1, Records: recs}
	b.Length = int32(len(b.AppendTo(nil)) - 12)
	raw := b.AppendTo(nil)
	binary.BigEndian.PutUint32(raw[17:21], crc32.Checksum(raw[21:], crc32.MakeTable(crc32.Castagnoli)))
	return raw
}

// Fataler is what LatestMarkers needs of a test.
type Fataler interface {
	Fatalf(format string, args ...any)
}

// LatestMarkers checks "consume from latest" for a consumer whose start
// position is resolved asynchronously: it produces marker records, one at
// a time, until the consumer returns one (at most 50), then reads on until
// the last marker produced. Everything the consumer returns must be
// markers, consecutive, and ending with the last one: nothing from before
// the consumer started. poll returns the values read within its context.
func LatestMarkers(t Fataler, produce func(marker string) error, poll func(ctx context.Context) ([]string, error)) []string {
	var got []string
	produced := 0
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if len(got) == 0 && produced < 50 {
			if err := produce(fmt.Sprintf("latest-%d", produced)); err != nil {
				t.Fatalf("produce marker: %v", err)
			}
			produced++
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		vals, err := poll(ctx)
		cancel()
		if err != nil {
			t.Fatalf("consume: %v", err)
		}
		got = append(got, vals...)
		if len(got) > 0 && got[len(got)-1] == fmt.Sprintf("latest-%d", produced-1) {
			break
		}
	}
	if len(got) == 0 {
		t.Fatalf("nothing consumed after %d markers", produced)
	}
	var first int
	if _, err := fmt.Sscanf(got[0], "latest-%d", &first); err != nil || !strings.HasPrefix(got[0], "latest-") {
		t.Fatalf("first record %q is not a marker: consumed from before the start", got[0])
	}
	for i, v := range got {
		if want := fmt.Sprintf("latest-%d", first+i); v != want {
			t.Fatalf("record %d is %q, want %q (consumed %q)", i, v, want, got)
		}
	}
	if first+len(got) != produced {
		t.Fatalf("consumed markers %d..%d, produced up to %d", first, first+len(got)-1, produced-1)
	}
	return got
}

// ReadWithFranz reads n records of partition 0 of topic from the start
// with franz-go, the reference reader, for clients whose own reader loses
// a distinction (kafka-go: empty and null values).
func ReadWithFranz(addr, topic string, n int) ([]Rec, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []Rec
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return out, fmt.Errorf("franz-go read %d of %d records", len(out), n)
		}
		if err := fs.Err0(); err != nil {
			return out, err
		}
		for _, r := range fs.Records() {
			rec := Rec{Key: r.Key, Value: r.Value, Timestamp: r.Timestamp}
			for _, h := range r.Headers {
				rec.Headers = append(rec.Headers, Header{h.Key, string(h.Value)})
			}
			out = append(out, rec)
		}
	}
	return out, nil
}
