package config

import (
	"fmt"
	"maps"
	"slices"
)

// DynamicLevel is where a dynamic broker configuration is stored: as the
// cluster-wide default (BROKER resource with an empty name) or for one
// broker (BROKER resource named by its node id).
type DynamicLevel int8

const (
	LevelClusterDefault DynamicLevel = iota
	LevelBroker
)

// threadPools are the keys whose dynamic changes Kafka bounds to between half
// and double the current value, so a typo cannot starve or flood the broker.
var threadPools = []string{
	"background.threads", "log.cleaner.threads", "num.io.threads",
	"num.network.threads", "num.recovery.threads.per.data.dir", "num.replica.fetchers",
}

// parseDynamic checks a proposed dynamic layer: every key must be a known,
// dynamically updatable broker configuration allowed at that level, with a
// valid value.
func parseDynamic(level DynamicLevel, proposed map[string]string) (layer, error) {
	l := layer{}
	for _, k := range slices.Sorted(maps.Keys(proposed)) {
		d := brokerDefs[k]
		switch {
		case d == nil:
			return nil, &Error{Kind: ErrUnknown, Name: k}
		case d.Mode == ModeReadOnly:
			return nil, &Error{Kind: ErrReadOnly, Name: k, Reason: "it is read at startup only; set it in server.properties and restart"}
		case level == LevelClusterDefault && d.Mode == ModePerBroker:
			return nil, &Error{Kind: ErrPerBroker, Name: k, Reason: "it can only be set for a specific broker id"}
		}
		v, err := d.parse(proposed[k])
		if err != nil {
			return nil, err
		}
		l[k] = setting{value: v, origin: "dynamic"}
	}
	return l, nil
}

// ValidateDynamic checks a proposed dynamic configuration for one level: the
// complete set of keys that level would hold after an AlterConfigs or
// IncrementalAlterConfigs (the caller applies the operations first; a
// deleted key is simply absent). Besides the per-key rules it applies
// Kafka's bounds on thread-pool resizing and every cross-field check of the
// resulting configuration. Errors are *Error values; see the sentinels for
// how they map to Kafka error codes.
func (b *Broker) ValidateDynamic(level DynamicLevel, proposed map[string]string) error {
	l, err := parseDynamic(level, proposed)
	if err != nil {
		return err
	}
	next := b.withLayer(level, l)
	if err := next.derive(); err != nil {
		return err
	}
	return b.checkResize(next)
}

// checkResize applies Kafka's limits on changing thread counts and
// connection limits at runtime.
func (b *Broker) checkResize(next *Broker) error {
	for _, k := range threadPools {
		old, now := b.Int(k), next.Int(k)
		if old == now {
			continue
		}
		prefix := fmt.Sprintf("dynamic thread count update validation failed for %s=%d", k, now)
		switch {
		case now < 1:
			return invalid(k, formatValue(int64(now)), prefix+", value should be at least 1")
		case now < old/2:
			return invalid(k, formatValue(int64(now)), fmt.Sprintf("%s, value should be at least half the current value %d", prefix, old))
		case now > old*2:
			return invalid(k, formatValue(int64(now)), fmt.Sprintf("%s, value should not be greater than double the current value %d", prefix, old))
		}
	}
	for _, k := range []string{"max.connections", "max.connection.creation.rate"} {
		src := next.Source(k)
		if n := next.Int(k); n <= 0 && (src == SourceDynamicBroker || src == SourceDynamicDefaultBroker) {
			return invalid(k, formatValue(int64(n)), "a dynamic "+k+" must be positive")
		}
	}
	return nil
}

// WithDynamic returns a copy of the configuration with its dynamic layers
// replaced: clusterDefault and perBroker hold every dynamic key currently set
// at each level, as the metadata image has them. The static layer is kept.
// Values are checked as ValidateDynamic checks them, except that thread
// pools may move by any amount (the change was bounded when it was made);
// on error the caller keeps the configuration it has.
func (b *Broker) WithDynamic(clusterDefault, perBroker map[string]string) (*Broker, error) {
	def, err := parseDynamic(LevelClusterDefault, clusterDefault)
	if err != nil {
		return nil, err
	}
	own, err := parseDynamic(LevelBroker, perBroker)
	if err != nil {
		return nil, err
	}
	next := &Broker{static: b.static, dynamicDefault: def, dynamicBroker: own}
	if err := next.derive(); err != nil {
		return nil, err
	}
	return next, nil
}

// withLayer copies b with one dynamic layer replaced. The copy has not been
// derived yet.
func (b *Broker) withLayer(level DynamicLevel, l layer) *Broker {
	next := &Broker{static: b.static, dynamicDefault: b.dynamicDefault, dynamicBroker: b.dynamicBroker}
	if level == LevelClusterDefault {
		next.dynamicDefault = l
	} else {
		next.dynamicBroker = l
	}
	return next
}
