package handler

// OffsetFetch, versions 1-9 (Kafka 4 removed 0; v10, topic ids, is not
// served yet).
//
// A partition with no committed offset is -1 with empty metadata, which
// consumers resolve with auto.offset.reset and ListOffsets. A null topic
// list (v2+) asks for all of a group's offsets. v8+ asks for many groups.
// Group errors (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS) are at the
// top level in v2-v7 and per group in v8+; v1 has no top-level error, so
// each requested partition carries it. Offsets become visible only once
// written, so there is never an unstable offset to hold back for
// require_stable (v7+) until transactional commits exist.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/server"
)

func init() { register(kmsg.OffsetFetch, 1, 9, (*Handlers).offsetFetch) }

func (h *Handlers) offsetFetch(ctx context.Context, req *server.Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.OffsetFetchRequest)
	resp := r.ResponseKind().(*kmsg.OffsetFetchResponse)
	rq := groupRequest(req)
	if req.Version >= 8 {
		for _, g := range r.Groups {
			resp.Groups = append(resp.Groups, h.Groups.OffsetFetch(ctx, rq, g.Group, g.Topics, r.RequireStable))
		}
		return resp, nil
	}
	var topics []kmsg.OffsetFetchRequestGroupTopic
	if r.Topics != nil || req.Version < 2 {
		topics = make([]kmsg.OffsetFetchRequestGroupTopic, 0, len(r.Topics))
		for _, t := range r.Topics {
			topics = append(topics, kmsg.OffsetFetchRequestGroupTopic{Topic: t.Topic, Partitions: t.Partitions})
		}
	}
	g := h.Groups.OffsetFetch(ctx, rq, r.Group, topics, r.RequireStable)
	resp.ErrorCode = g.ErrorCode
	if g.ErrorCode != 0 && req.Version < 2 {
		for _, t := range r.Topics {
			rt := kmsg.NewOffsetFetchResponseTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewOffsetFetchResponseTopicPartition()
				md := ""
				rp.Partition, rp.Offset, rp.Metadata, rp.ErrorCode = p, -1, &md, g.ErrorCode
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp, nil
	}
	for _, t := range g.Topics {
		rt := kmsg.NewOffsetFetchResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetFetchResponseTopicPartition()
			rp.Partition, rp.Offset, rp.LeaderEpoch, rp.Metadata, rp.ErrorCode = p.Partition, p.Offset, p.LeaderEpoch, p.Metadata, p.ErrorCode
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil
}
