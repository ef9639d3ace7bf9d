package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

type kv struct{ k, v string }

func pairs(ps []Property) []kv {
	out := make([]kv, len(ps))
	for i, p := range ps {
		out[i] = kv{p.Key, p.Value}
	}
	return out
}

func TestParsePropertiesFollowsJavaSyntax(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []kv
	}{
		{"equals", "a=b", []kv{{"a", "b"}}},
		{"colon", "a: b", []kv{{"a", "b"}}},
		{"blank separator", "a b", []kv{{"a", "b"}}},
		{"blanks around separator", "a \t = \f b", []kv{{"a", "b"}}},
		{"only one separator is consumed", "a==b", []kv{{"a", "=b"}}},
		{"blank then separator then separator", "a : :b", []kv{{"a", ":b"}}},
		{"separator inside value", "url=http://h:1/x=y", []kv{{"url", "http://h:1/x=y"}}},
		{"empty value", "a=", []kv{{"a", ""}}},
		{"key alone", "lonely", []kv{{"lonely", ""}}},
		{"empty key", "=v", []kv{{"", "v"}}},
		{"leading whitespace ignored", "   \t\fa=b", []kv{{"a", "b"}}},
		{"trailing whitespace kept in value", "a=b  ", []kv{{"a", "b  "}}},
		{"hash comment", "# c\na=b", []kv{{"a", "b"}}},
		{"bang comment", "! c\na=b", []kv{{"a", "b"}}},
		{"indented comment", "   # c\na=b", []kv{{"a", "b"}}},
		{"hash inside value is literal", "a=b#c", []kv{{"a", "b#c"}}},
		{"blank lines skipped", "\n\n  \na=b\n\n", []kv{{"a", "b"}}},
		{"CRLF endings", "a=b\r\nc=d\r\n", []kv{{"a", "b"}, {"c", "d"}}},
		{"CR endings", "a=b\rc=d", []kv{{"a", "b"}, {"c", "d"}}},
		{"escapes", `a=\t\n\r\f\\\z`, []kv{{"a", "\t\n\r\f\\z"}}},
		{"unicode escape", `a=\u0041\u00e9`, []kv{{"a", "Aé"}}},
		{"surrogate pair escape", `a=\uD83D\uDE00`, []kv{{"a", "😀"}}},
		{"unpaired surrogate", `a=\uD83Dx`, []kv{{"a", "\uFFFDx"}}},
		{"escaped separators in key", `a\=b\:c\ d=e`, []kv{{"a=b:c d", "e"}}},
		{"escaped hash starts a key", `\#x=1`, []kv{{"#x", "1"}}},
		{"utf-8 passes through", "name=Fjörd ✓", []kv{{"name", "Fjörd ✓"}}},
		{"continuation", "a=b\\\n   c\\\n\td", []kv{{"a", "bcd"}}},
		{"continuation in key", "ke\\\n  y=v", []kv{{"key", "v"}}},
		{"even backslashes do not continue", "a=b\\\\\nc=d", []kv{{"a", `b\`}, {"c", "d"}}},
		{"comment lines do not continue", "# x\\\na=b", []kv{{"a", "b"}}},
		{"continued line may start with hash", "a=b\\\n#c", []kv{{"a", "b#c"}}},
		{"continuation onto empty line ends the line", "a=b\\\n\nc=d", []kv{{"a", "b"}, {"c", "d"}}},
		{"continuation at end of input", "a=b\\", []kv{{"a", "b"}}},
		{"continuation with CRLF", "a=b\\\r\n  c", []kv{{"a", "bc"}}},
		{"repeated keys all returned in order", "a=1\na=2", []kv{{"a", "1"}, {"a", "2"}}},
		{"nothing", "", []kv{}},
		{"only comments", "#a\n!b\n", []kv{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseProperties(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("ParseProperties(%q): %v", tt.in, err)
			}
			if g := pairs(got); !slices.Equal(g, tt.want) {
				t.Errorf("ParseProperties(%q) = %q, want %q", tt.in, g, tt.want)
			}
		})
	}
}

func TestParsePropertiesRecordsStartLine(t *testing.T) {
	in := "# header\n\na=1\nb=2\\\n  continued\nc=3\n"
	got, err := ParseProperties(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, p := range got {
		lines = append(lines, p.Line)
	}
	if want := []int{3, 4, 6}; !slices.Equal(lines, want) {
		t.Errorf("lines = %v, want %v", lines, want)
	}
}

func TestParsePropertiesRejectsMalformedUnicodeEscape(t *testing.T) {
	for _, in := range []string{`a=\u12`, `a=\uXYZW`, "ok=1\nb=\\u00g0"} {
		_, err := ParseProperties(strings.NewReader(in))
		if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), `\uxxxx`) {
			t.Errorf("ParseProperties(%q) error = %v, want ErrSyntax about \\uxxxx", in, err)
		}
	}
}

// formatProperties writes pairs so that ParseProperties reads them back
// unchanged; the fuzz target uses it as an oracle.
func formatProperties(ps []Property) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(escapeProperty(p.Key, true))
		b.WriteByte('=')
		b.WriteString(escapeProperty(p.Value, false))
		b.WriteByte('\n')
	}
	return b.String()
}

func escapeProperty(s string, key bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\f':
			b.WriteString(`\f`)
		case '=', ':', '#', '!':
			b.WriteByte('\\')
			b.WriteByte(c)
		case ' ':
			if key || i == 0 {
				b.WriteByte('\\')
			}
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func FuzzParseProperties(f *testing.F) {
	for _, seed := range []string{
		"a=b", "a: b\n", "a b", "# c\n! d\nk=v", "a=b\\\n  c", "a=\\u0041\\uD83D\\uDE00",
		"key\\ with\\ spaces=v", "a=b\\\\", "\\", "=", "a=b\r\nc=d\r", "x=\\u12", "é=ü",
		"listeners=PLAINTEXT://:9092,CONTROLLER://:9093\nlog.dirs=/tmp/a, /tmp/b\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParseProperties(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v does not wrap ErrSyntax", err)
			}
			return
		}
		again, err := ParseProperties(strings.NewReader(formatProperties(got)))
		if err != nil {
			t.Fatalf("re-parsing formatted output: %v", err)
		}
		if !slices.Equal(pairs(got), pairs(again)) {
			t.Fatalf("round trip changed pairs:\n got %q\nthen %q", pairs(got), pairs(again))
		}
	})
}
