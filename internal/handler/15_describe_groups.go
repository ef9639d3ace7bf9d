package handler

// DescribeGroups, versions 0-6. Unknown groups are described as Dead; v6
// adds GROUP_ID_NOT_FOUND for them (KIP-1043). Member metadata and
// assignments are shown for stable groups only. With no authorizer every
// client may do everything, so requested authorized operations (v3+) are
// all of a group's: READ, DESCRIBE and DELETE.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/server"
)

func init() { register(kmsg.DescribeGroups, 0, 6, (*Handlers).describeGroups) }

// groupOperations is the bit field of ACL operations on a group: READ (3),
// DELETE (6), DESCRIBE (8).
const groupOperations = 1<<3 | 1<<6 | 1<<8

func (h *Handlers) describeGroups(ctx context.Context, req *server.Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DescribeGroupsRequest)
	resp := r.ResponseKind().(*kmsg.DescribeGroupsResponse)
	resp.Groups = h.Groups.DescribeGroups(ctx, groupRequest(req), r.Groups)
	if req.Version >= 3 && r.IncludeAuthorizedOperations {
		for i := range resp.Groups {
			if resp.Groups[i].ErrorCode == 0 {
				resp.Groups[i].AuthorizedOperations = groupOperations
			}
		}
	}
	return resp, nil
}
