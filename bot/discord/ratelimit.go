package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

const (
	maxRateLimitRetries = 3
	// maxRetryWait is the longest 429 wait the transport sits out itself;
	// a longer one is returned to the caller as an error.
	maxRetryWait = 30 * time.Second
	// maxRoutes bounds remembered routes; interaction webhooks add one per
	// interaction, so expired ones are dropped past this size.
	maxRoutes = 4096
)

// ErrRateLimited reports that a request was not sent, or was refused with a
// 429, because a Discord rate limit outlasted the caller's context or the
// longest wait the adapter sits out (30 seconds).
var ErrRateLimited = errors.New("discord rate limit")

// limiter is the http.RoundTripper under the discordgo session. It points
// requests at Options.APIURL, waits (as long as the request context allows)
// for Discord's per-route buckets and the global limit, and sits out a 429
// by retrying after retry_after: Discord did not process a request it
// answered 429, so the retry never duplicates a message. Nothing else is
// retried. It strips X-RateLimit-* headers before discordgo sees them, which
// keeps discordgo's context-blind limiter from sleeping.
type limiter struct {
	base http.RoundTripper
	api  *url.URL // nil: leave URLs alone
	host string   // Discord's API host, the one api replaces
	now  func() time.Time

	mu      sync.Mutex
	global  time.Time          // no request (except interaction routes) before this
	hashes  map[string]string  // route → X-RateLimit-Bucket
	buckets map[string]*bucket // hash+major params (or route) → state
}

type bucket struct {
	remaining int
	reset     time.Time
}

func newLimiter(base http.RoundTripper, api *url.URL) *limiter {
	return &limiter{
		base:    base,
		api:     api,
		host:    discordHost(),
		now:     time.Now,
		hashes:  map[string]string{},
		buckets: map[string]*bucket{},
	}
}

// discordHost is the host of discordgo's endpoints, read, never written.
func discordHost() string {
	u, err := url.Parse(discordgo.EndpointDiscord)
	if err != nil {
		return "discord.com"
	}
	return u.Host
}

// RoundTrip implements http.RoundTripper.
func (l *limiter) RoundTrip(req *http.Request) (*http.Response, error) {
	req = l.rewrite(req)
	rt := parseRoute(req.Method, req.URL.Path)
	for attempt := 0; ; attempt++ {
		if !rt.callback {
			if err := l.wait(req.Context(), rt); err != nil {
				return nil, err
			}
		}
		send := req
		if attempt > 0 {
			send = req.Clone(req.Context())
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, fmt.Errorf("rewind body of %s %s: %w", req.Method, rt.name, err)
				}
				send.Body = body
			}
		}
		resp, err := l.base.RoundTrip(send)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusTooManyRequests {
			l.record(rt, resp.Header, 0, false)
			stripRateLimitHeaders(resp.Header)
			return resp, nil
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		retry, global := parseRetry(resp.Header, body)
		l.record(rt, resp.Header, retry, global)
		stripRateLimitHeaders(resp.Header)
		rewindable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
		if attempt >= maxRateLimitRetries || retry > maxRetryWait || !rewindable {
			resp.Body = io.NopCloser(bytes.NewReader(body))
			return resp, nil
		}
	}
}

func (l *limiter) rewrite(req *http.Request) *http.Request {
	if l.api == nil || req.URL.Host != l.host {
		return req
	}
	out := req.Clone(req.Context())
	out.URL.Scheme = l.api.Scheme
	out.URL.Host = l.api.Host
	out.URL.Path = strings.TrimSuffix(l.api.Path, "/") + req.URL.Path
	out.URL.RawPath = ""
	out.Host = l.api.Host
	return out
}

// wait blocks until rt may be sent and reserves one request of its bucket.
// It returns at once with an error when the wait would outlast ctx.
func (l *limiter) wait(ctx context.Context, rt route) error {
	for {
		l.mu.Lock()
		now := l.now()
		var until time.Time
		if !rt.globalExempt && l.global.After(now) {
			until = l.global
		}
		b := l.buckets[l.key(rt)]
		if b != nil && b.remaining <= 0 && b.reset.After(now) && b.reset.After(until) {
			until = b.reset
		}
		if until.IsZero() {
			if b != nil {
				b.remaining--
			}
			l.mu.Unlock()
			return nil
		}
		l.mu.Unlock()
		d := until.Sub(now)
		if dl, ok := ctx.Deadline(); ok && now.Add(d).After(dl) {
			return fmt.Errorf("%w: %s needs %v, more than the time left", ErrRateLimited, rt.name, d.Round(time.Millisecond))
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			// Nothing was sent: ErrRateLimited says so to Post's callers.
			return fmt.Errorf("%w: wait for %s: %w", ErrRateLimited, rt.name, ctx.Err())
		case <-t.C:
		}
	}
}

// record updates the route's bucket from response headers and, for a 429,
// from its retry_after.
func (l *limiter) record(rt route, h http.Header, retry time.Duration, global bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if hash := h.Get("X-RateLimit-Bucket"); hash != "" && !rt.callback {
		if len(l.hashes) >= maxRoutes {
			l.prune(now)
		}
		l.hashes[rt.name] = hash
	}
	if global && retry > 0 {
		l.global = now.Add(retry)
		return
	}
	if rt.callback {
		return
	}
	key := l.key(rt)
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxRoutes {
			l.prune(now)
		}
		b = &bucket{remaining: 1}
		l.buckets[key] = b
	}
	if v := h.Get("X-RateLimit-Remaining"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			b.remaining = n
		}
	}
	if d, ok := parseSeconds(h.Get("X-RateLimit-Reset-After")); ok {
		b.reset = now.Add(d)
	}
	if retry > 0 {
		b.remaining = 0
		b.reset = now.Add(retry)
	}
}

// key is the bucket a route counts against: Discord's bucket hash plus the
// route's major parameters once the hash is known, the route until then.
func (l *limiter) key(rt route) string {
	if hash, ok := l.hashes[rt.name]; ok {
		return hash + " " + rt.major
	}
	return rt.name
}

func (l *limiter) prune(now time.Time) {
	for k, b := range l.buckets {
		if !b.reset.After(now) {
			delete(l.buckets, k)
		}
	}
	if len(l.hashes) >= maxRoutes {
		clear(l.hashes)
	}
}

// route is a request's rate-limit identity.
type route struct {
	name         string // method and path with minor ids replaced
	major        string // channel, guild or webhook the limit is scoped to
	callback     bool   // an interaction callback: never waits
	globalExempt bool   // interaction routes are exempt from the global limit
}

func parseRoute(method, path string) route {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for len(segs) > 0 && (segs[0] == "api" || strings.HasPrefix(segs[0], "v") && isSnowflake(segs[0][1:])) {
		segs = segs[1:]
	}
	rt := route{}
	if len(segs) > 0 {
		rt.callback = segs[0] == "interactions"
		rt.globalExempt = segs[0] == "interactions" || segs[0] == "webhooks"
	}
	var major []string
	for i, s := range segs {
		prev := ""
		if i > 0 {
			prev = segs[i-1]
		}
		switch {
		case prev == "channels" || prev == "guilds" || prev == "webhooks":
			major = append(major, prev+"/"+s)
		case i >= 2 && segs[i-2] == "webhooks":
			major = append(major, s) // the webhook token
		case isSnowflake(s):
			segs[i] = ":id"
		}
	}
	rt.major = strings.Join(major, "/")
	rt.name = method + " /" + strings.Join(segs, "/")
	return rt
}

func isSnowflake(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseRetry reads a 429's wait from its JSON body (retry_after in float
// seconds, global), falling back to the Retry-After and
// X-RateLimit-Reset-After headers, then to one second.
func parseRetry(h http.Header, body []byte) (time.Duration, bool) {
	var v struct {
		RetryAfter *float64 `json:"retry_after"`
		Global     bool     `json:"global"`
	}
	global := h.Get("X-RateLimit-Global") != "" || strings.EqualFold(h.Get("X-RateLimit-Scope"), "global")
	if json.Unmarshal(body, &v) == nil {
		global = global || v.Global
		if v.RetryAfter != nil {
			if d, ok := seconds(*v.RetryAfter); ok {
				return d, global
			}
		}
	}
	for _, name := range []string{"Retry-After", "X-RateLimit-Reset-After"} {
		if d, ok := parseSeconds(h.Get(name)); ok {
			return d, global
		}
	}
	return time.Second, global
}

func parseSeconds(s string) (time.Duration, bool) {
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return seconds(f)
}

func seconds(f float64) (time.Duration, bool) {
	if math.IsNaN(f) || f < 0 {
		return 0, false
	}
	if f > 24*3600 {
		f = 24 * 3600
	}
	return time.Duration(f * float64(time.Second)), true
}

func stripRateLimitHeaders(h http.Header) {
	for k := range h {
		if strings.HasPrefix(strings.ToLower(k), "x-ratelimit-") {
			delete(h, k)
		}
	}
}

var _ http.RoundTripper = (*limiter)(nil)
