package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func load(t *testing.T, props string, env []string, overrides ...string) (*Broker, []Warning, error) {
	t.Helper()
	src := Sources{Environ: env, Overrides: overrides}
	if props != "" {
		src.Properties = strings.NewReader(props)
	}
	return Load(src)
}

func mustLoad(t *testing.T, props string, overrides ...string) *Broker {
	t.Helper()
	b, _, err := load(t, props, nil, overrides...)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return b
}

func TestZeroConfigIsASingleNodeOnLocalhost(t *testing.T) {
	b := Defaults()
	if got := b.Listeners(); len(got) != 1 || got[0].String() != "PLAINTEXT://localhost:9092" || got[0].Protocol != Plaintext {
		t.Errorf("Listeners = %v", got)
	}
	if got := b.AdvertisedListeners(); len(got) != 1 || got[0].Address() != "localhost:9092" {
		t.Errorf("AdvertisedListeners = %v", got)
	}
	if got := b.LogDirs(); !slices.Equal(got, []string{"./fjord-data"}) {
		t.Errorf("LogDirs = %v", got)
	}
	if b.NodeID() != 1 || !b.IsBroker() || !b.IsController() {
		t.Errorf("NodeID %d, roles %v", b.NodeID(), b.ProcessRoles())
	}
	if b.MetadataLogDir() != "./fjord-data" || b.InterBrokerListenerName() != "PLAINTEXT" {
		t.Errorf("MetadataLogDir %q, InterBrokerListenerName %q", b.MetadataLogDir(), b.InterBrokerListenerName())
	}
	// Spot checks of Kafka 4 defaults that differ from older releases.
	if n := b.Int("num.recovery.threads.per.data.dir"); n != 2 {
		t.Errorf("num.recovery.threads.per.data.dir = %d, want 2", n)
	}
	if n := b.Long("log.message.timestamp.after.max.ms"); n != 3600000 {
		t.Errorf("log.message.timestamp.after.max.ms = %d, want 3600000", n)
	}
	if n := b.Int("message.max.bytes"); n != 1048588 {
		t.Errorf("message.max.bytes = %d", n)
	}
	if b.Source("num.partitions") != SourceDefault || b.Origin("num.partitions") != "default" {
		t.Errorf("num.partitions source %v origin %q", b.Source("num.partitions"), b.Origin("num.partitions"))
	}
}

func TestLoadPrecedenceIsDefaultsFileEnvOverrides(t *testing.T) {
	tests := []struct {
		name       string
		props      string
		env        []string
		overrides  []string
		want       int32
		wantOrigin string
	}{
		{"default", "", nil, nil, 1, "default"},
		{"file", "num.partitions=2", nil, nil, 2, "server.properties:1"},
		{"env over file", "num.partitions=2", []string{"FJORD_NUM_PARTITIONS=3"}, nil, 3, "env FJORD_NUM_PARTITIONS"},
		{"override over env", "num.partitions=2", []string{"FJORD_NUM_PARTITIONS=3"}, []string{"num.partitions=4"}, 4, "override"},
		{"last line of file wins", "num.partitions=2\nnum.partitions=5", nil, nil, 5, "server.properties:2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _, err := load(t, tt.props, tt.env, tt.overrides...)
			if err != nil {
				t.Fatal(err)
			}
			if got := b.Int("num.partitions"); got != tt.want {
				t.Errorf("num.partitions = %d, want %d", got, tt.want)
			}
			if got := b.Origin("num.partitions"); got != tt.wantOrigin {
				t.Errorf("origin = %q, want %q", got, tt.wantOrigin)
			}
			wantSource := SourceStaticBroker
			if tt.wantOrigin == "default" {
				wantSource = SourceDefault
			}
			if got := b.Source("num.partitions"); got != wantSource {
				t.Errorf("source = %v, want %v", got, wantSource)
			}
		})
	}
}

func TestBadFileValueReplacedByEnvIsNotAnError(t *testing.T) {
	b, _, err := load(t, "num.partitions=lots", []string{"FJORD_NUM_PARTITIONS=6"})
	if err != nil {
		t.Fatal(err)
	}
	if b.Int("num.partitions") != 6 {
		t.Errorf("num.partitions = %d", b.Int("num.partitions"))
	}
}

func TestUnknownKeysAreWarningsNotErrors(t *testing.T) {
	_, warnings, err := load(t, "no.such.key=1\nretention.ms=5\n", []string{"FJORD_ALSO_UNKNOWN=x"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Warning{}
	for _, w := range warnings {
		got[w.Key] = w
	}
	if w := got["no.such.key"]; w.Origin != "server.properties:1" || !strings.Contains(w.Msg, "unknown") {
		t.Errorf("no.such.key warning = %+v", w)
	}
	if w := got["retention.ms"]; !strings.Contains(w.Msg, "topic-level") || !strings.Contains(w.Msg, "log.retention.ms") {
		t.Errorf("retention.ms warning = %+v", w)
	}
	if w := got["also.unknown"]; w.Origin != "env FJORD_ALSO_UNKNOWN" {
		t.Errorf("also.unknown warning = %+v", w)
	}
}

func TestDeprecatedNoOpKeyWarns(t *testing.T) {
	_, warnings, err := load(t, "log.message.downconversion.enable=false", nil)
	if err != nil || len(warnings) != 1 || !strings.Contains(warnings[0].Msg, "no effect") {
		t.Errorf("warnings %v, err %v", warnings, err)
	}
}

func TestInvalidValuesNameKeyValueAndReason(t *testing.T) {
	tests := []struct {
		line, key, value, reason string
	}{
		{"log.retention.ms=abc", "log.retention.ms", "abc", "not a number of type LONG"},
		{"num.partitions=1.5", "num.partitions", "1.5", "not a number of type INT"},
		{"num.partitions=3000000000", "num.partitions", "3000000000", "not a number of type INT"},
		{"offsets.topic.replication.factor=40000", "offsets.topic.replication.factor", "40000", "not a number of type SHORT"},
		{"log.cleaner.min.cleanable.ratio=half", "log.cleaner.min.cleanable.ratio", "half", "not a number of type DOUBLE"},
		{"log.cleaner.io.buffer.load.factor=NaN", "log.cleaner.io.buffer.load.factor", "NaN", "not a number of type DOUBLE"},
		{"auto.create.topics.enable=yes", "auto.create.topics.enable", "yes", "expected value to be either true or false"},
		{"num.partitions=0", "num.partitions", "0", "value must be at least 1"},
		{"log.segment.bytes=14", "log.segment.bytes", "14", "value must be at least 1048576"},
		{"compression.lz4.level=18", "compression.lz4.level", "18", "value must be no more than 17"},
		{"log.cleaner.min.cleanable.ratio=1.5", "log.cleaner.min.cleanable.ratio", "1.5", "value must be no more than 1.0"},
		{"compression.type=brotli", "compression.type", "brotli", "string must be one of: uncompressed, zstd, lz4, snappy, gzip, producer"},
		{"log.message.timestamp.type=createtime", "log.message.timestamp.type", "createtime", "string must be one of: CreateTime, LogAppendTime"},
		{"log.cleanup.policy=compact,shred", "log.cleanup.policy", "shred", "string must be one of: compact, delete"},
		{"compression.gzip.level=0", "compression.gzip.level", "0", "value must be between 1 and 9 or equal to -1"},
		{"process.roles=broker,broker", "process.roles", "broker,broker", "duplicate role names"},
		{"process.roles=", "process.roles", "", "must contain broker, controller or both"},
		{"process.roles=observer", "process.roles", "observer", "string must be one of: broker, controller"},
		{"listeners=localhost:9092", "listeners", "localhost:9092", "unable to parse localhost:9092"},
		{"listeners=PLAINTEXT://h:99999", "listeners", "PLAINTEXT://h:99999", "invalid port"},
		{"listener.security.protocol.map=A:TLS", "listener.security.protocol.map", "A:TLS", "unknown security protocol"},
		{"controller.quorum.voters=1@h", "controller.quorum.voters", "1@h", "id@host:port"},
		{"controller.quorum.voters=x@h:1", "controller.quorum.voters", "x@h:1", "invalid id"},
		{"max.connections.per.ip.overrides=h:many", "max.connections.per.ip.overrides", "h:many", "host:count"},
		{"group.coordinator.rebalance.protocols=consumer", "group.coordinator.rebalance.protocols", "consumer", "'classic'"},
		{"remote.log.storage.system.enable=true", "remote.log.storage.system.enable", "true", "tiered storage is not supported"},
		{"node.id=-1", "node.id", "-1", "value must be at least 0"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			_, _, err := load(t, tt.line, nil)
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Load(%q) error = %v, want an *Error wrapping ErrInvalid", tt.line, err)
			}
			if e.Name != tt.key || e.Value != tt.value || !strings.Contains(e.Reason, tt.reason) {
				t.Errorf("error = {%s %q %q}, want {%s %q ~%q}", e.Name, e.Value, e.Reason, tt.key, tt.value, tt.reason)
			}
			if want := `invalid value "` + tt.value + `" for configuration ` + tt.key + ": "; !strings.Contains(err.Error(), want) {
				t.Errorf("message %q does not contain %q", err.Error(), want)
			}
		})
	}
}

func TestLoadReportsEveryInvalidValue(t *testing.T) {
	_, _, err := load(t, "num.partitions=x\nlog.retention.hours=y\n", nil)
	for _, key := range []string{"num.partitions", "log.retention.hours"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("error %v does not mention %s", err, key)
		}
	}
}

func TestLoadPropagatesSyntaxErrors(t *testing.T) {
	if _, _, err := load(t, `a=\u00`, nil); !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "server.properties") {
		t.Errorf("file syntax error = %v", err)
	}
	if _, _, err := load(t, "", nil, "nokey"); !errors.Is(err, ErrSyntax) {
		t.Errorf("override syntax error = %v", err)
	}
}

func TestTimeSynonymsResolveTheKafkaWay(t *testing.T) {
	tests := []struct {
		props string
		field func(TopicConfig) int64
		want  int64
	}{
		{"", retention, 7 * 24 * 3600000},
		{"log.retention.hours=1", retention, 3600000},
		{"log.retention.minutes=5\nlog.retention.hours=1", retention, 300000},
		{"log.retention.ms=42\nlog.retention.minutes=5\nlog.retention.hours=1", retention, 42},
		{"log.retention.hours=-1", retention, -1},
		{"log.retention.minutes=-30", retention, -1},
		{"log.retention.ms=-5", retention, -1},
		{"log.roll.hours=2", segmentMs, 7200000},
		{"log.roll.ms=5\nlog.roll.hours=2", segmentMs, 5},
		{"log.roll.jitter.hours=1", jitter, 3600000},
		{"log.roll.jitter.ms=7\nlog.roll.jitter.hours=1", jitter, 7},
		{"", flushMs, NoLimit},
		{"log.flush.scheduler.interval.ms=1000", flushMs, 1000},
		{"log.flush.interval.ms=10\nlog.flush.scheduler.interval.ms=1000", flushMs, 10},
	}
	for _, tt := range tests {
		b := mustLoad(t, tt.props)
		if got := tt.field(b.TopicDefaults()); got != tt.want {
			t.Errorf("%q: got %d, want %d", tt.props, got, tt.want)
		}
	}
}

func retention(c TopicConfig) int64 { return c.RetentionMs }
func segmentMs(c TopicConfig) int64 { return c.SegmentMs }
func jitter(c TopicConfig) int64    { return c.SegmentJitterMs }
func flushMs(c TopicConfig) int64   { return c.FlushMs }

func TestBrokerValuesUnusableForTopicsAreRejected(t *testing.T) {
	tests := []struct{ props, key string }{
		{"log.retention.minutes=0", "log.retention.minutes"},
		{"log.retention.ms=0", "log.retention.ms"},
		{"log.roll.ms=0", "log.roll.ms"},
		{"log.flush.interval.ms=-1", "log.flush.interval.ms"},
		{"log.roll.jitter.ms=-1", "log.roll.jitter.ms"},
	}
	for _, tt := range tests {
		_, _, err := load(t, tt.props, nil)
		var e *Error
		if !errors.As(err, &e) || e.Name != tt.key {
			t.Errorf("Load(%q) error = %v, want one naming %s", tt.props, err, tt.key)
		}
	}
}

func TestNodeIDAndBrokerIDAreOneSetting(t *testing.T) {
	tests := []struct {
		props   string
		want    int32
		wantErr error
	}{
		{"", 1, nil},
		{"node.id=7", 7, nil},
		{"broker.id=8", 8, nil},
		{"node.id=9\nbroker.id=9", 9, nil},
		{"node.id=9\nbroker.id=10", 0, ErrConflict},
		{"broker.id=-1", 0, ErrInvalid},
	}
	for _, tt := range tests {
		b, _, err := load(t, tt.props, nil)
		if !errors.Is(err, tt.wantErr) || (tt.wantErr != nil) != (err != nil) {
			t.Errorf("%q: error %v, want %v", tt.props, err, tt.wantErr)
			continue
		}
		if err == nil && (b.NodeID() != tt.want || b.Int("broker.id") != tt.want) {
			t.Errorf("%q: node.id %d broker.id %d, want %d", tt.props, b.NodeID(), b.Int("broker.id"), tt.want)
		}
	}
}

func TestLogDirsWinOverLogDir(t *testing.T) {
	tests := []struct {
		props string
		want  []string
	}{
		{"log.dir=/one", []string{"/one"}},
		{"log.dir=/one\nlog.dirs=/a, /b ,,/c", []string{"/a", "/b", "/c"}},
	}
	for _, tt := range tests {
		if got := mustLoad(t, tt.props).LogDirs(); !slices.Equal(got, tt.want) {
			t.Errorf("%q: LogDirs = %v, want %v", tt.props, got, tt.want)
		}
	}
	if _, _, err := load(t, "log.dirs= , ", nil); !errors.Is(err, ErrConflict) {
		t.Errorf("empty log.dirs: error = %v, want ErrConflict", err)
	}
	if got := mustLoad(t, "log.dirs=/a\nmetadata.log.dir=/meta").MetadataLogDir(); got != "/meta" {
		t.Errorf("MetadataLogDir = %q", got)
	}
}

func TestCrossFieldBrokerRules(t *testing.T) {
	tests := []struct {
		name, props, key string
	}{
		{"fetch wait above socket timeout", "replica.fetch.wait.max.ms=40000\nreplica.lag.time.max.ms=50000", "replica.socket.timeout.ms"},
		{"fetch wait above lag time", "replica.fetch.wait.max.ms=20000\nreplica.lag.time.max.ms=10000", "replica.fetch.wait.max.ms"},
		{"queued bytes below request size", "queued.max.request.bytes=1000", "queued.max.request.bytes"},
		{"zero connections per ip without overrides", "max.connections.per.ip=0", "max.connections.per.ip"},
		{"dedupe buffer too small per thread", "log.cleaner.threads=4\nlog.cleaner.dedupe.buffer.size=4194304", "log.cleaner.dedupe.buffer.size"},
		{"broker compaction lags inverted", "log.cleaner.min.compaction.lag.ms=10\nlog.cleaner.max.compaction.lag.ms=5", "log.cleaner.min.compaction.lag.ms"},
		{"listener without protocol", "listeners=FOO://:9092", "listeners"},
		{"duplicate listener port", "listeners=PLAINTEXT://:9092,SSL://:9092", "listeners"},
		{"duplicate listener name", "listeners=PLAINTEXT://:9092,PLAINTEXT://:9093", "listeners"},
		{"advertised wildcard address", "listeners=PLAINTEXT://0.0.0.0:9092", "advertised.listeners"},
		{"advertised name not a listener", "listeners=PLAINTEXT://:9092\nadvertised.listeners=PLAINTEXT://h:9092,SSL://h:9093", "advertised.listeners"},
		{"inter-broker listener not advertised", "listeners=SSL://:9093", "inter.broker.listener.name"},
		{"both inter-broker settings", "inter.broker.listener.name=PLAINTEXT\nsecurity.inter.broker.protocol=PLAINTEXT", "inter.broker.listener.name"},
		{"controller name unmapped", "controller.listener.names=NOPE", "controller.listener.names"},
		{"controller name not a listener", "controller.listener.names=CONTROLLER", "controller.listener.names"},
		{"controller not among voters", "controller.quorum.voters=2@h:9093", "controller.quorum.voters"},
		{"broker-only without quorum", "process.roles=broker\ncontroller.listener.names=CONTROLLER", "controller.quorum.bootstrap.servers"},
		{"broker-only without controller names", "process.roles=broker\ncontroller.quorum.bootstrap.servers=h:9093", "controller.listener.names"},
		{"broker-only listening as controller", "process.roles=broker\ncontroller.quorum.bootstrap.servers=h:9093\ncontroller.listener.names=CONTROLLER\nlisteners=PLAINTEXT://:9092,CONTROLLER://:9093", "controller.listener.names"},
		{"controller-only serving clients", "process.roles=controller\ncontroller.quorum.voters=1@h:9093\ncontroller.listener.names=CONTROLLER\nlisteners=PLAINTEXT://:9092,CONTROLLER://:9093", "listeners"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := load(t, tt.props, nil)
			found := false
			for e := range allErrors(err) {
				found = found || e.Name == tt.key
			}
			if !found {
				t.Errorf("Load error = %v, want one about %s", err, tt.key)
			}
		})
	}
}

// allErrors yields every *Error in a (possibly joined) error tree.
func allErrors(err error) func(func(*Error) bool) {
	return func(yield func(*Error) bool) {
		var walk func(error) bool
		walk = func(err error) bool {
			if e, ok := err.(*Error); ok {
				return yield(e)
			}
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				for _, x := range j.Unwrap() {
					if !walk(x) {
						return false
					}
				}
			}
			return true
		}
		walk(err)
	}
}

// kafkaSample is the shape of Kafka 4's config/server.properties for a
// combined node; Fjord must take it without a single warning.
const kafkaSample = `
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=localhost:9093
listeners=PLAINTEXT://:9092,CONTROLLER://:9093
inter.broker.listener.name=PLAINTEXT
advertised.listeners=PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL
num.network.threads=3
num.io.threads=8
socket.send.buffer.bytes=102400
socket.receive.buffer.bytes=102400
socket.request.max.bytes=104857600
log.dirs=/tmp/kraft-combined-logs
num.partitions=1
num.recovery.threads.per.data.dir=1
offsets.topic.replication.factor=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
log.retention.hours=168
log.segment.bytes=1073741824
log.retention.check.interval.ms=300000
`

func TestKafkaSampleServerPropertiesLoadsCleanly(t *testing.T) {
	b, warnings, err := load(t, kafkaSample, nil)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("Load: warnings %v, err %v", warnings, err)
	}
	ls := b.Listeners()
	if len(ls) != 2 || ls[0].Host != "" || ls[0].Address() != ":9092" || ls[1].Name != "CONTROLLER" {
		t.Errorf("Listeners = %v", ls)
	}
	if got := b.ControllerListenerNames(); !slices.Equal(got, []string{"CONTROLLER"}) {
		t.Errorf("ControllerListenerNames = %v", got)
	}
	if b.InterBrokerListenerName() != "PLAINTEXT" || b.List("controller.quorum.bootstrap.servers")[0] != "localhost:9093" {
		t.Errorf("inter-broker %q, bootstrap %v", b.InterBrokerListenerName(), b.List("controller.quorum.bootstrap.servers"))
	}
}

func TestBrokerOnlyNodeWithQuorumLoads(t *testing.T) {
	b := mustLoad(t, "process.roles=broker\nnode.id=2\ncontroller.quorum.voters=1@c1:9093\ncontroller.listener.names=CONTROLLER")
	if b.IsController() || b.ControllerQuorumVoters()[0] != (Voter{ID: 1, Host: "c1", Port: 9093}) {
		t.Errorf("roles %v voters %v", b.ProcessRoles(), b.ControllerQuorumVoters())
	}
}

func TestGettersPanicOnProgrammingErrors(t *testing.T) {
	b := Defaults()
	for name, call := range map[string]func(){
		"unknown key":     func() { b.Int("no.such.key") },
		"topic key":       func() { b.Long("retention.ms") },
		"wrong type":      func() { b.Long("num.partitions") },
		"string for list": func() { b.String("process.roles") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			call()
		}()
	}
}

func TestNullDefaultsHaveNoValue(t *testing.T) {
	b := Defaults()
	if b.HasValue("log.retention.ms") || b.HasValue("advertised.listeners") || b.Long("log.retention.ms") != 0 {
		t.Error("null defaults report a value")
	}
	if !mustLoad(t, "log.retention.ms=5").HasValue("log.retention.ms") {
		t.Error("configured key reports no value")
	}
}
