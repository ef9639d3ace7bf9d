package handler

// DescribeConfigs, versions 1-4.
//
// TOPIC resources list every topic configuration with the topic's
// overrides from the metadata image on top of the broker's current
// configuration (dynamic layers included); BROKER resources named by this
// node's id list every broker configuration, and the empty name lists the
// cluster-wide dynamic defaults (DYNAMIC_DEFAULT_BROKER_CONFIG entries), as
// Kafka does. Empty or null config names mean all. Synonyms are sent when
// asked for (v1+), documentation when asked for (v3+), the type always
// (v3+). As in Kafka: an invalid topic name is INVALID_TOPIC_EXCEPTION, an
// unknown topic UNKNOWN_TOPIC_OR_PARTITION, another broker's id or a
// non-numeric one INVALID_REQUEST, and a resource type Kafka does not know
// fails the whole request with INVALID_REQUEST.
//
// Not done: BROKER_LOGGER, CLIENT_METRICS and GROUP resources (no dynamic
// loggers, client metrics subscriptions or group configs yet) are answered
// INVALID_REQUEST "Unsupported resource type". No ACLs, so nothing is
// refused for authorization.

import (
	"context"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/config"
	"github.com/fjordlabs/fjord/internal/controller"
	"github.com/fjordlabs/fjord/internal/metadata"
	"github.com/fjordlabs/fjord/internal/server"
)

func init() { register(kmsg.DescribeConfigs, 1, 4, (*Handlers).describeConfigs) }

// Kafka's config resource types (ConfigResource.Type).
const (
	resourceTopic         kmsg.ConfigResourceType = 2
	resourceBroker        kmsg.ConfigResourceType = 4
	resourceBrokerLogger  kmsg.ConfigResourceType = 8
	resourceClientMetrics kmsg.ConfigResourceType = 16
	resourceGroup         kmsg.ConfigResourceType = 32
)

// resourceTypeName is Kafka's name for a resource type, "" if unknown.
func resourceTypeName(t kmsg.ConfigResourceType) string {
	switch t {
	case resourceTopic:
		return "TOPIC"
	case resourceBroker:
		return "BROKER"
	case resourceBrokerLogger:
		return "BROKER_LOGGER"
	case resourceClientMetrics:
		return "CLIENT_METRICS"
	case resourceGroup:
		return "GROUP"
	}
	return ""
}

// resourceError is an error for one resource: a Kafka code and message.
type resourceError struct {
	code int16
	msg  *string
}

func newResourceError(code *kerr.Error, format string, args ...any) *resourceError {
	msg := fmt.Sprintf(format, args...)
	return &resourceError{code.Code, &msg}
}

func (h *Handlers) describeConfigs(_ context.Context, req *server.Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DescribeConfigsRequest)
	resp := r.ResponseKind().(*kmsg.DescribeConfigsResponse)

	for _, res := range r.Resources {
		if resourceTypeName(res.ResourceType) != "" {
			continue
		}
		// Kafka fails the whole request: every resource gets the error
		// with the code's default message.
		for _, res := range r.Resources {
			rr := kmsg.NewDescribeConfigsResponseResource()
			rr.ResourceType, rr.ResourceName = res.ResourceType, res.ResourceName
			rr.ErrorCode = kerr.InvalidRequest.Code
			msg := kerr.InvalidRequest.Description
			rr.ErrorMessage = &msg
			resp.Resources = append(resp.Resources, rr)
		}
		return resp, nil
	}

	cfg, im := h.Config(), h.Metadata.Image()
	for _, res := range r.Resources {
		rr := kmsg.NewDescribeConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = res.ResourceType, res.ResourceName
		entries, rerr := h.describeResource(cfg, im, res)
		if rerr != nil {
			rr.ErrorCode, rr.ErrorMessage = rerr.code, rerr.msg
			resp.Resources = append(resp.Resources, rr)
			continue
		}
		want := map[string]bool{}
		for _, n := range res.ConfigNames {
			want[n] = true
		}
		for _, e := range entries {
			if len(want) > 0 && !want[e.Name] {
				continue
			}
			rr.Configs = append(rr.Configs, configEntry(e, r.IncludeSynonyms, r.IncludeDocumentation))
		}
		resp.Resources = append(resp.Resources, rr)
	}
	return resp, nil
}

func (h *Handlers) describeResource(cfg *config.Broker, im *metadata.Image, res kmsg.DescribeConfigsRequestResource) ([]config.Entry, *resourceError) {
	switch res.ResourceType {
	case resourceTopic:
		if err := controller.ValidateTopicName(res.ResourceName); err != nil {
			return nil, &resourceError{errorCode(err), errorMessage(err)}
		}
		if _, ok := im.Topic(res.ResourceName); !ok {
			return nil, &resourceError{code: kerr.UnknownTopicOrPartition.Code}
		}
		return cfg.DescribeTopic(im.TopicConfigs(res.ResourceName)), nil
	case resourceBroker:
		if res.ResourceName == "" {
			return cfg.DescribeBrokerDefaults(), nil
		}
		id, err := strconv.ParseInt(res.ResourceName, 10, 32)
		if err != nil {
			return nil, newResourceError(kerr.InvalidRequest, "Broker id must be an integer, but it is: %s", res.ResourceName)
		}
		if int32(id) != h.NodeID {
			return nil, newResourceError(kerr.InvalidRequest, "Unexpected broker id, expected %d or empty string, but received %s", h.NodeID, res.ResourceName)
		}
		return cfg.DescribeBroker(), nil
	}
	return nil, newResourceError(kerr.InvalidRequest, "Unsupported resource type: %s", resourceTypeName(res.ResourceType))
}

// configEntry copies a config entry into the response; kmsg drops the
// fields a version does not have.
func configEntry(e config.Entry, synonyms, documentation bool) kmsg.DescribeConfigsResponseResourceConfig {
	c := kmsg.NewDescribeConfigsResponseResourceConfig()
	c.Name, c.Value, c.ReadOnly, c.IsSensitive = e.Name, e.Value, e.ReadOnly, e.Sensitive
	c.Source = kmsg.ConfigSource(e.Source)
	c.ConfigType = kmsg.ConfigType(e.Type)
	if documentation {
		doc := e.Documentation
		c.Documentation = &doc
	}
	if synonyms {
		for _, s := range e.Synonyms {
			cs := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
			cs.Name, cs.Value, cs.Source = s.Name, s.Value, kmsg.ConfigSource(s.Source)
			c.ConfigSynonyms = append(c.ConfigSynonyms, cs)
		}
	}
	return c
}
