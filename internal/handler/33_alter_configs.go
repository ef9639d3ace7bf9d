package handler

// AlterConfigs, versions 0-2 (the legacy API: the given configs replace
// every override the resource has).
//
// TOPIC and BROKER resources (BROKER named "" for the cluster-wide default
// or by this node's id). The request is first checked as Kafka's broker
// does before forwarding (ConfigAdminManager.preprocess): a resource named
// twice, a key named twice or a null value is INVALID_REQUEST, as is a
// resource type other than TOPIC, BROKER, CLIENT_METRICS and GROUP. The
// controller then applies Kafka's rules (controller.AlterConfigs): topic
// configs are validated as a whole (INVALID_CONFIG with Kafka's message),
// after which an unknown topic is UNKNOWN_TOPIC_OR_PARTITION; broker
// configs are validated as a dynamic layer, where Kafka answers
// INVALID_REQUEST for read-only keys and bad values. validate_only checks
// without committing.
//
// Not done: CLIENT_METRICS and GROUP resources are refused with
// INVALID_REQUEST "Unsupported resource type"; no alter-config policy.

import (
	"context"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/controller"
	"github.com/fjordlabs/fjord/internal/metadata"
	"github.com/fjordlabs/fjord/internal/server"
)

func init() { register(kmsg.AlterConfigs, 0, 2, (*Handlers).alterConfigs) }

func (h *Handlers) alterConfigs(_ context.Context, req *server.Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.AlterConfigsRequest)
	resp := r.ResponseKind().(*kmsg.AlterConfigsResponse)

	checks := make([]alterCheck, len(r.Resources))
	for i, res := range r.Resources {
		c := alterCheck{typ: res.ResourceType, name: res.ResourceName}
		for _, cfg := range res.Configs {
			c.keys = append(c.keys, cfg.Name)
			if cfg.Value == nil {
				c.nulls = append(c.nulls, cfg.Name)
			}
		}
		checks[i] = c
	}
	errs := precheckAlter(checks, false)

	var (
		reqs []controller.AlterConfigs
		idx  []int
	)
	for i, res := range r.Resources {
		if errs[i] != nil {
			continue
		}
		ac := controller.AlterConfigs{Resource: metadata.ConfigResource{Type: int8(res.ResourceType), Name: res.ResourceName}, Replace: true}
		for _, cfg := range res.Configs {
			ac.Changes = append(ac.Changes, controller.ConfigChange{Name: cfg.Name, Op: controller.OpSet, Value: *cfg.Value})
		}
		reqs = append(reqs, ac)
		idx = append(idx, i)
	}
	for j, err := range h.Controller.AlterConfigs(reqs, r.ValidateOnly) {
		errs[idx[j]] = h.alterError(err, r.Resources[idx[j]].ResourceName)
	}
	for i, res := range r.Resources {
		rr := kmsg.NewAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = res.ResourceType, res.ResourceName
		if errs[i] != nil {
			rr.ErrorCode, rr.ErrorMessage = errs[i].code, errs[i].msg
		}
		resp.Resources = append(resp.Resources, rr)
	}
	return resp, nil
}

// alterCheck is what precheckAlter looks at in one resource.
type alterCheck struct {
	typ   kmsg.ConfigResourceType
	name  string
	keys  []string // config names, in request order
	nulls []string // names with a null value where a value is needed
}

// precheckAlter applies the checks Kafka's broker makes before forwarding
// an AlterConfigs or IncrementalAlterConfigs to the controller, in its
// order, and returns each resource's error (nil: go on).
func precheckAlter(checks []alterCheck, incremental bool) []*resourceError {
	out := make([]*resourceError, len(checks))
	type key struct {
		typ  kmsg.ConfigResourceType
		name string
	}
	seen := map[key]int{}
	for _, c := range checks {
		seen[key{c.typ, c.name}]++
	}
	for i, c := range checks {
		if seen[key{c.typ, c.name}] > 1 {
			out[i] = newResourceError(kerr.InvalidRequest, "Each resource must appear at most once.")
			continue
		}
		if len(c.keys) != len(slices.Compact(slices.Sorted(slices.Values(c.keys)))) {
			out[i] = newResourceError(kerr.InvalidRequest, "Error due to duplicate config keys")
			continue
		}
		if len(c.nulls) > 0 {
			out[i] = newResourceError(kerr.InvalidRequest, "Null value not supported for : %s", strings.Join(c.nulls, ", "))
			continue
		}
		switch c.typ {
		case resourceTopic, resourceBroker:
		case resourceClientMetrics, resourceGroup:
			out[i] = newResourceError(kerr.InvalidRequest, "Unsupported resource type: %s", resourceTypeName(c.typ))
		case resourceBrokerLogger:
			if incremental {
				out[i] = newResourceError(kerr.InvalidRequest, "Unsupported resource type: %s", resourceTypeName(c.typ))
				break
			}
			fallthrough // the legacy API never knew BROKER_LOGGER
		default:
			out[i] = newResourceError(kerr.InvalidRequest, "Unknown resource type %d", c.typ)
		}
	}
	return out
}

// alterError turns a controller result into the resource's error.
func (h *Handlers) alterError(err error, resource string) *resourceError {
	if err == nil {
		return nil
	}
	code := errorCode(err)
	if code == kerr.UnknownServerError.Code {
		h.Logger.Error("altering configs failed", "resource", resource, "err", err)
	}
	return &resourceError{code, errorMessage(err)}
}
