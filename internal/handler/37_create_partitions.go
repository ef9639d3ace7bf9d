package handler

// CreatePartitions, versions 0-3.
//
// Partitions are only ever added: a count equal to the current one or
// lower is INVALID_PARTITIONS with Kafka 4's messages ("Topic already has N
// partition(s)." / "The topic T currently has N partition(s); M would not
// be an increase."). New partitions get the topic's replication factor,
// placed as for a new topic, or the manual assignment given, which must
// name exactly the new partitions with valid, registered replicas
// (INVALID_REPLICA_ASSIGNMENT otherwise). A topic named twice is answered
// once, INVALID_REQUEST "Duplicate topic name.", and not changed. The
// partitions' logs exist on this node when the response is sent;
// validate_only checks without committing. A request needing more than
// 10,000 metadata records fails as a whole with POLICY_VIOLATION, as in
// Kafka.
//
// Not done: no partition-creation quota (v3's THROTTLING_QUOTA_EXCEEDED is
// never returned); the timeout is not needed.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/controller"
	"github.com/fjordlabs/fjord/internal/server"
)

func init() { register(kmsg.CreatePartitions, 0, 3, (*Handlers).createPartitions) }

func (h *Handlers) createPartitions(_ context.Context, req *server.Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.CreatePartitionsRequest)
	resp := r.ResponseKind().(*kmsg.CreatePartitionsResponse)

	count := map[string]int{}
	for _, t := range r.Topics {
		count[t.Topic]++
	}
	var (
		reqs []controller.CreatePartitions
		idx  []int
	)
	for _, t := range r.Topics {
		rt := kmsg.NewCreatePartitionsResponseTopic()
		rt.Topic = t.Topic
		switch count[t.Topic] {
		case 0:
			continue // a duplicate, already answered
		case 1:
			cp := controller.CreatePartitions{Topic: t.Topic, Count: t.Count}
			if t.Assignment != nil {
				cp.Assignment = make([][]int32, len(t.Assignment))
				for i, a := range t.Assignment {
					cp.Assignment[i] = a.Replicas
				}
			}
			reqs = append(reqs, cp)
			idx = append(idx, len(resp.Topics))
		default:
			count[t.Topic] = 0
			rt.ErrorCode = kerr.InvalidRequest.Code
			msg := "Duplicate topic name."
			rt.ErrorMessage = &msg
		}
		resp.Topics = append(resp.Topics, rt)
	}
	for i, err := range h.Controller.CreatePartitions(reqs, r.ValidateOnly) {
		rt := &resp.Topics[idx[i]]
		rt.ErrorCode = errorCode(err)
		rt.ErrorMessage = errorMessage(err)
		if rt.ErrorCode == kerr.UnknownServerError.Code {
			h.Logger.Error("create partitions failed", "topic", rt.Topic, "err", err)
		}
	}
	return resp, nil
}
