package metadata

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/fjordlabs/fjord/internal/storage"
)

func strp(s string) *string { return &s }

func TestRecordsRoundTrip(t *testing.T) {
	id := NewUUID()
	recs := []Record{
		&TopicRecord{Name: "a", TopicID: id},
		&PartitionRecord{TopicID: id, Partition: 1, Replicas: []int32{1}, ISR: []int32{1}, Leader: 1, LeaderEpoch: 2, PartitionEpoch: 3},
		&ConfigRecord{ResourceType: ResourceTopic, ResourceName: "a", Name: "retention.ms", Value: strp("100")},
		&ConfigRecord{ResourceType: ResourceTopic, ResourceName: "a", Name: "retention.ms"},
		&RemoveTopicRecord{TopicID: id},
		&RegisterBrokerRecord{BrokerID: 1, Endpoints: []Endpoint{{"PLAINTEXT", "localhost", 9092, "PLAINTEXT"}}},
		&ProducerIDsRecord{BrokerID: 1, NextProducerID: 2000},
	}
	for _, r := range recs {
		k, v, err := Encode(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(k, v)
		if err != nil {
			t.Fatal(err)
		}
		k2, v2, _ := Encode(got)
		if string(k) != string(k2) || string(v) != string(v2) {
			t.Fatalf("%T: %s became %s", r, v, v2)
		}
	}
	if _, err := Decode([]byte{99, 0}, []byte("{}")); !errors.Is(err, ErrUnknownRecord) {
		t.Fatalf("unknown type: %v", err)
	}
	if u, err := ParseUUID(id.String()); err != nil || u != id {
		t.Fatalf("uuid %v %v", u, err)
	}
}

func TestDeltaTracksCreationsRemovalsAndConfigs(t *testing.T) {
	a, b := NewUUID(), NewUUID()
	d := NewDelta(Empty)
	replay := func(d *Delta, rs ...Record) {
		t.Helper()
		for _, r := range rs {
			if err := d.Replay(d.offset+1, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	replay(d,
		&TopicRecord{Name: "a", TopicID: a},
		&PartitionRecord{TopicID: a, Partition: 0, Leader: 1},
		&PartitionRecord{TopicID: a, Partition: 1, Leader: 1},
		&ConfigRecord{ResourceType: ResourceTopic, ResourceName: "a", Name: "x", Value: strp("1")},
	)
	im1 := d.Apply()
	if ta, ok := im1.Topic("a"); !ok || len(ta.Partitions) != 2 || im1.TopicConfigs("a")["x"] != "1" {
		t.Fatalf("image 1: %+v", ta)
	}
	if len(d.CreatedTopics()) != 1 || len(d.ChangedPartitions()) != 1 {
		t.Fatal("delta 1 does not report the creation")
	}

	d2 := NewDelta(im1)
	replay(d2,
		&PartitionRecord{TopicID: a, Partition: 2, Leader: 1},
		&TopicRecord{Name: "b", TopicID: b},
		&RemoveTopicRecord{TopicID: b},
	)
	if err := d2.Replay(10, &TopicRecord{Name: "a", TopicID: NewUUID()}); err == nil {
		t.Fatal("a second topic named a was accepted")
	}
	im2 := d2.Apply()
	if ta, _ := im2.Topic("a"); len(ta.Partitions) != 3 {
		t.Fatal("partition not added")
	}
	if ta, _ := im1.Topic("a"); len(ta.Partitions) != 2 {
		t.Fatal("the older image changed")
	}
	if _, ok := im2.Topic("b"); ok || len(d2.CreatedTopics()) != 0 || len(d2.RemovedTopics()) != 0 {
		t.Fatal("created-and-removed topic leaked")
	}

	d3 := NewDelta(im2)
	replay(d3, &RemoveTopicRecord{TopicID: a})
	im3 := d3.Apply()
	if _, ok := im3.Topic("a"); ok || im3.TopicConfigs("a") != nil || len(d3.RemovedTopics()) != 1 {
		t.Fatal("removal incomplete")
	}
	if err := NewDelta(im3).Replay(20, &PartitionRecord{TopicID: a}); err == nil {
		t.Fatal("partition of a removed topic accepted")
	}
}

type env struct {
	t    *testing.T
	dir  string
	m    *storage.Manager
	meta *Local
}

func metadataConfig() storage.Config {
	c := storage.DefaultConfig()
	c.Delete = false
	c.SegmentBytes = 4096
	return c
}

func (e *env) open(snapBytes int64) {
	e.t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	m, err := storage.OpenManager(storage.ManagerOptions{Dirs: []string{e.dir}, Logger: logger,
		Config: func(string) storage.Config { return metadataConfig() }})
	if err != nil {
		e.t.Fatal(err)
	}
	l, err := m.GetOrCreate(LogTopic, metadataConfig())
	if err != nil {
		e.t.Fatal(err)
	}
	meta, err := OpenLocal(l, LocalOptions{Logger: logger, SnapshotBytes: snapBytes})
	if err != nil {
		m.Close()
		e.t.Fatal(err)
	}
	e.m, e.meta = m, meta
}

func (e *env) close() {
	if e.m != nil {
		e.m.Close()
		e.m = nil
	}
}

func newEnv(t *testing.T, snapBytes int64) *env {
	e := &env{t: t, dir: t.TempDir()}
	e.open(snapBytes)
	t.Cleanup(e.close)
	return e
}

func createTopic(t *testing.T, meta *Local, name string, parts int) UUID {
	t.Helper()
	id := NewUUID()
	recs := []Record{&TopicRecord{Name: name, TopicID: id}}
	for p := range parts {
		recs = append(recs, &PartitionRecord{TopicID: id, Partition: int32(p), Replicas: []int32{1}, ISR: []int32{1}, Leader: 1})
	}
	if _, err := meta.Append(recs); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestLocalLogSurvivesRestartAndPublishes(t *testing.T) {
	e := newEnv(t, 1<<30)
	var seen []string
	if err := e.meta.Subscribe(func(d *Delta, im *Image) {
		for _, tp := range d.CreatedTopics() {
			seen = append(seen, "+"+tp.Name)
		}
		for _, tp := range d.RemovedTopics() {
			seen = append(seen, "-"+tp.Name)
		}
	}); err != nil {
		t.Fatal(err)
	}
	idA := createTopic(t, e.meta, "a", 3)
	idB := createTopic(t, e.meta, "b", 1)
	if _, err := e.meta.Append([]Record{&RemoveTopicRecord{TopicID: idB}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.meta.Append([]Record{&PartitionRecord{TopicID: idB}}); err == nil {
		t.Fatal("a record that does not apply was committed")
	}
	if got := len(seen); got != 3 || seen[0] != "+a" || seen[2] != "-b" {
		t.Fatalf("published %v", seen)
	}
	e.close()
	e.open(1 << 30)
	im := e.meta.Image()
	ta, ok := im.Topic("a")
	if !ok || ta.ID != idA || len(ta.Partitions) != 3 || im.NumTopics() != 1 {
		t.Fatalf("after restart: %+v", ta)
	}
	var initial []string
	e.meta.Subscribe(func(d *Delta, im *Image) {
		for _, tp := range d.CreatedTopics() {
			initial = append(initial, tp.Name)
		}
	})
	if len(initial) != 1 || initial[0] != "a" {
		t.Fatalf("subscriber's initial delta: %v", initial)
	}
}

func TestSnapshotsBoundReplayAndSurviveADamagedNewestSnapshot(t *testing.T) {
	e := newEnv(t, 2000)
	for i := range 60 {
		createTopic(t, e.meta, "t"+string(rune('a'+i%26))+string(rune('a'+i/26)), 2)
	}
	want := e.meta.Image()
	log, _ := e.m.Get(LogTopic)
	if log.LogStartOffset() == 0 {
		t.Fatal("snapshots did not trim the log")
	}
	snaps, _ := e.meta.snapshots()
	if len(snaps) != 2 {
		t.Fatalf("%d snapshots kept", len(snaps))
	}
	e.close()
	e.open(2000)
	if got := e.meta.Image(); got.NumTopics() != want.NumTopics() || got.Offset() != want.Offset() {
		t.Fatalf("after restart %d topics at %d, want %d at %d", got.NumTopics(), got.Offset(), want.NumTopics(), want.Offset())
	}
	// Damage the newest snapshot: the older one plus the log must do.
	e.close()
	data, _ := os.ReadFile(snaps[0].path)
	data[len(data)/2] ^= 0xff
	os.WriteFile(snaps[0].path, data, 0o644)
	e.open(2000)
	if got := e.meta.Image(); got.NumTopics() != want.NumTopics() || got.Offset() != want.Offset() {
		t.Fatalf("after damage %d topics at %d", got.NumTopics(), got.Offset())
	}
	// Both gone: the log alone no longer reaches back, which is an error,
	// not silently empty metadata.
	e.close()
	for _, s := range snaps {
		os.Remove(s.path)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	m, err := storage.OpenManager(storage.ManagerOptions{Dirs: []string{e.dir}, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	l, _ := m.Get(LogTopic)
	if _, err := OpenLocal(l, LocalOptions{Logger: logger}); !errors.Is(err, ErrSnapshotGap) {
		t.Fatalf("missing snapshots: %v", err)
	}
}

func TestProducerIDBlocksSurviveRestartAndSnapshots(t *testing.T) {
	e := newEnv(t, 2000)
	for _, next := range []int64{1000, 2000} {
		if _, err := e.meta.Append([]Record{&ProducerIDsRecord{BrokerID: 1, NextProducerID: next}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.meta.Append([]Record{&ProducerIDsRecord{BrokerID: 1, NextProducerID: 1500}}); err == nil {
		t.Fatal("producer ids moved back")
	}
	if got := e.meta.Image().NextProducerID(); got != 2000 {
		t.Fatalf("next producer id %d", got)
	}
	// Enough topics to take snapshots and trim the log: the block must be
	// in the snapshot.
	for i := range 60 {
		createTopic(t, e.meta, "t"+string(rune('a'+i%26))+string(rune('a'+i/26)), 2)
	}
	if l, _ := e.m.Get(LogTopic); l.LogStartOffset() == 0 {
		t.Fatal("snapshots did not trim the log")
	}
	e.close()
	e.open(2000)
	if got := e.meta.Image().NextProducerID(); got != 2000 {
		t.Fatalf("after restart: next producer id %d", got)
	}
}
