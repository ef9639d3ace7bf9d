package config

import (
	"fmt"
	"strings"
)

// EnvPrefix starts every environment variable Fjord reads as configuration.
const EnvPrefix = "FJORD_"

// EnvToKey maps an environment variable name to a configuration key using
// the convention of the Apache Kafka and Confluent Docker images: strip the
// prefix, lower-case, then "_" → ".", "___" → "-", "__" → "_". So
// FJORD_LOG_DIRS is log.dirs, FJORD_LISTENER_SECURITY_PROTOCOL_MAP is
// listener.security.protocol.map, and FJORD_FOO__BAR is foo_bar. ok is
// false when name lacks the prefix or names nothing after it.
func EnvToKey(name string) (key string, ok bool) {
	rest, found := strings.CutPrefix(name, EnvPrefix)
	if !found || rest == "" {
		return "", false
	}
	// The order matters and is the images' own: single underscores become
	// dots first, so runs of three and two are then found as dot runs.
	key = strings.ToLower(rest)
	key = strings.ReplaceAll(key, "_", ".")
	key = strings.ReplaceAll(key, "...", "-")
	key = strings.ReplaceAll(key, "..", "_")
	return key, true
}

// rawSetting is one value from a static source, before parsing.
type rawSetting struct {
	key, value, origin string
}

// envSettings extracts FJORD_* variables from environ ("NAME=value" entries,
// as os.Environ returns them).
func envSettings(environ []string) []rawSetting {
	var out []rawSetting
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		key, ok := EnvToKey(name)
		if !ok {
			continue
		}
		out = append(out, rawSetting{key: key, value: value, origin: "env " + name})
	}
	return out
}

// overrideSettings parses "key=value" strings from command-line flags.
func overrideSettings(overrides []string) ([]rawSetting, error) {
	var out []rawSetting
	for _, kv := range overrides {
		key, value, ok := strings.Cut(kv, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			return nil, fmt.Errorf("%w: override %q is not key=value", ErrSyntax, kv)
		}
		out = append(out, rawSetting{key: key, value: value, origin: "override"})
	}
	return out, nil
}
