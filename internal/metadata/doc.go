// Package metadata holds the cluster's metadata as Kafka's KRaft does: every
// change (a topic created, a partition added, a config set, a broker
// registered) is a record appended to one metadata log, and every node
// applies committed records, in order, to an immutable Image. Components
// react to the Delta between two images. Nothing changes metadata except by
// appending records.
//
// It owns the record types and their encoding, Image and Delta, and the
// metadata log: on a single node a local partition log (__cluster_metadata-0
// through package storage) with snapshots; in a cluster (later) a Raft
// quorum behind the same Log interface. It does not decide anything (that is
// package controller) and does no I/O beyond its log and snapshot files.
//
// # Record encoding (never change existing type numbers or field names)
//
// Each metadata record is one record of a v2 batch. Its key is two bytes:
// the record type and the record's schema version. Its value is the record
// as JSON. Records proposed together are appended as one batch, so they are
// applied all or not at all. Unknown fields are ignored when decoding, so a
// newer version can add fields; an unknown record type is an error (the node
// is older than the log and must not guess).
//
//	type  record               meaning
//	   1  TopicRecord          a topic exists with this name and ID
//	   2  PartitionRecord      a partition of a topic, its replicas and leader
//	   3  ConfigRecord         a config key set (or, with a null value, removed)
//	   4  RemoveTopicRecord    a topic and all its partitions are deleted
//	   5  RegisterBrokerRecord a broker's endpoints and rack
//	   6  PartitionChangeRecord a partition's leader, ISR or epoch changed
//
// # Snapshots
//
// A snapshot is the image at an offset written as the records that rebuild
// it, in v2 batches, in the metadata log's directory as
// <end offset, 20 digits>-<epoch, 10 digits>.checkpoint (Kafka's naming),
// replaced atomically. Loading starts from the newest snapshot that reads
// whole and replays the log from its offset. The log is trimmed only below
// the second-newest snapshot, so a damaged newest snapshot costs a longer
// replay, never the metadata.
package metadata
