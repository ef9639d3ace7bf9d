package handler

// JoinGroup, versions 2-9 (Kafka 4 removed 0-1).
//
// The request is parked until the group's join phase completes (or the
// connection goes away); see package group for the protocol. v4+ new
// members are first given their id with MEMBER_ID_REQUIRED (KIP-394); v5+
// static members; v9 lets a rejoining static leader skip assignment.

import (
	"context"
	"net"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/group"
	"github.com/fjordlabs/fjord/internal/server"
)

func init() { register(kmsg.JoinGroup, 2, 9, (*Handlers).joinGroup) }

func (h *Handlers) joinGroup(ctx context.Context, req *server.Request) (kmsg.Response, error) {
	return h.Groups.JoinGroup(ctx, groupRequest(req), req.Body.(*kmsg.JoinGroupRequest)), nil
}

// groupRequest is what the group coordinator knows of a request besides
// its body. The client host is shown as Kafka does ("/127.0.0.1").
func groupRequest(req *server.Request) group.Request {
	host := ""
	if req.Conn != nil && req.Conn.RemoteAddr != nil {
		if a, ok := req.Conn.RemoteAddr.(*net.TCPAddr); ok {
			host = "/" + a.IP.String()
		} else if h, _, err := net.SplitHostPort(req.Conn.RemoteAddr.String()); err == nil {
			host = "/" + h
		}
	}
	return group.Request{Version: req.Version, ClientID: req.ClientID, ClientHost: host}
}
