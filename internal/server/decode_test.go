package server

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// kmsgRanges serves every key kmsg knows, at every version it knows, so that
// decoding is exercised as widely as the parser allows.
type kmsgRanges struct{}

func (kmsgRanges) VersionRange(key int16) (lo, hi int16, ok bool) {
	r := kmsg.RequestForKey(key)
	if r == nil {
		return 0, 0, false
	}
	return 0, r.MaxVersion(), true
}

// everyRequestFrame returns a frame for every kmsg request key and version,
// made by kmsg's own client-side formatter.
func everyRequestFrame() (frames [][]byte, reqs []kmsg.Request) {
	f := kmsg.NewRequestFormatter(kmsg.FormatterClientID("fuzz"))
	for key := int16(0); key < 200; key++ {
		proto := kmsg.RequestForKey(key)
		if proto == nil {
			continue
		}
		for v := int16(0); v <= proto.MaxVersion(); v++ {
			if key == keyControlledShutdown && v == 0 {
				continue // the formatter leaves this frame's size unset; see TestDecodeControlledShutdownV0
			}
			req := kmsg.RequestForKey(key)
			req.SetVersion(v)
			frames = append(frames, f.AppendRequest(nil, req, int32(key)<<16|int32(v)))
			reqs = append(reqs, req)
		}
	}
	return frames, reqs
}

// decodeFrame runs the whole decode path of a connection over b.
func decodeFrame(b []byte, maxSize int32) (*Request, error) {
	r := bytes.NewReader(b)
	f := new(frame) // not released: the caller inspects Body
	body, err := readFrame(func(p []byte) error { _, err := io.ReadFull(r, p); return err }, f, maxSize)
	if err != nil {
		return nil, err
	}
	req := &f.req
	return req, decodeRequest(body, kmsgRanges{}, req, "fuzz")
}

func TestDecodeRoundTripsEveryKmsgRequest(t *testing.T) {
	frames, reqs := everyRequestFrame()
	for i, fr := range frames {
		want := reqs[i]
		got, err := decodeFrame(fr, DefaultMaxRequestBytes)
		if err != nil {
			t.Fatalf("%s v%d: %v", kmsg.NameForKey(want.Key()), want.GetVersion(), err)
		}
		if got.Key != want.Key() || got.Version != want.GetVersion() || got.CorrelationID != int32(want.Key())<<16|int32(want.GetVersion()) ||
			got.ClientID != "fuzz" || got.Body == nil || got.Body.Key() != want.Key() || got.Body.GetVersion() != want.GetVersion() {
			t.Fatalf("%s v%d decoded as %+v", kmsg.NameForKey(want.Key()), want.GetVersion(), got)
		}
	}
}

// A header tag count of 2^32-1 in a 22-byte frame must fail as soon as the
// input runs out; kmsg.SkipTags would count it all the way down (~10 s).
func TestDecodeHostileHeaderTagCountFailsFast(t *testing.T) {
	frame := []byte("\x00\x00\x00\x16\x000\x00\x01\x00\x02\x00\x01\x00\x04fuzz\xff\xff\xff\xff\x0e\x00\x00\x00")
	if _, err := decodeFrame(frame, 1<<20); !errors.Is(err, errMalformedHeader) {
		t.Fatalf("decode: %v", err)
	}
}

// ControlledShutdown v0 has request header v0: no client id.
func TestDecodeControlledShutdownV0(t *testing.T) {
	req := kmsg.NewPtrControlledShutdownRequest()
	req.SetVersion(0)
	req.BrokerID = 3
	body := kbin.AppendInt32(kbin.AppendInt16(kbin.AppendInt16(nil, keyControlledShutdown), 0), 5)
	body = req.AppendTo(body)
	var got Request
	if err := decodeRequest(body, kmsgRanges{}, &got, ""); err != nil {
		t.Fatal(err)
	}
	if b, ok := got.Body.(*kmsg.ControlledShutdownRequest); !ok || b.BrokerID != 3 || got.CorrelationID != 5 || got.ClientID != "" {
		t.Fatalf("decoded %+v", got)
	}
}

func TestDecodeClientIDIsACopy(t *testing.T) {
	fr := kmsg.NewRequestFormatter(kmsg.FormatterClientID("abc")).AppendRequest(nil, kmsg.NewPtrApiVersionsRequest(), 1)
	f := new(frame)
	body := f.body(len(fr) - 4)
	copy(body, fr[4:])
	if err := decodeRequest(body, kmsgRanges{}, &f.req, ""); err != nil {
		t.Fatal(err)
	}
	for i := range body {
		body[i] = 'x' // the connection reuses the buffer for the next request
	}
	if f.req.ClientID != "abc" {
		t.Fatalf("client id changed with the buffer: %q", f.req.ClientID)
	}
}

func TestAppendResponseHeaderForms(t *testing.T) {
	for _, tc := range []struct {
		name       string
		req        Request
		resp       kmsg.Response
		tagByte    bool
		atVersion  int16
		bodyPrefix []byte
	}{
		{"flexible metadata has header tags", Request{Key: 3, Version: 12, CorrelationID: 9}, kmsg.NewPtrMetadataResponse(), true, 12, nil},
		{"old metadata has none", Request{Key: 3, Version: 1, CorrelationID: 9}, kmsg.NewPtrMetadataResponse(), false, 1, nil},
		{"flexible ApiVersions response header is v0", Request{Key: 18, Version: 3, CorrelationID: 9}, kmsg.NewPtrApiVersionsResponse(), false, 3, nil},
		{"unsupported ApiVersions answers at v0", Request{Key: 18, Version: 7, CorrelationID: 9, UnsupportedVersion: true},
			&kmsg.ApiVersionsResponse{ErrorCode: kerr.UnsupportedVersion.Code}, false, 0, []byte{0, 35}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := appendResponse([]byte("prefix"), &tc.req, tc.resp)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(out, []byte("prefix")) {
				t.Fatal("dst clobbered")
			}
			out = out[len("prefix"):]
			if size := binary.BigEndian.Uint32(out); int(size) != len(out)-4 {
				t.Fatalf("size %d for %d bytes", size, len(out)-4)
			}
			r := kbin.Reader{Src: out[4:]}
			if corr := r.Int32(); corr != 9 {
				t.Fatalf("correlation %d", corr)
			}
			if tc.resp.GetVersion() != tc.atVersion {
				t.Fatalf("response version %d, want %d", tc.resp.GetVersion(), tc.atVersion)
			}
			want := tc.resp.AppendTo(nil)
			if tc.tagByte {
				want = append([]byte{0}, want...)
			}
			if !bytes.Equal(r.Src, want) || !bytes.HasPrefix(want, tc.bodyPrefix) {
				t.Fatalf("body % x, want % x", r.Src, want)
			}
		})
	}
	_, err := appendResponse(nil, &Request{Key: 3}, kmsg.NewPtrApiVersionsResponse())
	if !errors.Is(err, errResponseMismatch) {
		t.Fatalf("mismatched response: %v", err)
	}
}

func TestBufferPoolSizeClasses(t *testing.T) {
	for _, n := range []int{keepBufMax + 1, 1 << 20, 3<<20 + 5, 1 << maxPooledShift, 1<<maxPooledShift + 1} {
		b := getBuf(n)
		if len(b) != n {
			t.Fatalf("getBuf(%d) has length %d", n, len(b))
		}
		putBuf(b)
		if b2 := getBuf(n); len(b2) != n || cap(b2) < n {
			t.Fatalf("getBuf(%d) after put: len %d cap %d", n, len(b2), cap(b2))
		}
	}
}

// FuzzDecodeRequest feeds arbitrary bytes through the frame reader and the
// decoder: the result may be any error, never a panic.
//
// Known finding, upstream: kmsg (v1.15.0 and franz-go HEAD) skips the
// tagged fields of flexible request bodies by counting down the declared tag
// count even after the input has run out, so a ~40-byte frame declaring 2^32
// tags costs seconds of CPU; the fuzzer reports such inputs as hangs within a
// minute or two. The header's tags are skipped here (skipTags) and are
// immune; bodies need the one-line fix in kmsg (stop when the reader is not
// Ok). Do not commit those inputs to testdata: each takes seconds to run.
func FuzzDecodeRequest(f *testing.F) {
	frames, _ := everyRequestFrame()
	for _, fr := range frames {
		f.Add(fr)
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := decodeFrame(b, 1<<20)
		if err == nil && req.Body == nil && !req.UnsupportedVersion {
			t.Fatal("decoded without a body")
		}
	})
}
