package broker_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/fjordtest"
	"github.com/fjordlabs/fjord/internal/record"
)

// kgo's default producer is idempotent: it gets a producer id and its
// batches carry it.
func TestIdempotentProducerGetsAnIDAndKeepsOrder(t *testing.T) {
	b := fjordtest.Start(t, "num.partitions=3")
	cl := b.Client(kgo.AllowAutoTopicCreation(), kgo.ProducerLinger(time.Millisecond))
	const n = 3000
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: "idem", Key: []byte(fmt.Sprint(i % 10)), Value: []byte(fmt.Sprint(i))}
	}
	produceAll(t, cl, recs...)
	if recs[0].ProducerID < 0 {
		t.Fatalf("produced without a producer id (%d)", recs[0].ProducerID)
	}
	got := consumeN(t, b.Addr(), "idem", n)
	if len(got) != n {
		t.Fatalf("consumed %d of %d", len(got), n)
	}
	last := map[string]int{}
	for _, r := range got {
		if r.ProducerID != recs[0].ProducerID {
			t.Fatalf("record at %d has producer id %d, want %d", r.Offset, r.ProducerID, recs[0].ProducerID)
		}
		var v int
		fmt.Sscan(string(r.Value), &v)
		if prev, ok := last[string(r.Key)]; ok && v <= prev {
			t.Fatalf("key %s: %d after %d", r.Key, v, prev)
		}
		last[string(r.Key)] = v
	}
}

func initProducerID(t *testing.T, addr string, txnID *string) *kmsg.InitProducerIDResponse {
	t.Helper()
	req := kmsg.NewPtrInitProducerIDRequest()
	req.TransactionalID = txnID
	req.TransactionTimeoutMillis = 60000
	req.ProducerID, req.ProducerEpoch = -1, -1
	return rawRequest(t, addr, req, 4).(*kmsg.InitProducerIDResponse)
}

func idemProduce(t *testing.T, addr string, pid int64, epoch int16, seq int32, n int) kmsg.ProduceResponseTopicPartition {
	t.Helper()
	bld := record.NewBuilder(record.BuilderOptions{ProducerID: pid, ProducerEpoch: epoch, BaseSequence: seq})
	for i := range n {
		bld.Add(time.Now().UnixMilli(), nil, []byte(fmt.Sprint(int(seq)+i)))
	}
	batch, err := bld.Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrProduceRequest()
	req.Acks, req.TimeoutMillis = -1, 5000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = "raw"
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = batch
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	return rawRequest(t, addr, req, 9).(*kmsg.ProduceResponse).Topics[0].Partitions[0]
}

// Retries are answered with the original offset; gaps and fenced epochs
// get Kafka's errors; producer ids and producer state survive a restart.
func TestIdempotentProduceOnTheWire(t *testing.T) {
	b := fjordtest.Start(t)
	ctx := fjordtest.Context(t)
	if _, err := b.Admin().CreateTopic(ctx, 1, 1, nil, "raw"); err != nil {
		t.Fatal(err)
	}
	first := initProducerID(t, b.Addr(), nil)
	if first.ErrorCode != 0 || first.ProducerID < 0 || first.ProducerEpoch != 0 {
		t.Fatalf("InitProducerId: %+v", first)
	}
	if again := initProducerID(t, b.Addr(), nil); again.ProducerID == first.ProducerID {
		t.Fatalf("producer id %d given twice", again.ProducerID)
	}
	pid := first.ProducerID

	p := idemProduce(t, b.Addr(), pid, 0, 0, 5)
	if p.ErrorCode != 0 || p.BaseOffset != 0 {
		t.Fatalf("first batch: %+v", p)
	}
	p = idemProduce(t, b.Addr(), pid, 0, 5, 5)
	if p.ErrorCode != 0 || p.BaseOffset != 5 {
		t.Fatalf("second batch: %+v", p)
	}
	if p = idemProduce(t, b.Addr(), pid, 0, 0, 5); p.ErrorCode != 0 || p.BaseOffset != 0 {
		t.Fatalf("retry of the first batch: %+v", p)
	}
	if p = idemProduce(t, b.Addr(), pid, 0, 20, 1); p.ErrorCode != kerr.OutOfOrderSequenceNumber.Code {
		t.Fatalf("sequence gap: %v", kerr.ErrorForCode(p.ErrorCode))
	}
	if p = idemProduce(t, b.Addr(), pid, 1, 0, 1); p.ErrorCode != 0 || p.BaseOffset != 10 {
		t.Fatalf("new epoch: %+v", p)
	}
	if p = idemProduce(t, b.Addr(), pid, 0, 10, 1); p.ErrorCode != kerr.InvalidProducerEpoch.Code {
		t.Fatalf("fenced epoch: %v", kerr.ErrorForCode(p.ErrorCode))
	}

	if txn := initProducerID(t, b.Addr(), ptr("txn")); txn.ErrorCode != kerr.InvalidRequest.Code {
		t.Fatalf("transactional InitProducerId: %v", kerr.ErrorForCode(txn.ErrorCode))
	}

	b.Restart()
	if p = idemProduce(t, b.Addr(), pid, 1, 0, 1); p.ErrorCode != 0 || p.BaseOffset != 10 {
		t.Fatalf("retry after restart: %+v", p)
	}
	if next := initProducerID(t, b.Addr(), nil); next.ProducerID <= pid+1 {
		t.Fatalf("producer id %d after restart reuses the block of %d", next.ProducerID, pid)
	}
	offs, err := b.Admin().ListEndOffsets(ctx, "raw")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := offs.Lookup("raw", 0); o.Offset != 11 {
		t.Fatalf("log end offset %d, want 11: a retry was written", o.Offset)
	}
}
