package server

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The only API keys the framing layer has to know; see the package comment.
const (
	keyControlledShutdown int16 = 7
	keyAPIVersions        int16 = 18
)

// Reasons a connection is closed. They reach the log, not the client: Kafka
// answers none of these, it closes the socket.
var (
	errRequestTooLarge    = errors.New("server: request size exceeds socket.request.max.bytes")
	errNegativeSize       = errors.New("server: negative request size")
	errMalformedHeader    = errors.New("server: malformed request header")
	errUnknownAPIKey      = errors.New("server: unknown API key")
	errUnsupportedVersion = errors.New("server: unsupported API version")
	errMalformedBody      = errors.New("server: malformed request body")
	errIdle               = errors.New("server: connection idle longer than connections.max.idle.ms")
	errShutdown           = errors.New("server: shutting down")
	errDispatcher         = errors.New("server: dispatcher failed the request")
	errDispatcherPanic    = errors.New("server: dispatcher panicked")
	errResponseMismatch   = errors.New("server: response does not match request")
	errResponseTooLarge   = errors.New("server: response exceeds 2 GiB")
)

// ConnInfo identifies a connection. It is shared by every request of the
// connection and must not be modified.
type ConnInfo struct {
	// ID is unique among this server's connections for its lifetime.
	ID               uint64
	ListenerName     string
	SecurityProtocol string
	RemoteAddr       net.Addr
	LocalAddr        net.Addr
}

// Request is one decoded request.
//
// Ownership: the Request and every byte slice reachable from Body (produce
// records, group member metadata and assignments, SASL bytes, unknown tagged
// fields) live in buffers the connection reuses once the response has been
// written. A handler that keeps any of them beyond Serve must copy it (e.g.
// bytes.Clone); strings, including ClientID, are always copies and may be
// kept.
type Request struct {
	Key, Version  int16
	CorrelationID int32
	ClientID      string // null client id → ""
	// Body is parsed at Version; nil when UnsupportedVersion is set.
	Body kmsg.Request
	// UnsupportedVersion is set when the key is served but Version is outside
	// the served range. Only ApiVersions requests reach the dispatcher this
	// way (any other key closes the connection); their response is written at
	// version 0, whatever version the handler sets, because that is the only
	// version a client can be sure to parse.
	UnsupportedVersion bool
	Conn               *ConnInfo
	// Received is when the whole frame had been read.
	Received time.Time
	// Size is the frame's length, size prefix excluded.
	Size int32
}

// Dispatcher is implemented by the handler layer.
type Dispatcher interface {
	// VersionRange reports whether key is served, and the versions served.
	VersionRange(key int16) (min, max int16, ok bool)
	// Serve handles one request and returns the response to write, or nil to
	// write nothing (acks=0 produce). The response's version is set to the
	// request's by the server. A non-nil error closes this connection
	// (logged with the reason); nothing is written for it. ctx is cancelled
	// when the connection dies or the server begins a shutdown, so
	// long-polling handlers return early with what they have. Serve is never
	// called concurrently for one connection.
	Serve(ctx context.Context, req *Request) (kmsg.Response, error)
}

// versionRanger is the part of Dispatcher that decoding needs.
type versionRanger interface {
	VersionRange(key int16) (min, max int16, ok bool)
}

// readFrame reads one size-prefixed frame into f and returns its body. The
// size is checked against maxSize before any body buffer is allocated, so a
// hostile size costs nothing. readFull must behave like io.ReadFull.
func readFrame(readFull func([]byte) error, f *frame, maxSize int32) ([]byte, error) {
	if err := readFull(f.sizeBuf[:]); err != nil {
		return nil, err
	}
	size := int32(binary.BigEndian.Uint32(f.sizeBuf[:]))
	switch {
	case size < 0:
		return nil, fmt.Errorf("%w: %d", errNegativeSize, size)
	case size > maxSize:
		return nil, fmt.Errorf("%w: %d > %d", errRequestTooLarge, size, maxSize)
	}
	body := f.body(int(size))
	if err := readFull(body); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return body, nil
}

// decodeRequest parses a frame body (header and request) into req, leaving
// Conn, Received and Size alone. prevClientID is the last client id seen on
// the connection: clients send the same one every time, so reusing the
// string saves an allocation per request.
//
// On error req.Key and req.Version hold whatever could be read, for the log.
func decodeRequest(body []byte, vr versionRanger, req *Request, prevClientID string) error {
	r := kbin.Reader{Src: body}
	req.Key = r.Int16()
	req.Version = r.Int16()
	req.CorrelationID = r.Int32()
	req.ClientID = ""
	req.Body = nil
	req.UnsupportedVersion = false
	// ControlledShutdown v0 predates the client id (request header v0).
	if req.Key != keyControlledShutdown || req.Version != 0 {
		// A nullable string read by hand: kbin's returns a *string, which
		// costs an allocation even when the id is the previous one.
		if n := r.Int16(); n >= 0 {
			if id := r.Span(int(n)); string(id) == prevClientID {
				req.ClientID = prevClientID
			} else {
				req.ClientID = string(id)
			}
		}
	}
	if !r.Ok() {
		return fmt.Errorf("%w: %d bytes", errMalformedHeader, len(body))
	}

	kreq := kmsg.RequestForKey(req.Key)
	if kreq == nil {
		return errUnknownAPIKey
	}
	lo, hi, ok := vr.VersionRange(req.Key)
	if !ok {
		return errUnknownAPIKey
	}
	// A dispatcher claiming a version kmsg cannot parse would get garbage;
	// treat the excess as unserved.
	hi = min(hi, kreq.MaxVersion())
	if req.Version < lo || req.Version > hi {
		if req.Key == keyAPIVersions {
			// Kafka answers any ApiVersions version with a v0 error body
			// listing what it serves, so clients can downgrade; the body of
			// an unknown version is not parsed (nor its header tags).
			req.UnsupportedVersion = true
			return nil
		}
		return fmt.Errorf("%w: served %d..%d", errUnsupportedVersion, lo, hi)
	}

	kreq.SetVersion(req.Version)
	if kreq.IsFlexible() {
		skipTags(&r) // request header v2
		if !r.Ok() {
			return fmt.Errorf("%w: truncated tagged fields", errMalformedHeader)
		}
	}
	if err := readBody(kreq, r.Src); err != nil {
		return err
	}
	req.Body = kreq
	return nil
}

// skipTags skips a tagged-field section. kmsg.SkipTags keeps counting down a
// hostile count (up to 2^32) after the input has run out, burning seconds of
// CPU on a 20-byte frame; this stops as soon as the reader has.
func skipTags(r *kbin.Reader) {
	for n := r.Uvarint(); n > 0 && r.Ok(); n-- {
		r.Uvarint() // tag
		r.Span(int(r.Uvarint()))
	}
}

// readBody parses with kmsg, turning a panic on hostile input into an error:
// it runs on the reader goroutine, where a panic would take down the process.
func readBody(kreq kmsg.Request, src []byte) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: parser panic: %v", errMalformedBody, p)
		}
	}()
	if err := kreq.ReadFrom(src); err != nil {
		return fmt.Errorf("%w: %w", errMalformedBody, err)
	}
	return nil
}
