package config

import (
	"fmt"
	"strings"
)

// ReferenceDoc renders docs/configuration.md from the definitions table.
func ReferenceDoc() []byte {
	var b strings.Builder
	b.WriteString(docIntro)

	b.WriteString("\n## Differences from Kafka's defaults\n\n")
	b.WriteString("Fjord runs with no configuration as a single-node cluster. These defaults differ from Kafka's for that reason; set them explicitly for a multi-node cluster.\n\n")
	b.WriteString("| Name | Fjord default | Kafka default |\n|---|---|---|\n")
	for _, d := range definitions {
		if d.KafkaDefault != "" {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", d.Name, code(d.defaultText()), d.KafkaDefault)
		}
	}

	b.WriteString("\n## Topic configurations\n\n")
	b.WriteString("Set per topic with `kafka-topics.sh --config` or `kafka-configs.sh --alter`. Without an override a topic takes the first broker synonym that is set, in the order listed, converted to the topic's unit.\n\n")
	b.WriteString("| Name | Type | Default | Valid values | Broker synonyms | Description |\n|---|---|---|---|---|---|\n")
	for _, d := range definitions {
		if !d.Topic {
			continue
		}
		syns := make([]string, len(d.Synonyms))
		for i, s := range d.Synonyms {
			syns[i] = "`" + s.Name + "`"
			if s.Scale != Same {
				syns[i] += fmt.Sprintf(" (×%d)", s.Scale)
			}
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", d.Name, d.Type, code(d.defaultText()),
			code0(d.ValidValues()), strings.Join(syns, ", "), cell(d.description()))
	}

	b.WriteString("\n## Broker configurations\n\n")
	b.WriteString("Dynamic update modes are Kafka's: *read-only* keys take effect at startup, *per-broker* keys may be altered for one broker, *cluster-wide* keys for one broker or as the cluster default.\n\n")
	b.WriteString("| Name | Type | Default | Valid values | Dynamic update | Description |\n|---|---|---|---|---|---|\n")
	for _, d := range definitions {
		if d.Topic {
			continue
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", d.Name, d.Type, code(d.defaultText()),
			code0(d.ValidValues()), d.Mode, cell(d.description()))
	}
	return []byte(b.String())
}

func (d Definition) defaultText() string {
	if d.NoDefault {
		return "null"
	}
	return d.Default
}

func (d Definition) description() string {
	if d.Deprecated != "" && !strings.Contains(d.Doc, "eprecated") {
		return d.Doc + " Deprecated: " + d.Deprecated + "."
	}
	return d.Doc
}

func code(s string) string {
	if s == "" {
		return `""`
	}
	return "`" + strings.ReplaceAll(s, "|", `\|`) + "`"
}

// code0 is code for optional cells: nothing for an empty string.
func code0(s string) string {
	if s == "" {
		return ""
	}
	return code(s)
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

const docIntro = `# Configuration reference

<!-- Generated from internal/config/definitions.go by ` + "`go generate ./internal/config`" + `. Do not edit. -->

Fjord uses Apache Kafka 4.x's configuration names, types, defaults and validation, so an existing
` + "`server.properties`" + ` and existing client tooling work unchanged.

## Where broker configuration comes from

Lowest precedence first; a later source wins for the same key:

1. the defaults below;
2. ` + "`server.properties`" + ` (Java properties syntax: ` + "`key=value`" + `, ` + "`key: value`" + ` or ` + "`key value`" + `, ` + "`#`" + ` and ` + "`!`" + ` comments,
   backslash continuations and escapes; read as UTF-8);
3. environment variables starting with ` + "`FJORD_`" + `;
4. ` + "`key=value`" + ` overrides given on the command line.

Those are reported by DescribeConfigs as ` + "`STATIC_BROKER_CONFIG`" + `. Keys marked dynamic below may then be changed at
runtime with ` + "`kafka-configs.sh --entity-type brokers`" + `, for one broker (` + "`DYNAMIC_BROKER_CONFIG`" + `) or as the
cluster-wide default (` + "`DYNAMIC_DEFAULT_BROKER_CONFIG`" + `), the former winning.

Unknown keys are logged and ignored. An invalid value stops the broker with a message naming the key, the value and
the reason.

### Environment variables

The name maps to a key as in Kafka's Docker images: drop ` + "`FJORD_`" + `, lower-case, then ` + "`_`" + ` becomes ` + "`.`" + `,
` + "`__`" + ` becomes ` + "`_`" + ` and ` + "`___`" + ` becomes ` + "`-`" + `.

| Variable | Key |
|---|---|
| ` + "`FJORD_LOG_DIRS=/var/lib/fjord`" + ` | ` + "`log.dirs`" + ` |
| ` + "`FJORD_LISTENER_SECURITY_PROTOCOL_MAP=...`" + ` | ` + "`listener.security.protocol.map`" + ` |
| ` + "`FJORD_FOO__BAR`" + ` | ` + "`foo_bar`" + ` |
| ` + "`FJORD_FOO___BAR`" + ` | ` + "`foo-bar`" + ` |

### Time settings with several units

As in Kafka, the most precise unit wins when more than one is set: ` + "`log.retention.ms`" + ` over
` + "`log.retention.minutes`" + ` over ` + "`log.retention.hours`" + `; ` + "`log.roll.ms`" + ` over ` + "`log.roll.hours`" + `;
` + "`log.roll.jitter.ms`" + ` over ` + "`log.roll.jitter.hours`" + `; ` + "`log.flush.interval.ms`" + ` over
` + "`log.flush.scheduler.interval.ms`" + `. A negative retention in any unit means unlimited.

### Listeners

` + "`listeners`" + ` and ` + "`advertised.listeners`" + ` are comma-separated ` + "`NAME://host:port`" + ` entries. An empty host
(` + "`PLAINTEXT://:9092`" + `) binds every interface; IPv6 literals go in brackets (` + "`PLAINTEXT://[::1]:9092`" + `). Every
name needs an entry in ` + "`listener.security.protocol.map`" + `. ` + "`advertised.listeners`" + ` defaults to ` + "`listeners`" + `.
A node running both roles may leave out the controller listener and quorum settings; when they are given, they are
checked as Kafka checks them.
`
