package handler

// DeleteGroups, versions 0-2. Only empty groups are deleted
// (NON_EMPTY_GROUP otherwise); their offsets and metadata are tombstoned in
// __consumer_offsets before the answer.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/server"
)

func init() { register(kmsg.DeleteGroups, 0, 2, (*Handlers).deleteGroups) }

func (h *Handlers) deleteGroups(ctx context.Context, req *server.Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DeleteGroupsRequest)
	resp := r.ResponseKind().(*kmsg.DeleteGroupsResponse)
	resp.Groups = h.Groups.DeleteGroups(ctx, groupRequest(req), r.Groups)
	return resp, nil
}
