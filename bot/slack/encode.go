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
		if !escapeHTML && i+8 <= len(s) && plainJSON8(load8(s, i)) {
			i += 8 // most text: eight bytes that need nothing
			continue
		}
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

// load8 returns the eight bytes of s at i, the first in the low byte.
func load8[T string | []byte](s T, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// plainJSON8 reports whether none of the eight bytes in x is one that
// jsonSpecial marks: a control byte, '"', '\\' or a byte of 0x80 and up.
// Each test sets a byte's high bit where it matches (the classic
// has-zero-byte trick; a borrow can only mark a byte above a matching one,
// so "none matches" is exact).
func plainJSON8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	hasZero := func(v uint64) uint64 { return (v - ones) & ^v & highs }
	control := (x - 0x20*ones) & ^x & highs
	return (x&highs | control | hasZero(x^('"'*ones)) | hasZero(x^('\\'*ones))) == 0
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
