package broker_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/fjordlabs/fjord/internal/fjordtest"
)

// TestZeroCopyFetchMixesRegionsAndCopies: one fetch response carries large
// record sets sent with sendfile and small ones copied, at a flexible (v12+)
// and a non-flexible (v11) Fetch version, and every record arrives intact
// and in order.
func TestZeroCopyFetchMixesRegionsAndCopies(t *testing.T) {
	b := fjordtest.Start(t)
	ctx := fjordtest.Context(t)
	if _, err := b.Admin().CreateTopic(ctx, 4, 1, nil, "zc"); err != nil {
		t.Fatal(err)
	}
	prod := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchCompression(kgo.NoCompression()))
	sizes := map[int32]int{0: 400, 1: 3, 2: 150, 3: 0} // records per partition, ~1 KiB each
	var recs []*kgo.Record
	for p, n := range sizes {
		for i := range n {
			v := bytes.Repeat([]byte{byte('a' + i%26)}, 1000+i%50)
			recs = append(recs, &kgo.Record{Topic: "zc", Partition: p, Key: []byte(fmt.Sprintf("%d-%d", p, i)), Value: v})
		}
	}
	produceAll(t, prod, recs...)

	for _, fetchMax := range []int16{18, 11} {
		t.Run(fmt.Sprintf("fetch v%d", fetchMax), func(t *testing.T) {
			v := kversion.Stable()
			v.SetMaxKeyVersion(1, fetchMax)
			got := consumeN(t, b.Addr(), "zc", 553, kgo.MaxVersions(v), kgo.FetchMaxPartitionBytes(8<<20))
			next := map[int32]int{}
			for _, r := range got {
				i := next[r.Partition]
				if string(r.Key) != fmt.Sprintf("%d-%d", r.Partition, i) || len(r.Value) != 1000+i%50 || r.Value[0] != byte('a'+i%26) {
					t.Fatalf("partition %d record %d: key %s, %d bytes", r.Partition, i, r.Key, len(r.Value))
				}
				next[r.Partition]++
			}
			for p, n := range sizes {
				if next[p] != n {
					t.Fatalf("partition %d: %d of %d records", p, next[p], n)
				}
			}
		})
	}
}
