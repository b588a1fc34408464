package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callboard/callboard/bot"
	"github.com/callboard/callboard/bot/commands"
	slackbot "github.com/callboard/callboard/bot/slack"
	"github.com/callboard/callboard/catalog"
	"github.com/callboard/callboard/catalog/catalogtest"
	"github.com/callboard/callboard/catalog/techdocs"
)

// BenchmarkSlackCommand measures one signed /whoowns slash command through
// the Slack adapter's handler, wired as serve wires it, without the network:
// verification, form parsing, routing, the uncached answer, rendering and
// encoding. Its allocs/op, B/op and cpu-ns/op hold steadier on a busy
// machine than BenchmarkServeSlackLoad's figures; run it with -cpu=1.
func BenchmarkSlackCommand(b *testing.B) {
	org := catalogtest.GenerateOrgCached(b, 2_000)
	c := catalog.NewCatalog()
	s := catalog.NewSyncer(&catalog.Loader{Roots: []string{filepath.Join(org, catalogtest.RootFile)}}, c, catalog.SyncerOptions{})
	if _, err := s.Sync(context.Background()); err != nil {
		b.Fatal(err)
	}
	r := bot.NewRouter(bot.RouterOptions{
		Authorizer: commands.NewAccess(nil, c),
		Identifier: commands.NewIdentity(c),
		Observer:   newMetrics(),
	})
	commands.Register(r, c, techdocs.Open)
	const secret = "bench-signing-secret"
	a, err := slackbot.New(r, slackbot.Options{SigningSecret: secret, Dedup: benchDedup{}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = a.Shutdown(context.Background()) })

	ts := strconv.FormatInt(time.Now().Unix(), 10)
	type signed struct{ body, sig string }
	var reqs []signed
	for _, e := range c.Index().OfKind(catalog.KindComponent) {
		body := url.Values{
			"command": {"/whoowns"}, "text": {e.Metadata.Name}, "user_id": {"U0LOADGEN01"}, "user_name": {"loadgen"},
			"channel_id": {"C0LOADGEN01"}, "channel_name": {"load"}, "team_id": {"T0LOADGEN01"},
			"response_url": {"http://127.0.0.1:9/unused"}, "trigger_id": {"1.2.3"},
		}.Encode()
		reqs = append(reqs, signed{body, slackbot.Sign(secret, ts, []byte(body))})
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := catalogtest.ProcessCPU()
	for i := range b.N {
		if i%len(reqs) == 0 && i > 0 {
			// Every answer uncached, as in BenchmarkServeSlackLoad.
			b.StopTimer()
			swap := catalogtest.ProcessCPU()
			ix := c.Index()
			c.Swap(catalog.NewIndex(ix.All(), ix.Problems(), time.Now()))
			cpu0 += catalogtest.ProcessCPU() - swap
			b.StartTimer()
		}
		q := reqs[i%len(reqs)]
		req := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(q.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", q.sig)
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || rec.Body.Len() < 100 {
			b.Fatalf("%s: %d %s", q.body, rec.Code, rec.Body)
		}
	}
	if cpu := catalogtest.ProcessCPU() - cpu0; cpu > 0 {
		// CPU time, garbage collection included, varies less than ns/op
		// when other processes share the machine.
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

type benchDedup struct{}

func (benchDedup) FirstSeen(string, time.Time) (bool, error) { return true, nil }
