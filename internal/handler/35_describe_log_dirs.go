package handler

// DescribeLogDirs, versions 1-4.
//
// One result per log.dirs directory (absolute path), listing the requested
// partitions (null topics: every partition) stored there with their size,
// offset lag max(high watermark - log end offset, 0) (-1 for a log no
// hosted partition owns) and is_future false; v4 adds the file system's
// total and usable bytes. A directory whose file system cannot be read is
// reported with KAFKA_STORAGE_ERROR, the others normally, as Kafka reports
// errors per directory. The metadata log (__cluster_metadata-0) is not a
// partition and is not listed, nor is a metadata.log.dir outside log.dirs.
//
// Not done: future replicas (no AlterReplicaLogDirs yet); v5 (cordoned
// directories) is not served.

import (
	"context"
	"path/filepath"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/metadata"
	"github.com/fjordlabs/fjord/internal/server"
	"github.com/fjordlabs/fjord/internal/storage"
)

func init() { register(kmsg.DescribeLogDirs, 1, 4, (*Handlers).describeLogDirs) }

func (h *Handlers) describeLogDirs(_ context.Context, req *server.Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DescribeLogDirsRequest)
	resp := r.ResponseKind().(*kmsg.DescribeLogDirsResponse)

	var want map[storage.TopicPartition]bool // nil: all
	if r.Topics != nil {
		want = map[storage.TopicPartition]bool{}
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				want[storage.TopicPartition{Topic: t.Topic, Partition: p}] = true
			}
		}
	}
	logDirs := h.Config().LogDirs()
	for _, d := range h.Logs.Dirs() {
		if !slices.Contains(logDirs, d.Path) {
			continue
		}
		rd := kmsg.NewDescribeLogDirsResponseDir()
		rd.Dir = d.Path
		if abs, err := filepath.Abs(d.Path); err == nil {
			rd.Dir = abs
		}
		if d.TotalBytes < 0 {
			rd.ErrorCode = kerr.KafkaStorageError.Code
			resp.Dirs = append(resp.Dirs, rd)
			continue
		}
		rd.TotalBytes, rd.UsableBytes = d.TotalBytes, d.UsableBytes
		for _, l := range d.Logs { // sorted by topic, then partition
			tp := l.TopicPartition()
			if tp == metadata.LogTopic || (want != nil && !want[tp]) {
				continue
			}
			if n := len(rd.Topics); n == 0 || rd.Topics[n-1].Topic != tp.Topic {
				rt := kmsg.NewDescribeLogDirsResponseDirTopic()
				rt.Topic = tp.Topic
				rd.Topics = append(rd.Topics, rt)
			}
			rp := kmsg.NewDescribeLogDirsResponseDirTopicPartition()
			rp.Partition = tp.Partition
			rp.Size = l.Size()
			rp.OffsetLag = -1
			if p, ok := h.Replicas.Partition(tp); ok && p.Log == l {
				rp.OffsetLag = max(p.HighWatermark()-l.LogEndOffset(), 0)
			}
			rt := &rd.Topics[len(rd.Topics)-1]
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Dirs = append(resp.Dirs, rd)
	}
	return resp, nil
}
