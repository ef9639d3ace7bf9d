package handler

// OffsetDelete, version 0: deletes a group's committed offsets of topics it
// does not consume (GROUP_SUBSCRIBED_TO_TOPIC for those it does). A group
// with members that is not a consumer group is refused as NON_EMPTY_GROUP.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/server"
)

func init() { register(kmsg.OffsetDelete, 0, 0, (*Handlers).offsetDelete) }

func (h *Handlers) offsetDelete(ctx context.Context, req *server.Request) (kmsg.Response, error) {
	return h.Groups.OffsetDelete(ctx, groupRequest(req), req.Body.(*kmsg.OffsetDeleteRequest)), nil
}
