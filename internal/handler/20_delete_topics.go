package handler

// DeleteTopics, versions 1-6.
//
// Topics are named (v6: or identified by ID); the controller resolves them
// and commits one RemoveTopicRecord each, and the partitions' logs are
// renamed "-delete" on this node before the response is sent, then removed
// after file.delete.delay.ms. The request's shape is checked as Kafka's
// controller does: a name or ID given twice, both or neither given, are
// INVALID_REQUEST, each duplicate answered once. Unknown names are
// UNKNOWN_TOPIC_OR_PARTITION, unknown IDs UNKNOWN_TOPIC_ID. With
// delete.topic.enable=false every topic is refused: TOPIC_DELETION_DISABLED,
// or INVALID_REQUEST before v3, as Kafka answers.
//
// Internal topics (__consumer_offsets, __transaction_state) can be deleted,
// as in Kafka 4, which leaves protecting them to ACLs; Fjord has no ACLs
// yet. __cluster_metadata is not a topic and is never found. The timeout
// is not needed (the deletion is done when the response is sent) and no
// deletion quota applies.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/controller"
	"github.com/fjordlabs/fjord/internal/metadata"
	"github.com/fjordlabs/fjord/internal/server"
)

func init() { register(kmsg.DeleteTopics, 1, 6, (*Handlers).deleteTopics) }

func (h *Handlers) deleteTopics(_ context.Context, req *server.Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DeleteTopicsRequest)
	resp := r.ResponseKind().(*kmsg.DeleteTopicsResponse)

	// Before v6 topics are names only.
	topics := r.Topics
	if req.Version < 6 {
		topics = nil
		for _, name := range r.TopicNames {
			t := kmsg.NewDeleteTopicsRequestTopic()
			t.Topic = &name
			topics = append(topics, t)
		}
	}
	add := func(name *string, id [16]byte, code int16, msg *string) {
		rt := kmsg.NewDeleteTopicsResponseTopic()
		rt.Topic, rt.TopicID, rt.ErrorCode, rt.ErrorMessage = name, id, code, msg
		resp.Topics = append(resp.Topics, rt)
	}
	if !h.Config().Bool("delete.topic.enable") {
		code := kerr.TopicDeletionDisabled.Code
		if req.Version < 3 {
			code = kerr.InvalidRequest.Code
		}
		for _, t := range topics {
			add(t.Topic, t.TopicID, code, nil)
		}
		return resp, nil
	}

	names := map[string]int{}
	ids := map[[16]byte]int{}
	for _, t := range topics {
		switch {
		case t.Topic != nil && t.TopicID == [16]byte{}:
			names[*t.Topic]++
		case t.Topic == nil && t.TopicID != [16]byte{}:
			ids[t.TopicID]++
		}
	}
	invalid := func(s string) *string { return &s }
	var refs []controller.TopicRef
	for _, t := range topics {
		switch {
		case t.Topic == nil && t.TopicID == [16]byte{}:
			add(nil, t.TopicID, kerr.InvalidRequest.Code, invalid("Neither topic name nor id were specified."))
		case t.Topic != nil && t.TopicID != [16]byte{}:
			add(t.Topic, t.TopicID, kerr.InvalidRequest.Code, invalid("You may not specify both topic name and topic id."))
		case t.Topic != nil && names[*t.Topic] > 1:
			names[*t.Topic] = 0 // answered once
			add(t.Topic, [16]byte{}, kerr.InvalidRequest.Code, invalid("Duplicate topic name."))
		case t.Topic == nil && ids[t.TopicID] > 1:
			ids[t.TopicID] = 0
			add(nil, t.TopicID, kerr.InvalidRequest.Code, invalid("Duplicate topic id."))
		case t.Topic != nil && names[*t.Topic] == 1:
			refs = append(refs, controller.TopicRef{Name: *t.Topic})
		case t.Topic == nil && ids[t.TopicID] == 1:
			refs = append(refs, controller.TopicRef{ID: metadata.UUID(t.TopicID)})
		}
	}
	for _, d := range h.Controller.DeleteTopics(refs) {
		var name *string
		if d.Name != "" {
			name = &d.Name
		}
		code := errorCode(d.Err)
		if code == kerr.UnknownServerError.Code {
			h.Logger.Error("delete topic failed", "topic", d.Name, "id", d.ID, "err", d.Err)
		}
		add(name, d.ID, code, errorMessage(d.Err))
	}
	return resp, nil
}
