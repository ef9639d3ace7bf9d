package cli

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramQuantilesWithinOnePercent(t *testing.T) {
	h := NewHistogram()
	rng := rand.New(rand.NewPCG(3, 4))
	var all []time.Duration
	for range 100000 {
		// Log-uniform from 100 ns to 10 s.
		d := time.Duration(100 * math.Pow(10, rng.Float64()*8))
		all = append(all, d)
		h.Record(d)
	}
	slices.Sort(all)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		want := all[max(int(q*float64(len(all)))-1, 0)]
		got := h.Quantile(q)
		if got < want || float64(got) > float64(want)*1.01 {
			t.Errorf("q%v: got %v, want %v (at most 1%% above)", q, got, want)
		}
	}
	if h.Max() != all[len(all)-1] || h.Count() != int64(len(all)) {
		t.Errorf("max %v count %d", h.Max(), h.Count())
	}
}

func TestHistogramSmallValuesExactAndHugeClamped(t *testing.T) {
	h := NewHistogram()
	for i := range 200 {
		h.Record(time.Duration(i))
	}
	if got := h.Quantile(0.5); got != 99 {
		t.Errorf("median of 0..199 ns: %v", got)
	}
	h.Record(1000 * time.Hour)
	if h.Quantile(1) != 1000*time.Hour || h.Max() != 1000*time.Hour {
		t.Errorf("a value past the last bucket: quantile %v max %v", h.Quantile(1), h.Max())
	}
	m := NewHistogram()
	m.Merge(h)
	if m.Count() != 201 || m.Max() != h.Max() || m.Quantile(0.5) != 100 {
		t.Errorf("merged: count %d max %v median %v", m.Count(), m.Max(), m.Quantile(0.5))
	}
	if NewHistogram().Summary() != nil {
		t.Errorf("an empty histogram has a summary")
	}
}

func TestPacerSchedulesOnFixedTimelineAndNeverCatchesUpBySkipping(t *testing.T) {
	start := time.Now()
	p := Pacer{Start: start, Rate: 1000, Offset: 500 * time.Microsecond}
	if got := p.At(10).Sub(start); got != 10500*time.Microsecond {
		t.Errorf("send 10 due at %v", got)
	}
	// A sender that is late gets the due times of the sends it missed,
	// one after another without waiting: latency counts from them.
	late := Pacer{Start: start.Add(-time.Second), Rate: 1000}
	for i := range int64(5) {
		due, ok := late.Wait(context.Background(), i)
		if !ok || due != late.At(i) {
			t.Fatalf("send %d: due %v ok %v", i, due, ok)
		}
	}
	if time.Since(start) > 100*time.Millisecond {
		t.Errorf("late sends waited")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := (Pacer{Start: time.Now().Add(time.Hour), Rate: 1}).Wait(ctx, 0); ok {
		t.Errorf("Wait did not end with its context")
	}
}

func TestPerfStampRoundTrips(t *testing.T) {
	v := perfPayload(100)
	at := time.Unix(1700000000, 123456789)
	putPerfStamp(v, at)
	if got, ok := perfStamp(v); !ok || !got.Equal(at) {
		t.Errorf("stamp: %v %v", got, ok)
	}
	if _, ok := perfStamp([]byte("short")); ok {
		t.Errorf("a short value has a stamp")
	}
	if _, ok := perfStamp(perfPayload(100)); ok {
		t.Errorf("an unstamped value has a stamp")
	}
}
