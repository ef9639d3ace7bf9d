package cli

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// table writes aligned columns: a header row and then rows.
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	if len(header) > 0 {
		t.row(toAny(header)...)
	}
	return t
}

// row writes one row; each cell is formatted with %v, and an empty cell
// shows as "-" so that columns stay readable with awk.
func (t *table) row(cells ...any) {
	parts := make([]string, len(cells))
	for i, c := range cells {
		s := fmt.Sprint(c)
		if s == "" {
			s = "-"
		}
		parts[i] = strings.NewReplacer("\t", " ", "\n", " ").Replace(s)
	}
	fmt.Fprintln(t.tw, strings.Join(parts, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// writeJSON writes v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// int32List formats node lists as "1,2,3".
func int32List(ns []int32) string {
	s := slices.Clone(ns)
	slices.Sort(s)
	parts := make([]string, len(s))
	for i, n := range s {
		parts[i] = strconv.Itoa(int(n))
	}
	return strings.Join(parts, ",")
}

// nonNil returns ns, or an empty slice so JSON shows [] instead of null.
func nonNil[T any](ns []T) []T {
	if ns == nil {
		return []T{}
	}
	return ns
}

// plural returns "1 record" or "3 records".
func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.FormatInt(n, 10) + " " + word + "s"
}

// parseKeyValues parses repeatable k=v flags. With commaLists, ","
// also separates pairs as in kafka-configs.sh's --add-config, and a value
// holding a comma goes in square brackets: k=[a,b].
func parseKeyValues(flag string, in []string, commaLists bool) ([][2]string, error) {
	var out [][2]string
	for _, arg := range in {
		pairs := []string{arg}
		if commaLists {
			pairs = splitOutsideBrackets(arg)
		}
		for _, kv := range pairs {
			if kv == "" {
				continue
			}
			k, v, ok := strings.Cut(kv, "=")
			k = strings.TrimSpace(k)
			if !ok || k == "" {
				return nil, usagef("%s: %q is not key=value", flag, kv)
			}
			if commaLists && strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
				v = v[1 : len(v)-1]
			}
			out = append(out, [2]string{k, v})
		}
	}
	return out, nil
}

// splitOutsideBrackets splits at commas that are not inside [...].
func splitOutsideBrackets(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '[':
			depth++
		case ']':
			if depth > 0 {
				depth--
			}
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// writeJSONLine writes v as one line of JSON.
func writeJSONLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// topicID prints a topic ID as Kafka does (URL-safe base64, no padding);
// the zero ID (a broker without topic IDs) is "".
func topicID(id [16]byte) string {
	if id == [16]byte{} {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(id[:])
}
