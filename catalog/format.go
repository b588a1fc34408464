package catalog

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The format rules of Backstage's makeValidator defaults
// (packages/catalog-model/src/validation), written out by hand because they
// run for every field of every entity on the ingest path.

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// validObjectName: 1–63 characters [A-Za-z0-9] separated by [-_.].
func validObjectName(s string) bool {
	if len(s) < 1 || len(s) > 63 {
		return false
	}
	if !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		c := s[i]
		if !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

const ruleObjectName = "1–63 characters [A-Za-z0-9] separated by [-_.]"

// validDNSLabel: 1–63 characters [a-z0-9] separated by runs of '-'.
func validDNSLabel(s string) bool {
	if len(s) < 1 || len(s) > 63 {
		return false
	}
	if !isLowerAlnum(s[0]) || !isLowerAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !isLowerAlnum(c) && c != '-' {
			return false
		}
	}
	return true
}

const ruleNamespace = "1–63 characters [a-z0-9] separated by [-]"

// validDNSSubdomain: 1–253 characters of dot-separated DNS labels.
func validDNSSubdomain(s string) bool {
	if len(s) < 1 || len(s) > 253 {
		return false
	}
	for {
		part, rest, more := strings.Cut(s, ".")
		if !validDNSLabel(part) {
			return false
		}
		if !more {
			return true
		}
		s = rest
	}
}

// validPrefixedName is the label and annotation key rule:
// [dns-subdomain/]object-name with at most one '/'.
func validPrefixedName(s string) bool {
	prefix, name, ok := strings.Cut(s, "/")
	if !ok {
		return validObjectName(s)
	}
	return !strings.Contains(name, "/") && validDNSSubdomain(prefix) && validObjectName(name)
}

const ruleKey = "an optional DNS prefix [a-z0-9-.] and '/', then 1–63 characters [A-Za-z0-9] separated by [-_.], e.g. example.com/my-key"

// validAPIVersion: [dns-subdomain/]suffix with a 1–63 character
// alphanumeric suffix.
func validAPIVersion(s string) bool {
	suffix := s
	if prefix, rest, ok := strings.Cut(s, "/"); ok {
		if strings.Contains(rest, "/") || !validDNSSubdomain(prefix) {
			return false
		}
		suffix = rest
	}
	if len(suffix) < 1 || len(suffix) > 63 {
		return false
	}
	for i := 0; i < len(suffix); i++ {
		if !isAlnum(suffix[i]) {
			return false
		}
	}
	return true
}

const ruleAPIVersion = "an optional DNS prefix [a-z0-9-.] and '/', then 1–63 characters [a-zA-Z0-9], e.g. backstage.io/v1alpha1"

// validKind: 1–63 characters, a letter then letters and digits.
func validKind(s string) bool {
	if len(s) < 1 || len(s) > 63 {
		return false
	}
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

const ruleKind = "1–63 characters [a-zA-Z0-9] starting with a letter, e.g. Component"

func isTagChar(c byte) bool { return isLowerAlnum(c) || c == ':' || c == '+' || c == '#' }

// validTag: 1–63 characters [a-z0-9:+#] separated by single '-'.
func validTag(s string) bool {
	if len(s) < 1 || len(s) > 63 {
		return false
	}
	prevDash := true // a leading '-' is invalid
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' {
			if prevDash {
				return false
			}
			prevDash = true
			continue
		}
		if !isTagChar(c) {
			return false
		}
		prevDash = false
	}
	return !prevDash
}

const ruleTag = "1–63 characters [a-z0-9:+#] separated by single [-], e.g. java or c++"

// jsTrim is JavaScript's String.prototype.trim: it strips white space and
// line terminators as ECMAScript defines them (not U+0085).
func jsTrim(s string) string {
	return strings.TrimFunc(s, isJSSpace)
}

func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

// appendJSLower appends s lowercased as JavaScript's toLowerCase does
// (full case mapping: İ becomes i̇, a final Σ becomes ς).
func appendJSLower(dst, s []byte) []byte {
	ascii := true
	for _, c := range s {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		for _, c := range s {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
		}
		return dst
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRune(s[i:])
		switch {
		case r == 0x130:
			dst = append(dst, "i\u0307"...)
		case r == 0x3A3:
			if finalSigma(s[:i], s[i+size:]) {
				dst = utf8.AppendRune(dst, 0x3C2)
			} else {
				dst = utf8.AppendRune(dst, 0x3C3)
			}
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[i])
		default:
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		}
		i += size
	}
	return dst
}

// finalSigma is Unicode's Final_Sigma condition: a cased letter before
// (skipping case-ignorable characters) and none after.
func finalSigma(before, after []byte) bool {
	cased := false
	for len(before) > 0 {
		r, size := utf8.DecodeLastRune(before)
		before = before[:len(before)-size]
		if caseIgnorable(r) {
			continue
		}
		cased = isCased(r)
		break
	}
	if !cased {
		return false
	}
	for len(after) > 0 {
		r, size := utf8.DecodeRune(after)
		after = after[size:]
		if caseIgnorable(r) {
			continue
		}
		return !isCased(r)
	}
	return true
}

func isCased(r rune) bool {
	return unicode.In(r, unicode.Lu, unicode.Ll, unicode.Lt) || unicode.In(r, unicode.Other_Lowercase, unicode.Other_Uppercase)
}

func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', '^', '`', 0xB7, 0x2018, 0x2019, 0x2024, 0xFE52, 0xFE55, 0xFF07, 0xFF0E, 0xFF1A:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}

// URLs. FieldFormatEntityPolicy accepts a link URL when JavaScript's
// new URL(value) does, that is, when the WHATWG URL parser does not fail.
// validURL follows that parser's failure cases; it does not build the URL.

const ruleURL = "an absolute URL such as https://example.com/docs"

var specialSchemes = map[string]bool{"ftp": true, "file": true, "http": true, "https": true, "ws": true, "wss": true}

func validURL(s string) bool {
	// Strip leading and trailing C0 controls and spaces; drop every tab
	// and newline.
	s = strings.TrimFunc(s, func(r rune) bool { return r <= 0x20 })
	if strings.ContainsAny(s, "\t\n\r") {
		s = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return -1
			}
			return r
		}, s)
	}
	// Scheme.
	if s == "" || !isASCIIAlpha(s[0]) {
		return false
	}
	i := 1
	for i < len(s) && (isAlnum(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.') {
		i++
	}
	if i >= len(s) || s[i] != ':' {
		return false
	}
	scheme := strings.ToLower(s[:i])
	rest := s[i+1:]
	special := specialSchemes[scheme]
	switch {
	case scheme == "file":
		if len(rest) >= 2 && isSlash(rest[0], true) && isSlash(rest[1], true) {
			host := rest[2:]
			if j := strings.IndexAny(host, "/\\?#"); j >= 0 {
				host = host[:j]
			}
			if host == "" || isWindowsDriveLetter(host) {
				return true
			}
			return validHost(host, true)
		}
		return true
	case special:
		rest = strings.TrimLeft(rest, "/\\")
		return validAuthority(rest, true)
	case strings.HasPrefix(rest, "//"):
		return validAuthority(rest[2:], false)
	}
	return true // a path or an opaque path: never fails
}

func isASCIIAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isSlash(c byte, special bool) bool { return c == '/' || special && c == '\\' }

func isWindowsDriveLetter(s string) bool {
	return len(s) == 2 && isASCIIAlpha(s[0]) && (s[1] == ':' || s[1] == '|')
}

// validAuthority checks the authority that starts s (up to the path,
// query or fragment): credentials, host and port.
func validAuthority(s string, special bool) bool {
	end := len(s)
	for j := 0; j < len(s); j++ {
		if c := s[j]; c == '/' || c == '?' || c == '#' || special && c == '\\' {
			end = j
			break
		}
	}
	auth := s[:end]
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		auth = auth[at+1:]
		if auth == "" {
			return false // credentials but no host
		}
	}
	host, port := auth, ""
	inBrackets := false
	for j := 0; j < len(auth); j++ {
		switch auth[j] {
		case '[':
			inBrackets = true
		case ']':
			inBrackets = false
		case ':':
			if !inBrackets {
				host, port = auth[:j], auth[j+1:]
				if host == "" {
					return false
				}
				j = len(auth)
			}
		}
	}
	if host == "" {
		return !special
	}
	if port != "" {
		v := 0
		for j := 0; j < len(port); j++ {
			if port[j] < '0' || port[j] > '9' {
				return false
			}
			v = v*10 + int(port[j]-'0')
			if v > 65535 {
				return false
			}
		}
	}
	return validHost(host, special)
}

// validHost is the WHATWG host parser's success.
func validHost(h string, special bool) bool {
	if strings.HasPrefix(h, "[") {
		return strings.HasSuffix(h, "]") && validIPv6(h[1:len(h)-1])
	}
	if !special {
		for j := 0; j < len(h); j++ {
			if isForbiddenHost(h[j]) {
				return false
			}
		}
		return true
	}
	domain := percentDecode(h)
	if !utf8.ValidString(domain) {
		return false // decodes to U+FFFD, which IDNA disallows
	}
	ascii := domain // lowercasing an ASCII domain changes nothing checked below
	if !isASCIIString(domain) || hasPunycodeLabel(domain) {
		var ok bool
		if ascii, ok = domainToASCII(domain); !ok || ascii == "" {
			return false
		}
	}
	for j := 0; j < len(ascii); j++ {
		if c := ascii[j]; isForbiddenHost(c) || c < 0x20 || c == '%' || c == 0x7F {
			return false
		}
	}
	if endsInNumber(ascii) {
		return validIPv4(ascii)
	}
	return true
}

func isForbiddenHost(c byte) bool {
	switch c {
	case 0, '\t', '\n', '\r', ' ', '#', '/', ':', '<', '>', '?', '@', '[', '\\', ']', '^', '|':
		return true
	}
	return false
}

func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// domainToASCII approximates UTS #46 ToASCII as the URL parser runs it
// (non-transitional, no STD3 rules, no DNS length check). ASCII domains
// are lowercased; other characters are mapped by Unicode lowercasing and
// the common width and dot mappings, and disallowed when they are
// controls, unassigned, private use, surrogates, format characters or
// spaces, or when a label starts with a combining mark. Labels starting
// with xn-- must be valid Punycode.
func domainToASCII(d string) (string, bool) {
	ascii := true
	for i := 0; i < len(d); i++ {
		if d[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii && !hasPunycodeLabel(d) {
		return strings.ToLower(d), true
	}
	var b strings.Builder
	for _, r := range d {
		switch {
		case r == 0xAD || r == 0x200B || r == 0x2060 || r == 0xFEFF || r >= 0xFE00 && r <= 0xFE0F:
			continue // mapped to nothing
		case r == 0x3002 || r == 0xFF0E || r == 0xFF61:
			r = '.'
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFF01 - 0x21
		case r == utf8.RuneError:
			return "", false
		case r >= utf8.RuneSelf && idnaDisallowed(r):
			return "", false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	mapped := b.String()
	for _, label := range strings.Split(mapped, ".") {
		if strings.HasPrefix(label, "xn--") {
			if !isASCIIString(label) {
				return "", false
			}
			dec, ok := punycodeDecode(label[4:])
			if !ok || dec == "" || isASCIIString(dec) {
				return "", false
			}
			for _, r := range dec {
				if r < utf8.RuneSelf && !isAlnum(byte(r)) && r != '-' || r >= utf8.RuneSelf && idnaDisallowed(r) || unicode.ToLower(r) != r {
					return "", false
				}
			}
			label = dec
		}
		if r, _ := utf8.DecodeRuneInString(label); label != "" && unicode.In(r, unicode.Mn, unicode.Mc, unicode.Me) {
			return "", false
		}
	}
	return mapped, true
}

// idnaDisallowed approximates the UTS #46 disallowed status of a non-ASCII
// code point.
func idnaDisallowed(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Co, unicode.Cs, unicode.Cf, unicode.Zs, unicode.Zl, unicode.Zp) ||
		!isAssigned(r) || r&0xFFFE == 0xFFFE || r >= 0xFDD0 && r <= 0xFDEF
}

func hasPunycodeLabel(d string) bool {
	for {
		label, rest, more := strings.Cut(d, ".")
		if len(label) >= 4 && strings.EqualFold(label[:4], "xn--") {
			return true
		}
		if !more {
			return false
		}
		d = rest
	}
}

func isASCIIString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isAssigned(r rune) bool {
	for _, t := range unicode.Categories {
		if unicode.Is(t, r) {
			return true
		}
	}
	return false
}

// punycodeDecode decodes a Punycode label (RFC 3492) without its xn--.
func punycodeDecode(s string) (string, bool) {
	const (
		base, tMin, tMax, skew, damp = 36, 1, 26, 38, 700
		initialBias, initialN        = 72, 128
	)
	var out []rune
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		for _, c := range s[:i] {
			if c >= utf8.RuneSelf {
				return "", false
			}
			out = append(out, c)
		}
		s = s[i+1:]
	}
	n, bias, i := rune(initialN), initialBias, 0
	adapt := func(delta, numPoints int, first bool) int {
		if first {
			delta /= damp
		} else {
			delta /= 2
		}
		delta += delta / numPoints
		k := 0
		for delta > ((base-tMin)*tMax)/2 {
			delta /= base - tMin
			k += base
		}
		return k + (base-tMin+1)*delta/(delta+skew)
	}
	for pos := 0; pos < len(s); {
		oldi, w := i, 1
		for k := base; ; k += base {
			if pos >= len(s) {
				return "", false
			}
			c := s[pos]
			pos++
			var digit int
			switch {
			case c >= '0' && c <= '9':
				digit = int(c-'0') + 26
			case c >= 'a' && c <= 'z':
				digit = int(c - 'a')
			case c >= 'A' && c <= 'Z':
				digit = int(c - 'A')
			default:
				return "", false
			}
			if digit > (1<<31-1-i)/w {
				return "", false
			}
			i += digit * w
			t := k - bias
			if t < tMin {
				t = tMin
			} else if t > tMax {
				t = tMax
			}
			if digit < t {
				break
			}
			if w > (1<<31-1)/(base-t) {
				return "", false
			}
			w *= base - t
		}
		bias = adapt(i-oldi, len(out)+1, oldi == 0)
		n += rune(i / (len(out) + 1))
		i %= len(out) + 1
		if n > unicode.MaxRune || n >= 0xD800 && n <= 0xDFFF {
			return "", false
		}
		out = append(out, 0)
		copy(out[i+1:], out[i:])
		out[i] = n
		i++
	}
	return string(out), true
}

// endsInNumber reports whether a domain's last label (ignoring one
// trailing dot) is a number, which makes the host an IPv4 address.
func endsInNumber(d string) bool {
	if strings.HasSuffix(d, ".") {
		if d == "." {
			return false
		}
		d = d[:len(d)-1]
	}
	last := d[strings.LastIndexByte(d, '.')+1:]
	if last != "" && isDigits(last) {
		return true
	}
	_, ok := ipv4Number(last)
	return ok
}

func ipv4Number(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	radix := uint64(10)
	switch {
	case len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		s, radix = s[2:], 16
	case len(s) >= 2 && s[0] == '0':
		s, radix = s[1:], 8
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d uint64
		switch {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case radix == 16 && c >= 'a' && c <= 'f':
			d = uint64(c-'a') + 10
		case radix == 16 && c >= 'A' && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return 0, false
		}
		if d >= radix {
			return 0, false
		}
		v = v*radix + d
		if v > 1<<40 {
			v = 1 << 40 // large enough to fail every range check
		}
	}
	return v, true
}

func validIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if parts[len(parts)-1] == "" && len(parts) > 1 {
		parts = parts[:len(parts)-1]
	}
	if len(parts) > 4 {
		return false
	}
	for i, part := range parts {
		v, ok := ipv4Number(part)
		if !ok {
			return false
		}
		if i < len(parts)-1 && v > 255 {
			return false
		}
		if i == len(parts)-1 && v >= 1<<(8*(5-len(parts))) {
			return false
		}
	}
	return true
}

// validIPv6 is the WHATWG IPv6 parser's success.
func validIPv6(s string) bool {
	var pieces [8]int
	piece, compress := 0, -1
	i := 0
	at := func(j int) byte {
		if j < len(s) {
			return s[j]
		}
		return 0
	}
	if at(0) == ':' {
		if at(1) != ':' {
			return false
		}
		i = 2
		piece++
		compress = piece
	}
	for i < len(s) {
		if piece == 8 {
			return false
		}
		if s[i] == ':' {
			if compress >= 0 {
				return false
			}
			i++
			piece++
			compress = piece
			continue
		}
		value, length := 0, 0
		for length < 4 && i < len(s) && isHex(s[i]) {
			value = value*16 + int(unhex(s[i]))
			i++
			length++
		}
		if i < len(s) && s[i] == '.' {
			if length == 0 {
				return false
			}
			i -= length
			if piece > 6 {
				return false
			}
			seen := 0
			for i < len(s) {
				v := -1
				if seen > 0 {
					if s[i] == '.' && seen < 4 {
						i++
					} else {
						return false
					}
				}
				if i >= len(s) || s[i] < '0' || s[i] > '9' {
					return false
				}
				for i < len(s) && s[i] >= '0' && s[i] <= '9' {
					d := int(s[i] - '0')
					switch {
					case v < 0:
						v = d
					case v == 0:
						return false
					default:
						v = v*10 + d
					}
					if v > 255 {
						return false
					}
					i++
				}
				pieces[piece] = pieces[piece]*0x100 + v
				seen++
				if seen == 2 || seen == 4 {
					piece++
				}
			}
			if seen != 4 {
				return false
			}
			break
		}
		if i < len(s) && s[i] == ':' {
			i++
			if i >= len(s) {
				return false
			}
		} else if i < len(s) {
			return false
		}
		if piece < 8 {
			pieces[piece] = value
		}
		piece++
	}
	if compress < 0 && piece != 8 {
		return false
	}
	return piece <= 8
}
