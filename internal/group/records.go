package group

import (
	"errors"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Record is one record of __consumer_offsets: a key and a value in Kafka's
// own schemas (see the package doc). A nil Value is a tombstone.
type Record struct {
	Key, Value []byte
}

// Key versions: the first int16 of every key says which schema follows.
const (
	keyOffsetCommitV0 int16 = 0 // pre-0.9 OffsetCommitKey; read, never written
	keyOffsetCommit   int16 = 1 // OffsetCommitKey
	keyGroupMetadata  int16 = 2 // GroupMetadataKey
)

// Value versions written. Readers accept every version kmsg knows.
const (
	offsetValueVersion       int16 = 3 // OffsetCommitValue without an expire timestamp
	offsetValueExpireVersion int16 = 1 // OffsetCommitValue with one (OffsetCommit v2-v4 retention)
	groupValueVersion        int16 = 3 // GroupMetadataValue (static members, state timestamp)
)

// errUnknownKey marks records of schemas this coordinator does not serve
// (KIP-848 consumer groups, share groups): loading skips them.
var errUnknownKey = errors.New("group: unknown record key version")

// offsetValue is a committed offset as stored.
type offsetValue struct {
	Offset      int64
	LeaderEpoch int32 // -1 when the committer gave none
	Metadata    string
	CommitTime  int64 // ms
	ExpireTime  int64 // ms; -1 unless committed with an explicit retention (v2-v4)
}

func offsetRecord(group, topic string, partition int32, v *offsetValue) Record {
	return Record{Key: offsetKey(group, topic, partition), Value: v.encode()}
}

func offsetTombstone(group, topic string, partition int32) Record {
	return Record{Key: offsetKey(group, topic, partition)}
}

func offsetKey(group, topic string, partition int32) []byte {
	k := kmsg.OffsetCommitKey{Version: keyOffsetCommit, Group: group, Topic: topic, Partition: partition}
	return k.AppendTo(nil)
}

func (v *offsetValue) encode() []byte {
	kv := kmsg.NewOffsetCommitValue()
	kv.Version = offsetValueVersion
	if v.ExpireTime >= 0 {
		kv.Version = offsetValueExpireVersion
	}
	kv.Offset, kv.LeaderEpoch, kv.Metadata = v.Offset, v.LeaderEpoch, v.Metadata
	kv.CommitTimestamp, kv.ExpireTimestamp = v.CommitTime, v.ExpireTime
	return kv.AppendTo(nil)
}

func groupKey(group string) []byte {
	k := kmsg.GroupMetadataKey{Version: keyGroupMetadata, Group: group}
	return k.AppendTo(nil)
}

func groupTombstone(group string) Record { return Record{Key: groupKey(group)} }

// decoded is one record of __consumer_offsets, parsed.
type decoded struct {
	group string
	// Exactly one of these is set for an offset commit or group metadata
	// key; a nil value is a tombstone.
	isOffset bool
	topic    string
	part     int32
	offset   *offsetValue
	meta     *kmsg.GroupMetadataValue
}

// decodeRecord parses a record of __consumer_offsets. Records of other
// group types return errUnknownKey.
func decodeRecord(key, value []byte) (decoded, error) {
	var d decoded
	if len(key) < 2 {
		return d, fmt.Errorf("group: record key of %d bytes", len(key))
	}
	switch version := int16(key[0])<<8 | int16(key[1]); version {
	case keyOffsetCommitV0, keyOffsetCommit:
		var k kmsg.OffsetCommitKey
		if err := k.ReadFrom(key); err != nil {
			return d, fmt.Errorf("group: offset commit key: %w", err)
		}
		d.group, d.isOffset, d.topic, d.part = k.Group, true, k.Topic, k.Partition
		if value == nil {
			return d, nil
		}
		var v kmsg.OffsetCommitValue
		if err := v.ReadFrom(value); err != nil {
			return d, fmt.Errorf("group: offset commit value of %s %s-%d: %w", k.Group, k.Topic, k.Partition, err)
		}
		ov := &offsetValue{Offset: v.Offset, LeaderEpoch: -1, Metadata: v.Metadata, CommitTime: v.CommitTimestamp, ExpireTime: -1}
		if v.Version >= 3 {
			ov.LeaderEpoch = v.LeaderEpoch
		}
		if v.Version == 1 {
			ov.ExpireTime = v.ExpireTimestamp
		}
		d.offset = ov
		return d, nil
	case keyGroupMetadata:
		var k kmsg.GroupMetadataKey
		if err := k.ReadFrom(key); err != nil {
			return d, fmt.Errorf("group: group metadata key: %w", err)
		}
		d.group = k.Group
		if value == nil {
			return d, nil
		}
		v := kmsg.NewGroupMetadataValue()
		if err := v.ReadFrom(value); err != nil {
			return d, fmt.Errorf("group: group metadata value of %s: %w", k.Group, err)
		}
		// ReadFrom aliases nothing, but be explicit: members' bytes are kept.
		for i := range v.Members {
			v.Members[i].Subscription = slices.Clone(v.Members[i].Subscription)
			v.Members[i].Assignment = slices.Clone(v.Members[i].Assignment)
		}
		d.meta = &v
		return d, nil
	default:
		return d, fmt.Errorf("%w %d", errUnknownKey, version)
	}
}
