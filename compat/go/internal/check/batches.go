package check

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Batch is the header of a record batch as the broker stores it.
type Batch struct {
	BaseOffset    int64
	Records       int32
	ProducerID    int64
	ProducerEpoch int16
	FirstSequence int32
}

// BatchesWithFranz reads the header of every record batch of partition 0
// of topic with raw Fetch requests (franz-go's kmsg), for clients whose
// consumer does not show a batch's producer id and sequence.
func BatchesWithFranz(addr, topic string) ([]Batch, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	mreq := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	mreq.Topics = append(mreq.Topics, mt)
	mresp, err := mreq.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	if len(mresp.Topics) != 1 {
		return nil, fmt.Errorf("metadata: %d topics", len(mresp.Topics))
	}
	if err := kerr.ErrorForCode(mresp.Topics[0].ErrorCode); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	topicID := mresp.Topics[0].TopicID

	var out []Batch
	next := int64(0)
	for {
		req := kmsg.NewPtrFetchRequest()
		req.ReplicaID = -1
		req.MaxWaitMillis = 100
		req.MaxBytes = 16 << 20
		ft := kmsg.NewFetchRequestTopic()
		ft.Topic, ft.TopicID = topic, topicID // the name up to v12, the id from v13
		fp := kmsg.NewFetchRequestTopicPartition()
		fp.Partition, fp.FetchOffset, fp.LogStartOffset, fp.PartitionMaxBytes = 0, next, -1, 16<<20
		fp.CurrentLeaderEpoch, fp.LastFetchedEpoch = -1, -1
		ft.Partitions = append(ft.Partitions, fp)
		req.Topics = append(req.Topics, ft)
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return out, fmt.Errorf("fetch at %d: %w", next, err)
		}
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			return out, fmt.Errorf("fetch at %d: %w", next, err)
		}
		if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			return out, fmt.Errorf("fetch at %d: unexpected response shape", next)
		}
		p := resp.Topics[0].Partitions[0]
		if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
			return out, fmt.Errorf("fetch at %d: %w", next, err)
		}
		if next >= p.HighWatermark {
			return out, nil
		}
		raw := p.RecordBatches
		progressed := false
		for len(raw) >= 12 {
			size := 12 + int(int32(binary.BigEndian.Uint32(raw[8:12])))
			if size > len(raw) {
				break // a partial batch at the end of the response
			}
			var b kmsg.RecordBatch
			if err := b.ReadFrom(raw[:size]); err != nil {
				return out, fmt.Errorf("batch at %d: %w", next, err)
			}
			raw = raw[size:]
			if b.Magic != 2 {
				return out, fmt.Errorf("batch at %d: magic %d", b.FirstOffset, b.Magic)
			}
			if b.FirstOffset+int64(b.LastOffsetDelta) < next {
				continue // a batch before the fetch offset
			}
			out = append(out, Batch{BaseOffset: b.FirstOffset, Records: b.NumRecords, ProducerID: b.ProducerID,
				ProducerEpoch: b.ProducerEpoch, FirstSequence: b.FirstSequence})
			next = b.FirstOffset + int64(b.LastOffsetDelta) + 1
			progressed = true
		}
		if !progressed {
			if ctx.Err() != nil {
				return out, fmt.Errorf("fetch at %d: %w", next, ctx.Err())
			}
		}
	}
}

// CheckIdempotentBatches checks that the batches are what one idempotent
// producer wrote, each exactly once: n records in all, every batch with
// the same producer id (not -1) and epoch, and each batch's first sequence
// number the count of records before it (sequences start at 0 and run on
// without a gap or repeat), at the offset that follows the previous batch.
func CheckIdempotentBatches(batches []Batch, n int) error {
	if len(batches) == 0 {
		return fmt.Errorf("no batch stored")
	}
	id, epoch := batches[0].ProducerID, batches[0].ProducerEpoch
	if id < 0 || epoch < 0 {
		return fmt.Errorf("batch at offset %d has producer id %d epoch %d: written without a producer id", batches[0].BaseOffset, id, epoch)
	}
	var before int64
	for _, b := range batches {
		switch {
		case b.ProducerID != id || b.ProducerEpoch != epoch:
			return fmt.Errorf("batch at offset %d has producer id %d epoch %d, the first batch %d epoch %d", b.BaseOffset, b.ProducerID, b.ProducerEpoch, id, epoch)
		case b.BaseOffset != before:
			return fmt.Errorf("batch at offset %d follows %d records", b.BaseOffset, before)
		case int64(b.FirstSequence) != before:
			return fmt.Errorf("batch at offset %d has first sequence %d, want %d", b.BaseOffset, b.FirstSequence, before)
		}
		before += int64(b.Records)
	}
	if before != int64(n) {
		return fmt.Errorf("%d records in %d batches, want %d", before, len(batches), n)
	}
	return nil
}

// IdempotentRecords is what the idempotent producer checks produce, in
// rounds (each delivered before the next starts, so that there are several
// batches and the sequence numbers run on across them): the standard
// records, then three rounds of 20 numbered ones, timestamps one second
// apart from base throughout. The Python and Node scripts build the same.
func IdempotentRecords(base time.Time) [][]Rec {
	rounds := [][]Rec{StandardRecords(base)}
	n := len(rounds[0])
	for r := 0; r < 3; r++ {
		var round []Rec
		for i := 0; i < 20; i++ {
			round = append(round, Rec{Key: fmt.Appendf(nil, "idem-%d", r), Value: fmt.Appendf(nil, "record %d", n),
				Timestamp: base.Add(time.Duration(n) * time.Second)})
			n++
		}
		rounds = append(rounds, round)
	}
	return rounds
}
