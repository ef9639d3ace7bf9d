package config

import (
	"maps"
	"slices"
)

// Entry is one configuration as DescribeConfigs reports it. Source and Type
// carry Kafka's wire ids; a handler copies the fields into its response,
// dropping Synonyms before v1 and Type and Documentation before v3.
type Entry struct {
	Name string
	// Value is nil for a null value (Kafka sends null) and for sensitive
	// configurations.
	Value         *string
	Source        Source
	ReadOnly      bool
	Sensitive     bool
	Type          Type
	Documentation string
	// Synonyms are the places the value could come from, highest precedence
	// first; the first is the one in effect.
	Synonyms []ConfigSynonym
}

// ConfigSynonym is one element of an Entry's synonym chain.
type ConfigSynonym struct {
	Name   string
	Value  *string
	Source Source
}

func strPtr(s string) *string { return &s }

func (d *Definition) entry(value any, syns []ConfigSynonym) Entry {
	e := Entry{
		Name:          d.Name,
		Source:        SourceDefault,
		Sensitive:     d.Sensitive,
		Type:          d.Type,
		Documentation: d.Doc,
		Synonyms:      syns,
		ReadOnly:      !d.Topic && d.Mode == ModeReadOnly,
	}
	if len(syns) > 0 {
		e.Source = syns[0].Source
	}
	if value != nil && !d.Sensitive {
		e.Value = strPtr(formatValue(value))
	}
	return e
}

// synonymChain lists where the broker keys in names are set: layer by
// layer (dynamic per-broker, dynamic default, static), in names' order within
// a layer, then the non-null defaults. This is the order Kafka reports.
func (b *Broker) synonymChain(names []string) []ConfigSynonym {
	var out []ConfigSynonym
	for _, l := range b.layers() {
		for _, n := range names {
			if s, ok := l.settings[n]; ok {
				out = append(out, b.synonym(n, s.value, l.source))
			}
		}
	}
	for _, n := range names {
		if v := defaultValues[brokerDefs[n]]; v != nil {
			out = append(out, b.synonym(n, v, SourceDefault))
		}
	}
	return out
}

func (b *Broker) synonym(name string, v any, src Source) ConfigSynonym {
	s := ConfigSynonym{Name: name, Source: src}
	if !brokerDefs[name].Sensitive {
		s.Value = strPtr(formatValue(v))
	}
	return s
}

// DescribeTopic returns every topic configuration of a topic with the given
// overrides (as stored; they are not re-validated), sorted by name. A topic
// configuration's chain starts with its own override, if any, then the
// broker synonyms that stand in for it. Overrides of unknown keys are not
// reported, as in Kafka; an override that no longer parses is shown raw.
func (b *Broker) DescribeTopic(overrides map[string]string) []Entry {
	parsed := map[string]any{}
	for k, raw := range overrides {
		if d := topicDefs[k]; d != nil {
			if v, err := d.parse(raw); err == nil {
				parsed[k] = v
			} else {
				parsed[k] = raw
			}
		}
	}
	out := make([]Entry, 0, len(topicDefs))
	for _, name := range slices.Sorted(maps.Keys(topicDefs)) {
		d := topicDefs[name]
		tv := b.resolveTopicKey(d, parsed)
		var syns []ConfigSynonym
		if tv.source == SourceDynamicTopic {
			syns = append(syns, ConfigSynonym{Name: name, Value: strPtr(formatValue(tv.value)), Source: SourceDynamicTopic})
		}
		syns = append(syns, b.synonymChain(synonymNames(d.Synonyms))...)
		e := d.entry(tv.value, syns)
		e.Source = tv.source // by construction the head of the chain, or DEFAULT_CONFIG
		out = append(out, e)
	}
	return out
}

func synonymNames(s []Synonym) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = x.Name
	}
	return out
}

// brokerChain is the chain of a broker key: its synonym group (for
// log.retention.hours: log.retention.ms, log.retention.minutes,
// log.retention.hours) laid out by synonymChain, minus everything before the
// key's own first entry. That is Kafka's rule: a higher-precedence synonym
// set elsewhere is not a source of this key's value.
func (b *Broker) brokerChain(name string) []ConfigSynonym {
	group := []string{name}
	if g, ok := synonymGroupOf[name]; ok {
		group = synonymNames(g)
	}
	chain := b.synonymChain(group)
	i := slices.IndexFunc(chain, func(s ConfigSynonym) bool { return s.Name == name })
	if i < 0 {
		return nil
	}
	return chain[i:]
}

// DescribeBroker returns every broker configuration of this broker, as a
// DescribeConfigs for the BROKER resource named by its node id reports them,
// sorted by name.
func (b *Broker) DescribeBroker() []Entry {
	out := make([]Entry, 0, len(brokerDefs))
	for _, name := range slices.Sorted(maps.Keys(brokerDefs)) {
		d, s, _ := b.lookup(name)
		out = append(out, d.entry(s.value, b.brokerChain(name)))
	}
	return out
}

// DescribeBrokerDefaults answers a DescribeConfigs for the BROKER resource
// with an empty name: only the keys set as cluster-wide dynamic defaults,
// each with the synonyms at that level.
func (b *Broker) DescribeBrokerDefaults() []Entry {
	var out []Entry
	for _, name := range slices.Sorted(maps.Keys(b.dynamicDefault)) {
		var syns []ConfigSynonym
		for _, s := range b.brokerChain(name) {
			if s.Source == SourceDynamicDefaultBroker {
				syns = append(syns, s)
			}
		}
		out = append(out, brokerDefs[name].entry(b.dynamicDefault[name].value, syns))
	}
	return out
}
