package handler

// ListOffsets, versions 1-11.
//
// Timestamps: -1 latest (the high watermark, or the last stable offset for
// read_committed), -2 earliest (log start), -3 the record with the largest
// timestamp (v7+), -4 earliest local (v8+; everything is local, so the log
// start), -5 latest tiered and -6 earliest pending upload (no tiered
// storage: not found), and any other value the first record at or after it.
// Answers never reach past what a consumer could fetch. The leader epoch of
// the answer comes from the partition's epoch history.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/server"
	"github.com/fjordlabs/fjord/internal/storage"
)

func init() { register(kmsg.ListOffsets, 1, 11, (*Handlers).listOffsets) }

const (
	tsLatest             = -1
	tsEarliest           = -2
	tsMax                = -3
	tsEarliestLocal      = -4
	tsLatestTiered       = -5
	tsEarliestPendUpload = -6
)

func (h *Handlers) listOffsets(_ context.Context, req *server.Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.ListOffsetsRequest)
	resp := r.ResponseKind().(*kmsg.ListOffsetsResponse)
	for _, rt := range r.Topics {
		st := kmsg.NewListOffsetsResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewListOffsetsResponseTopicPartition()
			sp.Partition = rp.Partition
			h.listPartitionOffset(&sp, storage.TopicPartition{Topic: rt.Topic, Partition: rp.Partition}, rp, r.IsolationLevel == 1)
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}

func (h *Handlers) listPartitionOffset(sp *kmsg.ListOffsetsResponseTopicPartition, tp storage.TopicPartition, rp kmsg.ListOffsetsRequestTopicPartition, committed bool) {
	sp.Timestamp, sp.Offset, sp.LeaderEpoch = -1, -1, -1
	p, ok := h.Replicas.Partition(tp)
	if !ok {
		sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
		return
	}
	if err := p.CheckEpoch(rp.CurrentLeaderEpoch); err != nil {
		sp.ErrorCode = errorCode(err)
		return
	}
	if !p.IsLeader() {
		sp.ErrorCode = kerr.NotLeaderForPartition.Code
		return
	}
	l := p.Log
	fetchable := l.HighWatermark()
	if committed {
		fetchable = l.LastStableOffset()
	}
	var (
		found storage.TimestampOffset
		hit   bool
		err   error
	)
	switch rp.Timestamp {
	case tsLatest:
		found, hit = storage.TimestampOffset{Offset: fetchable, Timestamp: -1, LeaderEpoch: l.LatestEpoch()}, true
	case tsEarliest, tsEarliestLocal:
		start := l.LogStartOffset()
		found, hit = storage.TimestampOffset{Offset: start, Timestamp: -1, LeaderEpoch: l.EpochAt(start)}, true
	case tsMax:
		found, hit, err = l.MaxTimestampOffset()
	case tsLatestTiered, tsEarliestPendUpload:
	default:
		if rp.Timestamp < 0 {
			sp.ErrorCode = kerr.InvalidRequest.Code
			return
		}
		found, hit, err = l.OffsetForTimestamp(rp.Timestamp)
	}
	if err != nil {
		sp.ErrorCode = errorCode(err)
		h.Logger.Error("list offsets failed", "partition", tp, "timestamp", rp.Timestamp, "err", err)
		return
	}
	// A lookup must not point past what a consumer can fetch.
	if !hit || (rp.Timestamp >= 0 || rp.Timestamp == tsMax) && found.Offset >= fetchable {
		return
	}
	sp.Offset, sp.Timestamp, sp.LeaderEpoch = found.Offset, found.Timestamp, found.LeaderEpoch
}
