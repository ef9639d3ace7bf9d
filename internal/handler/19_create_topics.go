package handler

// CreateTopics, versions 2-7.
//
// Name rules, partition and replication factor defaults and limits, manual
// assignments and configs are checked by the controller as Kafka does;
// validate_only checks without creating. v5+ returns the partitions,
// replication factor and resulting configs; v7 the topic ID. A topic named
// twice in one request fails with INVALID_REQUEST. The timeout is not
// needed: the topic exists on this node when the response is sent.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/controller"
	"github.com/fjordlabs/fjord/internal/server"
)

func init() { register(kmsg.CreateTopics, 2, 7, (*Handlers).createTopics) }

func (h *Handlers) createTopics(_ context.Context, req *server.Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.CreateTopicsRequest)
	resp := r.ResponseKind().(*kmsg.CreateTopicsResponse)

	count := map[string]int{}
	for _, t := range r.Topics {
		count[t.Topic]++
	}
	var (
		reqs []controller.CreateTopic
		idx  []int // response index of each request
	)
	for _, t := range r.Topics {
		rt := kmsg.NewCreateTopicsResponseTopic()
		rt.Topic = t.Topic
		resp.Topics = append(resp.Topics, rt)
		if count[t.Topic] > 1 {
			resp.Topics[len(resp.Topics)-1].ErrorCode = kerr.InvalidRequest.Code
			msg := "Create topics request contains multiple entries for topic " + t.Topic
			resp.Topics[len(resp.Topics)-1].ErrorMessage = &msg
			continue
		}
		ct := controller.CreateTopic{Name: t.Topic, NumPartitions: t.NumPartitions, ReplicationFactor: t.ReplicationFactor,
			Configs: map[string]*string{}}
		if len(t.ReplicaAssignment) > 0 {
			ct.Assignment = make([][]int32, len(t.ReplicaAssignment))
			ok := true
			for _, a := range t.ReplicaAssignment {
				if a.Partition < 0 || int(a.Partition) >= len(ct.Assignment) || ct.Assignment[a.Partition] != nil {
					ok = false
					break
				}
				ct.Assignment[a.Partition] = a.Replicas
			}
			if !ok {
				resp.Topics[len(resp.Topics)-1].ErrorCode = kerr.InvalidReplicaAssignment.Code
				msg := "Partitions in the replica assignment must be numbered 0 to N-1, each once"
				resp.Topics[len(resp.Topics)-1].ErrorMessage = &msg
				continue
			}
		}
		for _, c := range t.Configs {
			ct.Configs[c.Name] = c.Value
		}
		reqs = append(reqs, ct)
		idx = append(idx, len(resp.Topics)-1)
	}
	for i, res := range h.Controller.CreateTopics(reqs, r.ValidateOnly) {
		rt := &resp.Topics[idx[i]]
		if res.Err != nil {
			rt.ErrorCode = errorCode(res.Err)
			rt.ErrorMessage = errorMessage(res.Err)
			if rt.ErrorCode == kerr.UnknownServerError.Code {
				h.Logger.Error("create topic failed", "topic", rt.Topic, "err", res.Err)
			}
			continue
		}
		rt.TopicID = res.TopicID
		rt.NumPartitions = res.NumPartitions
		rt.ReplicationFactor = res.ReplicationFactor
		for _, e := range res.Configs {
			c := kmsg.NewCreateTopicsResponseTopicConfig()
			c.Name, c.Value, c.ReadOnly, c.Source, c.IsSensitive = e.Name, e.Value, e.ReadOnly, int8(e.Source), e.Sensitive
			rt.Configs = append(rt.Configs, c)
		}
	}
	return resp, nil
}
