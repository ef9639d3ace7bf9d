// Package config owns every configuration key Fjord understands: broker
// configuration (server.properties) and topic configuration (CreateTopics,
// AlterConfigs, IncrementalAlterConfigs), with Apache Kafka 4.x's names,
// types, defaults, validation rules and error messages, so that Kafka
// configurations and clients work unchanged.
//
// The definitions table (definitions.go) is the only list of keys. Loading,
// validation, DescribeConfigs entries and docs/configuration.md are all
// derived from it; TestReferenceDocIsCurrent fails when the document is
// stale, and `go generate ./internal/config` rewrites it.
//
// # Broker configuration
//
// Load reads, lowest precedence first:
//
//  1. the table's defaults (Kafka's, except a few zero-configuration
//     choices recorded as KafkaDefault: listeners on localhost:9092, data in
//     ./fjord-data, node.id 1 in combined broker+controller mode, and
//     internal topics with replication factor 1);
//  2. server.properties, in Java .properties syntax (ParseProperties);
//  3. FJORD_* environment variables, named as in Kafka's Docker images
//     (EnvToKey: FJORD_LOG_DIRS is log.dirs);
//  4. key=value overrides from command-line flags.
//
// Those three sources are Kafka's STATIC_BROKER_CONFIG. On top of them, the
// metadata log may later set dynamic values, cluster-wide
// (DYNAMIC_DEFAULT_BROKER_CONFIG) or for this broker
// (DYNAMIC_BROKER_CONFIG); WithDynamic builds the configuration with those
// layers and ValidateDynamic checks a proposed change. Unknown keys are
// warnings; invalid values and contradictions are errors naming the key,
// the value and the reason.
//
// # Topic configuration
//
// A topic's effective value for a key is its own override if set, else the
// first of the key's broker synonyms that has a value (each looked up
// through the dynamic and static layers; log.retention.ms, then
// log.retention.minutes, then log.retention.hours, converted to
// milliseconds), else the key's default. ResolveTopic returns the typed
// result, ValidateTopic checks overrides, DescribeTopic lists every key with
// its source and synonym chain.
//
// The package does no I/O of its own and imports no other Fjord package;
// it knows nothing of the Kafka wire protocol beyond the ids its Source and
// Type values share with DescribeConfigs.
package config

//go:generate go test -run TestReferenceDocIsCurrent -update .
