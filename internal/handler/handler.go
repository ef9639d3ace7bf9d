// Package handler answers Kafka requests: one file per API, named after its
// key (00_produce.go, 01_fetch.go, ...), each opening with the versions it
// serves and what it leaves out. A handler decodes nothing itself (the server
// hands it a kmsg request), checks the request, calls the layers below with
// plain values, and maps their errors to Kafka error codes; codes are chosen
// here and nowhere else (errors.go).
//
// Each API file registers its version range in an init function; dispatch and
// the ApiVersions answer are both built from that one registration, so they
// cannot disagree.
package handler

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/config"
	"github.com/fjordlabs/fjord/internal/controller"
	"github.com/fjordlabs/fjord/internal/group"
	"github.com/fjordlabs/fjord/internal/metadata"
	"github.com/fjordlabs/fjord/internal/replica"
	"github.com/fjordlabs/fjord/internal/server"
	"github.com/fjordlabs/fjord/internal/storage"
)

// Deps are the layers handlers call.
type Deps struct {
	NodeID    int32
	ClusterID string
	Logger    *slog.Logger
	Now       func() time.Time
	// Config is the broker's current configuration.
	Config     func() *config.Broker
	Metadata   interface{ Image() *metadata.Image }
	Controller *controller.Controller
	Replicas   *replica.Manager
	Logs       *storage.Manager
	// Groups is the group coordinator.
	Groups *group.Coordinator
}

// Handlers dispatches requests to the registered APIs. It implements
// server.Dispatcher.
type Handlers struct {
	Deps
	fetchSessions *fetchSessions
	producerIDs   producerIDs
}

// New returns the dispatcher.
func New(d Deps) *Handlers {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	return &Handlers{Deps: d, fetchSessions: newFetchSessions(1000, d.Now)}
}

type serveFunc func(h *Handlers, ctx context.Context, req *server.Request) (kmsg.Response, error)

type api struct {
	key, min, max int16
	serve         serveFunc
}

// registry is every served API, filled by the API files' init functions.
var registry = map[int16]api{}

// register adds an API. It panics on a duplicate or a range kmsg cannot
// encode: both are programming errors caught by any test.
func register(key kmsg.Key, min, max int16, fn serveFunc) {
	k := int16(key)
	if _, dup := registry[k]; dup {
		panic(fmt.Sprintf("handler: API %d registered twice", k))
	}
	if kmax := kmsg.RequestForKey(k).MaxVersion(); max > kmax || min > max {
		panic(fmt.Sprintf("handler: API %d versions %d-%d, kmsg knows up to %d", k, min, max, kmax))
	}
	registry[k] = api{k, min, max, fn}
}

// VersionRange implements server.Dispatcher.
func (h *Handlers) VersionRange(key int16) (int16, int16, bool) {
	a, ok := registry[key]
	return a.min, a.max, ok
}

// Serve implements server.Dispatcher.
func (h *Handlers) Serve(ctx context.Context, req *server.Request) (kmsg.Response, error) {
	a, ok := registry[req.Key]
	if !ok {
		return nil, fmt.Errorf("handler: API key %d not served", req.Key)
	}
	return a.serve(h, ctx, req)
}

// servedAPIs lists the registrations sorted by key.
func servedAPIs() []api {
	out := make([]api, 0, len(registry))
	for _, a := range registry {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}
