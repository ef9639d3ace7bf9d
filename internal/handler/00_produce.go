package handler

// Produce, versions 3-13 (record format v2 only, as Kafka 4 serves it).
//
// acks must be 0, 1 or -1 (INVALID_REQUIRED_ACKS otherwise); acks=0 gets no
// response. As in Kafka, each partition's records must be exactly one v2
// batch; a failing partition does not fail the others. Version 13 names
// topics by ID. Clients may not write to internal topics. Batches of
// idempotent producers (InitProducerId) are deduplicated and sequence-checked
// by the log: a retried batch is answered with its original offset,
// OUT_OF_ORDER_SEQUENCE_NUMBER and INVALID_PRODUCER_EPOCH as in Kafka.
// Transactions are not implemented yet.

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/controller"
	"github.com/fjordlabs/fjord/internal/metadata"
	"github.com/fjordlabs/fjord/internal/record"
	"github.com/fjordlabs/fjord/internal/replica"
	"github.com/fjordlabs/fjord/internal/server"
	"github.com/fjordlabs/fjord/internal/storage"
)

func init() { register(kmsg.Produce, 3, 13, (*Handlers).produce) }

func (h *Handlers) produce(_ context.Context, req *server.Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.ProduceRequest)
	resp := r.ResponseKind().(*kmsg.ProduceResponse)
	acksOK := r.Acks == 0 || r.Acks == 1 || r.Acks == -1
	var im *metadata.Image
	var pend pendingFlushes
	for _, rt := range r.Topics {
		name := rt.Topic
		var topicErr int16
		if req.Version >= 13 {
			if im == nil {
				im = h.Metadata.Image()
			}
			if t, ok := im.TopicByID(metadata.UUID(rt.TopicID)); ok {
				name = t.Name
			} else {
				topicErr = kerr.UnknownTopicID.Code
			}
		}
		if topicErr == 0 && controller.InternalTopics[name] {
			topicErr = kerr.InvalidTopicException.Code
		}
		if !acksOK {
			topicErr = kerr.InvalidRequiredAcks.Code
		}
		st := kmsg.NewProduceResponseTopic()
		st.Topic, st.TopicID = rt.Topic, rt.TopicID
		for _, rp := range rt.Partitions {
			sp := kmsg.NewProduceResponseTopicPartition()
			sp.Partition = rp.Partition
			if topicErr != 0 {
				sp.ErrorCode = topicErr
			} else {
				h.producePartition(&sp, storage.TopicPartition{Topic: name, Partition: rp.Partition}, rp.Records, r.Acks, &pend, len(resp.Topics), len(st.Partitions))
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	h.completeFlushes(resp, &pend)
	if r.Acks == 0 {
		return nil, nil
	}
	return resp, nil
}

// pendingFlushes are the appends of one request whose flush.messages flush
// is due; they are fsynced together before the response.
type pendingFlushes struct {
	parts   []*replica.Partition
	results []storage.AppendResult
	at      [][2]int // topic and partition index in the response
}

// completeFlushes fsyncs the request's pending appends together; a
// partition whose flush failed is answered KAFKA_STORAGE_ERROR.
func (h *Handlers) completeFlushes(resp *kmsg.ProduceResponse, pend *pendingFlushes) {
	if len(pend.parts) == 0 {
		return
	}
	for i, err := range h.Replicas.CompleteAppends(pend.parts, pend.results) {
		if err == nil {
			continue
		}
		sp := &resp.Topics[pend.at[i][0]].Partitions[pend.at[i][1]]
		sp.ErrorCode = errorCode(err)
		if sp.ErrorCode == kerr.UnknownServerError.Code {
			sp.ErrorCode = kerr.KafkaStorageError.Code
		}
		sp.ErrorMessage = errorMessage(err)
		sp.BaseOffset, sp.LogAppendTime = -1, -1
		h.Logger.Error("flushing produced records failed", "partition", pend.parts[i].TP, "err", err)
	}
}

func (h *Handlers) producePartition(sp *kmsg.ProduceResponseTopicPartition, tp storage.TopicPartition, records []byte, acks int16, pend *pendingFlushes, ti, pi int) {
	p, ok := h.Replicas.Partition(tp)
	if !ok {
		sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
		return
	}
	if err := checkOneBatch(records); err != nil {
		sp.ErrorCode = kerr.InvalidRecord.Code
		msg := err.Error()
		sp.ErrorMessage = &msg
		return
	}
	res, err := p.Append(records, replica.AppendOptions{Acks: acks, Origin: storage.OriginClient, DeferFlush: true})
	if err != nil {
		sp.ErrorCode = errorCode(err)
		sp.ErrorMessage = errorMessage(err)
		var ve *storage.ValidationError
		if errors.As(err, &ve) && ve.Record >= 0 {
			re := kmsg.NewProduceResponseTopicPartitionErrorRecord()
			re.RelativeOffset = int32(ve.Record)
			re.ErrorMessage = &ve.Reason
			sp.ErrorRecords = append(sp.ErrorRecords, re)
		}
		if sp.ErrorCode == kerr.UnknownServerError.Code {
			h.Logger.Error("produce failed", "partition", tp, "err", err)
		}
		sp.LogStartOffset = p.Log.LogStartOffset()
		return
	}
	sp.BaseOffset = res.FirstOffset
	sp.LogAppendTime = res.LogAppendTime
	sp.LogStartOffset = res.LogStartOffset
	if res.FlushNeeded {
		pend.parts = append(pend.parts, p)
		pend.results = append(pend.results, res)
		pend.at = append(pend.at, [2]int{ti, pi})
	}
}

// errNotOneBatch is Kafka's rule for produce v3+.
var errNotOneBatch = errors.New("produce requests with version 3 or later must contain exactly one record batch per partition")

// checkOneBatch rejects records that are empty or hold more than one batch.
// A batch whose length overruns the records is left for the log to report
// as corrupt.
func checkOneBatch(records []byte) error {
	size, err := record.PeekSize(records)
	if len(records) == 0 || (err == nil && size >= record.HeaderSize && size < len(records)) {
		return errNotOneBatch
	}
	return nil
}
