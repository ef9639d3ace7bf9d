// Package group is the group coordinator: Kafka's classic consumer group
// protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup, static members)
// and committed offsets (OffsetCommit, OffsetFetch, OffsetDelete), plus
// ListGroups, DescribeGroups and DeleteGroups. It owns the state of every
// group whose partition of __consumer_offsets this broker leads, and that
// partition's records. It touches no sockets and no segment files: it
// appends to and reads from partitions through package replica and storage.
//
// # State machine and runtime
//
// Shard is the coordinator of one __consumer_offsets partition and is
// deterministic: its inputs are requests, clock ticks and the outcome of
// appends, each carrying the current time; its outputs (Ready) are
// responses and records to append. Timers are data in the shard (heartbeat
// expiry per member, the join phase and initial rebalance delay per group,
// the wait for SyncGroup, the periodic offset expiry); NextDeadline says
// when Tick is due. Requests that wait (JoinGroup until the join phase
// ends, SyncGroup until the leader's assignment is written) are parked by
// CallID and answered in a later Ready. The states are Kafka's (Empty,
// PreparingRebalance, CompletingRebalance, Stable, Dead) with Kafka's
// transitions and error codes; classic.go, join.go, membership.go,
// offsets.go and admin.go follow Kafka's GroupMetadataManager and
// OffsetMetadataManager rule for rule. Cooperative rebalancing is the
// clients' (two ordinary rebalances); the coordinator only has to accept
// commits from the previous generation while preparing a rebalance, which
// it does.
//
// Coordinator is the thin runtime around the shards: a mutex per shard,
// under which requests run and appends are written (so nothing else
// happens to a shard between an append and its outcome), a time.Timer per
// shard armed at its next deadline, a channel per waiting request that its
// handler waits on while the request's context lasts, and loading when
// metadata makes this broker leader of a partition (requests get
// COORDINATOR_LOAD_IN_PROGRESS meanwhile, NOT_COORDINATOR for partitions
// it does not lead).
//
// A commit is acknowledged only once its records are committed in the
// partition (acks=all: on a single node, at the high watermark); the
// in-memory offsets change only then, so a failed write leaves nothing
// claimed and is answered with Kafka's coordinator error for it
// (NOT_COORDINATOR for NOT_LEADER_OR_FOLLOWER and KAFKA_STORAGE_ERROR,
// COORDINATOR_NOT_AVAILABLE for UNKNOWN_TOPIC_OR_PARTITION and
// NOT_ENOUGH_REPLICAS, UNKNOWN_SERVER_ERROR for MESSAGE_TOO_LARGE).
//
// # Persistence format (Kafka's; never change)
//
// Groups are mapped to partitions of __consumer_offsets by
// abs(Java String.hashCode(group)) % partitions (PartitionFor). The topic
// is created on the first FindCoordinator with offsets.topic.num.partitions
// partitions, offsets.topic.replication.factor, cleanup.policy=compact,
// compression.type=producer and segment.bytes=offsets.topic.segment.bytes.
// Records are in uncompressed v2 batches, one key and value each, in the
// schemas of Kafka's coordinator (kmsg's generated types):
//
//	key                                   value
//	int16 1, OffsetCommitKey              OffsetCommitValue v3 (v1 when an
//	  (group, topic, partition)             explicit retention gave an expiry)
//	int16 2, GroupMetadataKey (group)     GroupMetadataValue v3: protocol type,
//	                                        generation, protocol, leader, state
//	                                        timestamp, members with subscription
//	                                        and assignment
//
// A null value is a tombstone: an offset deleted (OffsetDelete, expiry,
// its topic deleted, DeleteGroups) or a group deleted. Group metadata is
// written when a new group is created (empty), when the leader's
// assignment is accepted, when a static member is replaced, and when a
// group becomes empty; offsets on every commit. Key versions 0 (old offset
// keys) are read; others (KIP-848 groups) are skipped when loading.
//
// # Loading, and what bounds it
//
// A partition's state is rebuilt by replaying its records from the log
// start offset to the high watermark: the last value per key wins and a
// tombstone removes the key, exactly what compaction preserves. Groups
// with members come back Stable, each member with a fresh session.
//
// The log cleaner does not exist yet, so the coordinator bounds the log
// itself with snapshots. After each write it compares the records between
// the log start and end (span) with the live state L (one record per
// committed offset and per group with persisted metadata). Once span >=
// L + max(SnapshotMinRecords, L) (default 10000), it appends the live state
// again, as the same keys and values compaction would have kept (the last
// metadata written per group, every committed offset), then moves the log
// start offset to where that restatement begins (DeleteRecordsBefore),
// which also deletes the segments wholly before it. Nothing else can happen
// to the shard meanwhile, so the restatement equals the state at its
// offset. A load therefore reads fewer than 2L + SnapshotMinRecords plus
// one request's records; writes cost at most twice the records. A crash
// between the restatement and the trim only means reading the older
// records too: replaying them and then the restatement gives the same
// state. The moved log start offset is checkpointed in the background
// at once; a crash before that costs one longer load, not state. The trim
// goes to the log directly: replica's DeleteRecords refuses compacted
// topics, as Kafka's does for clients. Because a snapshot is ordinary
// records, a tool reading __consumer_offsets decodes it like any other.
package group
