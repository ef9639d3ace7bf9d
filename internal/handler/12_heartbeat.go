package handler

// Heartbeat, versions 0-4. Answered at once: REBALANCE_IN_PROGRESS tells a
// member to rejoin; while the coordinator partition loads, members are
// answered with no error, as Kafka does.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/server"
)

func init() { register(kmsg.Heartbeat, 0, 4, (*Handlers).heartbeat) }

func (h *Handlers) heartbeat(ctx context.Context, req *server.Request) (kmsg.Response, error) {
	return h.Groups.Heartbeat(ctx, groupRequest(req), req.Body.(*kmsg.HeartbeatRequest)), nil
}
