package handler

// InitProducerId, versions 0-5, for idempotent producers.
//
// A producer without a transactional id gets a new producer id at epoch 0,
// whatever id and epoch it sends (as Kafka does: bumping an idempotent
// producer's epoch is the same as giving it a new id). Ids come from blocks
// of 1,000 that the controller commits to the metadata log, so they are
// never reused, across restarts too. Transactions are not implemented yet:
// a request with a transactional id is refused with INVALID_REQUEST (not
// retriable, so a transactional producer fails at once rather than retrying
// until it times out).

import (
	"context"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/controller"
	"github.com/fjordlabs/fjord/internal/server"
)

func init() { register(kmsg.InitProducerID, 0, 5, (*Handlers).initProducerID) }

func (h *Handlers) initProducerID(_ context.Context, req *server.Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.InitProducerIDRequest)
	resp := r.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	if r.TransactionalID != nil && *r.TransactionalID != "" {
		h.Logger.Warn("refusing a transactional producer: transactions are not supported yet", "transactional_id", *r.TransactionalID, "client", req.ClientID)
		resp.ErrorCode = kerr.InvalidRequest.Code
		return resp, nil
	}
	id, err := h.producerIDs.take(h.Controller)
	if err != nil {
		resp.ErrorCode = errorCode(err)
		if resp.ErrorCode == kerr.UnknownServerError.Code {
			h.Logger.Error("allocating producer ids", "err", err)
		}
		return resp, nil
	}
	resp.ProducerID, resp.ProducerEpoch = id, 0
	return resp, nil
}

// producerIDs hands out producer ids from the block the controller last
// gave this broker.
type producerIDs struct {
	mu        sync.Mutex
	next, end int64 // next id to give; end of the current block
}

func (p *producerIDs) take(c *controller.Controller) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next == p.end {
		first, err := c.AllocateProducerIDs()
		if err != nil {
			return 0, err
		}
		p.next, p.end = first, first+controller.ProducerIDBlockSize
	}
	id := p.next
	p.next++
	return id, nil
}
