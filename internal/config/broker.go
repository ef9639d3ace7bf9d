package config

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Sources are the static inputs of a broker configuration, lowest precedence
// first. Any of them may be empty; with none, the broker runs on defaults.
type Sources struct {
	// Properties is the content of server.properties, or nil.
	Properties io.Reader
	// PropertiesName names the file in origins and messages.
	PropertiesName string
	// Environ holds "NAME=value" entries, as os.Environ returns them; only
	// FJORD_* variables are read (see EnvToKey).
	Environ []string
	// Overrides holds "key=value" entries from command-line flags.
	Overrides []string
}

// setting is a parsed value and where it came from.
type setting struct {
	value  any    // see parseValue; nil only for a null default
	origin string // "server.properties:12", "env FJORD_LOG_DIRS", "override", …
}

// layer holds the broker keys set at one level of precedence.
type layer map[string]setting

// Broker is an immutable, validated broker configuration: the static layer
// from Load, optional dynamic layers (WithDynamic) and the table's defaults.
// Lookups go dynamic per-broker → dynamic cluster default → static →
// default. It is safe for concurrent use.
//
// The generic getters (Bool, Int, Long, …) take a broker key and panic if
// the key is not in the table or has another type: both are programming
// errors, caught by any test that reaches the call.
//
// Invariant: every *Broker handed out has passed derive, so its values are
// individually valid and mutually consistent.
type Broker struct {
	static, dynamicDefault, dynamicBroker layer

	// Derived from the effective values by derive; never mutated after.
	listeners, advertised []Listener
	protocols             map[string]SecurityProtocol
	logDirs               []string
	voters                []Voter
	topicDefaults         TopicConfig
}

// Load builds the broker configuration from defaults, then server.properties,
// then FJORD_* environment variables, then overrides; a later source wins
// for the same key. Unknown keys become warnings. Every invalid value is
// reported at once, as one error joining *Error values; once all values
// parse, contradictions between keys are reported the same way.
func Load(src Sources) (*Broker, []Warning, error) {
	raw, err := collect(src)
	if err != nil {
		return nil, nil, err
	}
	var warnings []Warning
	var errs []error
	static := layer{}
	for _, key := range slices.Sorted(maps.Keys(raw)) {
		r := raw[key]
		d := brokerDefs[key]
		if d == nil {
			warnings = append(warnings, unknownKeyWarning(r))
			continue
		}
		if d.Deprecated != "" {
			warnings = append(warnings, Warning{Key: key, Origin: r.origin, Msg: d.Deprecated})
		}
		v, perr := d.parse(r.value)
		if perr != nil {
			errs = append(errs, perr)
			continue
		}
		static[key] = setting{value: v, origin: r.origin}
	}
	if err := aliasNodeID(static); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, warnings, errors.Join(errs...)
	}
	b := &Broker{static: static}
	if err := b.derive(); err != nil {
		return nil, warnings, err
	}
	return b, warnings, nil
}

// Defaults is the zero-configuration broker: Load with no sources.
func Defaults() *Broker {
	b, _, err := Load(Sources{})
	if err != nil {
		panic("config: defaults do not validate: " + err.Error())
	}
	return b
}

// collect merges the raw static sources; for a repeated key the last one
// wins, before any parsing, so a bad value in the file that the environment
// overrides is not an error (as in Kafka, which parses the merged map).
func collect(src Sources) (map[string]rawSetting, error) {
	var all []rawSetting
	if src.Properties != nil {
		name := src.PropertiesName
		if name == "" {
			name = "server.properties"
		}
		props, err := ParseProperties(src.Properties)
		if err != nil {
			return nil, fmt.Errorf("loading %s: %w", name, err)
		}
		for _, p := range props {
			all = append(all, rawSetting{key: p.Key, value: p.Value, origin: fmt.Sprintf("%s:%d", name, p.Line)})
		}
	}
	all = append(all, envSettings(src.Environ)...)
	overrides, err := overrideSettings(src.Overrides)
	if err != nil {
		return nil, err
	}
	all = append(all, overrides...)
	merged := map[string]rawSetting{}
	for _, r := range all {
		merged[r.key] = r
	}
	return merged, nil
}

func unknownKeyWarning(r rawSetting) Warning {
	msg := "unknown configuration, ignored"
	if t := topicDefs[r.key]; t != nil {
		msg = "topic-level configuration, ignored in broker configuration"
		if len(t.Synonyms) > 0 {
			msg += "; the broker default is " + t.Synonyms[0].Name
		}
	}
	return Warning{Key: r.key, Origin: r.origin, Msg: msg}
}

// aliasNodeID makes broker.id and node.id one setting, as Kafka does: when
// only one is set the other takes its value, when both are set they must
// agree.
func aliasNodeID(static layer) *Error {
	node, hasNode := static["node.id"]
	broker, hasBroker := static["broker.id"]
	switch {
	case hasNode && hasBroker && node.value != broker.value:
		return conflict("node.id", fmt.Sprintf("node.id (%d) must be set to the same value as broker.id (%d)", node.value, broker.value))
	case hasNode && !hasBroker:
		static["broker.id"] = setting{value: node.value, origin: node.origin + " (as node.id)"}
	case hasBroker && !hasNode:
		if broker.value.(int64) < 0 {
			return invalid("broker.id", formatValue(broker.value), "node.id, or its alias broker.id, must be at least 0")
		}
		static["node.id"] = setting{value: broker.value, origin: broker.origin + " (as broker.id)"}
	}
	return nil
}

// lookup finds the effective setting of a broker key and its source.
func (b *Broker) lookup(name string) (*Definition, setting, Source) {
	d := brokerDefs[name]
	if d == nil {
		panic(fmt.Sprintf("config: %q is not a broker configuration", name))
	}
	for _, l := range b.layers() {
		if s, ok := l.settings[name]; ok {
			return d, s, l.source
		}
	}
	return d, setting{value: defaultValues[d], origin: "default"}, SourceDefault
}

type sourcedLayer struct {
	settings layer
	source   Source
}

// layers returns the set layers, highest precedence first.
func (b *Broker) layers() []sourcedLayer {
	return []sourcedLayer{
		{b.dynamicBroker, SourceDynamicBroker},
		{b.dynamicDefault, SourceDynamicDefaultBroker},
		{b.static, SourceStaticBroker},
	}
}

func (b *Broker) typed(name string, want ...Type) any {
	d, s, _ := b.lookup(name)
	if !slices.Contains(want, d.Type) {
		panic(fmt.Sprintf("config: %s is of type %s", name, d.Type))
	}
	return s.value
}

// Bool returns a boolean broker configuration.
func (b *Broker) Bool(name string) bool {
	v, _ := b.typed(name, TypeBoolean).(bool)
	return v
}

// Int returns an int broker configuration; 0 when its value is null.
func (b *Broker) Int(name string) int32 {
	v, _ := b.typed(name, TypeInt).(int64)
	return int32(v)
}

// Short returns a short broker configuration.
func (b *Broker) Short(name string) int16 {
	v, _ := b.typed(name, TypeShort).(int64)
	return int16(v)
}

// Long returns a long broker configuration; 0 when its value is null.
func (b *Broker) Long(name string) int64 {
	v, _ := b.typed(name, TypeLong).(int64)
	return v
}

// Double returns a double broker configuration.
func (b *Broker) Double(name string) float64 {
	v, _ := b.typed(name, TypeDouble).(float64)
	return v
}

// String returns a string broker configuration; "" when its value is null.
func (b *Broker) String(name string) string {
	v, _ := b.typed(name, TypeString, TypeClass, TypePassword).(string)
	return v
}

// List returns a list broker configuration. The slice is the caller's.
func (b *Broker) List(name string) []string {
	v, _ := b.typed(name, TypeList).([]string)
	return slices.Clone(v)
}

// HasValue reports whether the key's effective value is non-null; keys with
// a null default (log.retention.ms, advertised.listeners, …) have none until
// set.
func (b *Broker) HasValue(name string) bool {
	_, s, _ := b.lookup(name)
	return s.value != nil
}

// Source reports which layer supplies the key's effective value.
func (b *Broker) Source(name string) Source {
	_, _, src := b.lookup(name)
	return src
}

// Origin says where the effective value came from in words an operator can
// follow: "default", "server.properties:12", "env FJORD_LOG_DIRS",
// "override", "dynamic".
func (b *Broker) Origin(name string) string {
	_, s, _ := b.lookup(name)
	return s.origin
}

// NodeID is node.id (or its alias broker.id).
func (b *Broker) NodeID() int32 { return b.Int("node.id") }

// ProcessRoles is process.roles: "broker", "controller" or both.
func (b *Broker) ProcessRoles() []string { return b.List("process.roles") }

// IsBroker reports whether this node serves clients.
func (b *Broker) IsBroker() bool { return slices.Contains(b.ProcessRoles(), "broker") }

// IsController reports whether this node is a controller.
func (b *Broker) IsController() bool { return slices.Contains(b.ProcessRoles(), "controller") }

// Listeners are the endpoints to bind. The slice is the caller's.
func (b *Broker) Listeners() []Listener { return slices.Clone(b.listeners) }

// AdvertisedListeners are the endpoints published in metadata:
// advertised.listeners, or listeners when it is unset.
func (b *Broker) AdvertisedListeners() []Listener { return slices.Clone(b.advertised) }

// SecurityProtocols is the parsed listener.security.protocol.map.
func (b *Broker) SecurityProtocols() map[string]SecurityProtocol { return maps.Clone(b.protocols) }

// ControllerListenerNames is controller.listener.names, upper-cased.
func (b *Broker) ControllerListenerNames() []string {
	names := splitCSV(b.String("controller.listener.names"))
	for i, n := range names {
		names[i] = strings.ToUpper(n)
	}
	return names
}

// InterBrokerListenerName is inter.broker.listener.name or, when unset, the
// listener named after security.inter.broker.protocol, as in Kafka.
func (b *Broker) InterBrokerListenerName() string {
	if b.HasValue("inter.broker.listener.name") {
		return strings.ToUpper(b.String("inter.broker.listener.name"))
	}
	return b.String("security.inter.broker.protocol")
}

// ControllerQuorumVoters is the parsed controller.quorum.voters.
func (b *Broker) ControllerQuorumVoters() []Voter { return slices.Clone(b.voters) }

// LogDirs are the data directories: log.dirs, or log.dir when log.dirs is
// unset. Never empty.
func (b *Broker) LogDirs() []string { return slices.Clone(b.logDirs) }

// MetadataLogDir is metadata.log.dir, or the first log directory.
func (b *Broker) MetadataLogDir() string {
	if b.HasValue("metadata.log.dir") {
		return b.String("metadata.log.dir")
	}
	return b.logDirs[0]
}

// TopicDefaults is the effective configuration of a topic without overrides:
// the broker's log.* settings resolved the Kafka way (log.retention.ms over
// log.retention.minutes over log.retention.hours, and so on).
func (b *Broker) TopicDefaults() TopicConfig {
	t := b.topicDefaults
	t.LeaderReplicationThrottledReplicas = slices.Clone(t.LeaderReplicationThrottledReplicas)
	t.FollowerReplicationThrottledReplicas = slices.Clone(t.FollowerReplicationThrottledReplicas)
	return t
}

// derive computes the values that depend on several keys and runs Kafka's
// cross-field checks. It is the last step of building every Broker.
func (b *Broker) derive() error {
	var errs []error
	add := func(e *Error) {
		if e != nil {
			errs = append(errs, e)
		}
	}

	dirs := b.String("log.dir")
	if b.HasValue("log.dirs") {
		dirs = b.String("log.dirs")
	}
	b.logDirs = splitCSV(dirs)
	if len(b.logDirs) == 0 {
		add(conflict("log.dirs", "at least one log directory must be defined via log.dirs or log.dir"))
	}

	b.voters, _ = parseVoters(b.List("controller.quorum.voters")) // syntax already validated
	if err := b.deriveListeners(); err != nil {
		errs = append(errs, err)
	}

	add(b.checkReplicaTimeouts())
	if threads := b.Int("log.cleaner.threads"); threads > 0 && b.Long("log.cleaner.dedupe.buffer.size")/int64(threads) <= 1<<20 {
		add(conflict("log.cleaner.dedupe.buffer.size", "log.cleaner.dedupe.buffer.size must be at least 1MB per cleaner thread"))
	}
	if q := b.Long("queued.max.request.bytes"); q > 0 && q < int64(b.Int("socket.request.max.bytes")) {
		add(conflict("queued.max.request.bytes", "queued.max.request.bytes must be -1 or at least socket.request.max.bytes"))
	}
	if b.Int("max.connections.per.ip") == 0 && strings.TrimSpace(b.String("max.connections.per.ip.overrides")) == "" {
		add(conflict("max.connections.per.ip", "max.connections.per.ip can be set to zero only if max.connections.per.ip.overrides is set"))
	}

	var err error
	if b.topicDefaults, err = b.deriveTopicDefaults(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (b *Broker) checkReplicaTimeouts() *Error {
	wait := int64(b.Int("replica.fetch.wait.max.ms"))
	if wait > int64(b.Int("replica.socket.timeout.ms")) {
		return conflict("replica.socket.timeout.ms", "replica.socket.timeout.ms should always be at least replica.fetch.wait.max.ms to prevent unnecessary socket timeouts")
	}
	if wait > b.Long("replica.lag.time.max.ms") {
		return conflict("replica.fetch.wait.max.ms", "replica.fetch.wait.max.ms should always be less than or equal to replica.lag.time.max.ms to prevent frequent changes in ISR")
	}
	return nil
}

// deriveListeners parses the listener keys and applies Kafka's rules tying
// them to roles, the inter-broker listener and the controller quorum. Fjord
// relaxes one of them: a combined broker+controller node may omit the
// controller listener and quorum settings, since a single node needs
// neither; when they are given they are checked as Kafka checks them.
func (b *Broker) deriveListeners() error {
	var errs []error
	add := func(e *Error) { errs = append(errs, e) }

	b.protocols, _ = ParseProtocolMap(b.String("listener.security.protocol.map")) // validated per key
	var err error
	if b.listeners, err = ParseListeners(b.String("listeners"), b.protocols, true); err != nil {
		add(invalid("listeners", b.String("listeners"), err.Error()))
	}
	advKey := "listeners"
	if b.HasValue("advertised.listeners") {
		advKey = "advertised.listeners"
	}
	if b.advertised, err = ParseListeners(b.String(advKey), b.protocols, false); err != nil {
		add(invalid(advKey, b.String(advKey), err.Error()))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}

	names := func(ls []Listener) []string {
		out := make([]string, len(ls))
		for i, l := range ls {
			out[i] = l.Name
		}
		return out
	}
	listenerNames := names(b.listeners)
	controllerNames := b.ControllerListenerNames()
	for _, n := range controllerNames {
		if _, ok := b.protocols[n]; !ok {
			add(conflict("controller.listener.names", fmt.Sprintf("controller listener %s is not in listener.security.protocol.map", n)))
		}
	}
	for _, l := range b.advertised {
		if l.Host == "0.0.0.0" {
			add(conflict("advertised.listeners", "advertised.listeners cannot use the nonroutable meta-address 0.0.0.0; use a routable IP address"))
		}
	}

	var brokerAdvertised []string
	for _, n := range names(b.advertised) {
		if !slices.Contains(controllerNames, n) {
			brokerAdvertised = append(brokerAdvertised, n)
		}
	}
	if b.IsBroker() {
		if len(brokerAdvertised) == 0 {
			add(conflict("advertised.listeners", "there must be at least one broker advertised listener"))
		}
		if b.Source("inter.broker.listener.name") != SourceDefault && b.Source("security.inter.broker.protocol") != SourceDefault {
			add(conflict("inter.broker.listener.name", "only one of inter.broker.listener.name and security.inter.broker.protocol should be set"))
		} else if ib := b.InterBrokerListenerName(); len(brokerAdvertised) > 0 && !slices.Contains(brokerAdvertised, ib) {
			add(conflict("inter.broker.listener.name", fmt.Sprintf("inter.broker.listener.name must be a listener name defined in advertised.listeners; %s is not one of %s", ib, strings.Join(brokerAdvertised, ","))))
		}
		for _, n := range brokerAdvertised {
			if !slices.Contains(listenerNames, n) {
				add(conflict("advertised.listeners", fmt.Sprintf("advertised.listeners listener names must be equal to or a subset of the ones defined in listeners; %s is not", n)))
			}
		}
	}

	hasQuorum := len(b.voters) > 0 || len(b.List("controller.quorum.bootstrap.servers")) > 0
	votes := slices.ContainsFunc(b.voters, func(v Voter) bool { return v.ID == b.NodeID() })
	if b.IsController() {
		for _, n := range controllerNames {
			if !slices.Contains(listenerNames, n) {
				add(conflict("controller.listener.names", fmt.Sprintf("controller.listener.names must only contain values appearing in listeners when running the controller role; %s does not", n)))
			}
		}
		if len(b.voters) > 0 && !votes {
			add(conflict("controller.quorum.voters", fmt.Sprintf("node id %d must be one of the controller.quorum.voters when process.roles contains controller", b.NodeID())))
		}
	}
	switch {
	case b.IsBroker() && !b.IsController():
		if !hasQuorum {
			add(conflict("controller.quorum.bootstrap.servers", "a broker-only node needs controller.quorum.bootstrap.servers or controller.quorum.voters"))
		}
		if len(controllerNames) == 0 {
			add(conflict("controller.listener.names", "controller.listener.names must contain at least one value when running with just the broker role"))
		}
		for _, n := range controllerNames {
			if slices.Contains(listenerNames, n) {
				add(conflict("controller.listener.names", fmt.Sprintf("controller.listener.names must not contain a value appearing in listeners when running with just the broker role; %s does", n)))
			}
		}
		if votes {
			add(conflict("controller.quorum.voters", fmt.Sprintf("node id %d must not be one of the controller.quorum.voters when process.roles is just broker", b.NodeID())))
		}
	case b.IsController() && !b.IsBroker():
		if !hasQuorum {
			add(conflict("controller.quorum.bootstrap.servers", "a controller-only node needs controller.quorum.bootstrap.servers or controller.quorum.voters"))
		}
		if len(controllerNames) == 0 {
			add(conflict("controller.listener.names", "controller.listener.names must contain at least one value when running the controller role"))
		}
		for _, n := range listenerNames {
			if !slices.Contains(controllerNames, n) {
				add(conflict("listeners", fmt.Sprintf("listeners must only contain controller listeners when process.roles=controller; %s is not one", n)))
			}
		}
	}
	return errors.Join(errs...)
}
