//go:build unix

// The load benchmark signals its server processes with SIGTERM and reads
// their CPU time from the system, hence unix only.

package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/callboard/callboard/catalog/catalogtest"
)

// serveCPUProfile makes BenchmarkServeSlackLoad write a CPU profile of the
// callboard server during its c=32 run:
//
//	go test -run='^$' -bench=ServeSlackLoad/callboard/c=32 -benchtime=1x ./cmd/callboard/ -args -serve.cpuprofile=/tmp/serve.prof
//	go tool pprof -top /tmp/serve.prof
var serveCPUProfile = flag.String("serve.cpuprofile", "", "BenchmarkServeSlackLoad: write a CPU profile of callboard serve during the c=32 run to this file")

const (
	loadComponents   = 100_000
	loadRequests     = 20_000 // measured requests per concurrency level
	loadWarmup       = 1_000
	loadMaxDuration  = 60 * time.Second
	loadReadyTimeout = 10 * time.Minute
	// The target from the issue, at the highest concurrency, and what the
	// minimal server did where it was set.
	loadTargetRPS        = 22_000
	loadTargetP99        = 10.0 // ms
	loadTargetMinimalRPS = 45_000
	// loadPairs is how many times the c=32 pair runs.
	loadPairs = 3
)

var loadConcurrency = []int{1, 8, 32}

// loadResult is the JSON line cmd/slackload prints.
type loadResult struct {
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
	ClientCPU    float64 `json:"client_cpu_us_per_req"`
	// ServerCPU is measured here, from /proc, warmup included.
	ServerCPU float64 `json:"-"`
	// For callboard: medians of the pairs' ratios to the minimal server.
	pctOfMinimal, cpuXMinimal float64
}

// BenchmarkServeSlackLoad measures signed /whoowns slash commands answered
// by `callboard serve` over a generated organisation of 100,000 components,
// with load from cmd/slackload in a second process on loopback, at
// concurrency 1, 8 and 32. slackload writes and reads HTTP/1.1 by hand
// (its default -client raw): Go's HTTP client took more CPU per request
// than the minimal server below, on the same two cores. The same load
// against slackload's minimal server (verify, map lookup, small JSON), also
// a separate process, is the baseline.
//
// Both servers run side by side and the loads alternate, the baseline
// first at each level: this machine's speed drifts within a minute, and a
// baseline measured minutes before callboard (while callboard ingested)
// made the ratio between them drift with it. At concurrency 32, the level
// the target is set at, the pair runs loadPairs times and each figure
// reported is the median of its runs; pct-of-minimal is the median of the
// pairs' ratios. Across the ten runs callboard answers about 105,000
// commands, enough garbage for a collection of the catalog's heap to fall
// within the c=32 runs, as it would under sustained load. The loads run
// once, whatever b.N; run it with -benchtime=1x (make bench).
//
// Each run asks about the next 21,000 names of the 100,000 (wrapping
// around), so callboard's runs are 42,000 names apart and none of their
// questions is in its answer cache (20,000 answers): the figures are the
// uncached path.
//
// Metrics: req/s; p50-ms, p90-ms, p99-ms of the client-side latency; ns/op
// as wall time per request (1e9 / req/s); server-cpu-us/req and
// client-cpu-us/req (Linux); for callboard, pct-of-minimal, its req/s as a
// percentage of the baseline's in the same pair, and cpu-x-minimal, its
// server CPU per request as a multiple of the baseline's. On a shared
// machine the CPU figures vary less than the throughput.
func BenchmarkServeSlackLoad(b *testing.B) {
	org := catalogtest.GenerateOrgCached(b, loadComponents)
	dir := b.TempDir()
	names := filepath.Join(dir, "names.txt")
	writeLoadNames(b, org, names)
	bins := buildLoadBinaries(b, dir, *serveCPUProfile != "")
	secret := make([]byte, 16)
	rand.Read(secret)
	env := loadEnv("SLACK_SIGNING_SECRET=" + hex.EncodeToString(secret))

	minimal := startLoadServer(b, "minimal", exec.Command(bins.slackload, "-serve-minimal", "127.0.0.1:0", "-names", names), env, time.Minute)
	// A refresh (stat of 100,000 files) must not fall inside a measurement;
	// the secret comes from the environment as in production.
	cfg := filepath.Join(dir, "callboard.yaml")
	writeTestFile(b, cfg, "catalog:\n  refresh: 24h\nslack:\n  signing_secret: ${SLACK_SIGNING_SECRET}\nlog:\n  level: info\n  format: text\n")
	db := filepath.Join(b.TempDir(), "callboard.db")
	callboard := startLoadServer(b, "callboard", exec.Command(bins.callboard, "serve", "--config", cfg, "--catalog", filepath.Join(org, catalogtest.RootFile),
		"--db", db, "--addr", "127.0.0.1:0", "--chat", "off"), env, loadReadyTimeout)

	type level struct {
		minimal, callboard loadResult
		pairs              []string // each pair's figures, for the log
	}
	levels := map[int]level{}
	offset := 0 // where in the names file the next run starts
	for _, c := range loadConcurrency {
		pairs := 1
		if c == 32 {
			pairs = loadPairs
		}
		var ms, cs []loadResult
		var ratios, cpus []float64
		var logs []string
		for range pairs {
			m := runLoad(b, bins.slackload, env, minimal, names, c, offset)
			offset += loadWarmup + loadRequests
			var stopProfile func()
			if c == 32 && *serveCPUProfile != "" && len(cs) == 0 {
				stopProfile = callboard.startProfile(b)
			}
			r := runLoad(b, bins.slackload, env, callboard, names, c, offset)
			if stopProfile != nil {
				stopProfile()
			}
			offset += loadWarmup + loadRequests
			ms, cs = append(ms, m), append(cs, r)
			if m.RPS > 0 {
				ratios = append(ratios, 100*r.RPS/m.RPS)
			}
			if m.ServerCPU > 0 && r.ServerCPU > 0 {
				cpus = append(cpus, r.ServerCPU/m.ServerCPU)
			}
			logs = append(logs, fmt.Sprintf("pair %d: minimal %.0f req/s, callboard %.0f req/s (%.0f%%), callboard p99 %.2f ms",
				len(logs)+1, m.RPS, r.RPS, 100*r.RPS/max(m.RPS, 1), r.P99))
		}
		lv := level{minimal: medianLoad(ms), callboard: medianLoad(cs), pairs: logs}
		lv.callboard.pctOfMinimal, lv.callboard.cpuXMinimal = median(ratios), median(cpus)
		levels[c] = lv
	}
	minimal.stop(b)
	callboard.stop(b)

	for _, name := range []string{"minimal-server", "callboard"} {
		b.Run(name, func(b *testing.B) {
			for _, c := range loadConcurrency {
				b.Run(fmt.Sprintf("c=%d", c), func(b *testing.B) {
					if name == "minimal-server" {
						reportLoad(b, levels[c].minimal)
						return
					}
					res := levels[c].callboard
					for _, l := range levels[c].pairs {
						b.Log(l)
					}
					reportLoad(b, res)
					if res.pctOfMinimal > 0 {
						b.ReportMetric(res.pctOfMinimal, "pct-of-minimal")
					}
					if res.cpuXMinimal > 0 {
						b.ReportMetric(res.cpuXMinimal, "cpu-x-minimal")
					}
					if c == 32 {
						// The target was set where the minimal server did
						// loadTargetMinimalRPS; on a slower machine its share of
						// the minimal server's rate is what carries over.
						share := 100 * float64(loadTargetRPS) / loadTargetMinimalRPS
						met := res.RPS >= loadTargetRPS && res.P99 < loadTargetP99
						metShare := res.pctOfMinimal >= share && res.P99 < loadTargetP99
						b.Logf("target at c=32 (>= %d req/s, p99 < %g ms; medians of %d runs): met=%v (%.0f req/s, p99 %.2f ms); as a share of the minimal server (%.0f%%, p99 < %g ms): met=%v (%.0f%%)",
							loadTargetRPS, loadTargetP99, loadPairs, met, res.RPS, res.P99, share, loadTargetP99, metShare, res.pctOfMinimal)
					}
				})
			}
		})
	}
}

// medianLoad returns the run with the median req/s, with each of the
// other figures replaced by the median of its own.
func medianLoad(rs []loadResult) loadResult {
	if len(rs) == 0 {
		return loadResult{}
	}
	pick := func(f func(loadResult) float64) float64 {
		vs := make([]float64, len(rs))
		for i, r := range rs {
			vs[i] = f(r)
		}
		return median(vs)
	}
	out := rs[0]
	out.RPS = pick(func(r loadResult) float64 { return r.RPS })
	out.P50 = pick(func(r loadResult) float64 { return r.P50 })
	out.P90 = pick(func(r loadResult) float64 { return r.P90 })
	out.P99 = pick(func(r loadResult) float64 { return r.P99 })
	out.ServerCPU = pick(func(r loadResult) float64 { return r.ServerCPU })
	out.ClientCPU = pick(func(r loadResult) float64 { return r.ClientCPU })
	return out
}

// median is the middle value of vs (the mean of the two middle ones for an
// even count), or 0 for none.
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	vs = slices.Clone(vs)
	slices.Sort(vs)
	if n := len(vs); n%2 == 0 {
		return (vs[n/2-1] + vs[n/2]) / 2
	}
	return vs[len(vs)/2]
}

func reportLoad(b *testing.B, r loadResult) {
	b.ReportMetric(0, "ns/op")
	if r.RPS > 0 {
		b.ReportMetric(1e9/r.RPS, "ns/op")
	}
	b.ReportMetric(r.RPS, "req/s")
	b.ReportMetric(r.P50, "p50-ms")
	b.ReportMetric(r.P90, "p90-ms")
	b.ReportMetric(r.P99, "p99-ms")
	if r.ServerCPU > 0 {
		b.ReportMetric(r.ServerCPU, "server-cpu-us/req")
	}
	if r.ClientCPU > 0 {
		b.ReportMetric(r.ClientCPU, "client-cpu-us/req")
	}
}

// writeLoadNames writes one line per component of the organisation at dir,
// in a fixed random order: its name, a tab and its owner's name, which the
// answer must contain.
func writeLoadNames(b *testing.B, dir, path string) {
	b.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "components"))
	if err != nil {
		b.Fatal(err)
	}
	lines := make([]string, len(ents))
	errs := make([]error, len(ents))
	var wg sync.WaitGroup
	const workers = 16 // reading 100,000 small files is bound by latency
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(ents); i += workers {
				lines[i], errs[i] = componentOwnerLine(filepath.Join(dir, "components", ents[i].Name(), "catalog-info.yaml"))
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		b.Fatal(err)
	}
	r := mathrand.New(mathrand.NewPCG(1, 2))
	r.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	writeTestFile(b, path, strings.Join(lines, "\n")+"\n")
}

// componentOwnerLine reads the first document of a generated component's
// catalog-info.yaml: "name\towner", the owner without kind or namespace.
func componentOwnerLine(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var name, owner string
	for line := range strings.Lines(string(data)) {
		line = strings.TrimRight(line, "\n")
		if v, ok := strings.CutPrefix(line, "  name: "); ok && name == "" {
			name = v
		}
		if v, ok := strings.CutPrefix(line, "  owner: "); ok {
			owner = v[strings.LastIndexAny(v, ":/")+1:]
			break
		}
	}
	if name == "" || owner == "" {
		return "", fmt.Errorf("%s: no metadata.name or spec.owner", path)
	}
	return name + "\t" + owner, nil
}

func writeTestFile(b *testing.B, path, content string) {
	b.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		b.Fatal(err)
	}
}

type loadBinaries struct {
	callboard, slackload string
}

// profileHook is added to the callboard binary, with go build -overlay, only
// when -serve.cpuprofile is given: SIGUSR1 starts a CPU profile into
// $CALLBOARD_LOADBENCH_CPUPROFILE, the next SIGUSR1 stops it and writes a
// ".done" file beside it. Nothing in serve changes.
const profileHook = `package main

import (
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

func init() {
	path := os.Getenv("CALLBOARD_LOADBENCH_CPUPROFILE")
	if path == "" {
		return
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	go func() {
		for range sig {
			f, err := os.Create(path)
			if err != nil {
				panic(err)
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				panic(err)
			}
			<-sig
			pprof.StopCPUProfile()
			f.Close()
			os.WriteFile(path+".done", nil, 0o644)
		}
	}()
}
`

// buildLoadBinaries builds callboard and slackload into dir.
func buildLoadBinaries(b *testing.B, dir string, profile bool) loadBinaries {
	b.Helper()
	bins := loadBinaries{callboard: filepath.Join(dir, "callboard"), slackload: filepath.Join(dir, "slackload")}
	build := func(out, pkg string, extra ...string) {
		args := append([]string{"build", "-o", out}, extra...)
		// go test puts the go command that runs it first on PATH.
		cmd := exec.Command("go", append(args, pkg)...)
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", pkg, err, msg)
		}
	}
	var extra []string
	if profile {
		wd, err := os.Getwd()
		if err != nil {
			b.Fatal(err)
		}
		hook := filepath.Join(dir, "profilehook.go")
		writeTestFile(b, hook, profileHook)
		overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(wd, "zz_loadbench_profilehook.go"): hook}})
		writeTestFile(b, filepath.Join(dir, "overlay.json"), string(overlay))
		extra = []string{"-overlay", filepath.Join(dir, "overlay.json")}
		b.Logf("callboard built with a CPU profile hook; read the profile with go tool pprof -top %s", *serveCPUProfile)
	}
	build(bins.callboard, "github.com/callboard/callboard/cmd/callboard", extra...)
	build(bins.slackload, "github.com/callboard/callboard/cmd/slackload")
	return bins
}

// loadEnv is this process's environment without the chat platforms'
// variables (a developer's real tokens must not configure the server under
// test), plus extra.
func loadEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "SLACK_") || strings.HasPrefix(kv, "DISCORD_") || strings.HasPrefix(kv, "CALLBOARD_LOADBENCH_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// loadServer is a server process under load.
type loadServer struct {
	name    string
	cmd     *exec.Cmd
	base    string // http://127.0.0.1:PORT
	log     string // its stderr
	exited  chan struct{}
	waitErr error
	once    sync.Once
	profile string
	// ready is how long the server took to answer /readyz; settled how
	// long it then took to go idle.
	ready, settled time.Duration
}

// startLoadServer starts cmd, reads its address from the "listening on
// http://ADDR" line on stdout and waits until /readyz answers 200.
func startLoadServer(b *testing.B, name string, cmd *exec.Cmd, env []string, readyTimeout time.Duration) *loadServer {
	b.Helper()
	s := &loadServer{name: name, cmd: cmd, log: filepath.Join(b.TempDir(), name+".log"), exited: make(chan struct{})}
	if *serveCPUProfile != "" && name == "callboard" {
		s.profile = *serveCPUProfile
		os.Remove(s.profile + ".done")
		env = append(env, "CALLBOARD_LOADBENCH_CPUPROFILE="+s.profile)
	}
	cmd.Env = env
	logf, err := os.Create(s.log)
	if err != nil {
		b.Fatal(err)
	}
	defer logf.Close()
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatalf("start %s: %v", name, err)
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, rest, ok := strings.Cut(sc.Text(), "listening on http://"); ok {
				select {
				case addrc <- strings.Fields(rest)[0]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stdout)
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	b.Cleanup(func() { s.stop(b) })

	select {
	case addr := <-addrc:
		s.base = "http://" + addr
	case <-s.exited:
		b.Fatalf("%s exited before listening: %v\n%s", name, s.waitErr, s.tail())
	case <-time.After(time.Minute):
		b.Fatalf("%s printed no address within a minute\n%s", name, s.tail())
	}
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(readyTimeout)
	for {
		resp, err := client.Get(s.base + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-s.exited:
			b.Fatalf("%s exited before it was ready: %v\n%s", name, s.waitErr, s.tail())
		case <-time.After(250 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s not ready within %s\n%s", name, readyTimeout, s.tail())
		}
	}
	client.CloseIdleConnections()
	s.ready = time.Since(start)
	s.settle()
	s.settled = time.Since(start) - s.ready
	return s
}

// settle waits, for two minutes at most, until the process is idle: less
// than 5% of a CPU over a second. After the first catalog sync the
// collector is still sweeping the ingest's garbage, which would otherwise
// fall into the first measurement.
func (s *loadServer) settle() {
	prev, ok := s.cpuTime()
	if !ok {
		return
	}
	for range 120 {
		time.Sleep(time.Second)
		now, _ := s.cpuTime()
		if now-prev < 50*time.Millisecond {
			return
		}
		prev = now
	}
}

// stop sends SIGTERM and waits for the process to exit; it kills it after
// 30 seconds. It reports an unclean exit once.
func (s *loadServer) stop(b *testing.B) {
	s.once.Do(func() {
		if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			b.Errorf("stop %s: %v", s.name, err)
		}
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
			b.Errorf("%s did not stop within 30s of SIGTERM\n%s", s.name, s.tail())
			return
		}
		if s.waitErr != nil {
			b.Errorf("%s exited with %v\n%s", s.name, s.waitErr, s.tail())
		}
	})
}

// startProfile starts the server's CPU profile; the function it returns
// stops it and waits until the file is written.
func (s *loadServer) startProfile(b *testing.B) func() {
	if err := s.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		b.Fatalf("start profile: %v", err)
	}
	return func() {
		if err := s.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
			b.Fatalf("stop profile: %v", err)
		}
		for range 100 {
			if _, err := os.Stat(s.profile + ".done"); err == nil {
				b.Logf("CPU profile of %s during this run: %s", s.name, s.profile)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		b.Errorf("no CPU profile written to %s", s.profile)
	}
}

func (s *loadServer) tail() string {
	data, _ := os.ReadFile(s.log)
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return string(data)
}

// cpuTime returns the CPU time (user and system) the process has used,
// from /proc; false where there is no /proc.
func (s *loadServer) cpuTime() (time.Duration, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0, false
	}
	// Fields after the command name, which is in parentheses: state is
	// field 3, utime and stime are fields 14 and 15, in clock ticks (100 a
	// second on Linux).
	_, rest, ok := bytes.Cut(data, []byte(") "))
	f := strings.Fields(string(rest))
	if !ok || len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, true
}

// runLoad runs slackload against srv at concurrency c, asking about the
// names from line offset on, and returns its result. It fails b when any
// request failed.
func runLoad(b *testing.B, slackload string, env []string, srv *loadServer, names string, c, offset int) loadResult {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*loadMaxDuration)
	defer cancel()
	cmd := exec.CommandContext(ctx, slackload,
		"-url", srv.base+"/slack/commands", "-secret-env", "SLACK_SIGNING_SECRET", "-names", names,
		"-c", strconv.Itoa(c), "-n", strconv.Itoa(loadRequests), "-warmup", strconv.Itoa(loadWarmup),
		"-offset", strconv.Itoa(offset), "-duration", loadMaxDuration.String())
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	b.Logf("%s: ready after %s, idle %s later; load average before c=%d: %s",
		srv.name, srv.ready.Round(100*time.Millisecond), srv.settled.Round(100*time.Millisecond), c, loadAverage())
	cpu0, cpuOK := srv.cpuTime()
	runErr := cmd.Run()
	cpu1, _ := srv.cpuTime()
	var res loadResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		b.Fatalf("slackload: %v (%v)\nstdout: %s\nstderr: %s", err, runErr, stdout.Bytes(), stderr.Bytes())
	}
	b.Logf("slackload: %s", bytes.TrimSpace(stdout.Bytes()))
	if runErr != nil || res.Errors > 0 || res.WarmupErrors > 0 {
		b.Errorf("slackload against %s at c=%d: %v, %d errors, %d warmup errors\n%s", srv.name, c, runErr, res.Errors, res.WarmupErrors, stderr.Bytes())
	}
	if res.Requests < loadRequests {
		b.Logf("only %d of %d requests within %s", res.Requests, loadRequests, loadMaxDuration)
	}
	if cpuOK && res.Requests > 0 {
		// Includes the warmup, which runs in the same process lifetime.
		res.ServerCPU = float64(cpu1-cpu0) / 1e3 / float64(res.Requests+loadWarmup)
	}
	return res
}

// loadAverage is /proc/loadavg's 1, 5 and 15 minute figures, or "unknown".
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ") + fmt.Sprintf(" (%d CPUs)", runtime.NumCPU())
}
