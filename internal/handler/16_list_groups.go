package handler

// ListGroups, versions 0-5: every group this broker coordinates, filtered
// by state (v4+) and type (v5+; all groups are "classic"), both
// case-insensitive.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/server"
)

func init() { register(kmsg.ListGroups, 0, 5, (*Handlers).listGroups) }

func (h *Handlers) listGroups(ctx context.Context, req *server.Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.ListGroupsRequest)
	resp := r.ResponseKind().(*kmsg.ListGroupsResponse)
	resp.Groups, resp.ErrorCode = h.Groups.ListGroups(ctx, groupRequest(req), r.StatesFilter, r.TypesFilter)
	if resp.Groups == nil {
		resp.Groups = []kmsg.ListGroupsResponseGroup{}
	}
	return resp, nil
}
