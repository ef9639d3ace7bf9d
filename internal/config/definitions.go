package config

import (
	"fmt"
	"slices"
)

// Definition describes one configuration key. The table below is the only
// list of keys in Fjord: loading, validation, DescribeConfigs and
// docs/configuration.md are all derived from it.
type Definition struct {
	Name string
	Type Type
	// Default is Fjord's default in Kafka's string form. It is Kafka's
	// documented default unless KafkaDefault says otherwise.
	Default string
	// NoDefault marks a key whose default is Kafka's null: unset, and
	// described with a null value.
	NoDefault bool
	// KafkaDefault is set only where Fjord's zero-config default differs
	// from Kafka's. It is documentation (Markdown), never used as a value.
	KafkaDefault string
	// Doc is one line for DescribeConfigs and the reference page.
	Doc string
	// Topic marks a topic-level configuration (the name a topic override
	// uses). Every other definition is a broker configuration.
	Topic bool
	// Synonyms lists, for a topic configuration, the broker configurations
	// that supply its value when the topic has no override, in Kafka's
	// order of precedence: the first one set wins.
	Synonyms []Synonym
	// Mode is a broker configuration's dynamic-update mode. Topic
	// configurations are always dynamic and leave it ModeReadOnly.
	Mode UpdateMode
	// Sensitive values are never shown (passwords); none are defined yet.
	Sensitive bool
	// Deprecated, when set, is a warning logged if the key is configured.
	Deprecated string
	// NegativeIsUnlimited folds any negative value supplied by a broker
	// synonym to -1, as Kafka does for log.retention.{ms,minutes,hours}.
	NegativeIsUnlimited bool

	valid validator // nil: any value of Type is accepted
}

// Synonym is a broker configuration standing in for a topic configuration.
type Synonym struct {
	Name  string
	Scale Scale // multiply the broker value by this to get the topic's unit
}

// ValidValues describes the accepted values in Kafka's notation ("[1,...]"),
// or "" when any value of the type is accepted.
func (d Definition) ValidValues() string {
	if d.valid == nil {
		return ""
	}
	return d.valid.String()
}

const longMax = "9223372036854775807"
const intMax = "2147483647"

// definitions is the table: topic configurations first, then broker ones
// grouped by area, alphabetical within a group. Defaults are Kafka 4.x's;
// KafkaDefault marks Fjord's few zero-configuration differences.
var definitions = []Definition{
	// ---- Topic configurations ----
	{Name: "cleanup.policy", Type: TypeList, Default: "delete", valid: listOf("compact", "delete"), Topic: true,
		Synonyms: syn("log.cleanup.policy"), Doc: "Old segments are deleted, compacted to the latest value per key, or both."},
	{Name: "compression.type", Type: TypeString, Default: "producer", valid: compressionTypes, Topic: true,
		Synonyms: syn("compression.type"), Doc: "Codec batches are stored with; producer keeps whatever the producer used."},
	{Name: "compression.gzip.level", Type: TypeInt, Default: "-1", valid: gzipLevel, Topic: true,
		Synonyms: syn("compression.gzip.level"), Doc: "Level used when the broker compresses with gzip."},
	{Name: "compression.lz4.level", Type: TypeInt, Default: "9", valid: between(1, 17), Topic: true,
		Synonyms: syn("compression.lz4.level"), Doc: "Level used when the broker compresses with lz4."},
	{Name: "compression.zstd.level", Type: TypeInt, Default: "3", valid: between(-131072, 22), Topic: true,
		Synonyms: syn("compression.zstd.level"), Doc: "Level used when the broker compresses with zstd."},
	{Name: "delete.retention.ms", Type: TypeLong, Default: "86400000", valid: atLeast(0), Topic: true,
		Synonyms: syn("log.cleaner.delete.retention.ms"), Doc: "How long compaction keeps tombstones so readers can see deletes."},
	{Name: "file.delete.delay.ms", Type: TypeLong, Default: "60000", valid: atLeast(0), Topic: true,
		Synonyms: syn("log.segment.delete.delay.ms"), Doc: "Delay between dropping a segment from the log and removing its files."},
	{Name: "flush.messages", Type: TypeLong, Default: longMax, valid: atLeast(1), Topic: true,
		Synonyms: syn("log.flush.interval.messages"), Doc: "Force an fsync after this many messages; the default leaves it to the OS."},
	{Name: "flush.ms", Type: TypeLong, Default: longMax, valid: atLeast(0), Topic: true,
		Synonyms: syn("log.flush.interval.ms", "log.flush.scheduler.interval.ms"), Doc: "Force an fsync when unflushed data is this old; the default leaves it to the OS."},
	{Name: "follower.replication.throttled.replicas", Type: TypeList, Default: "", valid: throttledReplicas, Topic: true,
		Doc: "Replicas whose follower-side replication is throttled, or * for all."},
	{Name: "index.interval.bytes", Type: TypeInt, Default: "4096", valid: atLeast(0), Topic: true,
		Synonyms: syn("log.index.interval.bytes"), Doc: "Bytes appended between two offset-index entries."},
	{Name: "leader.replication.throttled.replicas", Type: TypeList, Default: "", valid: throttledReplicas, Topic: true,
		Doc: "Replicas whose leader-side replication is throttled, or * for all."},
	{Name: "local.retention.bytes", Type: TypeLong, Default: "-2", valid: atLeast(-2), Topic: true,
		Synonyms: syn("log.local.retention.bytes"), Doc: "Tiered storage only: local size limit; -2 means use retention.bytes."},
	{Name: "local.retention.ms", Type: TypeLong, Default: "-2", valid: atLeast(-2), Topic: true,
		Synonyms: syn("log.local.retention.ms"), Doc: "Tiered storage only: local time limit; -2 means use retention.ms."},
	{Name: "max.compaction.lag.ms", Type: TypeLong, Default: longMax, valid: atLeast(1), Topic: true,
		Synonyms: syn("log.cleaner.max.compaction.lag.ms"), Doc: "Longest a record may stay uncompacted."},
	{Name: "max.message.bytes", Type: TypeInt, Default: "1048588", valid: atLeast(0), Topic: true,
		Synonyms: syn("message.max.bytes"), Doc: "Largest record batch accepted, after compression."},
	{Name: "message.downconversion.enable", Type: TypeBoolean, Default: "true", Topic: true,
		Synonyms:   syn("log.message.downconversion.enable"),
		Deprecated: "no effect: Kafka 4 removed message down-conversion, and so does Fjord",
		Doc:        "Deprecated no-op, accepted for compatibility with Kafka 4 configurations."},
	{Name: "message.timestamp.after.max.ms", Type: TypeLong, Default: "3600000", valid: atLeast(0), Topic: true,
		Synonyms: syn("log.message.timestamp.after.max.ms"), Doc: "With CreateTime, reject batches timestamped this far after the broker clock."},
	{Name: "message.timestamp.before.max.ms", Type: TypeLong, Default: longMax, valid: atLeast(0), Topic: true,
		Synonyms: syn("log.message.timestamp.before.max.ms"), Doc: "With CreateTime, reject batches timestamped this far before the broker clock."},
	{Name: "message.timestamp.type", Type: TypeString, Default: "CreateTime", valid: oneOf("CreateTime", "LogAppendTime"), Topic: true,
		Synonyms: syn("log.message.timestamp.type"), Doc: "Keep the producer's timestamp or stamp records with the append time."},
	{Name: "min.cleanable.dirty.ratio", Type: TypeDouble, Default: "0.5", valid: betweenFloat(0, 1), Topic: true,
		Synonyms: syn("log.cleaner.min.cleanable.ratio"), Doc: "Share of uncompacted log that makes a partition eligible for compaction."},
	{Name: "min.compaction.lag.ms", Type: TypeLong, Default: "0", valid: atLeast(0), Topic: true,
		Synonyms: syn("log.cleaner.min.compaction.lag.ms"), Doc: "Shortest time a record stays uncompacted."},
	{Name: "min.insync.replicas", Type: TypeInt, Default: "1", valid: atLeast(1), Topic: true,
		Synonyms: syn("min.insync.replicas"), Doc: "In-sync replicas needed for an acks=all write to succeed."},
	{Name: "preallocate", Type: TypeBoolean, Default: "false", Topic: true,
		Synonyms: syn("log.preallocate"), Doc: "Allocate a new segment file at full size when it is created."},
	{Name: "remote.log.copy.disable", Type: TypeBoolean, Default: "false", Topic: true,
		Doc: "Tiered storage only: stop copying segments to remote storage."},
	{Name: "remote.log.delete.on.disable", Type: TypeBoolean, Default: "false", Topic: true,
		Doc: "Tiered storage only: delete remote data when tiering is turned off."},
	{Name: "remote.storage.enable", Type: TypeBoolean, Default: "false", Topic: true,
		Doc: "Tiered storage for this topic; only false is accepted, Fjord has none."},
	{Name: "retention.bytes", Type: TypeLong, Default: "-1", Topic: true,
		Synonyms: syn("log.retention.bytes"), Doc: "Size a partition may grow to before old segments are deleted; -1 is unlimited."},
	{Name: "retention.ms", Type: TypeLong, Default: "604800000", valid: atLeast(-1), Topic: true, NegativeIsUnlimited: true,
		Synonyms: []Synonym{{"log.retention.ms", Same}, {"log.retention.minutes", Minutes}, {"log.retention.hours", Hours}},
		Doc:      "Age after which old segments are deleted; -1 is unlimited."},
	{Name: "segment.bytes", Type: TypeInt, Default: "1073741824", valid: atLeast(1 << 20), Topic: true,
		Synonyms: syn("log.segment.bytes"), Doc: "Size at which the active segment is rolled."},
	{Name: "segment.index.bytes", Type: TypeInt, Default: "10485760", valid: atLeast(4), Topic: true,
		Synonyms: syn("log.index.size.max.bytes"), Doc: "Maximum size of a segment's offset and time indexes."},
	{Name: "segment.jitter.ms", Type: TypeLong, Default: "0", valid: atLeast(0), Topic: true,
		Synonyms: []Synonym{{"log.roll.jitter.ms", Same}, {"log.roll.jitter.hours", Hours}},
		Doc:      "Random amount subtracted from segment.ms so segments do not all roll at once."},
	{Name: "segment.ms", Type: TypeLong, Default: "604800000", valid: atLeast(1), Topic: true,
		Synonyms: []Synonym{{"log.roll.ms", Same}, {"log.roll.hours", Hours}},
		Doc:      "Age at which the active segment is rolled even if not full."},
	{Name: "unclean.leader.election.enable", Type: TypeBoolean, Default: "false", Topic: true,
		Synonyms: syn("unclean.leader.election.enable"), Doc: "Allow an out-of-sync replica to become leader, at the cost of data loss."},

	// ---- Broker: identity and roles ----
	{Name: "broker.id", Type: TypeInt, Default: "1", KafkaDefault: "`-1`",
		Doc: "Alias of node.id kept for older configurations; if both are set they must agree."},
	{Name: "broker.rack", Type: TypeString, NoDefault: true, Doc: "Rack of this broker, for rack-aware replica placement."},
	{Name: "node.id", Type: TypeInt, Default: "1", KafkaDefault: "`-1` (required)", valid: atLeast(0),
		Doc: "Id of this node in the cluster."},
	{Name: "process.roles", Type: TypeList, Default: "broker,controller", KafkaDefault: "`\"\"` (required)", valid: processRoles,
		Doc: "Roles this node plays: broker, controller or both."},

	// ---- Broker: metadata quorum ----
	{Name: "broker.heartbeat.interval.ms", Type: TypeInt, Default: "2000",
		Doc: "How often a broker heartbeats to the controller."},
	{Name: "broker.session.timeout.ms", Type: TypeInt, Default: "9000",
		Doc: "A broker that has not heartbeated for this long is fenced."},
	{Name: "controller.listener.names", Type: TypeString, NoDefault: true, valid: nameList,
		Doc: "Listeners used by the controller quorum, comma-separated."},
	{Name: "controller.quorum.bootstrap.servers", Type: TypeList, Default: "", valid: hostPortList,
		Doc: "host:port of controllers to contact first (dynamic quorum)."},
	{Name: "controller.quorum.voters", Type: TypeList, Default: "", valid: quorumVoters,
		Doc: "Static controller quorum as id@host:port entries."},
	{Name: "metadata.log.dir", Type: TypeString, NoDefault: true,
		Doc: "Directory for the metadata log; defaults to the first log directory."},

	// ---- Broker: listeners and network ----
	{Name: "advertised.listeners", Type: TypeString, NoDefault: true, valid: listenerList, Mode: ModePerBroker,
		Doc: "Listeners published to clients, if different from listeners."},
	{Name: "connections.max.idle.ms", Type: TypeLong, Default: "600000",
		Doc: "Close connections idle for longer than this."},
	{Name: "inter.broker.listener.name", Type: TypeString, NoDefault: true,
		Doc: "Listener brokers use to talk to each other; defaults to security.inter.broker.protocol."},
	{Name: "listener.security.protocol.map", Type: TypeString, Mode: ModePerBroker,
		Default:      "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
		KafkaDefault: "`SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT`",
		valid:        protocolMap, Doc: "Security protocol of each listener name."},
	{Name: "listeners", Type: TypeString, Default: "PLAINTEXT://localhost:9092", KafkaDefault: "`PLAINTEXT://:9092`",
		valid: listenerList, Mode: ModePerBroker, Doc: "Addresses to listen on, NAME://host:port; an empty host means all interfaces."},
	{Name: "max.connection.creation.rate", Type: TypeInt, Default: intMax, valid: atLeast(0), Mode: ModeClusterWide,
		Doc: "New connections accepted per second, broker-wide."},
	{Name: "max.connections", Type: TypeInt, Default: intMax, valid: atLeast(0), Mode: ModeClusterWide,
		Doc: "Open connections allowed, broker-wide."},
	{Name: "max.connections.per.ip", Type: TypeInt, Default: intMax, valid: atLeast(0), Mode: ModeClusterWide,
		Doc: "Open connections allowed from one IP address."},
	{Name: "max.connections.per.ip.overrides", Type: TypeString, Default: "", valid: connectionOverrides, Mode: ModeClusterWide,
		Doc: "Per-host exceptions to max.connections.per.ip."},
	{Name: "num.io.threads", Type: TypeInt, Default: "8", valid: atLeast(1), Mode: ModeClusterWide,
		Doc: "Threads handling requests, disk I/O included."},
	{Name: "num.network.threads", Type: TypeInt, Default: "3", valid: atLeast(1), Mode: ModeClusterWide,
		Doc: "Threads reading requests from and writing responses to the network."},
	{Name: "queued.max.request.bytes", Type: TypeLong, Default: "-1",
		Doc: "Bytes of queued requests before reading stops; -1 is unlimited."},
	{Name: "queued.max.requests", Type: TypeInt, Default: "500", valid: atLeast(1),
		Doc: "Queued requests before network threads stop reading."},
	{Name: "security.inter.broker.protocol", Type: TypeString, Default: "PLAINTEXT",
		valid: oneOf("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"),
		Doc:   "Protocol between brokers when inter.broker.listener.name is not set."},
	{Name: "socket.listen.backlog.size", Type: TypeInt, Default: "50", valid: atLeast(1),
		Doc: "Pending-connection queue length of listening sockets."},
	{Name: "socket.receive.buffer.bytes", Type: TypeInt, Default: "102400",
		Doc: "SO_RCVBUF of server sockets; -1 uses the OS default."},
	{Name: "socket.request.max.bytes", Type: TypeInt, Default: "104857600", valid: atLeast(1),
		Doc: "Largest request accepted."},
	{Name: "socket.send.buffer.bytes", Type: TypeInt, Default: "102400",
		Doc: "SO_SNDBUF of server sockets; -1 uses the OS default."},

	// ---- Broker: topics and logs ----
	{Name: "auto.create.topics.enable", Type: TypeBoolean, Default: "true",
		Doc: "Create a topic when a client asks for metadata of one that does not exist."},
	{Name: "background.threads", Type: TypeInt, Default: "10", valid: atLeast(1), Mode: ModeClusterWide,
		Doc: "Threads for background work such as deleting files."},
	{Name: "compression.gzip.level", Type: TypeInt, Default: "-1", valid: gzipLevel, Mode: ModeClusterWide,
		Doc: "Default for compression.gzip.level."},
	{Name: "compression.lz4.level", Type: TypeInt, Default: "9", valid: between(1, 17), Mode: ModeClusterWide,
		Doc: "Default for compression.lz4.level."},
	{Name: "compression.type", Type: TypeString, Default: "producer", valid: compressionTypes, Mode: ModeClusterWide,
		Doc: "Default for compression.type."},
	{Name: "compression.zstd.level", Type: TypeInt, Default: "3", valid: between(-131072, 22), Mode: ModeClusterWide,
		Doc: "Default for compression.zstd.level."},
	{Name: "default.replication.factor", Type: TypeInt, Default: "1",
		Doc: "Replication factor of topics created without one."},
	{Name: "delete.topic.enable", Type: TypeBoolean, Default: "true",
		Doc: "Allow DeleteTopics; when false, deletes are refused."},
	{Name: "log.cleaner.backoff.ms", Type: TypeLong, Default: "15000", valid: atLeast(0), Mode: ModeClusterWide,
		Doc: "Sleep of the cleaner when no partition needs compaction."},
	{Name: "log.cleaner.dedupe.buffer.size", Type: TypeLong, Default: "134217728", Mode: ModeClusterWide,
		Doc: "Memory for compaction's key map, shared by all cleaner threads."},
	{Name: "log.cleaner.delete.retention.ms", Type: TypeLong, Default: "86400000", valid: atLeast(0), Mode: ModeClusterWide,
		Doc: "Default for delete.retention.ms."},
	{Name: "log.cleaner.enable", Type: TypeBoolean, Default: "true",
		Doc: "Run the log cleaner, which compacts topics with cleanup.policy=compact."},
	{Name: "log.cleaner.io.buffer.load.factor", Type: TypeDouble, Default: "0.9", Mode: ModeClusterWide,
		Doc: "How full compaction's key map may get."},
	{Name: "log.cleaner.io.buffer.size", Type: TypeInt, Default: "524288", valid: atLeast(0), Mode: ModeClusterWide,
		Doc: "I/O buffer memory of the cleaner, shared by its threads."},
	{Name: "log.cleaner.io.max.bytes.per.second", Type: TypeDouble, Default: "1.7976931348623157E308", Mode: ModeClusterWide,
		Doc: "Throttle on the cleaner's combined read and write rate."},
	{Name: "log.cleaner.max.compaction.lag.ms", Type: TypeLong, Default: longMax, valid: atLeast(1), Mode: ModeClusterWide,
		Doc: "Default for max.compaction.lag.ms."},
	{Name: "log.cleaner.min.cleanable.ratio", Type: TypeDouble, Default: "0.5", valid: betweenFloat(0, 1), Mode: ModeClusterWide,
		Doc: "Default for min.cleanable.dirty.ratio."},
	{Name: "log.cleaner.min.compaction.lag.ms", Type: TypeLong, Default: "0", valid: atLeast(0), Mode: ModeClusterWide,
		Doc: "Default for min.compaction.lag.ms."},
	{Name: "log.cleaner.threads", Type: TypeInt, Default: "1", valid: atLeast(0), Mode: ModeClusterWide,
		Doc: "Threads compacting logs."},
	{Name: "log.cleanup.policy", Type: TypeList, Default: "delete", valid: listOf("compact", "delete"), Mode: ModeClusterWide,
		Doc: "Default for cleanup.policy."},
	{Name: "log.dir", Type: TypeString, Default: "./fjord-data", KafkaDefault: "`/tmp/kafka-logs`",
		Doc: "Data directory, used when log.dirs is not set."},
	{Name: "log.dirs", Type: TypeString, NoDefault: true,
		Doc: "Comma-separated data directories; overrides log.dir."},
	{Name: "log.flush.interval.messages", Type: TypeLong, Default: longMax, valid: atLeast(1), Mode: ModeClusterWide,
		Doc: "Default for flush.messages."},
	{Name: "log.flush.interval.ms", Type: TypeLong, NoDefault: true, Mode: ModeClusterWide,
		Doc: "Default for flush.ms; when unset, log.flush.scheduler.interval.ms is used."},
	{Name: "log.flush.offset.checkpoint.interval.ms", Type: TypeInt, Default: "60000", valid: atLeast(0),
		Doc: "How often the recovery-point checkpoint is written."},
	{Name: "log.flush.scheduler.interval.ms", Type: TypeLong, Default: longMax,
		Doc: "How often logs are checked for a time-based flush; also flush.ms's last fallback."},
	{Name: "log.flush.start.offset.checkpoint.interval.ms", Type: TypeInt, Default: "60000", valid: atLeast(0),
		Doc: "How often the log-start-offset checkpoint is written."},
	{Name: "log.index.interval.bytes", Type: TypeInt, Default: "4096", valid: atLeast(0), Mode: ModeClusterWide,
		Doc: "Default for index.interval.bytes."},
	{Name: "log.index.size.max.bytes", Type: TypeInt, Default: "10485760", valid: atLeast(4), Mode: ModeClusterWide,
		Doc: "Default for segment.index.bytes."},
	{Name: "log.local.retention.bytes", Type: TypeLong, Default: "-2", valid: atLeast(-2), Mode: ModeClusterWide,
		Doc: "Default for local.retention.bytes."},
	{Name: "log.local.retention.ms", Type: TypeLong, Default: "-2", valid: atLeast(-2), Mode: ModeClusterWide,
		Doc: "Default for local.retention.ms."},
	{Name: "log.message.downconversion.enable", Type: TypeBoolean, Default: "true", Mode: ModeClusterWide,
		Deprecated: "no effect: Kafka 4 removed message down-conversion, and so does Fjord",
		Doc:        "Deprecated no-op; default for message.downconversion.enable."},
	{Name: "log.message.timestamp.after.max.ms", Type: TypeLong, Default: "3600000", valid: atLeast(0), Mode: ModeClusterWide,
		Doc: "Default for message.timestamp.after.max.ms."},
	{Name: "log.message.timestamp.before.max.ms", Type: TypeLong, Default: longMax, valid: atLeast(0), Mode: ModeClusterWide,
		Doc: "Default for message.timestamp.before.max.ms."},
	{Name: "log.message.timestamp.type", Type: TypeString, Default: "CreateTime", valid: oneOf("CreateTime", "LogAppendTime"), Mode: ModeClusterWide,
		Doc: "Default for message.timestamp.type."},
	{Name: "log.preallocate", Type: TypeBoolean, Default: "false", Mode: ModeClusterWide,
		Doc: "Default for preallocate."},
	{Name: "log.retention.bytes", Type: TypeLong, Default: "-1", Mode: ModeClusterWide,
		Doc: "Default for retention.bytes."},
	{Name: "log.retention.check.interval.ms", Type: TypeLong, Default: "300000", valid: atLeast(1),
		Doc: "How often logs are checked for segments to delete."},
	{Name: "log.retention.hours", Type: TypeInt, Default: "168",
		Doc: "Default for retention.ms in hours; log.retention.minutes and log.retention.ms take precedence."},
	{Name: "log.retention.minutes", Type: TypeInt, NoDefault: true,
		Doc: "Default for retention.ms in minutes; log.retention.ms takes precedence."},
	{Name: "log.retention.ms", Type: TypeLong, NoDefault: true, Mode: ModeClusterWide,
		Doc: "Default for retention.ms; any negative value means unlimited."},
	{Name: "log.roll.hours", Type: TypeInt, Default: "168", valid: atLeast(1),
		Doc: "Default for segment.ms in hours; log.roll.ms takes precedence."},
	{Name: "log.roll.jitter.hours", Type: TypeInt, Default: "0", valid: atLeast(0),
		Doc: "Default for segment.jitter.ms in hours; log.roll.jitter.ms takes precedence."},
	{Name: "log.roll.jitter.ms", Type: TypeLong, NoDefault: true, Mode: ModeClusterWide,
		Doc: "Default for segment.jitter.ms."},
	{Name: "log.roll.ms", Type: TypeLong, NoDefault: true, Mode: ModeClusterWide,
		Doc: "Default for segment.ms."},
	{Name: "log.segment.bytes", Type: TypeInt, Default: "1073741824", valid: atLeast(1 << 20), Mode: ModeClusterWide,
		Doc: "Default for segment.bytes."},
	{Name: "log.segment.delete.delay.ms", Type: TypeLong, Default: "60000", valid: atLeast(0), Mode: ModeClusterWide,
		Doc: "Default for file.delete.delay.ms."},
	{Name: "message.max.bytes", Type: TypeInt, Default: "1048588", valid: atLeast(0), Mode: ModeClusterWide,
		Doc: "Default for max.message.bytes."},
	{Name: "min.insync.replicas", Type: TypeInt, Default: "1", valid: atLeast(1), Mode: ModeClusterWide,
		Doc: "Default for min.insync.replicas."},
	{Name: "num.partitions", Type: TypeInt, Default: "1", valid: atLeast(1),
		Doc: "Partition count of topics created without one."},
	{Name: "num.recovery.threads.per.data.dir", Type: TypeInt, Default: "2", valid: atLeast(1), Mode: ModeClusterWide,
		Doc: "Threads per data directory recovering logs at startup and flushing them at shutdown."},
	{Name: "remote.log.storage.system.enable", Type: TypeBoolean, Default: "false", valid: onlyFalse("tiered storage"),
		Doc: "Tiered storage for the broker; only false is accepted."},
	{Name: "unclean.leader.election.enable", Type: TypeBoolean, Default: "false", Mode: ModeClusterWide,
		Doc: "Default for unclean.leader.election.enable."},

	// ---- Broker: replication ----
	{Name: "auto.leader.rebalance.enable", Type: TypeBoolean, Default: "true",
		Doc: "Move leadership back to preferred replicas in the background."},
	{Name: "fetch.max.bytes", Type: TypeInt, Default: "57671680", valid: atLeast(1024),
		Doc: "Largest fetch response the broker builds for a consumer."},
	{Name: "leader.imbalance.check.interval.seconds", Type: TypeLong, Default: "300", valid: atLeast(1),
		Doc: "How often leader balance is checked."},
	{Name: "leader.imbalance.per.broker.percentage", Type: TypeInt, Default: "10",
		Doc: "Leader imbalance per broker that triggers a rebalance."},
	{Name: "max.incremental.fetch.session.cache.slots", Type: TypeInt, Default: "1000", valid: atLeast(0),
		Doc: "Incremental fetch sessions the broker keeps."},
	{Name: "num.replica.fetchers", Type: TypeInt, Default: "1", Mode: ModeClusterWide,
		Doc: "Fetcher threads per source broker on a follower."},
	{Name: "replica.fetch.backoff.ms", Type: TypeInt, Default: "1000", valid: atLeast(0),
		Doc: "Pause of a follower after a fetch error."},
	{Name: "replica.fetch.max.bytes", Type: TypeInt, Default: "1048576", valid: atLeast(0),
		Doc: "Bytes a follower fetches per partition per request."},
	{Name: "replica.fetch.min.bytes", Type: TypeInt, Default: "1",
		Doc: "Bytes a follower fetch waits for."},
	{Name: "replica.fetch.response.max.bytes", Type: TypeInt, Default: "10485760", valid: atLeast(0),
		Doc: "Largest response a follower fetch asks for."},
	{Name: "replica.fetch.wait.max.ms", Type: TypeInt, Default: "500",
		Doc: "Longest a follower fetch waits on the leader."},
	{Name: "replica.high.watermark.checkpoint.interval.ms", Type: TypeLong, Default: "5000",
		Doc: "How often high watermarks are checkpointed."},
	{Name: "replica.lag.time.max.ms", Type: TypeLong, Default: "30000",
		Doc: "A follower not caught up for this long leaves the ISR."},
	{Name: "replica.socket.timeout.ms", Type: TypeInt, Default: "30000",
		Doc: "Socket timeout of follower fetches."},

	// ---- Broker: group coordinator ----
	{Name: "group.coordinator.rebalance.protocols", Type: TypeList, Default: "classic,consumer", valid: rebalanceProtocols,
		Doc: "Group protocols served; classic cannot be disabled."},
	{Name: "group.initial.rebalance.delay.ms", Type: TypeInt, Default: "3000",
		Doc: "Wait for more members before the first rebalance of an empty classic group."},
	{Name: "group.max.session.timeout.ms", Type: TypeInt, Default: "1800000",
		Doc: "Largest session timeout a classic-group member may ask for."},
	{Name: "group.max.size", Type: TypeInt, Default: intMax, valid: atLeast(1),
		Doc: "Members allowed in one classic group."},
	{Name: "group.min.session.timeout.ms", Type: TypeInt, Default: "6000",
		Doc: "Smallest session timeout a classic-group member may ask for."},
	{Name: "offset.metadata.max.bytes", Type: TypeInt, Default: "4096",
		Doc: "Largest metadata string stored with a committed offset."},
	{Name: "offsets.commit.timeout.ms", Type: TypeInt, Default: "5000", valid: atLeast(1),
		Doc: "How long an offset commit waits for the offsets topic write."},
	{Name: "offsets.load.buffer.size", Type: TypeInt, Default: "5242880", valid: atLeast(1),
		Doc: "Read batch size when loading offsets into the coordinator cache."},
	{Name: "offsets.retention.check.interval.ms", Type: TypeLong, Default: "600000", valid: atLeast(1),
		Doc: "How often expired offsets are looked for."},
	{Name: "offsets.retention.minutes", Type: TypeInt, Default: "10080", valid: atLeast(1),
		Doc: "Committed offsets of an empty group are kept this long."},
	{Name: "offsets.topic.num.partitions", Type: TypeInt, Default: "50", valid: atLeast(1),
		Doc: "Partitions of __consumer_offsets; do not change after deployment."},
	{Name: "offsets.topic.replication.factor", Type: TypeShort, Default: "1", KafkaDefault: "`3`", valid: atLeast(1),
		Doc: "Replication factor of __consumer_offsets."},
	{Name: "offsets.topic.segment.bytes", Type: TypeInt, Default: "104857600", valid: atLeast(1),
		Doc: "Segment size of __consumer_offsets."},

	// ---- Broker: transactions and share groups ----
	{Name: "producer.id.expiration.ms", Type: TypeInt, Default: "86400000", valid: atLeast(1), Mode: ModeClusterWide,
		Doc: "Producer id state is dropped after this long without writes."},
	{Name: "share.coordinator.state.topic.min.isr", Type: TypeShort, Default: "1", KafkaDefault: "`2`", valid: atLeast(1),
		Doc: "min.insync.replicas of the share-group state topic (share groups are not served yet)."},
	{Name: "share.coordinator.state.topic.replication.factor", Type: TypeShort, Default: "1", KafkaDefault: "`3`", valid: atLeast(1),
		Doc: "Replication factor of the share-group state topic (share groups are not served yet)."},
	{Name: "transaction.max.timeout.ms", Type: TypeInt, Default: "900000", valid: atLeast(1),
		Doc: "Largest transaction timeout a producer may ask for."},
	{Name: "transaction.state.log.min.isr", Type: TypeInt, Default: "1", KafkaDefault: "`2`", valid: atLeast(1),
		Doc: "min.insync.replicas of __transaction_state."},
	{Name: "transaction.state.log.num.partitions", Type: TypeInt, Default: "50", valid: atLeast(1),
		Doc: "Partitions of __transaction_state; do not change after deployment."},
	{Name: "transaction.state.log.replication.factor", Type: TypeShort, Default: "1", KafkaDefault: "`3`", valid: atLeast(1),
		Doc: "Replication factor of __transaction_state."},
	{Name: "transaction.state.log.segment.bytes", Type: TypeInt, Default: "104857600", valid: atLeast(1),
		Doc: "Segment size of __transaction_state."},
	{Name: "transactional.id.expiration.ms", Type: TypeInt, Default: "604800000", valid: atLeast(1),
		Doc: "A transactional id unused for this long is forgotten."},
}

var compressionTypes = oneOf("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")

func syn(names ...string) []Synonym {
	out := make([]Synonym, len(names))
	for i, n := range names {
		out[i] = Synonym{Name: n, Scale: Same}
	}
	return out
}

// Indexes over the table, and each definition's parsed default (nil for a
// null default), built once at start-up.
var (
	topicDefs      = map[string]*Definition{}
	brokerDefs     = map[string]*Definition{}
	defaultValues  = map[*Definition]any{}
	synonymGroupOf = map[string][]Synonym{} // broker key → its topic's synonym chain
)

func init() {
	for i := range definitions {
		d := &definitions[i]
		index := brokerDefs
		if d.Topic {
			index = topicDefs
		}
		if _, dup := index[d.Name]; dup {
			panic("config: duplicate definition " + d.Name)
		}
		index[d.Name] = d
		if d.NoDefault {
			continue
		}
		v, err := d.parse(d.Default)
		if err != nil {
			panic(fmt.Sprintf("config: bad default in definitions table: %v", err))
		}
		defaultValues[d] = v
	}
	for _, t := range topicDefs {
		for _, s := range t.Synonyms {
			if brokerDefs[s.Name] == nil {
				panic("config: " + t.Name + " names undefined broker synonym " + s.Name)
			}
			if len(t.Synonyms) > 1 {
				synonymGroupOf[s.Name] = t.Synonyms
			}
		}
	}
}

// parse turns a raw value into this definition's internal representation and
// checks it against the validator.
func (d *Definition) parse(raw string) (any, *Error) {
	v, reason := parseValue(d.Type, raw)
	if reason != "" {
		return nil, invalid(d.Name, raw, reason)
	}
	if d.valid != nil {
		if bad, reason := d.valid.check(v); reason != "" {
			return nil, invalid(d.Name, bad, reason)
		}
	}
	return v, nil
}

// Definitions returns a copy of the table, topic configurations first.
func Definitions() []Definition {
	out := make([]Definition, len(definitions))
	for i := range definitions {
		out[i] = definitions[i].clone()
	}
	return out
}

// TopicDefinition looks up a topic-level configuration.
func TopicDefinition(name string) (Definition, bool) {
	d, ok := topicDefs[name]
	if !ok {
		return Definition{}, false
	}
	return d.clone(), true
}

// BrokerDefinition looks up a broker configuration.
func BrokerDefinition(name string) (Definition, bool) {
	d, ok := brokerDefs[name]
	if !ok {
		return Definition{}, false
	}
	return d.clone(), true
}

// clone copies a definition deeply enough that callers cannot edit the table.
func (d *Definition) clone() Definition {
	c := *d
	c.Synonyms = slices.Clone(d.Synonyms)
	return c
}
