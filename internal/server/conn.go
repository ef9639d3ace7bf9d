package server

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// conn is one client connection, served by readLoop and processLoop.
//
// Closing: whoever first decides the connection is over calls fail, which
// logs the reason once, cancels ctx and closes the socket. A shutdown only
// cancels ctx (through the server's context); the processor then closes the
// socket itself after writing the response in flight, which is what makes
// Shutdown graceful.
type conn struct {
	srv   *Server
	nc    net.Conn
	info  ConnInfo
	attrs []slog.Attr // identify the connection in every log line

	ctx     context.Context // cancelled with the reason the connection is ending
	cancel  context.CancelCauseFunc
	closing atomic.Bool // set by the first fail
	exited  atomic.Int32

	// reqs hands a decoded frame from reader to processor. Unbuffered, and
	// with two frames in all, the reader is at most one request ahead.
	reqs chan *frame
	// free returns frames to the reader once their response is written.
	free chan *frame

	// busy is set while the processor serves a request; lastActive is the
	// time (unix ns) a request was last received or finished. The reader's
	// idle check reads both. Invariant: lastActive is stored before busy is
	// cleared, so !busy implies lastActive is current.
	busy       atomic.Bool
	lastActive atomic.Int64

	// Reader-owned.
	br           *bufio.Reader
	clientID     string // the previous request's, to reuse its string
	readProgress bool   // bytes arrived since the read deadline was set

	// Processor-owned.
	wbuf   []byte  // kept response buffer; Invariant: cap(wbuf) <= keepBufMax
	wHint  int     // size of the last response that did not fit wbuf
	chunks []chunk // reused for responses with file regions
	prefix []byte  // their rewritten length fields
}

func newConn(s *Server, nc net.Conn, l *BoundListener) *conn {
	c := &conn{
		srv:  s,
		nc:   nc,
		reqs: make(chan *frame),
		free: make(chan *frame, 2),
		br:   bufio.NewReaderSize(nc, readBufSize),
	}
	c.info = ConnInfo{
		ID:               s.nextConnID.Add(1),
		ListenerName:     l.Name,
		SecurityProtocol: l.SecurityProtocol,
		RemoteAddr:       nc.RemoteAddr(),
		LocalAddr:        nc.LocalAddr(),
	}
	c.attrs = []slog.Attr{
		slog.Uint64("conn", c.info.ID),
		slog.String("listener", l.Name),
		slog.String("remote", c.info.RemoteAddr.String()),
	}
	c.ctx, c.cancel = context.WithCancelCause(s.ctx)
	c.free <- new(frame)
	c.free <- new(frame)
	c.lastActive.Store(time.Now().UnixNano())
	return c
}

// fail ends the connection for cause; only the first call has an effect.
func (c *conn) fail(level slog.Level, cause error, attrs ...slog.Attr) {
	if !c.closing.CompareAndSwap(false, true) {
		return
	}
	// Logged before closing, so the line exists once the peer sees the close.
	if c.srv.log.Enabled(context.Background(), level) {
		all := make([]slog.Attr, 0, len(c.attrs)+1+len(attrs))
		all = append(append(append(all, c.attrs...), slog.Any("reason", cause)), attrs...)
		c.srv.log.LogAttrs(context.Background(), level, "server: closing connection", all...)
	}
	c.cancel(cause)
	c.nc.Close()
}

func (c *conn) exit() {
	if c.exited.Add(1) == 2 {
		c.cancel(nil) // release the context if no fail did (it always should)
		c.srv.forget(c)
	}
	c.srv.wg.Done()
}

func reqAttrs(req *Request) []slog.Attr {
	return []slog.Attr{
		slog.Int("key", int(req.Key)),
		slog.Int("version", int(req.Version)),
		slog.Int("correlation_id", int(req.CorrelationID)),
		slog.String("client_id", req.ClientID),
	}
}

// readLoop reads and decodes frames and hands them to the processor. It is
// the only sender on reqs and closes it when it stops, which is how the
// processor learns no more requests will come.
func (c *conn) readLoop() {
	defer c.exit()
	defer close(c.reqs)
	for {
		var f *frame
		select {
		case f = <-c.free:
		case <-c.ctx.Done():
			return // whoever cancelled closes the socket
		}

		c.armIdle()
		body, err := readFrame(c.readFull, f, c.srv.maxRequest)
		if err != nil {
			f.release()
			c.free <- f
			c.readFailed(err)
			return
		}
		now := time.Now()
		c.lastActive.Store(now.UnixNano())
		c.srv.stats.bytesIn.Add(uint64(4 + len(body)))

		req := &f.req
		if err := decodeRequest(body, c.srv.dispatcher, req, c.clientID); err != nil {
			f.release()
			c.free <- f
			c.fail(slog.LevelWarn, err, reqAttrs(req)...)
			return
		}
		c.clientID = req.ClientID
		req.Conn = &c.info
		req.Received = now
		req.Size = int32(len(body))
		c.srv.stats.requests.Add(1)

		// Always delivered: the processor drains reqs until it is
		// closed, so a request read in full is served even if the peer
		// hangs up right after sending it (an acks=0 produce).
		c.reqs <- f
	}
}

func (c *conn) readFailed(err error) {
	switch {
	case errors.Is(err, errRequestTooLarge), errors.Is(err, errNegativeSize):
		c.fail(slog.LevelWarn, err)
	case errors.Is(err, io.EOF):
		c.fail(slog.LevelDebug, fmt.Errorf("server: peer closed the connection: %w", err))
	default: // idle, reset by peer, closed by us
		c.fail(slog.LevelDebug, err)
	}
}

// armIdle starts the idle clock for the next frame.
func (c *conn) armIdle() {
	if c.srv.idle > 0 {
		c.readProgress = false
		c.nc.SetReadDeadline(time.Now().Add(c.srv.idle))
	}
}

// readFull is io.ReadFull over the buffered socket, except that a read
// deadline is only fatal when the connection really has been idle: a request
// still being served, or bytes still trickling in, push it back.
func (c *conn) readFull(p []byte) error {
	for n := 0; n < len(p); {
		m, err := c.br.Read(p[n:])
		n += m
		if m > 0 {
			c.readProgress = true
		}
		if err == nil {
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) && c.srv.idle > 0 {
			if c.extendIdle() {
				continue
			}
			err = errIdle
		} else if errors.Is(err, io.EOF) && n > 0 {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	return nil
}

// extendIdle moves the read deadline to idle after the last activity, or
// reports that the connection has been idle for the whole timeout.
func (c *conn) extendIdle() bool {
	now := time.Now()
	last := time.Unix(0, c.lastActive.Load())
	if c.busy.Load() || c.readProgress {
		last = now
	}
	if now.Sub(last) >= c.srv.idle {
		return false
	}
	c.readProgress = false
	c.nc.SetReadDeadline(last.Add(c.srv.idle))
	return true
}

// processLoop serves one request at a time, in arrival order. Every request
// read in full is served, as Kafka serves the requests of a closing channel:
// when the connection ends (peer gone, shutdown, protocol error) the context
// is cancelled, so long polls return at once, and responses are no longer
// written, but produces already read are still appended.
func (c *conn) processLoop() {
	defer c.exit()
	for {
		select {
		case f, ok := <-c.reqs:
			if !ok {
				c.fail(slog.LevelDebug, context.Cause(c.ctx))
				return
			}
			c.serve(f)
		case <-c.ctx.Done():
			// Closing the socket stops the reader, which then closes
			// reqs; what it had read is still served.
			c.fail(slog.LevelDebug, context.Cause(c.ctx))
			for f := range c.reqs {
				c.serve(f)
			}
			return
		}
	}
}

// serve handles one request and recycles its frame.
func (c *conn) serve(f *frame) {
	c.busy.Store(true)
	c.handle(&f.req)
	c.lastActive.Store(time.Now().UnixNano())
	c.busy.Store(false)
	f.release()
	c.free <- f // never blocks: cap 2, two frames
}

// handle serves req and writes its response unless the connection is
// already closing; a failure to write, a dispatcher error or a panic fails
// the connection.
func (c *conn) handle(req *Request) {
	defer func() {
		if p := recover(); p != nil {
			attrs := append(reqAttrs(req), slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			c.fail(slog.LevelError, errDispatcherPanic, attrs...)
		}
	}()
	resp, err := c.srv.dispatcher.Serve(c.ctx, req)
	if rel, ok := resp.(Releaser); ok {
		defer rel.Release() // after the write, or at once if there is none
	}
	if err != nil {
		c.fail(slog.LevelWarn, fmt.Errorf("%w: %w", errDispatcher, err), reqAttrs(req)...)
		return
	}
	if resp == nil || c.closing.Load() { // acks=0 produce, or nobody to answer
		return
	}
	if err := c.writeResponse(req, resp); err != nil {
		level := slog.LevelDebug // the peer went away
		if errors.Is(err, errResponseMismatch) || errors.Is(err, errResponseTooLarge) {
			level = slog.LevelError // a handler bug
		}
		c.fail(level, err, reqAttrs(req)...)
	}
}

// writeResponse is the only path from a response to the socket: one Write
// per response, or, for a response with file regions (RegionResponse), the
// bytes around each region with writev and each region with sendfile.
func (c *conn) writeResponse(req *Request, resp kmsg.Response) error {
	buf := c.wbuf[:0]
	if c.wHint > keepBufMax {
		buf = getBuf(c.wHint)[:0]
	}
	buf, err := appendResponse(buf, req, resp)
	defer c.keepWriteBuf(buf) // after the Write: a pooled buffer may go to another connection
	if err != nil {
		return err
	}
	if c.srv.idle > 0 {
		// A client that reads nothing for as long as the idle timeout is
		// gone; without this a full socket buffer would block the
		// processor (and a graceful shutdown) indefinitely.
		c.nc.SetWriteDeadline(time.Now().Add(c.srv.idle))
	}
	if rr, ok := resp.(RegionResponse); ok {
		if regions := rr.Regions(); len(regions) > 0 {
			if cap(c.prefix) < 5*len(regions) {
				c.prefix = make([]byte, 0, 5*len(regions))
			}
			c.chunks, err = spliceRegions(buf, regions, rr.RegionPrefix(), c.chunks[:0], c.prefix[:0])
			if err != nil {
				return err
			}
			n, err := writeChunks(c.nc, c.chunks)
			c.srv.stats.bytesOut.Add(uint64(n))
			clear(c.chunks) // drop references to the regions' files
			return err
		}
	}
	n, err := c.nc.Write(buf)
	c.srv.stats.bytesOut.Add(uint64(n))
	return err
}

// keepWriteBuf keeps a small response buffer for the next response, or
// pools a large one and remembers its size so that the next large response
// starts at the right size class.
func (c *conn) keepWriteBuf(buf []byte) {
	if cap(buf) <= keepBufMax {
		c.wbuf, c.wHint = buf, 0
		return
	}
	c.wHint = len(buf)
	putBuf(buf)
}

// appendResponse appends resp's frame answering req to dst.
func appendResponse(dst []byte, req *Request, resp kmsg.Response) ([]byte, error) {
	if resp.Key() != req.Key {
		return dst, fmt.Errorf("%w: response key %d to request key %d", errResponseMismatch, resp.Key(), req.Key)
	}
	version := req.Version
	if req.UnsupportedVersion {
		version = 0 // see Request.UnsupportedVersion
	}
	resp.SetVersion(version)

	start := len(dst)
	dst = append(dst, 0, 0, 0, 0) // size, filled in below
	dst = kbin.AppendInt32(dst, req.CorrelationID)
	// Response header v1 (tagged fields) for flexible versions, except
	// ApiVersions, whose response header is always v0 so that a client can
	// read it before it knows which versions the broker speaks.
	if resp.IsFlexible() && req.Key != keyAPIVersions {
		dst = append(dst, 0)
	}
	dst = resp.AppendTo(dst)
	size := len(dst) - start - 4
	if size > math.MaxInt32 {
		return dst[:start], fmt.Errorf("%w: %d bytes", errResponseTooLarge, size)
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(size))
	return dst, nil
}
