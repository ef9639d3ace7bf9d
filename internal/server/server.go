// Package server owns Fjord's network edge: the listeners, Kafka's request
// framing, and the per-connection loop that turns bytes into decoded kmsg
// requests, hands them to a Dispatcher one at a time, and writes the
// responses back in request order.
//
// It must not know what any API means. It knows exactly three API facts, all
// about framing: ApiVersions (key 18) answers an unsupported version with a v0
// body and its response header never carries tagged fields; ControlledShutdown
// v0 (key 7) has a header without a client id. Everything else — which keys
// and versions are served, what a response says, which error codes to use —
// belongs to the handler layer behind Dispatcher.
//
// # Wire format
//
//	request  = size:int32  header  body
//	header   = key:int16 version:int16 correlation_id:int32 client_id:nullable_string
//	           [tagged_fields]          (header v2: only when the request version is flexible)
//	response = size:int32  correlation_id:int32  [tagged_fields]  body
//	           (tagged_fields, a single 0 byte, only for flexible responses other than ApiVersions)
//
// size counts the bytes after itself and is big-endian like every integer here.
//
// # Connections
//
// Each connection has two goroutines: a reader that reads and decodes at most
// one request ahead, and a processor that calls Dispatcher.Serve and writes the
// response. The processor takes one request at a time (Kafka's "muting"), so
// responses leave in request order without any reordering logic. The reader
// keeps reading while a request is served, which is how a peer's disconnect
// cancels the context of a long poll.
//
// Locks: Server.mu guards the connection set and the lifecycle state only; no
// other lock exists in this package, and nothing is called with it held except
// net.Conn.Close and net.Listener.Close.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults, under Kafka's names.
const (
	// DefaultMaxRequestBytes is socket.request.max.bytes.
	DefaultMaxRequestBytes = 104857600
	// DefaultIdleTimeout is connections.max.idle.ms.
	DefaultIdleTimeout = 600000 * time.Millisecond
)

// Security protocols, as Kafka spells them.
const (
	ProtocolPlaintext     = "PLAINTEXT"
	ProtocolSSL           = "SSL"
	ProtocolSASLPlaintext = "SASL_PLAINTEXT"
	ProtocolSASLSSL       = "SASL_SSL"
)

var (
	// ErrUnsupportedSecurityProtocol is matched (errors.Is) by the start-up
	// error for a listener whose security protocol is known to Kafka but not
	// served yet (everything but PLAINTEXT).
	ErrUnsupportedSecurityProtocol = errors.New("server: security protocol is not supported yet")
	// ErrInvalidOptions wraps every other Options validation failure.
	ErrInvalidOptions = errors.New("server: invalid options")
	// ErrServerClosed is returned by Start once the server has been shut down
	// or closed, and by a second Start.
	ErrServerClosed = errors.New("server: closed")
)

// ListenerConfig is one entry of Kafka's `listeners`, already parsed.
type ListenerConfig struct {
	// Name is the listener name (e.g. PLAINTEXT, INTERNAL); unique per server.
	Name string
	// Host to bind; "" binds all interfaces.
	Host string
	// Port to bind; 0 asks the kernel for a free port (see Server.Listeners).
	Port int
	// SecurityProtocol is the name's entry in listener.security.protocol.map.
	// Empty means Kafka's default map, where each protocol name maps to
	// itself; any other name then has no protocol and is an error.
	SecurityProtocol string
}

// Options configure a Server. The zero value of each field means Kafka's
// default.
type Options struct {
	Listeners []ListenerConfig
	// MaxRequestBytes is socket.request.max.bytes: a request frame larger than
	// this closes its connection before the body is allocated.
	MaxRequestBytes int32
	// IdleTimeout is connections.max.idle.ms: a connection with no request
	// received and no response pending for this long is closed. Negative
	// disables it.
	IdleTimeout time.Duration
	// Logger receives connection-level events; nil uses slog.Default().
	Logger *slog.Logger
}

// BoundListener describes a listener after binding, so that the broker can
// advertise the port the kernel chose when 0 was asked for.
type BoundListener struct {
	Name             string
	SecurityProtocol string
	Addr             *net.TCPAddr
}

// Stats are cumulative counters since New, for later metrics. Each field is
// read atomically but the set is not a consistent snapshot.
type Stats struct {
	ConnectionsOpen     int64
	ConnectionsAccepted uint64
	Requests            uint64 // requests decoded and handed to the dispatcher
	BytesIn             uint64 // request frames, size prefix included
	BytesOut            uint64 // response frames, size prefix included
}

type unsupportedProtocolError struct{ listener, protocol string }

func (e *unsupportedProtocolError) Error() string {
	return fmt.Sprintf("server: listener %s: security protocol %s is not supported yet", e.listener, e.protocol)
}

func (e *unsupportedProtocolError) Is(target error) bool {
	return target == ErrUnsupportedSecurityProtocol
}

type boundListener struct {
	BoundListener
	ln net.Listener
}

type lifecycle int

const (
	stateBound lifecycle = iota
	stateServing
	stateStopping
)

// Server accepts connections on its listeners and serves them through a
// Dispatcher. Create it with New, start it with Start, stop it with Shutdown
// or Close.
type Server struct {
	log        *slog.Logger
	maxRequest int32
	idle       time.Duration // <= 0: never close for idleness
	listeners  []boundListener
	dispatcher Dispatcher // set once by Start, before any connection exists

	// ctx is the parent of every connection's context; it is cancelled with
	// errShutdown when Shutdown or Close begins, which is what makes long
	// polls return early.
	ctx    context.Context
	cancel context.CancelCauseFunc

	mu    sync.Mutex
	state lifecycle          // guarded by mu
	conns map[*conn]struct{} // guarded by mu

	// wg counts accept loops and connection goroutines. Add is only called
	// with the count already above zero (from an accept loop) or under mu in
	// Start before stateStopping, so it never races with the Wait in stop.
	wg       sync.WaitGroup
	stopOnce sync.Once
	done     chan struct{} // closed once every goroutine counted by wg has exited

	nextConnID atomic.Uint64
	stats      struct {
		open                                  atomic.Int64
		accepted, requests, bytesIn, bytesOut atomic.Uint64
	}
}

// New validates opts and binds every listener. Nothing is accepted until
// Start; connections made meanwhile wait in the kernel's backlog.
func New(opts Options) (*Server, error) {
	if len(opts.Listeners) == 0 {
		return nil, fmt.Errorf("%w: no listeners", ErrInvalidOptions)
	}
	if opts.MaxRequestBytes < 0 {
		return nil, fmt.Errorf("%w: MaxRequestBytes %d is negative", ErrInvalidOptions, opts.MaxRequestBytes)
	}
	if opts.MaxRequestBytes == 0 {
		opts.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}

	protocols := make([]string, len(opts.Listeners))
	seen := make(map[string]bool, len(opts.Listeners))
	for i, l := range opts.Listeners {
		if l.Name == "" {
			return nil, fmt.Errorf("%w: listener %d has no name", ErrInvalidOptions, i)
		}
		if seen[l.Name] {
			return nil, fmt.Errorf("%w: listener name %s is used twice", ErrInvalidOptions, l.Name)
		}
		seen[l.Name] = true
		if l.Port < 0 || l.Port > 65535 {
			return nil, fmt.Errorf("%w: listener %s: port %d out of range", ErrInvalidOptions, l.Name, l.Port)
		}
		proto := l.SecurityProtocol
		if proto == "" {
			proto = l.Name
		}
		switch proto {
		case ProtocolPlaintext:
		case ProtocolSSL, ProtocolSASLPlaintext, ProtocolSASLSSL:
			return nil, &unsupportedProtocolError{listener: l.Name, protocol: proto}
		default:
			return nil, fmt.Errorf("%w: listener %s: unknown security protocol %q", ErrInvalidOptions, l.Name, proto)
		}
		protocols[i] = proto
	}

	s := &Server{
		log:        opts.Logger,
		maxRequest: opts.MaxRequestBytes,
		idle:       opts.IdleTimeout,
		conns:      make(map[*conn]struct{}),
		done:       make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancelCause(context.Background())
	for i, l := range opts.Listeners {
		ln, err := net.Listen("tcp", net.JoinHostPort(l.Host, strconv.Itoa(l.Port)))
		if err != nil {
			for _, b := range s.listeners {
				b.ln.Close()
			}
			return nil, fmt.Errorf("server: listener %s: %w", l.Name, err)
		}
		s.listeners = append(s.listeners, boundListener{
			BoundListener: BoundListener{Name: l.Name, SecurityProtocol: protocols[i], Addr: ln.Addr().(*net.TCPAddr)},
			ln:            ln,
		})
	}
	return s, nil
}

// Listeners returns the bound listeners in Options order.
func (s *Server) Listeners() []BoundListener {
	out := make([]BoundListener, len(s.listeners))
	for i, l := range s.listeners {
		out[i] = l.BoundListener
	}
	return out
}

// Start begins accepting connections and serving them through d. It returns
// at once; it fails if called twice or after Shutdown/Close.
func (s *Server) Start(d Dispatcher) error {
	if d == nil {
		return fmt.Errorf("%w: nil dispatcher", ErrInvalidOptions)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateBound {
		return ErrServerClosed
	}
	s.state = stateServing
	s.dispatcher = d
	for i := range s.listeners {
		s.wg.Add(1)
		go s.accept(&s.listeners[i])
	}
	return nil
}

// Shutdown stops accepting, cancels the context of every request being
// served so long polls return early, lets those requests finish and their
// responses be written, then closes every connection. A request read in
// full but not yet started is still served (its produce is appended) but not
// answered, as Kafka serves the requests of a closing channel. It returns nil once every connection goroutine has exited, or ctx.Err() after
// force-closing the connections if ctx ends first.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stop()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		s.closeConns()
		return ctx.Err()
	}
}

// Close stops the server at once: listeners and connections are closed
// without waiting for responses. It returns when every server goroutine has
// exited, which includes waiting for Serve calls in progress to return (their
// context is cancelled).
func (s *Server) Close() error {
	s.stop()
	s.closeConns()
	<-s.done
	return nil
}

// Done is closed once the server has stopped and all of its goroutines have
// exited.
func (s *Server) Done() <-chan struct{} { return s.done }

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	return Stats{
		ConnectionsOpen:     s.stats.open.Load(),
		ConnectionsAccepted: s.stats.accepted.Load(),
		Requests:            s.stats.requests.Load(),
		BytesIn:             s.stats.bytesIn.Load(),
		BytesOut:            s.stats.bytesOut.Load(),
	}
}

// stop begins a shutdown once: no new connections, every connection context
// cancelled. Idle connections then close themselves; busy ones close after
// writing their current response.
func (s *Server) stop() {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.state = stateStopping
		for _, l := range s.listeners {
			l.ln.Close()
		}
		s.mu.Unlock()
		s.cancel(errShutdown)
		go func() {
			s.wg.Wait()
			close(s.done)
		}()
	})
}

func (s *Server) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.nc.Close()
	}
}

func (s *Server) accept(l *boundListener) {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		nc, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: keep the listener and
			// retry, as net/http does, rather than spin or give up.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("server: accept failed; retrying", "listener", l.Name, "backoff", backoff, "error", err)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-s.ctx.Done():
				t.Stop()
				return
			}
			continue
		}
		backoff = 0
		s.serveConn(nc, &l.BoundListener)
	}
}

// serveConn registers nc and starts its goroutines. Called only from an
// accept loop, which holds a wg count.
func (s *Server) serveConn(nc net.Conn, l *BoundListener) {
	c := newConn(s, nc, l)
	s.mu.Lock()
	if s.state == stateStopping {
		s.mu.Unlock()
		nc.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.wg.Add(2)
	s.mu.Unlock()
	s.stats.accepted.Add(1)
	s.stats.open.Add(1)
	go c.readLoop()
	go c.processLoop()
}

func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.stats.open.Add(-1)
}
