package main

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The null server is a Kafka broker that stores nothing: it is the
// client's ceiling, what a load generator reaches when the broker costs
// nothing. It serves, as far as `fjord perf` needs:
//
//   - ApiVersions, Metadata (one broker, node 0), CreateTopics,
//     InitProducerID (for idempotent producers: sequences are not checked);
//   - Produce (acks 0, 1, all): answered at once, the records dropped, the
//     offsets advanced by the batches' record counts;
//   - Fetch and ListOffsets from a synthetic source: every partition holds
//     fetchRecords records (copies of one pre-built batch of recordSize
//     values) from offset 0, so a consumer measures what it can receive
//     and parse when the broker serves from memory.
//
// Not done: groups, transactions, fetch sessions (every fetch is a full
// one), topic IDs (Fetch stops at v12, Produce at v11).
type nullServer struct {
	ln           net.Listener
	partitions   int32 // of a topic created without a count, or auto-created
	fetchRecords int64 // per partition
	batch        []byte
	batchRecords int64

	mu         sync.Mutex
	topics     map[string]*nullTopic // guarded by mu
	producerID int64                 // guarded by mu
}

type nullTopic struct {
	id   [16]byte
	next []int64 // per partition: the next offset a produce gets; guarded by nullServer.mu
}

// nullVersions are the versions served: ApiVersions answers from it.
var nullVersions = map[int16][2]int16{
	int16(kmsg.Produce):        {3, 11},
	int16(kmsg.Fetch):          {4, 12},
	int16(kmsg.ListOffsets):    {1, 7},
	int16(kmsg.Metadata):       {1, 12},
	int16(kmsg.ApiVersions):    {0, 3},
	int16(kmsg.CreateTopics):   {2, 7},
	int16(kmsg.InitProducerID): {0, 4},
}

type nullOptions struct {
	partitions   int32
	fetchRecords int64
	recordSize   int
	batchRecords int
}

func newNullServer(addr string, o nullOptions) (*nullServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &nullServer{ln: ln, partitions: max(o.partitions, 1), fetchRecords: o.fetchRecords, topics: map[string]*nullTopic{}}
	s.batchRecords = int64(max(o.batchRecords, 1))
	s.batch = buildBatch(int(s.batchRecords), o.recordSize)
	// Whole batches only: the high watermark ends the last one.
	s.fetchRecords = (s.fetchRecords + s.batchRecords - 1) / s.batchRecords * s.batchRecords
	return s, nil
}

func (s *nullServer) addr() string { return s.ln.Addr().String() }

// serve accepts connections until the listener is closed.
func (s *nullServer) serve() error {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		go s.serveConn(c)
	}
}

func (s *nullServer) close() error { return s.ln.Close() }

// serveConn answers requests in order; responses are flushed once no
// further request is already buffered, so a pipelining client gets them
// in few writes.
func (s *nullServer) serveConn(c net.Conn) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 1<<20)
	w := bufio.NewWriterSize(c, 1<<20)
	var (
		body    []byte
		out     []byte
		scratch []byte
		size    [4]byte
	)
	for {
		if _, err := io.ReadFull(r, size[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint32(size[:]))
		if cap(body) < n {
			body = make([]byte, n)
		}
		body = body[:n]
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		rd := kbin.Reader{Src: body}
		key, version, corr := rd.Int16(), rd.Int16(), rd.Int32()
		rd.NullableString() // client ID
		req := kmsg.RequestForKey(key)
		if req == nil {
			return
		}
		req.SetVersion(version)
		if v, ok := nullVersions[key]; !ok || version < v[0] || version > v[1] {
			if key != int16(kmsg.ApiVersions) {
				return // a client only sends what ApiVersions offered
			}
			req.SetVersion(0) // answer in v0, which every client reads
		} else if req.IsFlexible() {
			kmsg.SkipTags(&rd)
		}
		if err := req.ReadFrom(rd.Src); err != nil && key != int16(kmsg.ApiVersions) {
			return
		}
		var resp kmsg.Response
		resp, scratch = s.handle(req, version, scratch)
		if resp == nil { // acks=0
			continue
		}
		out = append(out[:0], 0, 0, 0, 0, 0, 0, 0, 0)
		if resp.IsFlexible() && key != int16(kmsg.ApiVersions) {
			out = append(out, 0)
		}
		out = resp.AppendTo(out)
		binary.BigEndian.PutUint32(out, uint32(len(out)-4))
		binary.BigEndian.PutUint32(out[4:], uint32(corr))
		if _, err := w.Write(out); err != nil {
			return
		}
		if !nextBuffered(r) {
			if err := w.Flush(); err != nil {
				return
			}
		}
	}
}

// nextBuffered reports whether a whole request is already read into r,
// so that answering it need not wait for the network.
func nextBuffered(r *bufio.Reader) bool {
	if r.Buffered() < 4 {
		return false
	}
	b, err := r.Peek(4) // does not block: the bytes are buffered
	if err != nil {
		return false
	}
	return r.Buffered() >= 4+int(binary.BigEndian.Uint32(b))
}

func (s *nullServer) handle(req kmsg.Request, asked int16, scratch []byte) (kmsg.Response, []byte) {
	switch req := req.(type) {
	case *kmsg.ApiVersionsRequest:
		resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
		if v := nullVersions[int16(kmsg.ApiVersions)]; asked > v[1] {
			resp.ErrorCode = kerr.UnsupportedVersion.Code
		}
		for k, v := range nullVersions {
			resp.ApiKeys = append(resp.ApiKeys, kmsg.ApiVersionsResponseApiKey{ApiKey: k, MinVersion: v[0], MaxVersion: v[1]})
		}
		return resp, scratch
	case *kmsg.MetadataRequest:
		return s.metadata(req), scratch
	case *kmsg.CreateTopicsRequest:
		resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)
		for _, t := range req.Topics {
			rt := kmsg.NewCreateTopicsResponseTopic()
			rt.Topic, rt.NumPartitions, rt.ReplicationFactor = t.Topic, t.NumPartitions, 1
			if rt.NumPartitions <= 0 {
				rt.NumPartitions = s.partitions
			}
			s.mu.Lock()
			if _, ok := s.topics[t.Topic]; ok {
				rt.ErrorCode = kerr.TopicAlreadyExists.Code
			} else if !req.ValidateOnly {
				rt.TopicID = s.topicLocked(t.Topic, rt.NumPartitions).id
			}
			s.mu.Unlock()
			resp.Topics = append(resp.Topics, rt)
		}
		return resp, scratch
	case *kmsg.InitProducerIDRequest:
		resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
		s.mu.Lock()
		s.producerID++
		resp.ProducerID = s.producerID
		s.mu.Unlock()
		return resp, scratch
	case *kmsg.ProduceRequest:
		return s.produce(req), scratch
	case *kmsg.ListOffsetsRequest:
		resp := req.ResponseKind().(*kmsg.ListOffsetsResponse)
		for _, t := range req.Topics {
			rt := kmsg.NewListOffsetsResponseTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewListOffsetsResponseTopicPartition()
				rp.Partition, rp.Timestamp, rp.Offset = p.Partition, -1, 0
				if p.Timestamp == -1 { // the end; any other is answered with the start
					rp.Offset = s.endOffset(t.Topic, p.Partition)
				}
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp, scratch
	case *kmsg.FetchRequest:
		return s.fetch(req, scratch)
	}
	return nil, scratch
}

// topicLocked returns the topic, creating it with n partitions.
func (s *nullServer) topicLocked(name string, n int32) *nullTopic {
	t, ok := s.topics[name]
	if !ok {
		t = &nullTopic{next: make([]int64, n)}
		rand.Read(t.id[:])
		s.topics[name] = t
	}
	return t
}

func (s *nullServer) metadata(req *kmsg.MetadataRequest) *kmsg.MetadataResponse {
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	host, port, _ := net.SplitHostPort(s.addr())
	p, _ := strconv.Atoi(port)
	resp.Brokers = []kmsg.MetadataResponseBroker{{NodeID: 0, Host: host, Port: int32(p)}}
	cluster := "null"
	resp.ClusterID, resp.ControllerID = &cluster, 0
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	if req.Topics == nil {
		for name := range s.topics {
			names = append(names, name)
		}
	}
	for _, t := range req.Topics {
		if t.Topic != nil {
			names = append(names, *t.Topic)
		}
	}
	for _, name := range names {
		t := s.topicLocked(name, s.partitions)
		rt := kmsg.NewMetadataResponseTopic()
		rt.Topic, rt.TopicID = kmsg.StringPtr(name), t.id
		for i := range t.next {
			rp := kmsg.NewMetadataResponseTopicPartition()
			rp.Partition, rp.Leader, rp.Replicas, rp.ISR = int32(i), 0, []int32{0}, []int32{0}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

func (s *nullServer) produce(req *kmsg.ProduceRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	s.mu.Lock()
	for _, t := range req.Topics {
		rt := kmsg.NewProduceResponseTopic()
		rt.Topic = t.Topic
		topic := s.topicLocked(t.Topic, s.partitions)
		for _, p := range t.Partitions {
			rp := kmsg.NewProduceResponseTopicPartition()
			rp.Partition = p.Partition
			if p.Partition < 0 || int(p.Partition) >= len(topic.next) {
				rp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			} else {
				rp.BaseOffset = topic.next[p.Partition]
				topic.next[p.Partition] += countRecords(p.Records)
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	s.mu.Unlock()
	if req.Acks == 0 {
		return nil
	}
	return resp
}

// countRecords sums the record counts of the v2 batches in b.
func countRecords(b []byte) int64 {
	var n int64
	for len(b) >= 61 {
		size := 12 + int(int32(binary.BigEndian.Uint32(b[8:12])))
		n += int64(int32(binary.BigEndian.Uint32(b[57:61])))
		if size > len(b) || size < 61 {
			break
		}
		b = b[size:]
	}
	return n
}

func (s *nullServer) endOffset(topic string, partition int32) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var produced int64
	if t, ok := s.topics[topic]; ok && partition >= 0 && int(partition) < len(t.next) {
		produced = t.next[partition]
	}
	return max(produced, s.fetchRecords)
}

// fetch answers from the synthetic source: copies of the batch, their
// base offsets rewritten (the base offset lies before what the CRC
// covers). scratch holds the copies and is reused by the connection.
func (s *nullServer) fetch(req *kmsg.FetchRequest, scratch []byte) (kmsg.Response, []byte) {
	resp := req.ResponseKind().(*kmsg.FetchResponse)
	scratch = scratch[:0]
	type span struct{ t, p, from, to int }
	var spans []span
	budget := int(req.MaxBytes)
	for ti, t := range req.Topics {
		rt := kmsg.NewFetchResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewFetchResponseTopicPartition()
			rp.Partition = p.Partition
			rp.HighWatermark = s.fetchRecords
			rp.LastStableOffset = s.fetchRecords
			from := len(scratch)
			for off := p.FetchOffset; off < s.fetchRecords && budget > 0; off += s.batchRecords {
				if len(scratch) > from && len(scratch)-from+len(s.batch) > int(p.PartitionMaxBytes) {
					break
				}
				at := len(scratch)
				scratch = append(scratch, s.batch...)
				// Align to the batch grid so offsets stay consecutive.
				base := off - off%s.batchRecords
				binary.BigEndian.PutUint64(scratch[at:], uint64(base))
				budget -= len(s.batch)
			}
			spans = append(spans, span{ti, len(rt.Partitions), from, len(scratch)})
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	empty := true
	for _, sp := range spans { // scratch may have moved while growing
		if sp.to > sp.from {
			resp.Topics[sp.t].Partitions[sp.p].RecordBatches = scratch[sp.from:sp.to]
			empty = false
		}
	}
	if empty && req.MaxWaitMillis > 0 {
		time.Sleep(time.Duration(min(req.MaxWaitMillis, 500)) * time.Millisecond)
	}
	return resp, scratch
}

// buildBatch encodes an uncompressed v2 record batch of n records with
// values of size random upper-case letters and no key.
func buildBatch(n, size int) []byte {
	value := make([]byte, size)
	for i := range value {
		value[i] = 'A' + byte(i*7%26)
	}
	var recs []byte
	for i := range n {
		var rec []byte
		rec = append(rec, 0)                     // attributes
		rec = binary.AppendVarint(rec, 0)        // timestamp delta
		rec = binary.AppendVarint(rec, int64(i)) // offset delta
		rec = binary.AppendVarint(rec, -1)       // key: null
		rec = binary.AppendVarint(rec, int64(size))
		rec = append(rec, value...)
		rec = binary.AppendVarint(rec, 0) // headers
		recs = binary.AppendVarint(recs, int64(len(rec)))
		recs = append(recs, rec...)
	}
	now := time.Now().UnixMilli()
	b := make([]byte, 61, 61+len(recs))
	binary.BigEndian.PutUint64(b[0:], 0)                    // base offset
	binary.BigEndian.PutUint32(b[8:], uint32(49+len(recs))) // length after this field
	binary.BigEndian.PutUint32(b[12:], 0)                   // partition leader epoch
	b[16] = 2                                               // magic
	binary.BigEndian.PutUint16(b[21:], 0)                   // attributes
	binary.BigEndian.PutUint32(b[23:], uint32(n-1))         // last offset delta
	binary.BigEndian.PutUint64(b[27:], uint64(now))         // base timestamp
	binary.BigEndian.PutUint64(b[35:], uint64(now))         // max timestamp
	binary.BigEndian.PutUint64(b[43:], ^uint64(0))          // producer ID -1
	binary.BigEndian.PutUint16(b[51:], ^uint16(0))          // producer epoch -1
	binary.BigEndian.PutUint32(b[53:], ^uint32(0))          // base sequence -1
	binary.BigEndian.PutUint32(b[57:], uint32(n))           // records
	b = append(b, recs...)
	crc := crc32.Checksum(b[21:], crc32.MakeTable(crc32.Castagnoli))
	binary.BigEndian.PutUint32(b[17:], crc)
	return b
}

// runNullServer is `bench serve-null`: it serves until killed.
func runNullServer(args []string) error {
	fs := newFlagSet("serve-null")
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	var o nullOptions
	fs.Func("partitions", "partitions of an auto-created topic", func(v string) error {
		n, err := strconv.Atoi(v)
		o.partitions = int32(n)
		return err
	})
	fs.Int64Var(&o.fetchRecords, "fetch-records", 0, "records every partition holds for fetches")
	fs.IntVar(&o.recordSize, "record-size", 1024, "value bytes of the fetched records")
	fs.IntVar(&o.batchRecords, "batch-records", 0, "records in each fetched batch (default: ~256 KiB of them)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.batchRecords == 0 {
		o.batchRecords = max(1, (256<<10)/max(o.recordSize, 1))
	}
	s, err := newNullServer(*addr, o)
	if err != nil {
		return err
	}
	fmt.Println("listening on", s.addr())
	return s.serve()
}
