package group

import (
	"math"
	"unicode/utf16"
)

// OffsetsTopic is the internal topic holding committed offsets and group
// metadata.
const OffsetsTopic = "__consumer_offsets"

// PartitionFor is the partition of a coordinator topic (__consumer_offsets
// for a group id, __transaction_state for a transactional id) that owns key:
// Kafka's Utils.abs(key.hashCode()) % partitions, where hashCode is Java's
// String hash over UTF-16 code units. Clients and tools compute the same
// mapping, so it must never change.
func PartitionFor(key string, partitions int32) int32 {
	if partitions <= 0 {
		return 0
	}
	var h int32
	for _, r := range key {
		if r >= 0x10000 {
			hi, lo := utf16.EncodeRune(r)
			h = 31*h + hi
			h = 31*h + lo
			continue
		}
		h = 31*h + r
	}
	switch {
	case h == math.MinInt32:
		h = 0 // Kafka's Utils.abs
	case h < 0:
		h = -h
	}
	return h % partitions
}

// javaLength is Java's String.length(): UTF-16 code units.
func javaLength(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}
