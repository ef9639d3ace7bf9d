// Package record parses, validates and builds Kafka record batches in the v2
// format (magic 2), the only format Fjord stores or serves. It owns the byte
// layout, the CRC and the compression codecs; it never touches files.
//
// # Batch layout
//
// All integers are big-endian. Offsets are from the start of the batch.
//
//	offset size field
//	     0    8 baseOffset            assigned by the broker's log
//	     8    4 batchLength           bytes after this field (total size - 12)
//	    12    4 partitionLeaderEpoch  assigned by the broker's log
//	    16    1 magic                 always 2
//	    17    4 crc                   CRC-32C (Castagnoli) of bytes [21, end)
//	    21    2 attributes            see below
//	    23    4 lastOffsetDelta       offset of the last record - baseOffset
//	    27    8 baseTimestamp         timestamp of the first record
//	    35    8 maxTimestamp          largest record timestamp (or the log append time)
//	    43    8 producerId            -1 when not idempotent
//	    51    2 producerEpoch
//	    53    4 baseSequence
//	    57    4 recordCount
//	    61    - records               compressed as a whole per attributes
//
// Attributes: bits 0-2 compression (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd),
// bit 3 timestamp type (1 = LogAppendTime), bit 4 transactional, bit 5 control
// batch, bit 6 delete horizon set (compaction).
//
// The CRC covers attributes through the end of the records, so the broker can
// set baseOffset and partitionLeaderEpoch without recomputing it; setting
// LogAppendTime changes the attributes and maxTimestamp and does recompute it.
//
// # Record layout (inside the possibly compressed records section)
//
//	length         varint   bytes after this field
//	attributes     int8     unused, 0
//	timestampDelta varlong  from baseTimestamp
//	offsetDelta    varint   from baseOffset
//	keyLength      varint   -1 for a null key
//	key            bytes
//	valueLength    varint   -1 for a null value
//	value          bytes
//	headerCount    varint
//	headers        headerCount × (keyLength varint, key, valueLength varint, value)
//
// Varints are zig-zag encoded as in protobuf.
//
// # Compression
//
// gzip, snappy, lz4 and zstd compress the records section as one stream.
// Snappy arrives either as a raw block or in the xerial framing the Java
// client writes; lz4 uses the standard frame format. Decompression is always
// bounded by a caller-supplied limit so a small batch cannot expand without
// bound (a decompression bomb).
//
// The constants below are the wire and disk format: they must never change.
package record
