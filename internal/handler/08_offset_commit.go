package handler

// OffsetCommit, versions 2-9 (Kafka 4 removed 0-1; v10, topic ids, is not
// served yet).
//
// Partitions of topics or partitions that do not exist are answered
// UNKNOWN_TOPIC_OR_PARTITION here, as Kafka does; the rest go to the group
// coordinator, which answers once the offsets are in __consumer_offsets
// (acks=all). Generation -1 commits are those of simple consumers and
// admin tools, allowed while the group has no members. v2-v4 retention
// times set an explicit expiry.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/server"
)

func init() { register(kmsg.OffsetCommit, 2, 9, (*Handlers).offsetCommit) }

func (h *Handlers) offsetCommit(ctx context.Context, req *server.Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.OffsetCommitRequest)
	im := h.Metadata.Image()
	type tp struct {
		topic string
		part  int32
	}
	codes := map[tp]int16{}
	valid := *r
	valid.Topics = nil
	for _, t := range r.Topics {
		mt, exists := im.Topic(t.Topic)
		vt := t
		vt.Partitions = nil
		for _, p := range t.Partitions {
			if exists && p.Partition >= 0 && int(p.Partition) < len(mt.Partitions) {
				vt.Partitions = append(vt.Partitions, p)
			} else {
				codes[tp{t.Topic, p.Partition}] = kerr.UnknownTopicOrPartition.Code
			}
		}
		if len(vt.Partitions) > 0 {
			valid.Topics = append(valid.Topics, vt)
		}
	}
	if len(valid.Topics) > 0 {
		for _, t := range h.Groups.OffsetCommit(ctx, groupRequest(req), &valid).Topics {
			for _, p := range t.Partitions {
				codes[tp{t.Topic, p.Partition}] = p.ErrorCode
			}
		}
	}
	resp := r.ResponseKind().(*kmsg.OffsetCommitResponse)
	for _, t := range r.Topics {
		rt := kmsg.NewOffsetCommitResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetCommitResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, codes[tp{t.Topic, p.Partition}]
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil
}
