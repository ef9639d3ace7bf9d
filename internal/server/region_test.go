package server

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/twmb/franz-go/pkg/kbin"
)

// TestSpliceRegionsRewritesLengthsAndSize builds a frame with markers in
// int32 and compact length fields, splices file regions in, sends it over a
// real socket (sendfile) and checks the bytes received are the frame with
// each marker replaced by its region.
func TestSpliceRegionsRewritesLengthsAndSize(t *testing.T) {
	dir := t.TempDir()
	data := bytes.Repeat([]byte("0123456789abcdef"), 100000) // 1.6 MB
	f, err := os.Create(filepath.Join(dir, "seg"))
	if err != nil {
		t.Fatal(err)
	}
	f.Write(data)
	defer f.Close()

	for _, compact := range []bool{false, true} {
		regions := []FileRegion{{File: f, Offset: 7, Size: 300000}, {File: f, Offset: 1000000, Size: 5}}
		appendField := func(dst, b []byte) []byte {
			if compact {
				return kbin.AppendCompactBytes(dst, b)
			}
			return kbin.AppendBytes(dst, b)
		}
		// What the client must receive.
		var want []byte
		want = append(want, 0, 0, 0, 0, 'h', 'd', 'r')
		want = appendField(want, data[7:300007])
		want = append(want, 'm', 'i', 'd')
		want = appendField(want, data[1000000:1000005])
		want = append(want, 't', 'a', 'i', 'l')
		binary.BigEndian.PutUint32(want, uint32(len(want)-4))
		// What the encoder produces.
		var frame []byte
		frame = append(frame, 0, 0, 0, 0, 'h', 'd', 'r')
		frame = appendField(frame, RegionMarker[:])
		frame = append(frame, 'm', 'i', 'd')
		frame = appendField(frame, RegionMarker[:])
		frame = append(frame, 't', 'a', 'i', 'l')
		binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))

		chunks, err := spliceRegions(frame, regions, compact, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		got := make(chan []byte, 1)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				got <- nil
				return
			}
			b, _ := io.ReadAll(c)
			got <- b
		}()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		n, err := writeChunks(c, chunks)
		c.Close()
		if err != nil || int(n) != len(want) {
			t.Fatalf("compact=%v: wrote %d of %d: %v", compact, n, len(want), err)
		}
		if b := <-got; !bytes.Equal(b, want) {
			t.Fatalf("compact=%v: received %d bytes differing from the expected %d", compact, len(b), len(want))
		}
		ln.Close()
	}
	// A marker count that does not match the regions is an error.
	frame := append([]byte{0, 0, 0, 0}, kbin.AppendBytes(nil, RegionMarker[:])...)
	if _, err := spliceRegions(frame, []FileRegion{{File: f, Size: 1}, {File: f, Size: 1}}, false, nil, nil); err == nil {
		t.Fatal("a missing marker was not reported")
	}
	// A region past the end of its file fails the send rather than
	// sending less than the frame promised.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			io.Copy(io.Discard, c)
		}
	}()
	c, _ := net.Dial("tcp", ln.Addr().String())
	defer c.Close()
	if _, err := sendRegion(c, &FileRegion{File: f, Offset: int64(len(data)) - 10, Size: 100}); err == nil {
		t.Fatal("short region sent without error")
	}
}
