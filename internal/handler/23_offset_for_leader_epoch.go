package handler

// OffsetForLeaderEpoch, versions 2-4.
//
// Answers from the partition's leader epoch history: the end offset of the
// requested epoch and the largest epoch not above it, or UNDEFINED (-1, -1),
// as Kafka's leader does. Consumers use it to detect log truncation
// (KIP-320); followers will use it after leader changes.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/server"
	"github.com/fjordlabs/fjord/internal/storage"
)

func init() { register(kmsg.OffsetForLeaderEpoch, 2, 4, (*Handlers).offsetForLeaderEpoch) }

func (h *Handlers) offsetForLeaderEpoch(_ context.Context, req *server.Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.OffsetForLeaderEpochRequest)
	resp := r.ResponseKind().(*kmsg.OffsetForLeaderEpochResponse)
	for _, rt := range r.Topics {
		st := kmsg.NewOffsetForLeaderEpochResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.LeaderEpoch, sp.EndOffset = -1, -1
			p, ok := h.Replicas.Partition(storage.TopicPartition{Topic: rt.Topic, Partition: rp.Partition})
			switch {
			case !ok:
				sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			case !p.IsLeader():
				sp.ErrorCode = kerr.NotLeaderForPartition.Code
			default:
				if err := p.CheckEpoch(rp.CurrentLeaderEpoch); err != nil {
					sp.ErrorCode = errorCode(err)
					break
				}
				sp.LeaderEpoch, sp.EndOffset = p.Log.EndOffsetForEpoch(rp.LeaderEpoch)
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}
