// Package controller makes the cluster's metadata decisions: which topics
// exist, where partitions live, who leads them, which configs apply. Every
// decision is a list of metadata records proposed to the metadata log; the
// controller never changes an image itself. Each operation is a plan made
// from the current image (plain functions, deterministic) and a commit
// through the log, serialised so two plans never race.
//
// A single node is its own controller. The cluster work adds leader
// election, ISR changes and broker fencing as further plans over the same
// log, replicated by a Raft quorum.
package controller

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"

	"github.com/fjordlabs/fjord/internal/config"
	"github.com/fjordlabs/fjord/internal/metadata"
)

// Errors of controller operations, each one Kafka error code at the handler
// boundary. They are wrapped with Kafka-style messages.
var (
	ErrTopicExists              = errors.New("topic already exists")
	ErrInvalidTopic             = errors.New("invalid topic")
	ErrInvalidPartitions        = errors.New("invalid partitions")
	ErrInvalidReplicationFactor = errors.New("invalid replication factor")
	ErrInvalidReplicaAssignment = errors.New("invalid replica assignment")
	ErrInvalidConfig            = errors.New("invalid config")
	ErrUnknownTopic             = errors.New("unknown topic or partition")
	ErrUnknownTopicID           = errors.New("unknown topic id")
	ErrTopicDeletionDisabled    = errors.New("topic deletion disabled")
	ErrInvalidRequest           = errors.New("invalid request")
	ErrUnknownResource          = errors.New("unknown resource")
	ErrNotController            = errors.New("not the controller")
	ErrPolicyViolation          = errors.New("policy violation")
)

// MaxRecordsPerOp bounds the records one client operation may produce, as
// Kafka's controller does (MAX_RECORDS_PER_USER_OP): a larger request fails
// as a whole with POLICY_VIOLATION instead of flooding the metadata log.
const MaxRecordsPerOp = 10000

func errTooLarge() error {
	return errorf(ErrPolicyViolation, "Unable to perform excessively large batch operation.")
}

// MetadataLog is what the controller commits to.
type MetadataLog interface {
	Image() *metadata.Image
	Append([]metadata.Record) (*metadata.Image, error)
}

// Options configure a Controller.
type Options struct {
	NodeID int32
	Log    MetadataLog
	// Config is the broker's current configuration.
	Config func() *config.Broker
	Logger *slog.Logger
}

// Controller decides and commits metadata changes.
type Controller struct {
	opts Options
	mu   sync.Mutex // one plan and commit at a time
}

// New returns a controller.
func New(opts Options) *Controller { return &Controller{opts: opts} }

// commit plans against the current image and appends the plan's records,
// under the controller's lock so the image cannot change in between.
func (c *Controller) commit(plan func(im *metadata.Image) ([]metadata.Record, error)) (*metadata.Image, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	recs, err := plan(c.opts.Log.Image())
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return c.opts.Log.Image(), nil
	}
	return c.opts.Log.Append(recs)
}

// RegisterBroker (re-)registers this broker with its endpoints.
func (c *Controller) RegisterBroker(endpoints []metadata.Endpoint, rack *string) error {
	_, err := c.commit(func(im *metadata.Image) ([]metadata.Record, error) {
		return []metadata.Record{&metadata.RegisterBrokerRecord{
			BrokerID: c.opts.NodeID, IncarnationID: metadata.NewUUID(), Endpoints: endpoints, Rack: rack,
		}}, nil
	})
	return err
}

// errorf wraps a sentinel with a Kafka-style message.
func errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Error is a controller error with the message Kafka would give.
type Error struct {
	Kind    error
	Message string
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Kind }

// ProducerIDBlockSize is how many producer ids a broker is given at a time,
// as Kafka's controller does.
const ProducerIDBlockSize = 1000

// AllocateProducerIDs gives this broker the next block of producer ids and
// returns its first id; the block is ProducerIDBlockSize long. The block is
// committed to the metadata log before it is returned, so no id is handed
// out twice, even across restarts.
func (c *Controller) AllocateProducerIDs() (int64, error) {
	var first int64
	_, err := c.commit(func(im *metadata.Image) ([]metadata.Record, error) {
		first = im.NextProducerID()
		if first > math.MaxInt64-ProducerIDBlockSize {
			return nil, errorf(ErrInvalidRequest, "producer ids are exhausted")
		}
		return []metadata.Record{&metadata.ProducerIDsRecord{BrokerID: c.opts.NodeID, NextProducerID: first + ProducerIDBlockSize}}, nil
	})
	return first, err
}
