// Package storage is Fjord's append-only partition log: segments of record
// batches on disk with sparse offset and time indexes, crash recovery,
// retention, truncation, flushing, checkpoints, and a manager for many
// partitions across many directories. Every partition's data, the metadata
// log and the internal topics are stored here. It knows nothing of leaders,
// requests or the network; the layers above set the high watermark and last
// stable offset and decide what is read.
//
// # On-disk layout (Kafka's; never change these names or formats)
//
//	<log.dir>/
//	  .kafka_cleanshutdown               present only after a clean shutdown
//	  recovery-point-offset-checkpoint   flushed offset per partition
//	  log-start-offset-checkpoint        log start offset per partition
//	  <topic>-<partition>/
//	    00000000000000000000.log         record batches, byte-for-byte v2
//	    00000000000000000000.index       offset index
//	    00000000000000000000.timeindex   time index
//	    00000000000000001234.log         next segment, base offset 1234
//	    00000000000000001234.snapshot    producer state as of offset 1234
//	    leader-epoch-checkpoint          leader epoch → start offset
//	  <topic>-<partition>.<id>-delete/   a deleted partition awaiting removal
//
// A segment's files are named by its base offset in 20 decimal digits. The
// .log file is the concatenation of v2 batches (package record), each with
// its absolute base offset: every offset in the segment is at least the base
// and less than the next segment's base. Offsets within a segment increase;
// gaps are allowed (compaction).
//
// The offset index is a sequence of 8-byte entries, big-endian:
// relative offset (int32, offset - base) of a batch's last record, then the
// file position (int32) where that batch starts. An entry is added when more
// than index.interval.bytes have been appended since the previous one, so a
// lookup finds the greatest entry at or below an offset and scans forward.
//
// The time index is a sequence of 12-byte entries, big-endian: the largest
// timestamp seen so far in the segment (int64), then the relative offset
// (int32) of the batch holding it. Timestamps strictly increase along the
// file. When a segment stops being active, its final maximum timestamp is
// appended, so the last entry is the segment's largest timestamp.
//
// Checkpoint files are text: a version line "0", a count line, then one line
// per entry, fields separated by single spaces ("<topic> <partition>
// <offset>" for the directory checkpoints, "<epoch> <start offset>" for
// leader-epoch-checkpoint). They are replaced atomically: a .tmp file is
// written and fsynced, renamed over the old one, and the directory fsynced.
//
// Producer snapshots (producers.go) are binary, Kafka's version 1: the
// state of idempotent producers as of the offset in the name, written at a
// roll and at a clean close; derived data, rebuilt from batch headers when
// missing or damaged.
//
// # Writes and reads
//
// Each Log has a single writer at a time (its mutex). A write goes to the
// active segment at the committed size with a positional write; only when it
// has fully succeeded are the committed size and log end offset published
// (atomically), so readers never see half a batch. Readers take no lock: they
// load the published segment list and sizes and pin the segment they read
// with a reference count, so a segment deleted by retention is closed only
// after its last reader lets go.
//
// # Durability and recovery
//
// Data is left to the OS page cache unless flush.messages or flush.ms ask
// for more; a rolled segment is always flushed in the background, as Kafka
// does. The recovery point is the offset below which everything is known to
// be on disk. After a clean shutdown the marker file lets a log open without
// scanning. After a crash every segment holding offsets at or past the
// recovery point is scanned: each batch's framing, magic, CRC and offsets
// are checked, the first bad or torn batch and everything after it is
// truncated away, and the indexes of those segments are rebuilt. Index files
// of older segments are loaded lazily, checked, and rebuilt from the log if
// they are missing or damaged. Index entries live in memory while a segment
// is active and are written to disk when the segment is flushed or closed;
// since they are derived data, a crash only ever costs a rebuild.
package storage
