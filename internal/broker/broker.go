// Package broker assembles a Fjord node from its parts: storage, the
// metadata log, the controller, the partitions, the request handlers and the
// network server, in dependency order, and takes them down in reverse. It is
// the composition root shared by `fjord server` and the integration tests; it
// holds no logic of its own beyond wiring.
package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/fjordlabs/fjord/internal/config"
	"github.com/fjordlabs/fjord/internal/controller"
	"github.com/fjordlabs/fjord/internal/group"
	"github.com/fjordlabs/fjord/internal/handler"
	"github.com/fjordlabs/fjord/internal/metadata"
	"github.com/fjordlabs/fjord/internal/replica"
	"github.com/fjordlabs/fjord/internal/server"
	"github.com/fjordlabs/fjord/internal/storage"
	"github.com/fjordlabs/fjord/internal/vfs"
)

// Options configure a broker.
type Options struct {
	// Config is the static configuration (server.properties, env, flags).
	Config *config.Broker
	Logger *slog.Logger
	// FS is the filesystem for all data; default the OS.
	FS vfs.FS
}

// Broker is a running node.
type Broker struct {
	opts      Options
	static    *config.Broker
	cfg       atomic.Pointer[config.Broker]
	clusterID string

	logs     *storage.Manager
	meta     *metadata.Local
	ctrl     *controller.Controller
	replicas *replica.Manager
	groups   *group.Coordinator
	handlers *handler.Handlers
	srv      *server.Server
}

// Start brings a node up and starts serving.
func Start(opts Options) (b *Broker, err error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.FS == nil {
		opts.FS = vfs.Default
	}
	cfg := opts.Config
	b = &Broker{opts: opts, static: cfg}
	b.cfg.Store(cfg)
	// The error returns set the named result b to nil; abort what was
	// started through its own reference.
	started := b
	defer func() {
		if err != nil {
			started.abort()
		}
	}()
	log := opts.Logger
	nodeID := cfg.NodeID()

	dirs := cfg.LogDirs()
	metaDir := cfg.MetadataLogDir()
	all := dirs
	if !slices.Contains(dirs, metaDir) {
		all = append(append([]string(nil), dirs...), metaDir)
	}
	if b.clusterID, err = formatDirs(opts.FS, all, nodeID); err != nil {
		return nil, err
	}

	b.logs, err = storage.OpenManager(storage.ManagerOptions{
		Dirs:                   all,
		FS:                     opts.FS,
		RecoveryThreadsPerDir:  int(cfg.Int("num.recovery.threads.per.data.dir")),
		Config:                 b.storageConfigAtOpen,
		Logger:                 log,
		RetentionCheckInterval: time.Duration(cfg.Long("log.retention.check.interval.ms")) * time.Millisecond,
		FlushCheckInterval:     flushCheckInterval(cfg),
		CheckpointInterval:     time.Duration(cfg.Int("log.flush.offset.checkpoint.interval.ms")) * time.Millisecond,
	})
	if err != nil {
		return nil, err
	}
	metaLog, err := b.logs.GetOrCreateIn(metadata.LogTopic, metadataLogConfig(), metaDir)
	if err != nil {
		return nil, err
	}
	metaLog.SetConfig(metadataLogConfig())
	if b.meta, err = metadata.OpenLocal(metaLog, metadata.LocalOptions{FS: opts.FS, Logger: log}); err != nil {
		return nil, err
	}
	b.ctrl = controller.New(controller.Options{NodeID: nodeID, Log: b.meta, Config: b.Config, Logger: log})
	b.replicas = replica.NewManager(replica.Options{
		NodeID:   nodeID,
		Logs:     b.logs,
		Config:   b.Config,
		Logger:   log,
		Internal: func(tp storage.TopicPartition) bool { return tp == metadata.LogTopic },
	})
	// Publishers run in order: dynamic broker configs first, so the
	// partitions see them.
	if err := b.meta.Subscribe(b.applyDynamicConfig); err != nil {
		return nil, err
	}
	if err := b.meta.Subscribe(b.replicas.OnMetadata); err != nil {
		return nil, err
	}
	// The group coordinator follows the partitions of __consumer_offsets,
	// which the replica manager has opened by then.
	b.groups = group.New(group.Options{NodeID: nodeID, Replicas: b.replicas, Config: b.Config, Logger: log})
	if err := b.meta.Subscribe(b.groups.OnMetadata); err != nil {
		return nil, err
	}

	listeners := cfg.Listeners()
	lcs := make([]server.ListenerConfig, len(listeners))
	for i, l := range listeners {
		lcs[i] = server.ListenerConfig{Name: l.Name, Host: l.Host, Port: l.Port, SecurityProtocol: string(l.Protocol)}
	}
	if b.srv, err = server.New(server.Options{
		Listeners:       lcs,
		MaxRequestBytes: cfg.Int("socket.request.max.bytes"),
		IdleTimeout:     time.Duration(cfg.Long("connections.max.idle.ms")) * time.Millisecond,
		Logger:          log,
	}); err != nil {
		return nil, err
	}
	endpoints, err := b.advertised()
	if err != nil {
		return nil, err
	}
	if err := b.ctrl.RegisterBroker(endpoints, nil); err != nil {
		return nil, fmt.Errorf("broker: registering: %w", err)
	}
	b.handlers = handler.New(handler.Deps{
		NodeID:     nodeID,
		ClusterID:  b.clusterID,
		Logger:     log,
		Config:     b.Config,
		Metadata:   b.meta,
		Controller: b.ctrl,
		Replicas:   b.replicas,
		Logs:       b.logs,
		Groups:     b.groups,
	})
	if err := b.srv.Start(b.handlers); err != nil {
		return nil, err
	}
	for _, ep := range endpoints {
		log.Info("listening", "listener", ep.Name, "advertised", net.JoinHostPort(ep.Host, strconv.Itoa(int(ep.Port))))
	}
	log.Info("broker started", "node_id", nodeID, "cluster_id", b.clusterID, "log_dirs", all)
	return b, nil
}

// Config is the current configuration: static plus dynamic layers.
func (b *Broker) Config() *config.Broker { return b.cfg.Load() }

// ClusterID is the cluster's id.
func (b *Broker) ClusterID() string { return b.clusterID }

// Addr returns the bound address of the first listener (or the named one).
func (b *Broker) Addr(listener ...string) string {
	for _, l := range b.srv.Listeners() {
		if len(listener) == 0 || l.Name == listener[0] {
			return l.Addr.String()
		}
	}
	return ""
}

// Shutdown stops serving (letting in-flight requests finish), then closes
// the logs cleanly so the next start needs no recovery.
func (b *Broker) Shutdown(ctx context.Context) error {
	err := b.srv.Shutdown(ctx)
	if errors.Is(err, server.ErrServerClosed) {
		err = nil
	}
	b.groups.Close()
	if cerr := b.logs.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		b.opts.Logger.Info("broker stopped cleanly")
	}
	return err
}

func (b *Broker) abort() {
	if b.srv != nil {
		b.srv.Close()
	}
	if b.groups != nil {
		b.groups.Close()
	}
	if b.logs != nil {
		b.logs.Close()
	}
}

// advertised builds the endpoints to register: advertised.listeners, with
// port 0 replaced by the port actually bound and an empty host by this
// machine's name (Kafka's behaviour).
func (b *Broker) advertised() ([]metadata.Endpoint, error) {
	bound := map[string]*net.TCPAddr{}
	for _, l := range b.srv.Listeners() {
		bound[l.Name] = l.Addr
	}
	var out []metadata.Endpoint
	for _, l := range b.static.AdvertisedListeners() {
		host, port := l.Host, l.Port
		if a, ok := bound[l.Name]; ok && port == 0 {
			port = a.Port
		}
		if host == "" {
			h, err := os.Hostname()
			if err != nil {
				return nil, fmt.Errorf("broker: advertised listener %s has no host and the host name is unknown: %w", l.Name, err)
			}
			host = h
		}
		out = append(out, metadata.Endpoint{Name: l.Name, Host: host, Port: int32(port), SecurityProtocol: string(l.Protocol)})
	}
	return out, nil
}

// applyDynamicConfig rebuilds the effective configuration when the
// metadata log changes broker configs.
func (b *Broker) applyDynamicConfig(d *metadata.Delta, im *metadata.Image) {
	changed := false
	for _, r := range d.ChangedConfigs() {
		if r.Type == metadata.ResourceBroker {
			changed = true
		}
	}
	if !changed {
		return
	}
	id := strconv.Itoa(int(b.static.NodeID()))
	cfg, err := b.static.WithDynamic(im.Configs(metadata.ConfigResource{Type: metadata.ResourceBroker}),
		im.Configs(metadata.ConfigResource{Type: metadata.ResourceBroker, Name: id}))
	if err != nil {
		b.opts.Logger.Error("dynamic broker config does not apply; keeping the previous one", "err", err)
		return
	}
	b.cfg.Store(cfg)
}

// storageConfigAtOpen is the config for logs found on disk at start, before
// the metadata is loaded: the metadata log's own, or the broker's topic
// defaults (each partition gets its topic's config once metadata is
// published).
func (b *Broker) storageConfigAtOpen(topic string) storage.Config {
	if topic == metadata.LogTopic.Topic {
		return metadataLogConfig()
	}
	return replica.StorageConfig(b.static.TopicDefaults(), b.static)
}

// metadataLogConfig: the metadata log is never deleted by time or size;
// snapshots trim it.
func metadataLogConfig() storage.Config {
	c := storage.DefaultConfig()
	c.Delete = false
	c.RetentionMs, c.RetentionBytes = -1, -1
	c.SegmentBytes = 8 << 20
	c.MaxMessageBytes = 8 << 20
	return c
}

// flushCheckInterval is how often flush.ms is checked: Kafka's
// log.flush.scheduler.interval.ms when set, else once a second.
func flushCheckInterval(cfg *config.Broker) time.Duration {
	if cfg.HasValue("log.flush.scheduler.interval.ms") {
		if v := cfg.Long("log.flush.scheduler.interval.ms"); v > 0 && v < int64(time.Hour/time.Millisecond) {
			return time.Duration(v) * time.Millisecond
		}
	}
	return time.Second
}
