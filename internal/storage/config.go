package storage

import (
	"math"

	"github.com/fjordlabs/fjord/internal/record"
)

// Config is the part of a topic's configuration the log obeys. Field names
// follow Kafka's topic configs; the broker builds it from the resolved topic
// configuration. Durations are in milliseconds; -1 disables a limit where
// Kafka allows it, and math.MaxInt64 means "never" as in Kafka.
type Config struct {
	SegmentBytes       int64 // segment.bytes
	SegmentMs          int64 // segment.ms
	SegmentJitterMs    int64 // segment.jitter.ms
	SegmentIndexBytes  int64 // segment.index.bytes: caps entries per index
	IndexIntervalBytes int64 // index.interval.bytes
	RetentionMs        int64 // retention.ms, -1 unlimited
	RetentionBytes     int64 // retention.bytes, -1 unlimited
	FlushMessages      int64 // flush.messages
	FlushMs            int64 // flush.ms
	FileDeleteDelayMs  int64 // file.delete.delay.ms
	MaxMessageBytes    int64 // max.message.bytes: largest batch accepted
	// LogAppendTime is message.timestamp.type=LogAppendTime.
	LogAppendTime bool
	// TimestampBeforeMaxMs and TimestampAfterMaxMs bound how far a
	// CreateTime timestamp may be before or after the broker's clock
	// (message.timestamp.before.max.ms / after.max.ms).
	TimestampBeforeMaxMs int64
	TimestampAfterMaxMs  int64
	// Delete and Compact are cleanup.policy. Retention by time and size
	// applies only with Delete; Compact requires every record to have a key.
	Delete  bool
	Compact bool
	// Compression is compression.type: CompressionProducer keeps batches as
	// the producer compressed them; any codec recompresses to it.
	Compression Compression
	// ProducerIDExpirationMs is the broker's producer.id.expiration.ms:
	// an idempotent producer silent for this long is forgotten.
	ProducerIDExpirationMs int64
	// DecompressLimit bounds how large a produced batch may become when
	// decompressed for validation (a decompression bomb guard).
	DecompressLimit int
}

// Compression is a topic's compression.type.
type Compression struct {
	Producer bool         // "producer": keep what the producer sent
	Codec    record.Codec // used when !Producer ("uncompressed" is CodecNone)
}

// CompressionProducer is compression.type=producer.
var CompressionProducer = Compression{Producer: true}

// DefaultConfig is Kafka's default topic configuration.
func DefaultConfig() Config {
	return Config{
		SegmentBytes:         1 << 30,
		SegmentMs:            7 * 24 * 3600 * 1000,
		SegmentJitterMs:      0,
		SegmentIndexBytes:    10 << 20,
		IndexIntervalBytes:   4096,
		RetentionMs:          7 * 24 * 3600 * 1000,
		RetentionBytes:       -1,
		FlushMessages:        math.MaxInt64,
		FlushMs:              math.MaxInt64,
		FileDeleteDelayMs:    60000,
		MaxMessageBytes:      1048588,
		TimestampBeforeMaxMs: math.MaxInt64,
		TimestampAfterMaxMs:  3600000,
		Delete:               true,
		Compression:          CompressionProducer,
		DecompressLimit:      record.DefaultDecompressLimit,

		ProducerIDExpirationMs: 86400000,
	}
}

// maxOffsetEntries is how many offset index entries a segment may hold.
func (c *Config) maxOffsetEntries() int { return max(1, int(c.SegmentIndexBytes/offsetEntrySize)) }

// maxTimeEntries is how many time index entries a segment may hold.
func (c *Config) maxTimeEntries() int { return max(1, int(c.SegmentIndexBytes/timeEntrySize)) }
