package slack

import (
	"strings"
	"unicode/utf8"
)

// This file writes JSON strings as encoding/json does, without reflection
// or its allocations: ackWriter encodes every inline answer with it.

// appendOptString appends key and s unless s is empty (omitempty).
func appendOptString(dst []byte, key, s string) []byte {
	if s == "" {
		return dst
	}
	return appendString(append(dst, key...), s)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json does with
// HTML escaping off.
func appendString(dst []byte, s string) []byte { return appendJSONString(dst, s, false) }

// appendJSONString appends s as a JSON string the way encoding/json does:
// invalid UTF-8 becomes \ufffd, U+2028 and U+2029 are escaped, and so are
// <, > and & when escapeHTML is set. s is a string or the bytes of one, so
// that text built in a scratch buffer is encoded without a copy.
func appendJSONString[T string | []byte](dst []byte, s T, escapeHTML bool) []byte {
	special := &jsonSpecial
	if escapeHTML {
		special = &jsonSpecialHTML
	}
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if !special[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := decodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// decodeRune is utf8.DecodeRune for a string or bytes.
func decodeRune[T string | []byte](s T) (rune, int) {
	var b [utf8.UTFMax]byte
	return utf8.DecodeRune(b[:copy(b[:], s)])
}

// jsonSpecial marks the bytes appendJSONString must look at: those it
// escapes, and the first bytes of multi-byte UTF-8 sequences (or invalid
// bytes), which may need replacing or escaping. Continuation bytes of a
// valid sequence are skipped with their first byte.
var (
	jsonSpecial     = jsonSpecialBytes("")
	jsonSpecialHTML = jsonSpecialBytes("<>&")
)

func jsonSpecialBytes(extra string) [256]bool {
	var t [256]bool
	for c := range 256 {
		t[c] = c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf || strings.IndexByte(extra, byte(c)) >= 0
	}
	return t
}
