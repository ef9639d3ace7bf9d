package handler

// SyncGroup, versions 0-5. Followers are parked until the leader's
// assignment is written to __consumer_offsets; v5+ must name the protocol
// type and name (INCONSISTENT_GROUP_PROTOCOL otherwise, as in Kafka).

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/server"
)

func init() { register(kmsg.SyncGroup, 0, 5, (*Handlers).syncGroup) }

func (h *Handlers) syncGroup(ctx context.Context, req *server.Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.SyncGroupRequest)
	if req.Version >= 5 && (r.ProtocolType == nil || r.Protocol == nil) {
		resp := r.ResponseKind().(*kmsg.SyncGroupResponse)
		resp.ErrorCode = kerr.InconsistentGroupProtocol.Code
		resp.MemberAssignment = []byte{}
		return resp, nil
	}
	return h.Groups.SyncGroup(ctx, groupRequest(req), r), nil
}
