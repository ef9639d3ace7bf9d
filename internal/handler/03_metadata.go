package handler

// Metadata, versions 0-13.
//
// Brokers are listed with the endpoint of the listener the request came in
// on, as Kafka does. Topics are looked up by name or (v10+) by ID; a null
// topic list means all topics. With auto.create.topics.enable (and v4+
// AllowAutoTopicCreation), unknown topics named in the request are created
// with the broker's defaults. Kafka answers such a topic LEADER_NOT_AVAILABLE
// for this round and the client asks again later (franz-go sometimes after
// its 5 s minimum metadata age); here creation is committed before the
// answer, so a created topic is returned in full at once, and only one that
// failed to be created is LEADER_NOT_AVAILABLE. Authorized operations are not computed (no ACLs
// yet): they are returned as Kafka's "not requested" value.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/controller"
	"github.com/fjordlabs/fjord/internal/metadata"
	"github.com/fjordlabs/fjord/internal/server"
)

func init() { register(kmsg.Metadata, 0, 13, (*Handlers).metadata) }

// authorizedOpsNotRequested is what Kafka sends when the client did not ask.
const authorizedOpsNotRequested = -2147483648

func (h *Handlers) metadata(_ context.Context, req *server.Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.MetadataRequest)
	resp := r.ResponseKind().(*kmsg.MetadataResponse)
	im := h.Metadata.Image()

	resp.Brokers = h.brokersFor(im, req.Conn.ListenerName)
	resp.ClusterID = &h.ClusterID
	resp.ControllerID = h.NodeID
	resp.AuthorizedOperations = authorizedOpsNotRequested

	if r.Topics == nil || (req.Version == 0 && len(r.Topics) == 0) {
		for _, t := range im.Topics() {
			resp.Topics = append(resp.Topics, topicMetadata(t, req.Version))
		}
		return resp, nil
	}
	allowCreate := h.Config().Bool("auto.create.topics.enable") && (req.Version < 4 || r.AllowAutoTopicCreation)
	var toCreate []controller.CreateTopic
	var createdAt []int // index in resp.Topics of each topic in toCreate
	for _, rt := range r.Topics {
		var (
			t  *metadata.Topic
			ok bool
		)
		switch {
		case rt.Topic != nil:
			t, ok = im.Topic(*rt.Topic)
		case rt.TopicID != [16]byte{}:
			t, ok = im.TopicByID(metadata.UUID(rt.TopicID))
		}
		if ok {
			resp.Topics = append(resp.Topics, topicMetadata(t, req.Version))
			continue
		}
		mt := kmsg.NewMetadataResponseTopic()
		mt.Topic, mt.TopicID = rt.Topic, rt.TopicID
		mt.AuthorizedOperations = authorizedOpsNotRequested
		switch {
		case rt.Topic == nil:
			mt.ErrorCode = kerr.UnknownTopicID.Code
		case controller.ValidateTopicName(*rt.Topic) != nil:
			mt.ErrorCode = kerr.InvalidTopicException.Code
		case allowCreate && !controller.InternalTopics[*rt.Topic]:
			mt.ErrorCode = kerr.LeaderNotAvailable.Code
			toCreate = append(toCreate, controller.CreateTopic{Name: *rt.Topic, NumPartitions: -1, ReplicationFactor: -1})
			createdAt = append(createdAt, len(resp.Topics))
		default:
			mt.ErrorCode = kerr.UnknownTopicOrPartition.Code
		}
		resp.Topics = append(resp.Topics, mt)
	}
	if len(toCreate) > 0 {
		res := h.Controller.CreateTopics(toCreate, false)
		for i, c := range res {
			if c.Err != nil && errorCode(c.Err) != kerr.TopicAlreadyExists.Code {
				h.Logger.Warn("auto-creating a topic", "topic", toCreate[i].Name, "err", c.Err)
			}
		}
		im = h.Metadata.Image()
		for i, c := range toCreate {
			if t, ok := im.Topic(c.Name); ok {
				resp.Topics[createdAt[i]] = topicMetadata(t, req.Version)
			}
		}
	}
	return resp, nil
}

// brokersFor lists each broker's endpoint on the named listener.
func (h *Handlers) brokersFor(im *metadata.Image, listener string) []kmsg.MetadataResponseBroker {
	var out []kmsg.MetadataResponseBroker
	for _, b := range im.Brokers() {
		for _, ep := range b.Endpoints {
			if ep.Name != listener {
				continue
			}
			mb := kmsg.NewMetadataResponseBroker()
			mb.NodeID, mb.Host, mb.Port, mb.Rack = b.ID, ep.Host, ep.Port, b.Rack
			out = append(out, mb)
			break
		}
	}
	return out
}

func topicMetadata(t *metadata.Topic, version int16) kmsg.MetadataResponseTopic {
	mt := kmsg.NewMetadataResponseTopic()
	name := t.Name
	mt.Topic = &name
	mt.TopicID = t.ID
	mt.IsInternal = controller.InternalTopics[t.Name]
	mt.AuthorizedOperations = authorizedOpsNotRequested
	for _, p := range t.Partitions {
		mp := kmsg.NewMetadataResponseTopicPartition()
		mp.Partition = p.ID
		mp.Leader = p.Leader
		mp.LeaderEpoch = p.LeaderEpoch
		mp.Replicas = p.Replicas
		mp.ISR = p.ISR
		mp.OfflineReplicas = []int32{}
		if p.Leader < 0 {
			mp.ErrorCode = kerr.LeaderNotAvailable.Code
		}
		mt.Partitions = append(mt.Partitions, mp)
	}
	return mt
}
