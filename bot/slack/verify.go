package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Secret is a token or signing secret. It prints and logs as REDACTED.
type Secret string

func (Secret) String() string { return "REDACTED" }

// GoString keeps %#v from printing the secret.
func (Secret) GoString() string { return "REDACTED" }

// LogValue keeps slog from printing the secret.
func (Secret) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// maxSkew is how far a request's timestamp may be from now, either way.
const maxSkew = 5 * time.Minute

// Sign returns the signature Slack sends in X-Slack-Signature for body sent
// at timestamp (X-Slack-Request-Timestamp, Unix seconds): "v0=" and the hex
// HMAC-SHA256 of "v0:timestamp:body" keyed with the signing secret.
func Sign(secret Secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// rejection says why a request was refused; its text is the reason passed
// to Metrics.Rejected.
type rejection string

func (r rejection) Error() string { return string(r) }

const (
	rejectNotConfigured  rejection = "no_signing_secret"
	rejectMissingHeaders rejection = "missing_headers"
	rejectBadTimestamp   rejection = "bad_timestamp"
	rejectStaleTimestamp rejection = "stale_timestamp"
	rejectBadSignature   rejection = "bad_signature"
	rejectTooLarge       rejection = "body_too_large"
)

// verify checks that body was signed by Slack with secret at a time within
// maxSkew of now. It returns nil or a rejection.
func verify(secret Secret, h http.Header, body []byte, now time.Time) error {
	return (&verifier{secret: secret}).verify(h, body, now)
}

// verifier checks signatures made with one secret, reusing its HMAC state
// from request to request. It is safe for concurrent use.
type verifier struct {
	secret Secret
	macs   sync.Pool // of *macState keyed with secret
}

// macState is an HMAC keyed with the signing secret and the scratch space
// one check needs, pooled together: what passes through hash.Hash's
// methods escapes, so local buffers would be allocated on every request.
type macState struct {
	mac    hash.Hash
	prefix []byte // "v0:timestamp:"
	sum    [sha256.Size]byte
}

// verify is the package's verify with v's secret.
func (v *verifier) verify(h http.Header, body []byte, now time.Time) error {
	if v.secret == "" {
		return rejectNotConfigured
	}
	sig, ts := h.Get("X-Slack-Signature"), h.Get("X-Slack-Request-Timestamp")
	if sig == "" || ts == "" {
		return rejectMissingHeaders
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return rejectBadTimestamp
	}
	// Compare in seconds so that absurd timestamps cannot overflow a Duration.
	if skew := now.Unix() - sec; skew > int64(maxSkew/time.Second) || skew < -int64(maxSkew/time.Second) {
		return rejectStaleTimestamp
	}
	if !v.signed(sig, ts, body) {
		return rejectBadSignature
	}
	return nil
}

// signed reports whether sig is Sign(v.secret, ts, body), comparing in
// constant time.
func (v *verifier) signed(sig, ts string, body []byte) bool {
	const prefix = "v0="
	if len(sig) != len(prefix)+2*sha256.Size || sig[:len(prefix)] != prefix {
		return false
	}
	st, ok := v.macs.Get().(*macState)
	if !ok {
		st = &macState{mac: hmac.New(sha256.New, []byte(v.secret))}
	}
	st.mac.Reset()
	st.prefix = append(append(append(st.prefix[:0], "v0:"...), ts...), ':')
	st.mac.Write(st.prefix)
	st.mac.Write(body)
	var want [2 * sha256.Size]byte
	hex.Encode(want[:], st.mac.Sum(st.sum[:0]))
	v.macs.Put(st)
	diff := byte(0)
	for i, c := range want {
		diff |= c ^ sig[len(prefix)+i]
	}
	return diff == 0
}

// verified reads the raw body, verifies it and only then calls next with it.
// Refused requests get 401 (413 for oversized bodies) and are counted. The
// body is read into a pooled buffer that the next request reuses: next
// must not keep it, or anything sharing its bytes, once it returns.
func (a *Adapter) verified(next func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := a.buffers.get()
		body, err := readBody(w, r, (*buf)[:0])
		*buf = body[:0] // keep what the buffer grew to
		defer a.buffers.put(buf)
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				a.reject(w, r, rejectTooLarge, http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		if err := a.verifier.verify(r.Header, body, a.opts.Now()); err != nil {
			a.reject(w, r, err, http.StatusUnauthorized)
			return
		}
		next(w, r, body)
	})
}

// readBody appends r's body, at most maxBody bytes, to buf, as io.ReadAll
// reads it.
func readBody(w http.ResponseWriter, r *http.Request, buf []byte) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, maxBody)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func (a *Adapter) reject(w http.ResponseWriter, r *http.Request, why error, status int) {
	reason := "rejected"
	if rej, ok := errors.AsType[rejection](why); ok {
		reason = string(rej)
	}
	a.metrics.Rejected(reason)
	a.log.WarnContext(r.Context(), "slack request refused",
		"reason", reason, "path", r.URL.Path, "remote", r.RemoteAddr)
	http.Error(w, http.StatusText(status), status)
}

// bufferPool recycles the buffers request bodies are read into, which are
// a few kilobytes at most.
type bufferPool struct{ p sync.Pool }

// maxPooledBuffer keeps the rare huge body's or answer's buffers out of
// their pools.
const maxPooledBuffer = 64 << 10

func (bp *bufferPool) get() *[]byte {
	if b, ok := bp.p.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 8<<10)
	return &b
}

func (bp *bufferPool) put(b *[]byte) {
	if cap(*b) <= maxPooledBuffer {
		bp.p.Put(b)
	}
}
