package server

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/twmb/franz-go/pkg/kbin"
)

// Zero-copy responses. A handler can answer with a response whose large
// byte fields (a fetch's record batches) are regions of files: it puts
// RegionMarker where each region's bytes belong and lists the regions, in
// the order they appear in the encoding, through RegionResponse. The server
// encodes the response as usual, then writes the bytes around each marker
// and sends each region straight from the page cache with sendfile, fixing
// up the length prefixes and the frame size. The records are never copied
// into user space.
//
// The marker is 16 random bytes chosen at start. It can only be confused
// with response content that is itself 16 arbitrary bytes in a byte field,
// which a fetch response does not have outside its records.

// FileRegion is Size bytes of File at Offset.
type FileRegion struct {
	File   *os.File
	Offset int64
	Size   int64
}

// RegionResponse is a response with file regions; see RegionMarker.
type RegionResponse interface {
	// Regions returns the regions, in encoding order, one per marker.
	Regions() []FileRegion
	// RegionPrefix reports how the marker's length is encoded: true for a
	// compact (uvarint length+1) field of a flexible version, false for an
	// int32 length.
	RegionPrefix() bool
}

// Releaser is implemented by responses that hold resources (pinned files,
// pooled buffers) until they are written or dropped. The server calls
// Release exactly once, after the write or when the response will not be
// written.
type Releaser interface{ Release() }

// RegionMarker stands for a file region in an encoded response.
var RegionMarker = func() [16]byte {
	var m [16]byte
	rand.Read(m[:])
	return m
}()

var errRegion = errors.New("server: zero-copy response")

// chunk is one piece of a response on the wire: bytes, or a file region.
type chunk struct {
	b      []byte
	region *FileRegion
}

// spliceRegions turns an encoded frame (size, header, body with markers)
// into the chunks to send, writing the real lengths and frame size. prefix
// buffers the rewritten length fields; it must have room for 5 bytes per
// region.
func spliceRegions(frame []byte, regions []FileRegion, compact bool, chunks []chunk, prefix []byte) ([]chunk, error) {
	marker := RegionMarker[:]
	rest := frame
	total := int64(len(frame))
	for i := range regions {
		r := &regions[i]
		p := bytes.Index(rest, marker)
		if p < 0 {
			return nil, fmt.Errorf("%w: marker %d of %d not found", errRegion, i, len(regions))
		}
		start := len(prefix)
		if compact {
			if p < 1 || rest[p-1] != byte(len(marker)+1) {
				return nil, fmt.Errorf("%w: marker %d has no compact length", errRegion, i)
			}
			prefix = kbin.AppendUvarint(prefix, uint32(r.Size+1))
			chunks = append(chunks, chunk{b: rest[:p-1]})
			total += int64(len(prefix)-start) - 1
		} else {
			if p < 4 || binary.BigEndian.Uint32(rest[p-4:]) != uint32(len(marker)) {
				return nil, fmt.Errorf("%w: marker %d has no int32 length", errRegion, i)
			}
			prefix = binary.BigEndian.AppendUint32(prefix, uint32(r.Size))
			chunks = append(chunks, chunk{b: rest[:p-4]})
		}
		chunks = append(chunks, chunk{b: prefix[start:len(prefix):len(prefix)]}, chunk{region: r})
		total += r.Size - int64(len(marker))
		rest = rest[p+len(marker):]
	}
	chunks = append(chunks, chunk{b: rest})
	size := total - 4
	if size > 1<<31-1 {
		return nil, fmt.Errorf("%w: %d bytes", errResponseTooLarge, size)
	}
	binary.BigEndian.PutUint32(frame, uint32(size))
	return chunks, nil
}

// writeChunks sends chunks in order: runs of bytes with one writev, regions
// with sendfile.
func writeChunks(nc net.Conn, chunks []chunk) (int64, error) {
	var (
		n   int64
		buf net.Buffers
	)
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		m, err := buf.WriteTo(nc)
		n += m
		buf = buf[:0]
		return err
	}
	for _, c := range chunks {
		if c.region == nil {
			if len(c.b) > 0 {
				buf = append(buf, c.b)
			}
			continue
		}
		if err := flush(); err != nil {
			return n, err
		}
		m, err := sendRegion(nc, c.region)
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, flush()
}

// copyRegion sends a region by reading it, where sendfile is not available.
func copyRegion(nc net.Conn, r *FileRegion) (int64, error) {
	buf := getBuf(int(min(r.Size, 1<<20)))
	defer putBuf(buf)
	var n int64
	for n < r.Size {
		m := min(int64(len(buf)), r.Size-n)
		k, err := r.File.ReadAt(buf[:m], r.Offset+n)
		if k > 0 {
			w, werr := nc.Write(buf[:k])
			n += int64(w)
			if werr != nil {
				return n, werr
			}
		}
		if err != nil && k < int(m) {
			return n, fmt.Errorf("server: reading a file region: %w", err)
		}
	}
	return n, nil
}
