package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// validator checks a parsed value. check returns the offending value (as
// Kafka would quote it) and a lower-case reason, or "" and "" when valid.
// String describes the valid values for documentation, in Kafka's notation.
type validator interface {
	check(v any) (bad, reason string)
	String() string
}

// intRange is Kafka's Range validator for integer types: inclusive bounds,
// either of which may be absent.
type intRange struct {
	min, max       int64
	hasMin, hasMax bool
}

func atLeast(n int64) validator      { return intRange{min: n, hasMin: true} }
func between(lo, hi int64) validator { return intRange{min: lo, max: hi, hasMin: true, hasMax: true} }

func (r intRange) check(v any) (string, string) {
	n := v.(int64)
	if r.hasMin && n < r.min {
		return formatValue(n), fmt.Sprintf("value must be at least %d", r.min)
	}
	if r.hasMax && n > r.max {
		return formatValue(n), fmt.Sprintf("value must be no more than %d", r.max)
	}
	return "", ""
}

func (r intRange) String() string {
	switch {
	case r.hasMin && r.hasMax:
		return fmt.Sprintf("[%d,...,%d]", r.min, r.max)
	case r.hasMin:
		return fmt.Sprintf("[%d,...]", r.min)
	}
	return fmt.Sprintf("[...,%d]", r.max)
}

// floatRange is Kafka's Range validator for doubles.
type floatRange struct{ min, max float64 }

func betweenFloat(lo, hi float64) validator { return floatRange{lo, hi} }

func (r floatRange) check(v any) (string, string) {
	f := v.(float64)
	if f < r.min {
		return formatValue(f), "value must be at least " + formatValue(r.min)
	}
	if f > r.max {
		return formatValue(f), "value must be no more than " + formatValue(r.max)
	}
	return "", ""
}

func (r floatRange) String() string {
	return "[" + formatValue(r.min) + ",...," + formatValue(r.max) + "]"
}

// enum is Kafka's ValidString.in: case-sensitive membership.
type enum []string

func oneOf(values ...string) validator { return enum(values) }

func (e enum) check(v any) (string, string) {
	s := v.(string)
	if slices.Contains(e, s) {
		return "", ""
	}
	return s, "string must be one of: " + strings.Join(e, ", ")
}

func (e enum) String() string { return "[" + strings.Join(e, ", ") + "]" }

// listEnum is Kafka's ValidList.in: every element must be one of the values.
// An empty list is valid, as in Kafka.
type listEnum []string

func listOf(values ...string) validator { return listEnum(values) }

func (e listEnum) check(v any) (string, string) {
	for _, s := range v.([]string) {
		if !slices.Contains(e, s) {
			return s, "string must be one of: " + strings.Join(e, ", ")
		}
	}
	return "", ""
}

func (e listEnum) String() string { return "[" + strings.Join(e, ", ") + "]" }

// custom is a validator written as a function, for rules no generic kind
// expresses (gzip's "1..9 or -1", listener syntax, voter strings).
type custom struct {
	desc string
	fn   func(v any) (bad, reason string)
}

func (c custom) check(v any) (string, string) { return c.fn(v) }
func (c custom) String() string               { return c.desc }

// all combines validators; the first failure wins.
type all []validator

func (a all) check(v any) (string, string) {
	for _, x := range a {
		if bad, reason := x.check(v); reason != "" {
			return bad, reason
		}
	}
	return "", ""
}

func (a all) String() string {
	parts := make([]string, len(a))
	for i, x := range a {
		parts[i] = x.String()
	}
	return strings.Join(parts, "; ")
}

// The custom validators used by the definitions table.

// gzipLevel follows java.util.zip.Deflater: 1..9, or -1 for the library
// default.
var gzipLevel = custom{
	desc: "[1,...,9] or -1",
	fn: func(v any) (string, string) {
		n := v.(int64)
		if n == -1 || (n >= 1 && n <= 9) {
			return "", ""
		}
		return formatValue(n), "value must be between 1 and 9 or equal to -1"
	},
}

// throttledReplicas is Kafka's ThrottledReplicaListValidator: "*" or a list
// of partitionId:brokerId pairs.
var throttledReplicas = custom{
	desc: "[partitionId]:[brokerId],[partitionId]:[brokerId],... or *",
	fn: func(v any) (string, string) {
		l := v.([]string)
		if len(l) == 1 && l[0] == "*" {
			return "", ""
		}
		for _, e := range l {
			p, b, ok := strings.Cut(e, ":")
			if e == "" || (ok && isDigits(p) && isDigits(b)) {
				continue
			}
			return strings.Join(l, ","), "must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],..."
		}
		return "", ""
	},
}

// processRoles adds Kafka's "no duplicates, at least one" rules to the
// element check.
var processRoles = all{listOf("broker", "controller"), custom{
	desc: "non-empty, no duplicates",
	fn: func(v any) (string, string) {
		l := v.([]string)
		if len(l) == 0 {
			return "", "process.roles must contain broker, controller or both"
		}
		for i, r := range l {
			if slices.Contains(l[:i], r) {
				return strings.Join(l, ","), "duplicate role names found in process.roles"
			}
		}
		return "", ""
	},
}}

// onlyFalse is for switches of features Fjord does not have yet (tiered
// storage): the key is accepted so Kafka configurations load, but turning
// the feature on is refused rather than silently ignored.
func onlyFalse(feature string) validator {
	return custom{
		desc: "false (" + feature + " is not supported)",
		fn: func(v any) (string, string) {
			if v.(bool) {
				return "true", feature + " is not supported by Fjord"
			}
			return "", ""
		},
	}
}

// listenerList checks the syntax of listeners/advertised.listeners; whether
// each name has a security protocol is a cross-field check (see
// checkListeners).
var listenerList = custom{
	desc: "NAME://host:port,...",
	fn: func(v any) (string, string) {
		if _, err := parseEndpoints(v.(string)); err != nil {
			return v.(string), err.Error()
		}
		return "", ""
	},
}

var protocolMap = custom{
	desc: "NAME:PROTOCOL,... with PROTOCOL one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL",
	fn: func(v any) (string, string) {
		if _, err := ParseProtocolMap(v.(string)); err != nil {
			return v.(string), err.Error()
		}
		return "", ""
	},
}

var nameList = custom{
	desc: "comma-separated listener names",
	fn: func(v any) (string, string) {
		for _, n := range splitCSV(v.(string)) {
			if !validListenerName(n) {
				return v.(string), fmt.Sprintf("invalid listener name %q", n)
			}
		}
		return "", ""
	},
}

// quorumVoters is Kafka's controller.quorum.voters syntax: id@host:port,...
var quorumVoters = custom{
	desc: "id@host:port,...",
	fn: func(v any) (string, string) {
		if _, err := parseVoters(v.([]string)); err != nil {
			return strings.Join(v.([]string), ","), err.Error()
		}
		return "", ""
	},
}

var hostPortList = custom{
	desc: "host:port,...",
	fn: func(v any) (string, string) {
		for _, e := range v.([]string) {
			if _, _, err := splitHostPort(e); err != nil {
				return e, err.Error()
			}
		}
		return "", ""
	},
}

// connectionOverrides is max.connections.per.ip.overrides: host:count,...
var connectionOverrides = custom{
	desc: "host:count,...",
	fn: func(v any) (string, string) {
		for _, e := range splitCSV(v.(string)) {
			host, count, ok := strings.Cut(e, ":")
			n, err := strconv.ParseInt(strings.TrimSpace(count), 10, 32)
			if !ok || strings.TrimSpace(host) == "" || err != nil || n < 0 {
				return e, "expected host:count with a non-negative count"
			}
		}
		return "", ""
	},
}

// rebalanceProtocols: Kafka refuses to disable the classic protocol.
var rebalanceProtocols = all{listOf("classic", "consumer"), custom{
	desc: "must include classic",
	fn: func(v any) (string, string) {
		if !slices.Contains(v.([]string), "classic") {
			return strings.Join(v.([]string), ","), "disabling the 'classic' protocol is not supported"
		}
		return "", ""
	},
}}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// splitCSV is Kafka's Csv.parseCsvList: trimmed entries, empty ones dropped.
func splitCSV(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}
