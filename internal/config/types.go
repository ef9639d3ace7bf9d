package config

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Type is a configuration's value type. The numeric values are Kafka's
// DescribeConfigs ConfigType ids (v3+), so a handler can send int8(t) as is.
type Type int8

// Kafka's configuration types. Integers of every width are held as int64
// internally; the type decides the accepted range and the getter to use.
const (
	TypeBoolean  Type = 1
	TypeString   Type = 2
	TypeInt      Type = 3
	TypeShort    Type = 4
	TypeLong     Type = 5
	TypeDouble   Type = 6
	TypeList     Type = 7
	TypeClass    Type = 8
	TypePassword Type = 9
)

// String returns the type's name as Kafka's documentation spells it ("int").
func (t Type) String() string {
	switch t {
	case TypeBoolean:
		return "boolean"
	case TypeString:
		return "string"
	case TypeInt:
		return "int"
	case TypeShort:
		return "short"
	case TypeLong:
		return "long"
	case TypeDouble:
		return "double"
	case TypeList:
		return "list"
	case TypeClass:
		return "class"
	case TypePassword:
		return "password"
	}
	return "unknown"
}

// Source says where a configuration value came from. The numeric values are
// Kafka's DescribeConfigs ConfigSource ids (v1+).
type Source int8

// Sources in Kafka's order of precedence, highest first.
const (
	SourceUnknown              Source = 0
	SourceDynamicTopic         Source = 1 // a topic's own override
	SourceDynamicBroker        Source = 2 // dynamic, for this broker only
	SourceDynamicDefaultBroker Source = 3 // dynamic, cluster-wide default
	SourceStaticBroker         Source = 4 // server.properties, FJORD_* or flags
	SourceDefault              Source = 5 // the definition's default
)

// String returns Kafka's name for the source ("STATIC_BROKER_CONFIG").
func (s Source) String() string {
	switch s {
	case SourceDynamicTopic:
		return "DYNAMIC_TOPIC_CONFIG"
	case SourceDynamicBroker:
		return "DYNAMIC_BROKER_CONFIG"
	case SourceDynamicDefaultBroker:
		return "DYNAMIC_DEFAULT_BROKER_CONFIG"
	case SourceStaticBroker:
		return "STATIC_BROKER_CONFIG"
	case SourceDefault:
		return "DEFAULT_CONFIG"
	}
	return "UNKNOWN"
}

// UpdateMode is how a broker configuration may change while the broker runs,
// as Kafka's DynamicBrokerConfig classifies it.
type UpdateMode int8

const (
	// ModeReadOnly configurations take effect only at startup.
	ModeReadOnly UpdateMode = iota
	// ModePerBroker configurations may be altered for one broker (resource
	// name = node id) but not as a cluster-wide default.
	ModePerBroker
	// ModeClusterWide configurations may be altered for one broker or as the
	// cluster-wide default (empty resource name).
	ModeClusterWide
)

// String returns the mode as Kafka's documentation writes it.
func (m UpdateMode) String() string {
	switch m {
	case ModePerBroker:
		return "per-broker"
	case ModeClusterWide:
		return "cluster-wide"
	}
	return "read-only"
}

// Scale converts a broker synonym's unit into the topic configuration's unit.
type Scale int64

// Scales used by Kafka's time synonyms (log.retention.hours → retention.ms).
const (
	Same    Scale = 1
	Minutes Scale = 60 * 1000
	Hours   Scale = 60 * 60 * 1000
)

// listSplit is Kafka's list separator: a comma with any whitespace around it.
var listSplit = regexp.MustCompile(`\s*,\s*`)

// parseValue turns a raw string into the internal representation of t:
// bool, int64 (every integer width), float64, string or []string. Like
// Kafka's ConfigDef, it trims surrounding whitespace first. The returned
// reason is lower-case and names the type the way Kafka does.
func parseValue(t Type, raw string) (any, string) {
	s := strings.TrimSpace(raw)
	switch t {
	case TypeBoolean:
		switch strings.ToLower(s) {
		case "true":
			return true, ""
		case "false":
			return false, ""
		}
		return nil, "expected value to be either true or false"
	case TypeInt, TypeShort, TypeLong:
		bits := 64
		switch t {
		case TypeInt:
			bits = 32
		case TypeShort:
			bits = 16
		}
		n, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			return nil, "not a number of type " + strings.ToUpper(t.String())
		}
		return n, ""
	case TypeDouble:
		f, err := strconv.ParseFloat(s, 64)
		// Go accepts "Inf" and "NaN" spellings Java does not; NaN would also
		// slip through every range check, so both are refused.
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, "not a number of type DOUBLE"
		}
		return f, ""
	case TypeList:
		if s == "" {
			return []string{}, ""
		}
		return listSplit.Split(s, -1), ""
	case TypeString, TypeClass, TypePassword:
		return s, ""
	}
	return nil, "unknown type"
}

// formatValue renders a parsed value the way Kafka's ConfigDef.convertToString
// does, so DescribeConfigs shows what a Kafka broker would show.
func formatValue(v any) string {
	switch v := v.(type) {
	case bool:
		return strconv.FormatBool(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return formatJavaDouble(v)
	case string:
		return v
	case []string:
		return strings.Join(v, ",")
	}
	return ""
}

// formatJavaDouble mimics Java's Double.toString: plain notation with at
// least one fractional digit between 1e-3 and 1e7, otherwise "1.0E7" style.
func formatJavaDouble(f float64) string {
	abs := math.Abs(f)
	if abs == 0 || (abs >= 1e-3 && abs < 1e7) {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, 64) // e.g. 1.7976931348623157E+308
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	exp = strings.TrimPrefix(exp, "+")
	neg := strings.HasPrefix(exp, "-")
	exp = strings.TrimLeft(strings.TrimPrefix(exp, "-"), "0")
	if neg {
		exp = "-" + exp
	}
	return mant + "E" + exp
}
