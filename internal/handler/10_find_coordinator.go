package handler

// FindCoordinator, versions 0-6.
//
// Key type 0 is a group (its partition of __consumer_offsets), 1 a
// transactional id (its partition of __transaction_state), both mapped as
// Kafka does: abs(Java hashCode(key)) % partitions. The internal topic is
// created on first need with Kafka's settings for it; as creation finishes
// before the request is answered, the first lookup already gets the
// coordinator (Kafka answers COORDINATOR_NOT_AVAILABLE once while it
// creates the topic). Share groups (type 2, v6) have no coordinator here:
// INVALID_REQUEST, as Kafka without one. v4+ looks up a batch of keys.
// The coordinator's endpoint is that of the listener the request came in
// on.

import (
	"context"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/controller"
	"github.com/fjordlabs/fjord/internal/group"
	"github.com/fjordlabs/fjord/internal/server"
)

func init() { register(kmsg.FindCoordinator, 0, 6, (*Handlers).findCoordinator) }

const (
	coordinatorGroup       int8 = 0
	coordinatorTransaction int8 = 1
	coordinatorShare       int8 = 2

	transactionStateTopic = "__transaction_state"
)

type coordinatorNode struct {
	code       int16
	id, port   int32
	host       string
	keyRefused bool // the key type is not served: the whole request fails
}

func (h *Handlers) findCoordinator(_ context.Context, req *server.Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.FindCoordinatorRequest)
	resp := r.ResponseKind().(*kmsg.FindCoordinatorResponse)
	if req.Version < 4 {
		n := h.coordinatorFor(r.CoordinatorType, r.CoordinatorKey, req.Conn.ListenerName)
		resp.ErrorCode, resp.NodeID, resp.Host, resp.Port = n.code, n.id, n.host, n.port
		msg := "NONE" // Kafka's message for no error
		if n.code != 0 {
			msg = kerr.ErrorForCode(n.code).(*kerr.Error).Description
		}
		resp.ErrorMessage = &msg
		return resp, nil
	}
	for _, key := range r.CoordinatorKeys {
		n := h.coordinatorFor(r.CoordinatorType, key, req.Conn.ListenerName)
		c := kmsg.NewFindCoordinatorResponseCoordinator()
		c.Key, c.ErrorCode, c.NodeID, c.Host, c.Port = key, n.code, n.id, n.host, n.port
		resp.Coordinators = append(resp.Coordinators, c)
	}
	return resp, nil
}

func (h *Handlers) coordinatorFor(keyType int8, key, listener string) coordinatorNode {
	none := func(code int16) coordinatorNode { return coordinatorNode{code: code, id: -1, port: -1} }
	var topic string
	switch keyType {
	case coordinatorGroup:
		topic = group.OffsetsTopic
	case coordinatorTransaction:
		topic = transactionStateTopic
	default:
		return none(kerr.InvalidRequest.Code)
	}
	im := h.Metadata.Image()
	t, ok := im.Topic(topic)
	if !ok {
		res := h.Controller.CreateTopics([]controller.CreateTopic{h.coordinatorTopicRequest(keyType)}, false)
		if err := res[0].Err; err != nil && errorCode(err) != kerr.TopicAlreadyExists.Code {
			h.Logger.Error("creating an internal topic", "topic", topic, "err", err)
			return none(kerr.CoordinatorNotAvailable.Code)
		}
		im = h.Metadata.Image()
		if t, ok = im.Topic(topic); !ok {
			return none(kerr.CoordinatorNotAvailable.Code)
		}
	}
	p := group.PartitionFor(key, int32(len(t.Partitions)))
	leader := t.Partitions[p].Leader
	b, ok := im.Broker(leader)
	if leader < 0 || !ok {
		return none(kerr.CoordinatorNotAvailable.Code)
	}
	for _, ep := range b.Endpoints {
		if ep.Name == listener {
			return coordinatorNode{id: b.ID, host: ep.Host, port: ep.Port}
		}
	}
	return none(kerr.CoordinatorNotAvailable.Code)
}

// coordinatorTopicRequest is how Kafka creates its internal topics.
func (h *Handlers) coordinatorTopicRequest(keyType int8) controller.CreateTopic {
	cfg := h.Config()
	str := func(s string) *string { return &s }
	if keyType == coordinatorGroup {
		return controller.CreateTopic{
			Name:              group.OffsetsTopic,
			NumPartitions:     cfg.Int("offsets.topic.num.partitions"),
			ReplicationFactor: cfg.Short("offsets.topic.replication.factor"),
			Configs: map[string]*string{
				"cleanup.policy":   str("compact"),
				"compression.type": str("producer"),
				"segment.bytes":    str(strconv.Itoa(int(cfg.Int("offsets.topic.segment.bytes")))),
			},
		}
	}
	return controller.CreateTopic{
		Name:              transactionStateTopic,
		NumPartitions:     cfg.Int("transaction.state.log.num.partitions"),
		ReplicationFactor: cfg.Short("transaction.state.log.replication.factor"),
		Configs: map[string]*string{
			"cleanup.policy":                 str("compact"),
			"compression.type":               str("uncompressed"),
			"min.insync.replicas":            str(strconv.Itoa(int(cfg.Int("transaction.state.log.min.isr")))),
			"segment.bytes":                  str(strconv.Itoa(int(cfg.Int("transaction.state.log.segment.bytes")))),
			"unclean.leader.election.enable": str("false"),
		},
	}
}
