package handler

// IncrementalAlterConfigs, versions 0-1.
//
// SET, DELETE, APPEND and SUBTRACT on TOPIC and BROKER resources (BROKER
// named "" for the cluster-wide default or by this node's id), applied to
// the resource's current overrides and validated as a whole. The request
// is first checked as Kafka's broker does (ConfigAdminManager.preprocess):
// a resource named twice, a key named twice, a null value for anything but
// DELETE, an unknown operation or resource type is INVALID_REQUEST. Then,
// as Kafka's controller does: APPEND/SUBTRACT on a topic key that is not a
// list is INVALID_CONFIG "Can't APPEND to key ... because its type is not
// LIST." (for a broker key, Kafka's broker message "Config value append is
// not allowed for config key: ..."); a topic's resulting overrides are
// validated (INVALID_CONFIG with Kafka's message) before an unknown topic is
// UNKNOWN_TOPIC_OR_PARTITION; broker layers are validated as Kafka's broker
// does (INVALID_REQUEST for read-only keys and bad values). Only changed
// topic keys are written; every named broker key is, so a repeated change
// re-applies. validate_only checks without committing.
//
// Not done: BROKER_LOGGER, CLIENT_METRICS and GROUP resources are refused
// with INVALID_REQUEST "Unsupported resource type"; no alter-config policy.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/controller"
	"github.com/fjordlabs/fjord/internal/metadata"
	"github.com/fjordlabs/fjord/internal/server"
)

func init() {
	register(kmsg.IncrementalAlterConfigs, 0, 1, (*Handlers).incrementalAlterConfigs)
}

func (h *Handlers) incrementalAlterConfigs(_ context.Context, req *server.Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.IncrementalAlterConfigsRequest)
	resp := r.ResponseKind().(*kmsg.IncrementalAlterConfigsResponse)

	checks := make([]alterCheck, len(r.Resources))
	for i, res := range r.Resources {
		c := alterCheck{typ: res.ResourceType, name: res.ResourceName}
		for _, cfg := range res.Configs {
			c.keys = append(c.keys, cfg.Name)
			if cfg.Value == nil && cfg.Op != kmsg.IncrementalAlterConfigOpDelete {
				c.nulls = append(c.nulls, cfg.Name)
			}
		}
		checks[i] = c
	}
	errs := precheckAlter(checks, true)

	var (
		reqs []controller.AlterConfigs
		idx  []int
	)
	for i, res := range r.Resources {
		if errs[i] != nil {
			continue
		}
		ac := controller.AlterConfigs{Resource: metadata.ConfigResource{Type: int8(res.ResourceType), Name: res.ResourceName}}
		for _, cfg := range res.Configs {
			if cfg.Op < kmsg.IncrementalAlterConfigOpSet || cfg.Op > kmsg.IncrementalAlterConfigOpSubtract {
				errs[i] = newResourceError(kerr.InvalidRequest, "Unknown operations type %d", cfg.Op)
				break
			}
			ch := controller.ConfigChange{Name: cfg.Name, Op: controller.ConfigOp(cfg.Op)}
			if cfg.Value != nil {
				ch.Value = *cfg.Value
			}
			ac.Changes = append(ac.Changes, ch)
		}
		if errs[i] != nil {
			continue
		}
		reqs = append(reqs, ac)
		idx = append(idx, i)
	}
	for j, err := range h.Controller.AlterConfigs(reqs, r.ValidateOnly) {
		errs[idx[j]] = h.alterError(err, r.Resources[idx[j]].ResourceName)
	}
	for i, res := range r.Resources {
		rr := kmsg.NewIncrementalAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = res.ResourceType, res.ResourceName
		if errs[i] != nil {
			rr.ErrorCode, rr.ErrorMessage = errs[i].code, errs[i].msg
		}
		resp.Resources = append(resp.Resources, rr)
	}
	return resp, nil
}
