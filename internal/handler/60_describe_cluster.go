package handler

// DescribeCluster, versions 0-2.
//
// Lists the brokers on the request's listener, the controller and the
// cluster id. Version 1's endpoint type 2 (controllers) is answered with
// this node, which is its own controller. Authorized operations are not
// computed (no ACLs yet).

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/server"
)

func init() { register(kmsg.DescribeCluster, 0, 2, (*Handlers).describeCluster) }

func (h *Handlers) describeCluster(_ context.Context, req *server.Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DescribeClusterRequest)
	resp := r.ResponseKind().(*kmsg.DescribeClusterResponse)
	if r.EndpointType != 1 && r.EndpointType != 2 {
		resp.ErrorCode = kerr.UnsupportedEndpointType.Code
		return resp, nil
	}
	resp.EndpointType = r.EndpointType
	resp.ClusterID = h.ClusterID
	resp.ControllerID = h.NodeID
	resp.ClusterAuthorizedOperations = authorizedOpsNotRequested
	for _, b := range h.brokersFor(h.Metadata.Image(), req.Conn.ListenerName) {
		db := kmsg.NewDescribeClusterResponseBroker()
		db.NodeID, db.Host, db.Port, db.Rack = b.NodeID, b.Host, b.Port, b.Rack
		resp.Brokers = append(resp.Brokers, db)
	}
	return resp, nil
}
