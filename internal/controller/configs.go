package controller

import (
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/fjordlabs/fjord/internal/config"
	"github.com/fjordlabs/fjord/internal/metadata"
)

// ConfigOp is an IncrementalAlterConfigs operation; the values are Kafka's
// wire ids.
type ConfigOp int8

const (
	OpSet      ConfigOp = 0
	OpDelete   ConfigOp = 1
	OpAppend   ConfigOp = 2
	OpSubtract ConfigOp = 3
)

func (op ConfigOp) String() string {
	switch op {
	case OpSet:
		return "SET"
	case OpDelete:
		return "DELETE"
	case OpAppend:
		return "APPEND"
	case OpSubtract:
		return "SUBTRACT"
	}
	return "UNKNOWN"
}

// ConfigChange is one operation on one key. Value is ignored for OpDelete.
type ConfigChange struct {
	Name  string
	Op    ConfigOp
	Value string
}

// AlterConfigs asks for one resource's configs to change: a topic, or a
// broker (Name "" for the cluster-wide default, else this node's id).
type AlterConfigs struct {
	Resource metadata.ConfigResource
	// Replace is the legacy AlterConfigs: Changes are all OpSet and every
	// key of the resource they do not name is removed.
	Replace bool
	// Changes name each key at most once (the handler refuses duplicates).
	Changes []ConfigChange
}

// AlterConfigs changes configs (or only checks that it could), one error
// per request, nil on success. Each resource succeeds or fails as a whole;
// the successful ones are committed in one batch of ConfigRecords (a nil
// value removes a key). Topic changes reach the live logs through the
// replica manager, broker changes become the broker's effective
// configuration through its dynamic config publisher.
//
// Broker changes are validated against this node's configuration, which
// is only right for this node: so a broker resource must be the cluster
// default or this node. In a cluster the receiving broker will validate
// its own changes before they reach the controller, as Kafka's do.
func (c *Controller) AlterConfigs(reqs []AlterConfigs, validateOnly bool) []error {
	var out []error
	_, err := c.commit(func(im *metadata.Image) ([]metadata.Record, error) {
		var recs []metadata.Record
		recs, out = planAlterConfigs(im, c.opts.Config(), c.opts.NodeID, reqs)
		if validateOnly {
			return nil, nil
		}
		return recs, nil
	})
	if err != nil {
		for i := range out {
			if out[i] == nil {
				out[i] = err
			}
		}
	}
	return out
}

// planAlterConfigs plans each resource against the image and the broker
// configuration b.
func planAlterConfigs(im *metadata.Image, b *config.Broker, nodeID int32, reqs []AlterConfigs) ([]metadata.Record, []error) {
	out := make([]error, len(reqs))
	var recs []metadata.Record
	for i, r := range reqs {
		var rs []metadata.Record
		switch r.Resource.Type {
		case metadata.ResourceTopic:
			rs, out[i] = planTopicConfigs(im, b, r)
		case metadata.ResourceBroker:
			rs, out[i] = planBrokerConfigs(im, b, nodeID, r)
		default:
			out[i] = errorf(ErrInvalidRequest, "Unknown resource type %d", r.Resource.Type)
		}
		if out[i] == nil {
			recs = append(recs, rs...)
		}
	}
	if len(recs) > MaxRecordsPerOp {
		return nil, tooLargeForAll(len(reqs))
	}
	return recs, out
}

// planTopicConfigs follows Kafka's controller: apply the operations, then
// check the name, the resulting overrides as a whole, and that the topic
// exists. Only keys whose value changes get a record.
func planTopicConfigs(im *metadata.Image, b *config.Broker, r AlterConfigs) ([]metadata.Record, error) {
	name := r.Resource.Name
	cur := im.Configs(r.Resource)
	next := map[string]string{}
	if !r.Replace {
		maps.Copy(next, cur)
	}
	for _, ch := range r.Changes {
		switch ch.Op {
		case OpSet:
			next[ch.Name] = ch.Value
		case OpDelete:
			delete(next, ch.Name)
		case OpAppend, OpSubtract:
			d, ok := config.TopicDefinition(ch.Name)
			if !ok || d.Type != config.TypeList {
				return nil, errorf(ErrInvalidConfig, "Can't %s to key %s because its type is not LIST.", ch.Op, ch.Name)
			}
			old, set := cur[ch.Name]
			if !set && !d.NoDefault {
				old = d.Default
			}
			next[ch.Name] = topicListOp(ch.Op, old, ch.Value)
		default:
			return nil, errorf(ErrInvalidRequest, "Unknown operations type %d", ch.Op)
		}
	}
	if name == "" {
		return nil, errorf(ErrInvalidRequest, "Default topic resources are not allowed.")
	}
	if err := ValidateTopicName(name); err != nil {
		return nil, err
	}
	if err := b.ValidateTopic(next); err != nil {
		return nil, configError(err)
	}
	if _, ok := im.Topic(name); !ok {
		return nil, errorf(ErrUnknownTopic, "The topic '%s' does not exist.", name)
	}
	return configRecords(r.Resource, cur, next, false), nil
}

// planBrokerConfigs computes the dynamic layer the resource would hold and
// validates it as Kafka's broker does before forwarding. Every key named
// gets a record even when unchanged, as in Kafka (KAFKA-14136), so a
// repeated change re-applies.
func planBrokerConfigs(im *metadata.Image, b *config.Broker, nodeID int32, r AlterConfigs) ([]metadata.Record, error) {
	level := config.LevelClusterDefault
	res := r.Resource
	if res.Name != "" {
		id, err := strconv.ParseInt(res.Name, 10, 32)
		if err != nil {
			return nil, errorf(ErrInvalidRequest, "Node id must be an integer, but it is: %s", res.Name)
		}
		if int32(id) != nodeID {
			return nil, errorf(ErrInvalidRequest, "Unexpected broker id, expected %d, but received %s", nodeID, res.Name)
		}
		level = config.LevelBroker
		res.Name = strconv.Itoa(int(nodeID)) // "01" and "+1" are node 1 too
	}
	cur := im.Configs(res)
	next := map[string]string{}
	if !r.Replace {
		maps.Copy(next, cur)
	}
	for _, ch := range r.Changes {
		switch ch.Op {
		case OpSet:
			next[ch.Name] = ch.Value
		case OpDelete:
			delete(next, ch.Name)
		case OpAppend, OpSubtract:
			d, ok := config.BrokerDefinition(ch.Name)
			if !ok {
				return nil, errorf(ErrInvalidConfig, "Unknown config name: %s", ch.Name)
			}
			if d.Type != config.TypeList {
				verb := "append"
				if ch.Op == OpSubtract {
					verb = "subtract"
				}
				return nil, errorf(ErrInvalidConfig, "Config value %s is not allowed for config key: %s", verb, ch.Name)
			}
			old, set := next[ch.Name]
			if !set && !d.NoDefault {
				old = normaliseList(d.Default)
			}
			next[ch.Name] = brokerListOp(ch.Op, old, ch.Value)
		default:
			return nil, errorf(ErrInvalidRequest, "Unknown operations type %d", ch.Op)
		}
	}
	if err := b.ValidateDynamic(level, next); err != nil {
		return nil, brokerConfigError(err)
	}
	return configRecords(res, cur, next, true), nil
}

// configRecords turns cur → next into ConfigRecords, sorted by key. With
// always set, keys present in next get a record even when unchanged.
func configRecords(res metadata.ConfigResource, cur, next map[string]string, always bool) []metadata.Record {
	var recs []metadata.Record
	for _, k := range sortedKeys(next) {
		v := next[k]
		if old, ok := cur[k]; ok && old == v && !always {
			continue
		}
		recs = append(recs, &metadata.ConfigRecord{ResourceType: res.Type, ResourceName: res.Name, Name: k, Value: &v})
	}
	for _, k := range sortedKeys(cur) {
		if _, ok := next[k]; !ok {
			recs = append(recs, &metadata.ConfigRecord{ResourceType: res.Type, ResourceName: res.Name, Name: k})
		}
	}
	return recs
}

// brokerConfigError maps a rejected dynamic broker configuration to what
// Kafka answers. Kafka's broker turns every validation failure into
// INVALID_REQUEST (its ConfigException is not an API error; KAFKA-13609
// keeps it so for compatibility), with the exception's message; Kafka
// accepts unknown keys, which Fjord refuses as INVALID_CONFIG since it
// could never apply them.
func brokerConfigError(err error) error {
	var ce *config.Error
	if !errors.As(err, &ce) {
		return errorf(ErrInvalidRequest, "%v", err)
	}
	switch {
	case errors.Is(ce, config.ErrUnknown):
		return errorf(ErrInvalidConfig, "%s", ce.KafkaMessage())
	case errors.Is(ce, config.ErrReadOnly):
		// Kafka prints the offending keys as a Scala Set.
		return errorf(ErrInvalidRequest, "Cannot update these configs dynamically: Set(%s)", ce.Name)
	case errors.Is(ce, config.ErrPerBroker):
		return errorf(ErrInvalidRequest, "Cannot update these configs at default cluster level, broker id must be specified: Set(%s)", ce.Name)
	}
	return errorf(ErrInvalidRequest, "%s", ce.KafkaMessage())
}

// topicListOp is Kafka's controller APPEND/SUBTRACT on a topic list
// config: the old value without empty elements, then each new element
// appended unless present, or its first occurrence removed.
func topicListOp(op ConfigOp, old, value string) string {
	var parts []string
	for _, p := range javaSplit(old) {
		if p != "" {
			parts = append(parts, p)
		}
	}
	for _, v := range javaSplit(value) {
		i := slices.Index(parts, v)
		switch {
		case op == OpAppend && i < 0:
			parts = append(parts, v)
		case op == OpSubtract && i >= 0:
			parts = slices.Delete(parts, i, i+1)
		}
	}
	return strings.Join(parts, ",")
}

// brokerListOp is Kafka's broker-side APPEND/SUBTRACT
// (ConfigAdminManager.prepareIncrementalConfigs): APPEND adds the elements
// not already in the old list; SUBTRACT removes one occurrence per element.
func brokerListOp(op ConfigOp, old, value string) string {
	add := javaSplit(value)
	if op == OpAppend {
		var parts []string
		if old != "" {
			parts = javaSplit(old)
		}
		var extra []string
		for _, v := range add {
			if !slices.Contains(parts, v) {
				extra = append(extra, v)
			}
		}
		return strings.Join(append(parts, extra...), ",")
	}
	parts := javaSplit(old)
	for _, v := range add {
		if i := slices.Index(parts, v); i >= 0 {
			parts = slices.Delete(parts, i, i+1)
		}
	}
	return strings.Join(parts, ",")
}

// javaSplit is Java's String.split(","): a string without a comma is
// itself, and trailing empty strings are dropped.
func javaSplit(s string) []string {
	if !strings.Contains(s, ",") {
		return []string{s}
	}
	parts := strings.Split(s, ",")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// normaliseList renders a list default as Kafka's ConfigDef.convertToString
// does: elements trimmed, joined by commas.
func normaliseList(s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return strings.Join(parts, ",")
}
