package server_test

import (
	"context"
	"encoding/binary"
	"io"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/server"
)

// fixedDispatcher answers every Metadata request with the same response, so
// that a benchmark measures the server rather than a handler.
type fixedDispatcher struct{ resp *kmsg.MetadataResponse }

func (fixedDispatcher) VersionRange(key int16) (int16, int16, bool) { return 0, 12, key == 3 }

func (d fixedDispatcher) Serve(context.Context, *server.Request) (kmsg.Response, error) {
	return d.resp, nil
}

// BenchmarkMetadataRoundTrip measures one request/response on one
// connection; allocs/op is the server's per-request garbage (the client side
// reuses its buffers), which is kmsg's request struct and little else.
func BenchmarkMetadataRoundTrip(b *testing.B) {
	s, err := server.New(server.Options{Listeners: []server.ListenerConfig{{Name: "PLAINTEXT", Host: "127.0.0.1"}}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.Start(fixedDispatcher{kmsg.NewPtrMetadataResponse()}); err != nil {
		b.Fatal(err)
	}
	c := dial(b, s.Listeners()[0].Addr.String())
	frame := frameOf(kmsg.NewPtrMetadataRequest(), 12, 1)
	buf := make([]byte, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := c.Write(frame); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf[:4]); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf[:binary.BigEndian.Uint32(buf)]); err != nil {
			b.Fatal(err)
		}
	}
}
