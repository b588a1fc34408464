package catalog

import (
	"net/url"
	"strings"
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

const ruleObjectName = "1–63 characters of [A-Za-z0-9] separated by [-_.], starting and ending with a letter or digit"

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

const ruleNamespace = "1–63 lowercase characters [a-z0-9] separated by '-', like a DNS label"

// validDNSSubdomain: 1–253 characters of dot-separated DNS labels.
func validDNSSubdomain(s string) bool {
	if len(s) < 1 || len(s) > 253 {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if !validDNSLabel(part) {
			return false
		}
	}
	return true
}

// validPrefixedName is the label and annotation key rule:
// [dns-subdomain/]object-name with at most one '/'.
func validPrefixedName(s string) bool {
	parts := strings.Split(s, "/")
	switch len(parts) {
	case 1:
		return validObjectName(parts[0])
	case 2:
		return validDNSSubdomain(parts[0]) && validObjectName(parts[1])
	}
	return false
}

const ruleKey = "an optional lowercase DNS prefix and '/', then 1–63 characters of [A-Za-z0-9] separated by [-_.], e.g. example.com/my-key"

// validAPIVersion: [dns-subdomain/]suffix with a 1–63 character
// alphanumeric suffix.
func validAPIVersion(s string) bool {
	parts := strings.Split(s, "/")
	var suffix string
	switch len(parts) {
	case 1:
		suffix = parts[0]
	case 2:
		if !validDNSSubdomain(parts[0]) {
			return false
		}
		suffix = parts[1]
	default:
		return false
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

const ruleAPIVersion = "a version such as backstage.io/v1alpha1: an optional lowercase DNS prefix and '/', then 1–63 characters [a-zA-Z0-9]"

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

const ruleKind = "1–63 characters, a letter followed by letters and digits, e.g. Component"

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

const ruleTag = "1–63 lowercase characters [a-z0-9:+#] separated by single '-', e.g. java or c++"

// validURL approximates WHATWG URL parsing as JavaScript's new URL() does
// for an absolute URL: a scheme, and for the special schemes a host.
func validURL(s string) bool {
	s = strings.TrimSpace(s)
	colon := strings.IndexByte(s, ':')
	if colon <= 0 {
		return false
	}
	scheme := s[:colon]
	c := scheme[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return false
	}
	for i := 1; i < len(scheme); i++ {
		c := scheme[i]
		if !isAlnum(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	switch strings.ToLower(scheme) {
	case "http", "https", "ws", "wss", "ftp":
		rest := strings.TrimLeft(s[colon+1:], `/\`)
		host := rest
		if i := strings.IndexAny(host, `/\?#`); i >= 0 {
			host = host[:i]
		}
		if at := strings.LastIndexByte(host, '@'); at >= 0 {
			host = host[at+1:]
		}
		if h, port, ok := strings.Cut(host, ":"); ok && !strings.HasPrefix(host, "[") {
			host = h
			for i := 0; i < len(port); i++ {
				if port[i] < '0' || port[i] > '9' {
					return false
				}
			}
		}
		if host == "" || strings.ContainsAny(host, " <>^|%") && !strings.Contains(host, "%") {
			return false
		}
		if _, err := url.Parse("http://" + host); err != nil && !strings.HasPrefix(host, "[") {
			return false
		}
	case "file":
	}
	return true
}
