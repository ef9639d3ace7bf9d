package handler

// CreateTopics, versions 2-7.
//
// Name rules, partition and replication factor defaults and limits, manual
// assignments and configs are checked by the controller as Kafka does;
// validate_only checks without creating. v5+ returns the partitions,
// replication factor and resulting configs; v7 the topic ID. A topic named
// twice in one request is answered once, INVALID_REQUEST "Duplicate topic
// name.", and not created; __cluster_metadata cannot be created. Manual
// assignments are checked by the controller with Kafka's messages. A
// request needing more than 10,000 metadata records fails as a whole with
// POLICY_VIOLATION, as in Kafka. The timeout is not needed: the topic
// exists on this node when the response is sent. No create-topic policy.

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
		switch n := count[t.Topic]; {
		case n == 0:
			continue // a duplicate, already answered
		case n > 1:
			// Kafka answers a duplicated name once, without creating it.
			count[t.Topic] = 0
			rt := kmsg.NewCreateTopicsResponseTopic()
			rt.Topic = t.Topic
			rt.ErrorCode = kerr.InvalidRequest.Code
			msg := "Duplicate topic name."
			rt.ErrorMessage = &msg
			resp.Topics = append(resp.Topics, rt)
			continue
		}
		rt := kmsg.NewCreateTopicsResponseTopic()
		rt.Topic = t.Topic
		resp.Topics = append(resp.Topics, rt)
		ct := controller.CreateTopic{Name: t.Topic, NumPartitions: t.NumPartitions, ReplicationFactor: t.ReplicationFactor,
			Configs: map[string]*string{}}
		for _, a := range t.ReplicaAssignment {
			ct.Assignment = append(ct.Assignment, controller.ReplicaAssignment{Partition: a.Partition, Replicas: a.Replicas})
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
