package config

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Property is one key/value pair of a .properties file.
type Property struct {
	Key, Value string
	Line       int // 1-based line on which the logical line starts
}

// ParseProperties reads Java .properties syntax the way
// java.util.Properties.load does:
//
//   - a logical line may continue over several natural lines when a line
//     ends in an odd number of backslashes; leading whitespace of each
//     continuation is dropped;
//   - lines whose first non-blank character is # or ! are comments and
//     cannot be continued;
//   - the key ends at the first unescaped '=', ':' or blank (space, tab,
//     form feed); blanks and at most one '=' or ':' then separate it from
//     the value, which runs to the end of the logical line;
//   - escapes \t \n \r \f and \uXXXX are decoded (UTF-16 surrogate pairs
//     combine), and a backslash before any other character yields that
//     character.
//
// Pairs are returned in file order; when a key repeats, the later pair is the
// one that counts (as in Java). Unlike Java, which reads ISO-8859-1, the
// input is taken as UTF-8, so non-ASCII values need no escaping. The only
// error is a malformed \uXXXX escape; it wraps ErrSyntax.
func ParseProperties(r io.Reader) ([]Property, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("config: reading properties: %w", err)
	}
	var out []Property
	lr := lineReader{in: string(data), line: 1}
	for {
		logical, line, ok := lr.next()
		if !ok {
			return out, nil
		}
		p, err := splitProperty(logical)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %s", ErrSyntax, line, err)
		}
		p.Line = line
		out = append(out, p)
	}
}

// lineReader yields logical lines with comments, blank lines and
// continuations already resolved (escapes other than line continuations are
// left for splitProperty).
type lineReader struct {
	in   string
	pos  int
	line int // current natural line number
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\f' }

// next returns the next logical line and the natural line it starts on.
func (r *lineReader) next() (string, int, bool) {
	var buf []byte
	start := 0
	skipBlanks := true    // at the start of a natural line
	continuation := false // the natural line continues a logical one
	comment := false
	backslash := false // the previous byte was an unescaped backslash
	for r.pos < len(r.in) {
		c := r.in[r.pos]
		r.pos++
		if c == '\n' || c == '\r' {
			if c == '\r' && r.pos < len(r.in) && r.in[r.pos] == '\n' {
				r.pos++
			}
			r.line++
			switch {
			case comment:
				comment, skipBlanks = false, true
				continue
			case skipBlanks && !continuation:
				continue // blank line
			case backslash:
				// Drop the backslash; the next natural line continues this one.
				buf = buf[:len(buf)-1]
				backslash, skipBlanks, continuation = false, true, true
				continue
			}
			if len(buf) == 0 {
				// A continuation onto an empty line ends an empty logical line.
				skipBlanks, continuation = true, false
				continue
			}
			return string(buf), start, true
		}
		if comment {
			continue
		}
		if skipBlanks {
			if isBlank(c) {
				continue
			}
			skipBlanks = false
		}
		if len(buf) == 0 {
			// Like Java 9+, a comment is recognised whenever the logical line
			// is still empty, even right after a continuation.
			if !continuation {
				start = r.line
			}
			if c == '#' || c == '!' {
				comment, continuation = true, false
				continue
			}
		}
		continuation = false
		buf = append(buf, c)
		if c == '\\' {
			backslash = !backslash
		} else {
			backslash = false
		}
	}
	if backslash { // a continuation cut short by the end of input
		buf = buf[:len(buf)-1]
	}
	if comment || len(buf) == 0 {
		return "", 0, false
	}
	return string(buf), start, true
}

// splitProperty separates and unescapes the key and value of a logical line.
func splitProperty(line string) (Property, error) {
	keyEnd, valueStart := len(line), len(line)
	hasSeparator, backslash := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		if !backslash && (c == '=' || c == ':') {
			keyEnd, valueStart, hasSeparator = i, i+1, true
			break
		}
		if !backslash && isBlank(c) {
			keyEnd, valueStart = i, i+1
			break
		}
		backslash = c == '\\' && !backslash
	}
	for valueStart < len(line) {
		c := line[valueStart]
		if !isBlank(c) {
			if hasSeparator || (c != '=' && c != ':') {
				break
			}
			hasSeparator = true
		}
		valueStart++
	}
	key, err := unescape(line[:keyEnd])
	if err != nil {
		return Property{}, err
	}
	value, err := unescape(line[valueStart:])
	if err != nil {
		return Property{}, err
	}
	return Property{Key: key, Value: value}, nil
}

// unescape decodes .properties escapes. \u escapes are UTF-16 code units, so
// a surrogate pair becomes one rune; an unpaired surrogate becomes U+FFFD.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	var units []uint16 // pending \u escapes, decoded together
	flush := func() {
		for _, r := range utf16.Decode(units) {
			b.WriteRune(r)
		}
		units = units[:0]
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			flush()
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(s) {
			break // a lone trailing backslash is dropped, as in Java
		}
		c = s[i]
		if c == 'u' {
			if len(s)-(i+1) < 4 {
				return "", fmt.Errorf(`malformed \uxxxx encoding`)
			}
			var u uint16
			for _, h := range []byte(s[i+1 : i+5]) {
				d, ok := hexDigit(h)
				if !ok {
					return "", fmt.Errorf(`malformed \uxxxx encoding`)
				}
				u = u<<4 | uint16(d)
			}
			units = append(units, u)
			i += 4
			continue
		}
		flush()
		switch c {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		default:
			// Any other escaped character stands for itself; copy a whole
			// UTF-8 sequence so multi-byte characters stay intact.
			_, size := utf8.DecodeRuneInString(s[i:])
			b.WriteString(s[i : i+size])
			i += size - 1
		}
	}
	flush()
	return b.String(), nil
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
