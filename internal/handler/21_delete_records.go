package handler

// DeleteRecords, versions 0-2.
//
// Per partition, the log start offset advances to the requested offset
// (-1: the high watermark) through the partition's leader; segments wholly
// below it are deleted and the low watermark (the new log start offset) is
// returned. As in Kafka: a partition the metadata does not know is
// UNKNOWN_TOPIC_OR_PARTITION, an internal topic INVALID_TOPIC_EXCEPTION, a
// topic whose cleanup.policy lacks delete POLICY_VIOLATION, an offset past
// the high watermark (or below -1) OFFSET_OUT_OF_RANGE, and every error
// carries low watermark -1. The timeout is not needed: on a single node the
// low watermark is the leader's as soon as its log start moves; with
// followers this becomes a wait for theirs.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/controller"
	"github.com/fjordlabs/fjord/internal/replica"
	"github.com/fjordlabs/fjord/internal/server"
	"github.com/fjordlabs/fjord/internal/storage"
)

func init() { register(kmsg.DeleteRecords, 0, 2, (*Handlers).deleteRecords) }

func (h *Handlers) deleteRecords(_ context.Context, req *server.Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DeleteRecordsRequest)
	resp := r.ResponseKind().(*kmsg.DeleteRecordsResponse)
	im := h.Metadata.Image()
	for _, rt := range r.Topics {
		st := kmsg.NewDeleteRecordsResponseTopic()
		st.Topic = rt.Topic
		t, known := im.Topic(rt.Topic)
		for _, rp := range rt.Partitions {
			sp := kmsg.NewDeleteRecordsResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.LowWatermark = -1
			switch {
			case !known || rp.Partition < 0 || int(rp.Partition) >= len(t.Partitions):
				sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			case controller.InternalTopics[rt.Topic]:
				sp.ErrorCode = kerr.InvalidTopicException.Code
			default:
				tp := storage.TopicPartition{Topic: rt.Topic, Partition: rp.Partition}
				p, ok := h.Replicas.Partition(tp)
				if !ok {
					// In the metadata but not hosted here: not the leader.
					sp.ErrorCode = errorCode(replica.ErrNotLeader)
					break
				}
				lw, err := p.DeleteRecordsBefore(rp.Offset)
				if err != nil {
					sp.ErrorCode = errorCode(err)
					if sp.ErrorCode == kerr.UnknownServerError.Code {
						h.Logger.Error("delete records failed", "partition", tp, "offset", rp.Offset, "err", err)
					}
					break
				}
				sp.LowWatermark = lw
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}
