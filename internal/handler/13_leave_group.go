package handler

// LeaveGroup, versions 0-5. v0-2 name one member and answer with a single
// error; v3+ take a batch of members (by member id, or by instance id alone
// to remove a static member administratively), each answered on its own.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/server"
)

func init() { register(kmsg.LeaveGroup, 0, 5, (*Handlers).leaveGroup) }

func (h *Handlers) leaveGroup(ctx context.Context, req *server.Request) (kmsg.Response, error) {
	return h.Groups.LeaveGroup(ctx, groupRequest(req), req.Body.(*kmsg.LeaveGroupRequest)), nil
}
