package config

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors. Every error this package returns wraps one of them; the
// ones from validation are carried by an *Error. A handler maps ErrUnknown,
// ErrInvalid and ErrConflict to Kafka's INVALID_CONFIG, and ErrReadOnly and
// ErrPerBroker (a dynamic change Kafka refuses) to INVALID_CONFIG as well,
// using (*Error).KafkaMessage for the error message.
var (
	// ErrUnknown: the key is not a configuration of that kind (topic or broker).
	ErrUnknown = errors.New("config: unknown configuration")
	// ErrInvalid: the value does not parse as the key's type or fails its
	// validator.
	ErrInvalid = errors.New("config: invalid value")
	// ErrConflict: values that are each valid contradict one another.
	ErrConflict = errors.New("config: conflicting values")
	// ErrReadOnly: a dynamic change to a configuration that is read at
	// startup only.
	ErrReadOnly = errors.New("config: not dynamically updatable")
	// ErrPerBroker: a per-broker configuration set as a cluster-wide default.
	ErrPerBroker = errors.New("config: per-broker configuration")
	// ErrSyntax: malformed properties text, environment entry or override.
	ErrSyntax = errors.New("config: malformed input")
)

// Error describes one rejected configuration. It unwraps to its Kind, one of
// the sentinel errors above.
type Error struct {
	Kind error // ErrUnknown, ErrInvalid, ErrConflict, ErrReadOnly or ErrPerBroker
	// Name is the configuration key the error is about.
	Name string
	// Value is the offending value as Kafka would quote it: the raw string
	// for a parse failure, the single bad element of a list, the parsed
	// number for a range failure. Empty when no value is involved.
	Value string
	// Reason says why, lower-case ("value must be at least 1").
	Reason string
	// topic marks errors about topic configurations; Kafka words the
	// unknown-key message differently for them.
	topic bool
}

func (e *Error) Unwrap() error { return e.Kind }

func (e *Error) Error() string {
	switch e.Kind {
	case ErrInvalid:
		return fmt.Sprintf("config: invalid value %q for configuration %s: %s", e.Value, e.Name, e.Reason)
	case ErrUnknown:
		kind := "broker"
		if e.topic {
			kind = "topic"
		}
		msg := fmt.Sprintf("config: unknown %s configuration %s", kind, e.Name)
		if e.Reason != "" {
			msg += " (" + e.Reason + ")"
		}
		return msg
	case ErrReadOnly:
		return fmt.Sprintf("config: %s cannot be updated dynamically: %s", e.Name, e.Reason)
	case ErrPerBroker:
		return fmt.Sprintf("config: %s cannot be set as a cluster-wide default: %s", e.Name, e.Reason)
	}
	return "config: " + e.Reason
}

// KafkaMessage returns the message a Kafka broker would put in the response's
// error message for the same failure.
func (e *Error) KafkaMessage() string {
	switch e.Kind {
	case ErrInvalid:
		return fmt.Sprintf("Invalid value %s for configuration %s: %s", e.Value, e.Name, capitalize(e.Reason))
	case ErrUnknown:
		if e.topic {
			return "Unknown topic config name: " + e.Name
		}
		return "Unknown broker config name: " + e.Name
	case ErrReadOnly:
		return "Cannot update these configs dynamically: [" + e.Name + "]"
	case ErrPerBroker:
		return "Cannot update these configs at default cluster level, broker id must be specified: [" + e.Name + "]"
	}
	return capitalize(e.Reason)
}

func invalid(name, value, reason string) *Error {
	return &Error{Kind: ErrInvalid, Name: name, Value: value, Reason: reason}
}

func conflict(name, reason string) *Error {
	return &Error{Kind: ErrConflict, Name: name, Reason: reason}
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// Warning is a problem that does not stop the broker: an unknown key, a
// topic-level key in broker configuration, a deprecated no-op key. The
// caller logs it.
type Warning struct {
	Key    string
	Origin string // where the key came from, e.g. "server.properties:12"
	Msg    string
}

func (w Warning) String() string {
	return fmt.Sprintf("%s: %s: %s", w.Origin, w.Key, w.Msg)
}
