package broker_test

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/fjordtest"
)

// TestFetchSessions drives KIP-227 by hand: a full fetch opens a session,
// incremental fetches name only what changed and get only what has news,
// and the session's errors are Kafka's.
func TestFetchSessions(t *testing.T) {
	b := fjordtest.Start(t)
	ctx := fjordtest.Context(t)
	if _, err := b.Admin().CreateTopic(ctx, 3, 1, nil, "s"); err != nil {
		t.Fatal(err)
	}
	cl := b.Client(byName(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	produceTo := func(p int32, n int) {
		var recs []*kgo.Record
		for range n {
			recs = append(recs, &kgo.Record{Topic: "s", Partition: p, Value: []byte("v")})
		}
		produceAll(t, cl, recs...)
	}
	produceTo(0, 2)
	produceTo(1, 1)

	fetch := func(id, epoch int32, parts map[int32]int64, forget []int32) *kmsg.FetchResponse {
		t.Helper()
		req := kmsg.NewPtrFetchRequest()
		req.MaxWaitMillis, req.MinBytes, req.MaxBytes = 0, 0, 1<<20
		req.SessionID, req.SessionEpoch = id, epoch
		if len(parts) > 0 {
			rt := kmsg.NewFetchRequestTopic()
			rt.Topic = "s"
			for p, off := range parts {
				rp := kmsg.NewFetchRequestTopicPartition()
				rp.Partition, rp.FetchOffset, rp.PartitionMaxBytes = p, off, 1<<20
				rt.Partitions = append(rt.Partitions, rp)
			}
			req.Topics = append(req.Topics, rt)
		}
		if len(forget) > 0 {
			ft := kmsg.NewFetchRequestForgottenTopic()
			ft.Topic, ft.Partitions = "s", forget
			req.ForgottenTopics = append(req.ForgottenTopics, ft)
		}
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	returned := func(r *kmsg.FetchResponse) map[int32]int {
		out := map[int32]int{}
		for _, tp := range r.Topics {
			for _, p := range tp.Partitions {
				out[p.Partition] = len(p.RecordBatches)
			}
		}
		return out
	}

	// Full fetch at epoch 0 opens a session and answers every partition.
	r := fetch(0, 0, map[int32]int64{0: 0, 1: 0, 2: 0}, nil)
	if r.ErrorCode != 0 || r.SessionID == 0 || len(returned(r)) != 3 {
		t.Fatalf("open: error %d session %d partitions %v", r.ErrorCode, r.SessionID, returned(r))
	}
	id := r.SessionID

	// Incremental: the client moves partition 0 and 1 past their data;
	// nothing is new, so nothing comes back.
	r = fetch(id, 1, map[int32]int64{0: 2, 1: 1}, nil)
	if r.ErrorCode != 0 || len(returned(r)) != 0 {
		t.Fatalf("quiet incremental: error %d partitions %v", r.ErrorCode, returned(r))
	}
	// New data on partition 2 only: only it comes back, though the
	// request names no partition.
	produceTo(2, 1)
	r = fetch(id, 2, nil, nil)
	if got := returned(r); len(got) != 1 || got[2] == 0 {
		t.Fatalf("incremental with news: %v", got)
	}
	// Forget partition 2, then write to it: the session no longer says so.
	r = fetch(id, 3, map[int32]int64{2: 1}, nil)
	r = fetch(id, 4, nil, []int32{2})
	produceTo(2, 1)
	if got := returned(fetch(id, 5, nil, nil)); len(got) != 0 {
		t.Fatalf("forgotten partition answered: %v", got)
	}
	// Wrong epoch, unknown session.
	if r := fetch(id, 9, nil, nil); r.ErrorCode != kerr.InvalidFetchSessionEpoch.Code {
		t.Fatalf("wrong epoch: %v", kerr.ErrorForCode(r.ErrorCode))
	}
	if r := fetch(id+1, 1, nil, nil); r.ErrorCode != kerr.FetchSessionIDNotFound.Code {
		t.Fatalf("unknown session: %v", kerr.ErrorForCode(r.ErrorCode))
	}
	// Epoch -1 closes it; it is then unknown.
	if r := fetch(id, -1, map[int32]int64{0: 0}, nil); r.ErrorCode != 0 || r.SessionID != 0 || returned(r)[0] == 0 {
		t.Fatalf("close: error %d session %d", r.ErrorCode, r.SessionID)
	}
	if r := fetch(id, 6, nil, nil); r.ErrorCode != kerr.FetchSessionIDNotFound.Code {
		t.Fatalf("closed session: %v", kerr.ErrorForCode(r.ErrorCode))
	}
}
