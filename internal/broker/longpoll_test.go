package broker_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fjordlabs/fjord/internal/fjordtest"
)

// TestLongPollWakesOnAppend: a consumer waiting with a 30 s max wait gets a
// record produced while it waits long before the wait runs out. A broker
// that only answered on timeout (or polled slowly) would fail.
func TestLongPollWakesOnAppend(t *testing.T) {
	b := fjordtest.Start(t)
	adm := b.Admin()
	if _, err := adm.CreateTopic(fjordtest.Context(t), 1, 1, nil, "wait"); err != nil {
		t.Fatal(err)
	}
	cons := b.Client(kgo.ConsumeTopics("wait"), kgo.FetchMaxWait(30*time.Second),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()))
	prod := b.Client(kgo.ProducerLinger(0))

	for i := range 5 {
		got := make(chan time.Time, 1)
		go func() {
			fs := cons.PollFetches(context.Background())
			if fs.NumRecords() > 0 {
				got <- time.Now()
			}
		}()
		// Give the fetch time to reach the broker and start waiting; the
		// assertion below does not depend on it having done so.
		time.Sleep(200 * time.Millisecond)
		sent := time.Now()
		if err := prod.ProduceSync(fjordtest.Context(t), &kgo.Record{Topic: "wait", Value: []byte("x")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
		select {
		case at := <-got:
			lat := at.Sub(sent)
			t.Logf("round %d: consumed %v after produce", i, lat)
			if lat > 10*time.Second {
				t.Fatalf("the waiting fetch was not woken by the append (%v)", lat)
			}
		case <-time.After(25 * time.Second):
			t.Fatal("the waiting fetch was not woken by the append")
		}
	}
}
