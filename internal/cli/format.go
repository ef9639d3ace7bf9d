package cli

import (
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"
)

// recordFormat prints a record as a format string says, like kcat's -f:
//
//	%t topic  %p partition  %o offset  %k key  %s value  %h headers (k=v,k2=v2)
//	%K key length  %S value length  %T timestamp (ms)  %D timestamp (RFC 3339)
//	%%  a percent sign; \n \r \t \\ escapes
//
// A null key or value prints as the null literal ("" by default).
type recordFormat struct {
	parts       []formatPart
	nullLiteral string
}

// formatPart is a literal, or a field when verb is not 0.
type formatPart struct {
	literal string
	verb    byte
}

// parseRecordFormat compiles a format string.
func parseRecordFormat(s string) (*recordFormat, error) {
	f := &recordFormat{}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			f.parts = append(f.parts, formatPart{literal: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '%':
			if i+1 >= len(s) {
				return nil, fmt.Errorf("format %q ends with a lone %%", s)
			}
			i++
			switch v := s[i]; v {
			case '%':
				lit.WriteByte('%')
			case 't', 'p', 'o', 'k', 's', 'h', 'K', 'S', 'T', 'D':
				flush()
				f.parts = append(f.parts, formatPart{verb: v})
			default:
				return nil, fmt.Errorf("format %q: unknown field %%%c (known: %%t %%p %%o %%k %%s %%h %%K %%S %%T %%D %%%%)", s, v)
			}
		case '\\':
			if i+1 >= len(s) {
				lit.WriteByte('\\')
				continue
			}
			i++
			switch e := s[i]; e {
			case 'n':
				lit.WriteByte('\n')
			case 't':
				lit.WriteByte('\t')
			case 'r':
				lit.WriteByte('\r')
			case '0':
				lit.WriteByte(0)
			case '\\':
				lit.WriteByte('\\')
			default:
				lit.WriteByte('\\')
				lit.WriteByte(e)
			}
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return f, nil
}

// append appends the formatted record to b.
func (f *recordFormat) append(b []byte, r *kgo.Record) []byte {
	for _, p := range f.parts {
		switch p.verb {
		case 0:
			b = append(b, p.literal...)
		case 't':
			b = append(b, r.Topic...)
		case 'p':
			b = strconv.AppendInt(b, int64(r.Partition), 10)
		case 'o':
			b = strconv.AppendInt(b, r.Offset, 10)
		case 'k':
			b = f.appendNullable(b, r.Key)
		case 's':
			b = f.appendNullable(b, r.Value)
		case 'K':
			b = strconv.AppendInt(b, nullableLen(r.Key), 10)
		case 'S':
			b = strconv.AppendInt(b, nullableLen(r.Value), 10)
		case 'T':
			b = strconv.AppendInt(b, r.Timestamp.UnixMilli(), 10)
		case 'D':
			b = r.Timestamp.UTC().AppendFormat(b, time.RFC3339Nano)
		case 'h':
			for i, h := range r.Headers {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, h.Key...)
				b = append(b, '=')
				b = append(b, h.Value...)
			}
		}
	}
	return b
}

func (f *recordFormat) appendNullable(b, v []byte) []byte {
	if v == nil {
		return append(b, f.nullLiteral...)
	}
	return append(b, v...)
}

// nullableLen is kcat's length of a key or value: -1 when null.
func nullableLen(v []byte) int64 {
	if v == nil {
		return -1
	}
	return int64(len(v))
}

// kafkaFormatter is kafka-console-consumer's DefaultMessageFormatter,
// configured by --property print.key=true and friends.
type kafkaFormatter struct {
	printTimestamp, printPartition, printOffset, printHeaders, printKey, printValue bool
	keySeparator, lineSeparator, headersSeparator, headersKeySeparator, nullLiteral string
}

func newKafkaFormatter() *kafkaFormatter {
	return &kafkaFormatter{printValue: true, keySeparator: "\t", lineSeparator: "\n",
		headersSeparator: ",", headersKeySeparator: ":", nullLiteral: "null"}
}

// set applies one --property; it reports false for a key it does not know.
func (k *kafkaFormatter) set(key, value string) bool {
	b := value == "true"
	switch key {
	case "print.timestamp":
		k.printTimestamp = b
	case "print.partition":
		k.printPartition = b
	case "print.offset":
		k.printOffset = b
	case "print.headers":
		k.printHeaders = b
	case "print.key":
		k.printKey = b
	case "print.value":
		k.printValue = b
	case "key.separator":
		k.keySeparator = value
	case "line.separator":
		k.lineSeparator = value
	case "headers.separator":
		k.headersSeparator = value
	case "headers.key.separator":
		k.headersKeySeparator = value
	case "null.literal":
		k.nullLiteral = value
	default:
		return false
	}
	return true
}

// append formats as Kafka does: timestamp, partition, offset, headers, key
// and value, each present one followed by the key separator except the
// last, then the line separator.
func (k *kafkaFormatter) append(b []byte, r *kgo.Record) []byte {
	var fields [][]byte
	if k.printTimestamp {
		fields = append(fields, []byte("CreateTime:"+strconv.FormatInt(r.Timestamp.UnixMilli(), 10)))
	}
	if k.printPartition {
		fields = append(fields, []byte("Partition:"+strconv.Itoa(int(r.Partition))))
	}
	if k.printOffset {
		fields = append(fields, []byte("Offset:"+strconv.FormatInt(r.Offset, 10)))
	}
	if k.printHeaders {
		if len(r.Headers) == 0 {
			fields = append(fields, []byte("NO_HEADERS"))
		} else {
			var h []byte
			for i, hd := range r.Headers {
				if i > 0 {
					h = append(h, k.headersSeparator...)
				}
				h = append(h, hd.Key...)
				h = append(h, k.headersKeySeparator...)
				h = k.appendNullable(h, hd.Value)
			}
			fields = append(fields, h)
		}
	}
	if k.printKey {
		fields = append(fields, k.appendNullable(nil, r.Key))
	}
	if k.printValue {
		fields = append(fields, k.appendNullable(nil, r.Value))
	}
	for i, f := range fields {
		if i > 0 {
			b = append(b, k.keySeparator...)
		}
		b = append(b, f...)
	}
	return append(b, k.lineSeparator...)
}

func (k *kafkaFormatter) appendNullable(b, v []byte) []byte {
	if v == nil {
		return append(b, k.nullLiteral...)
	}
	return append(b, v...)
}

// jsonRecord is a record as `consume -o json` prints it, one a line. Keys,
// values and header values that are not UTF-8 are given in base64 instead.
type jsonRecord struct {
	Topic       string       `json:"topic"`
	Partition   int32        `json:"partition"`
	Offset      int64        `json:"offset"`
	Timestamp   int64        `json:"timestamp"`
	Key         *string      `json:"key"`
	KeyBase64   string       `json:"key_base64,omitempty"`
	Value       *string      `json:"value"`
	ValueBase64 string       `json:"value_base64,omitempty"`
	Headers     []jsonHeader `json:"headers"`
}

type jsonHeader struct {
	Key         string  `json:"key"`
	Value       *string `json:"value"`
	ValueBase64 string  `json:"value_base64,omitempty"`
}

func toJSONRecord(r *kgo.Record) jsonRecord {
	j := jsonRecord{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp.UnixMilli(),
		Headers: []jsonHeader{}}
	j.Key, j.KeyBase64 = jsonBytes(r.Key)
	j.Value, j.ValueBase64 = jsonBytes(r.Value)
	for _, h := range r.Headers {
		jh := jsonHeader{Key: h.Key}
		jh.Value, jh.ValueBase64 = jsonBytes(h.Value)
		j.Headers = append(j.Headers, jh)
	}
	return j
}

// jsonBytes returns v as a string when it is UTF-8, else in base64.
func jsonBytes(v []byte) (*string, string) {
	if v == nil {
		return nil, ""
	}
	if utf8.Valid(v) {
		s := string(v)
		return &s, ""
	}
	return nil, base64.StdEncoding.EncodeToString(v)
}

// recordPrinter is one of the three output forms.
type recordPrinter interface {
	print(w io.Writer, r *kgo.Record) error
}

type formatPrinter struct {
	f interface {
		append([]byte, *kgo.Record) []byte
	}
	buf []byte
}

func (p *formatPrinter) print(w io.Writer, r *kgo.Record) error {
	p.buf = p.f.append(p.buf[:0], r)
	_, err := w.Write(p.buf)
	return err
}

type jsonPrinter struct{}

func (jsonPrinter) print(w io.Writer, r *kgo.Record) error { return writeJSONLine(w, toJSONRecord(r)) }
