package handler

// Fetch, versions 4-18.
//
// Consumers only: a request with a replica id is treated as a consumer
// (there are no followers on a single node). Reads stop at the high
// watermark, or the last stable offset for read_committed. max.bytes and
// partition max bytes are honoured with Kafka's rule that the first
// partition returning data gets at least one whole batch. Incremental fetch
// sessions (KIP-227) are supported (fetch_session.go); v13+ name topics by
// ID. A fetch that cannot fill min.bytes waits up to max.wait.ms, woken by
// appends to the partitions it reads; no polling. Not done: aborted
// transaction lists (no transactions yet), preferred read replicas, and
// diverging-epoch answers for followers.
//
// Record sets of regionMin bytes or more are sent without copying: the
// response carries server.RegionMarker in their place and the pinned file
// regions, which the server sends with sendfile. Smaller ones are copied
// into one pooled buffer per response, which costs less than a sendfile each.

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/metadata"
	"github.com/fjordlabs/fjord/internal/replica"
	"github.com/fjordlabs/fjord/internal/server"
	"github.com/fjordlabs/fjord/internal/storage"
)

func init() { register(kmsg.Fetch, 4, 18, (*Handlers).fetch) }

// regionMin is the smallest record set sent as a file region.
const regionMin = 64 << 10

// fetchResponse is a Fetch response whose large record sets are file
// regions (server.RegionResponse); it holds their segments pinned, and its
// pooled buffer, until the server releases it.
type fetchResponse struct {
	*kmsg.FetchResponse
	regions []server.FileRegion
	pinned  []storage.Slice
	buf     *[]byte
}

func (r *fetchResponse) Regions() []server.FileRegion { return r.regions }
func (r *fetchResponse) RegionPrefix() bool           { return r.IsFlexible() }

func (r *fetchResponse) Release() {
	for i := range r.pinned {
		r.pinned[i].Release()
	}
	r.pinned, r.regions = nil, nil
	if r.buf != nil {
		putBuf(r.buf)
		r.buf = nil
	}
}

// fetchPart is one partition being read for a request.
type fetchPart struct {
	key      sessionKey
	name     string // resolved topic name, "" if unknown
	offset   int64
	maxBytes int32
	epoch    int32
	sp       *sessionPartition // with a session
	p        *replica.Partition
	resErr   int16 // resolution error
	out      kmsg.FetchResponseTopicPartition
	slice    storage.Slice // what the last read returned, pinned until released
}

func (h *Handlers) fetch(ctx context.Context, req *server.Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.FetchRequest)
	resp := r.ResponseKind().(*kmsg.FetchResponse)
	useIDs := req.Version >= 13
	im := h.Metadata.Image()

	// Session bookkeeping.
	var (
		sess *fetchSession
		full = true
	)
	switch {
	case r.SessionID == 0 && r.SessionEpoch == finalEpoch:
	case r.SessionEpoch == initialEpoch:
		if r.SessionID != 0 {
			h.fetchSessions.remove(r.SessionID)
		}
		sess = h.fetchSessions.create(useIDs)
	case r.SessionEpoch == finalEpoch:
		h.fetchSessions.remove(r.SessionID)
	default:
		sess = h.fetchSessions.get(r.SessionID)
		if sess == nil {
			resp.ErrorCode = kerr.FetchSessionIDNotFound.Code
			return resp, nil
		}
		full = false
	}
	if sess != nil {
		sess.mu.Lock()
		defer sess.mu.Unlock()
		if !full && (sess.nextEpoch != r.SessionEpoch || sess.topicIDs != useIDs) {
			resp.ErrorCode = kerr.InvalidFetchSessionEpoch.Code
			return resp, nil
		}
		resp.SessionID = sess.id
	}

	keyOf := func(topic string, id [16]byte, p int32) sessionKey {
		if useIDs {
			return sessionKey{topicID: id, partition: p}
		}
		return sessionKey{topic: topic, partition: p}
	}
	var parts []*fetchPart
	if sess != nil {
		for _, ft := range r.ForgottenTopics {
			for _, p := range ft.Partitions {
				sess.forget(keyOf(ft.Topic, ft.TopicID, p))
			}
		}
	}
	for _, rt := range r.Topics {
		for _, rp := range rt.Partitions {
			k := keyOf(rt.Topic, rt.TopicID, rp.Partition)
			if sess != nil {
				sess.upsert(k, rp.FetchOffset, rp.PartitionMaxBytes, rp.CurrentLeaderEpoch)
			} else {
				parts = append(parts, &fetchPart{key: k, offset: rp.FetchOffset, maxBytes: rp.PartitionMaxBytes, epoch: rp.CurrentLeaderEpoch})
			}
		}
	}
	if sess != nil {
		for _, sp := range sess.order {
			parts = append(parts, &fetchPart{key: sp.key, offset: sp.fetchOffset, maxBytes: sp.maxBytes, epoch: sp.epoch, sp: sp})
		}
	}
	for _, fp := range parts {
		h.resolveFetchPart(im, fp, useIDs)
	}

	committed := r.IsolationLevel == 1
	total, errs := h.readFetchParts(parts, r.MaxBytes, committed)
	if !(r.MaxWaitMillis <= 0 || len(parts) == 0 || total >= int(r.MinBytes) || errs) {
		total, errs = h.waitForData(ctx, parts, r, committed)
	}

	// Assemble: every partition for a full fetch, only those with news
	// for an incremental one.
	out := &fetchResponse{FetchResponse: resp}
	gotData := map[*sessionPartition]bool{}
	var included []*fetchPart
	for _, fp := range parts {
		if sp := fp.sp; sp != nil {
			news := full || !sp.sent || fp.slice.Size > 0 || fp.out.ErrorCode != 0 ||
				fp.out.HighWatermark != sp.hw || fp.out.LastStableOffset != sp.lso || fp.out.LogStartOffset != sp.logStart
			sp.hw, sp.lso, sp.logStart, sp.errCode, sp.sent = fp.out.HighWatermark, fp.out.LastStableOffset, fp.out.LogStartOffset, fp.out.ErrorCode, true
			if fp.slice.Size > 0 {
				gotData[sp] = true
			}
			if !news {
				fp.slice.Release()
				continue
			}
		}
		included = append(included, fp)
	}
	h.attachRecords(out, included)
	var cur *kmsg.FetchResponseTopic
	for _, fp := range included {
		if cur == nil || cur.Topic != fp.key.topic || cur.TopicID != fp.key.topicID {
			resp.Topics = append(resp.Topics, kmsg.NewFetchResponseTopic())
			cur = &resp.Topics[len(resp.Topics)-1]
			cur.Topic, cur.TopicID = fp.key.topic, fp.key.topicID
		}
		cur.Partitions = append(cur.Partitions, fp.out)
	}
	if sess != nil {
		// A new session starts at epoch 1; each incremental fetch moves
		// it on by one.
		if !full {
			sess.nextEpoch++
		}
		sess.rotate(gotData)
	}
	return out, nil
}

// attachRecords puts each part's records into its response: large ones as
// file regions (kept pinned by out), small ones copied into out's pooled
// buffer.
func (h *Handlers) attachRecords(out *fetchResponse, parts []*fetchPart) {
	small := 0
	for _, fp := range parts {
		if fp.slice.Size > 0 && !h.asRegion(&fp.slice) {
			small += int(fp.slice.Size)
		}
	}
	var arena []byte
	if small > 0 {
		out.buf = getBuf(small)
		arena = (*out.buf)[:0]
	}
	for _, fp := range parts {
		sl := fp.slice
		fp.slice = storage.Slice{}
		switch {
		case sl.Size == 0:
			sl.Release()
		case h.asRegion(&sl):
			fp.out.RecordBatches = server.RegionMarker[:]
			out.regions = append(out.regions, server.FileRegion{File: sl.File.OSFile(), Offset: sl.Pos, Size: sl.Size})
			out.pinned = append(out.pinned, sl)
		default:
			start := len(arena)
			var err error
			arena, err = sl.AppendTo(arena)
			sl.Release()
			if err != nil {
				fp.out.ErrorCode = kerr.KafkaStorageError.Code
				h.Logger.Error("fetch read failed", "partition", fp.name, "err", err)
				arena = arena[:start]
				continue
			}
			fp.out.RecordBatches = arena[start:len(arena):len(arena)]
		}
	}
}

// asRegion decides whether a record set is sent as a file region.
func (h *Handlers) asRegion(sl *storage.Slice) bool {
	return sl.Size >= regionMin && sl.File.OSFile() != nil
}

// resolveFetchPart finds the partition a request names.
func (h *Handlers) resolveFetchPart(im *metadata.Image, fp *fetchPart, useIDs bool) {
	fp.name = fp.key.topic
	if useIDs {
		t, ok := im.TopicByID(metadata.UUID(fp.key.topicID))
		if !ok {
			fp.resErr = kerr.UnknownTopicID.Code
			return
		}
		fp.name = t.Name
	}
	p, ok := h.Replicas.Partition(storage.TopicPartition{Topic: fp.name, Partition: fp.key.partition})
	if !ok {
		fp.resErr = kerr.UnknownTopicOrPartition.Code
		return
	}
	fp.p = p
}

// readFetchParts reads every partition once, filling each part's response.
// It returns the record bytes read and whether any partition has an error.
func (h *Handlers) readFetchParts(parts []*fetchPart, maxBytes int32, committed bool) (int, bool) {
	remaining := int64(maxBytes)
	first := true
	total, errs := 0, false
	for _, fp := range parts {
		fp.slice.Release() // a previous read's, when a long poll reads again
		fp.slice = storage.Slice{}
		out := kmsg.NewFetchResponseTopicPartition()
		out.Partition = fp.key.partition
		out.HighWatermark, out.LastStableOffset, out.LogStartOffset = -1, -1, -1
		out.PreferredReadReplica = -1
		// Kafka always sends a record set, possibly empty; a null one
		// (what a nil slice encodes to before v12) breaks librdkafka.
		out.RecordBatches = []byte{}
		fp.out = out
		o := &fp.out
		if fp.resErr != 0 {
			o.ErrorCode = fp.resErr
			errs = true
			continue
		}
		if err := fp.p.CheckEpoch(fp.epoch); err != nil {
			o.ErrorCode = errorCode(err)
			errs = true
			continue
		}
		limit := min(int64(fp.maxBytes), remaining)
		res, err := fp.p.Read(fp.offset, replica.ReadOptions{MaxBytes: max(limit, 0), MinOneBatch: first, Committed: committed})
		if err != nil {
			o.ErrorCode = errorCode(err)
			if o.ErrorCode == kerr.UnknownServerError.Code || o.ErrorCode == kerr.KafkaStorageError.Code {
				h.Logger.Error("fetch read failed", "partition", fp.p.TP, "offset", fp.offset, "err", err)
			}
			errs = true
			continue
		}
		o.HighWatermark, o.LastStableOffset, o.LogStartOffset = res.HighWatermark, res.LastStableOffset, res.LogStartOffset
		if committed {
			o.AbortedTransactions = []kmsg.FetchResponseTopicPartitionAbortedTransaction{}
		}
		if res.Slice.Size > 0 {
			fp.slice = res.Slice // pinned until attached or released
			first = false
			remaining -= res.Slice.Size
			total += int(res.Slice.Size)
		}
	}
	return total, errs
}

// waitForData long-polls: it registers with every partition read, reads
// again (so an append between the first read and the registration is not
// missed), and re-reads on each wake until min.bytes is met, max.wait.ms
// passes or the request's context ends.
func (h *Handlers) waitForData(ctx context.Context, parts []*fetchPart, r *kmsg.FetchRequest, committed bool) (int, bool) {
	w := replica.NewWaiter()
	for _, fp := range parts {
		if fp.p != nil {
			fp.p.Watch(w)
		}
	}
	defer func() {
		for _, fp := range parts {
			if fp.p != nil {
				fp.p.Unwatch(w)
			}
		}
	}()
	timer := time.NewTimer(time.Duration(r.MaxWaitMillis) * time.Millisecond)
	defer timer.Stop()
	for {
		total, errs := h.readFetchParts(parts, r.MaxBytes, committed)
		if total >= int(r.MinBytes) || errs {
			return total, errs
		}
		select {
		case <-w.C:
		case <-timer.C:
			return total, errs
		case <-ctx.Done():
			return total, errs
		}
	}
}
