// Command slackload sends signed Slack /whoowns slash commands to a server on
// the loopback interface and prints one JSON line of throughput and latency
// figures. It is the load generator of cmd/callboard's BenchmarkServeSlackLoad.
//
//	SLACK_SIGNING_SECRET=… slackload -url http://127.0.0.1:8080/slack/commands \
//	    -names names.txt -c 32 -n 20000 -duration 60s -warmup 1000
//
// Each line of the names file is a component name, optionally followed by a
// tab and a text every answer about it must contain (its owner). Without
// one, the answer must contain the name. Request i asks about line
// (offset+i) mod lines; the warmup requests come first in that sequence and
// are not measured.
//
// Every request is signed when it is sent, with the current timestamp. The
// run stops after -n measured requests or -duration, whichever comes first.
// Requests are written and read by hand over keep-alive connections
// (-client raw, the default), which costs the generator a fraction of the
// CPU of Go's HTTP client (-client http) on the cores it shares with the
// server under test.
// A response counts as an error unless it is a 200 containing the expected
// text; the exit status is 1 when any request failed.
//
// With -serve-minimal ADDR it is instead the smallest server that answers
// the same requests (verify the signature, look the name up in a map, write
// a small JSON message), as a baseline for what the machine can do. It runs
// until SIGINT or SIGTERM.
//
// Both modes refuse addresses other than loopback ones.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

type config struct {
	url         string
	secretEnv   string
	names       string
	concurrency int
	requests    int
	duration    time.Duration
	warmup      int
	offset      int
	timeout     time.Duration
	serve       string
	cpuprofile  string
	client      string
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var cfg config
	fs := flag.NewFlagSet("slackload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.url, "url", "", "slash command endpoint on a loopback address, e.g. http://127.0.0.1:8080/slack/commands")
	fs.StringVar(&cfg.secretEnv, "secret-env", "SLACK_SIGNING_SECRET", "environment variable holding the signing secret")
	fs.StringVar(&cfg.names, "names", "", "file of component names, one a line, each optionally followed by a tab and the text its answer must contain")
	fs.IntVar(&cfg.concurrency, "c", 1, "concurrent requests (connections)")
	fs.IntVar(&cfg.requests, "n", 10000, "measured requests at most")
	fs.DurationVar(&cfg.duration, "duration", 60*time.Second, "measuring time at most (the warmup has the same bound)")
	fs.IntVar(&cfg.warmup, "warmup", 0, "requests sent and checked before measuring")
	fs.IntVar(&cfg.offset, "offset", 0, "line of the names file the first request asks about")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "timeout of one request")
	fs.StringVar(&cfg.cpuprofile, "cpuprofile", "", "write a CPU profile of this process (load or minimal server) to this file")
	fs.StringVar(&cfg.client, "client", "raw", "how requests are sent: raw (HTTP/1.1 written and read by hand over keep-alive connections, the lightest on CPU) or http (Go's net/http client)")
	fs.StringVar(&cfg.serve, "serve-minimal", "", "instead of sending load, serve the minimal baseline on this loopback HOST:PORT")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "slackload: unexpected arguments %q\n", fs.Args())
		return 2
	}
	secret := getenv(cfg.secretEnv)
	if secret == "" {
		fmt.Fprintf(stderr, "slackload: the signing secret variable %s is empty\n", cfg.secretEnv)
		return 2
	}
	if cfg.names == "" {
		fmt.Fprintln(stderr, "slackload: -names is required")
		return 2
	}
	names, err := readNames(cfg.names)
	if err != nil {
		fmt.Fprintf(stderr, "slackload: %v\n", err)
		return 1
	}

	if cfg.cpuprofile != "" {
		f, err := os.Create(cfg.cpuprofile)
		if err != nil {
			fmt.Fprintf(stderr, "slackload: %v\n", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "slackload: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}

	if cfg.serve != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := serveMinimal(ctx, cfg.serve, []byte(secret), names, stdout); err != nil {
			fmt.Fprintf(stderr, "slackload: %v\n", err)
			return 1
		}
		return 0
	}

	switch {
	case cfg.url == "":
		fmt.Fprintln(stderr, "slackload: -url is required")
		return 2
	case cfg.concurrency < 1 || cfg.requests < 1 || cfg.warmup < 0 || cfg.offset < 0:
		fmt.Fprintln(stderr, "slackload: -c and -n must be positive, -warmup and -offset not negative")
		return 2
	case cfg.duration <= 0 || cfg.timeout <= 0:
		fmt.Fprintln(stderr, "slackload: -duration and -timeout must be positive")
		return 2
	case cfg.client != "raw" && cfg.client != "http":
		fmt.Fprintf(stderr, "slackload: -client %q: want raw or http\n", cfg.client)
		return 2
	}
	target, err := url.Parse(cfg.url)
	if err != nil {
		fmt.Fprintf(stderr, "slackload: -url: %v\n", err)
		return 2
	}
	if target.Scheme != "http" {
		fmt.Fprintf(stderr, "slackload: -url %s: only http is supported\n", cfg.url)
		return 2
	}
	if err := checkLoopback(target.Hostname()); err != nil {
		fmt.Fprintf(stderr, "slackload: -url: %v\n", err)
		return 2
	}
	res, firstErr := load(cfg, target, []byte(secret), names)
	if firstErr != "" {
		fmt.Fprintf(stderr, "slackload: %d of %d measured requests failed (%d warmup); first: %s\n", res.Errors, res.Requests, res.WarmupErrors, firstErr)
	}
	line, _ := json.Marshal(res)
	fmt.Fprintf(stdout, "%s\n", line)
	if res.Requests == 0 || res.Errors > 0 || res.WarmupErrors > 0 {
		return 1
	}
	return 0
}

// checkLoopback refuses every host but a loopback address or localhost.
func checkLoopback(host string) error {
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%q is not a loopback address; slackload only sends load to 127.0.0.1 or ::1", host)
}

type name struct {
	text, want string
}

func readNames(path string) ([]name, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read names: %w", err)
	}
	defer f.Close()
	var names []name
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		text, want, ok := strings.Cut(line, "\t")
		text, want = strings.TrimSpace(text), strings.TrimSpace(want)
		if !ok || want == "" {
			want = text
		}
		names = append(names, name{text: text, want: want})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read names %s: %w", path, err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("read names: %s has no names", path)
	}
	return names, nil
}

// Result is the JSON line slackload prints.
type Result struct {
	Concurrency  int     `json:"concurrency"`
	Requests     int     `json:"requests"`
	Errors       int64   `json:"errors"`
	Seconds      float64 `json:"seconds"`
	RPS          float64 `json:"rps"`
	P50          float64 `json:"p50_ms"`
	P90          float64 `json:"p90_ms"`
	P99          float64 `json:"p99_ms"`
	Max          float64 `json:"max_ms"`
	WarmupErrors int64   `json:"warmup_errors"`
	// CPUPerRequest is the load generator's own CPU time (user and
	// system) per measured request, in microseconds; 0 when unknown.
	CPUPerRequest float64 `json:"client_cpu_us_per_req"`
}

// request is one prepared slash command: the form body and the text its
// answer must contain.
type request struct {
	body []byte
	want []byte
}

func prepare(names []name) []request {
	reqs := make([]request, len(names))
	for i, n := range names {
		form := url.Values{
			"command":      {"/whoowns"},
			"text":         {n.text},
			"user_id":      {"U0LOADGEN01"},
			"user_name":    {"loadgen"},
			"channel_id":   {"C0LOADGEN01"},
			"channel_name": {"load"},
			"team_id":      {"T0LOADGEN01"},
			// Never used while answers come inline; loopback regardless.
			"response_url": {"http://127.0.0.1:9/slackload/response"},
			"trigger_id":   {"1." + strconv.Itoa(i) + ".slackload"},
		}
		reqs[i] = request{body: []byte(form.Encode()), want: []byte(n.want)}
	}
	return reqs
}

func load(cfg config, target *url.URL, secret []byte, names []name) (Result, string) {
	reqs := prepare(names)
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * cfg.concurrency,
		MaxIdleConnsPerHost: 2 * cfg.concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: cfg.timeout}

	var firstErr atomic.Pointer[string]
	fail := func(msg string) {
		firstErr.CompareAndSwap(nil, &msg)
	}

	// The warmup and the measured requests are one sequence over the names.
	var warmErrs atomic.Int64
	if cfg.warmup > 0 {
		phase(cfg, client, target, secret, reqs, cfg.offset, cfg.warmup, nil, &warmErrs, fail)
	}
	lat := make([]time.Duration, cfg.requests)
	var errs atomic.Int64
	cpu0, cpuOK := cpuTime()
	start := time.Now()
	done := phase(cfg, client, target, secret, reqs, cfg.offset+cfg.warmup, cfg.requests, lat, &errs, fail)
	secs := time.Since(start).Seconds()
	cpu1, _ := cpuTime()

	res := Result{Concurrency: cfg.concurrency, Requests: done, Errors: errs.Load(), Seconds: round(secs, 3), WarmupErrors: warmErrs.Load()}
	if done > 0 {
		lat = lat[:done]
		slices.Sort(lat)
		res.RPS = round(float64(done)/secs, 1)
		res.P50 = ms(quantile(lat, 0.50))
		res.P90 = ms(quantile(lat, 0.90))
		res.P99 = ms(quantile(lat, 0.99))
		res.Max = ms(lat[len(lat)-1])
		if cpuOK {
			res.CPUPerRequest = round(float64(cpu1-cpu0)/1e3/float64(done), 1)
		}
	}
	if p := firstErr.Load(); p != nil {
		return res, *p
	}
	return res, ""
}

// phase sends n requests, starting at name first, from cfg.concurrency
// goroutines, within cfg.duration. It records latency i in lat[i] when lat
// is not nil and returns how many requests were sent (all of them completed,
// in error or not).
func phase(cfg config, client *http.Client, target *url.URL, secret []byte, reqs []request, first, n int, lat []time.Duration, errs *atomic.Int64, fail func(string)) int {
	deadline := time.Now().Add(cfg.duration)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range cfg.concurrency {
		wg.Go(func() {
			var s interface{ send(request) error }
			if cfg.client == "raw" {
				rs := newRawSender(target, secret, cfg.timeout)
				defer rs.close()
				s = rs
			} else {
				s = newSender(client, target, secret)
			}
			for time.Now().Before(deadline) {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				r := reqs[(first+i)%len(reqs)]
				t0 := time.Now()
				err := s.send(r)
				d := time.Since(t0)
				if lat != nil {
					lat[i] = d
				}
				if err != nil {
					errs.Add(1)
					fail(err.Error())
				}
			}
		})
	}
	wg.Wait()
	return int(min(next.Load(), int64(n)))
}

// sender sends requests one at a time; each goroutine has its own, reusing
// its header map, HMAC and buffers between requests.
type sender struct {
	client *http.Client
	target *url.URL
	mac    hashWriter
	header http.Header
	sig    []string
	ts     []string
	lastTS int64
	sum    []byte
	hexSig []byte
	resp   bytes.Buffer
}

type hashWriter interface {
	io.Writer
	Sum([]byte) []byte
	Reset()
}

func newSender(client *http.Client, target *url.URL, secret []byte) *sender {
	s := &sender{
		client: client,
		target: target,
		mac:    hmac.New(sha256.New, secret),
		sig:    []string{""},
		ts:     []string{""},
		sum:    make([]byte, 0, sha256.Size),
		hexSig: make([]byte, 3+2*sha256.Size),
	}
	copy(s.hexSig, "v0=")
	s.header = http.Header{
		"Content-Type":              {"application/x-www-form-urlencoded"},
		"User-Agent":                {"slackload"},
		"X-Slack-Signature":         s.sig,
		"X-Slack-Request-Timestamp": s.ts,
	}
	s.resp.Grow(8 << 10)
	return s
}

// sign sets the signature headers for body sent now.
func (s *sender) sign(body []byte) {
	if now := time.Now().Unix(); now != s.lastTS {
		s.lastTS = now
		s.ts[0] = strconv.FormatInt(now, 10)
	}
	s.mac.Reset()
	io.WriteString(s.mac, "v0:")
	io.WriteString(s.mac, s.ts[0])
	io.WriteString(s.mac, ":")
	s.mac.Write(body)
	s.sum = s.mac.Sum(s.sum[:0])
	hex.Encode(s.hexSig[3:], s.sum)
	s.sig[0] = string(s.hexSig)
}

func (s *sender) send(r request) error {
	s.sign(r.body)
	req := &http.Request{
		Method:        http.MethodPost,
		URL:           s.target,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        s.header,
		Body:          io.NopCloser(bytes.NewReader(r.body)),
		ContentLength: int64(len(r.body)),
		Host:          s.target.Host,
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	s.resp.Reset()
	_, err = s.resp.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %.200s", resp.StatusCode, s.resp.Bytes())
	}
	if !bytes.Contains(s.resp.Bytes(), r.want) {
		return fmt.Errorf("answer lacks %q: %.300s", r.want, s.resp.Bytes())
	}
	return nil
}

// quantile returns the q-quantile of sorted latencies (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return round(float64(d)/1e6, 3) }

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}
