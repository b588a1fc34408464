package discord

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/callboard/callboard/bot"
	"github.com/callboard/callboard/bot/boltstore"
)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// store is a bbolt file's seen-set and inbox, which adapters in one test
// share as processes one after another share the file.
type store struct {
	dedup *boltstore.Dedup
	inbox *boltstore.Inbox
	clock *clock
}

func newStore(t *testing.T) *store {
	t.Helper()
	dedup, db := openDedup(t, filepath.Join(t.TempDir(), "callboard.db"))
	inbox, err := boltstore.NewInbox(db, "discord", dedup)
	if err != nil {
		t.Fatal(err)
	}
	return &store{dedup: dedup, inbox: inbox, clock: &clock{now: testNow}}
}

// adapter is one process's adapter over the store.
func (s *store) adapter(t *testing.T, r Router, fake *fakeDiscord, keys testKeys, opts Options) *Adapter {
	t.Helper()
	opts.Dedup, opts.Inbox, opts.Now = s.dedup, s.inbox, s.clock.Now
	return newTestAdapter(t, r, keys, fake, opts)
}

func (s *store) pending(t *testing.T) map[string]job {
	t.Helper()
	out := map[string]job{}
	err := s.inbox.Pending(func(id string, entry []byte) {
		var j job
		if err := json.Unmarshal(entry, &j); err != nil {
			t.Errorf("entry %s: %v", id, err)
		}
		out[id] = j
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func answering(text string) Router {
	return routerFunc(func(ctx context.Context, in bot.Input) bot.Outcome {
		return bot.Outcome{Status: bot.Answered, Reply: bot.Reply{Text: text + " for " + in.Text}}
	})
}

const editOriginalPath = "/api/v9/webhooks/55500/secret-interaction-token/messages/@original"

// crashedInteraction keeps a deferred /catalog search as a process does
// before its deferral, and leaves it there.
func crashedInteraction(t *testing.T, a *Adapter) {
	t.Helper()
	in := bot.Input{Platform: Platform, User: bot.User{ID: "44400", Name: "jane"}, Channel: bot.Channel{ID: "22200"}, Text: "/catalog search slow query"}
	if a.ledger.Record(context.Background(), "interaction:70001", kept{Input: storeInput(in),
		Interaction: &storedInteraction{ID: "70001", AppID: "55500", Token: "secret-interaction-token"}}) == nil {
		t.Fatal("not recorded")
	}
}

// crashedMention keeps a gateway mention as onMessageCreate does, and
// leaves it there.
func crashedMention(t *testing.T, a *Adapter) {
	t.Helper()
	in := bot.Input{Platform: Platform, User: bot.User{ID: "44400", Name: "jane"}, Channel: bot.Channel{ID: "22200"}, Text: "who owns payments-api?", Mention: true}
	key := messageKeyPrefix + "22200:1300000000000000009"
	if first, j := a.ledger.Accept(context.Background(), key, key, kept{Input: storeInput(in),
		Reply: &storedReply{MessageID: "1300000000000000009", ChannelID: "22200", GuildID: "33300"}}); !first || j == nil {
		t.Fatal("not accepted")
	}
}

func TestInbox_DeferredInteractionKeptUntilEdited(t *testing.T) {
	s, fake, keys := newStore(t), newFakeDiscord(t), newKeys(t)
	release := make(chan struct{})
	router := routerFunc(func(ctx context.Context, in bot.Input) bot.Outcome {
		<-release
		return bot.Outcome{Status: bot.Answered, Reply: bot.Reply{Text: "found it"}}
	})
	a := s.adapter(t, router, fake, keys, Options{AnswerBudget: 10 * time.Millisecond})
	w := post(t, a, keys, interaction(t, discordgo.InteractionApplicationCommand, command("catalog", subcommand("search", stringOption("text", "slow query")))))
	if r := decodeResponse(t, w); r.Type != int(discordgo.InteractionResponseDeferredChannelMessageWithSource) {
		t.Fatalf("response type %d, want deferred", r.Type)
	}
	j, ok := s.pending(t)["interaction:70001"]
	if !ok || j.Input.Interaction == nil || j.Input.Interaction.Token != "secret-interaction-token" || j.Input.Input.Text != "/catalog search slow query" {
		t.Fatalf("when deferred, the inbox holds %+v; want the interaction with its token and command", s.pending(t))
	}
	close(release)
	if c := fake.await(t); c.Method != "PATCH" || c.Path != editOriginalPath {
		t.Fatalf("follow-up = %s %s", c.Method, c.Path)
	}
	shutDown(t, a)
	if left := s.pending(t); len(left) != 0 {
		t.Errorf("after the edit, the inbox holds %v", left)
	}
}

func TestInbox_ResumeEditsAKilledDeferredAnswer(t *testing.T) {
	s, fake, keys := newStore(t), newFakeDiscord(t), newKeys(t)
	crashedInteraction(t, s.adapter(t, answering("never"), fake, keys, Options{}))
	s.clock.Advance(5 * time.Minute)

	after := s.adapter(t, answering("found it"), fake, keys, Options{})
	if err := after.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := fake.await(t)
	if c.Method != "PATCH" || c.Path != editOriginalPath || !strings.Contains(string(c.Body), "found it for /catalog search slow query") {
		t.Fatalf("after the restart: %s %s %s; want the answer edited into the original response", c.Method, c.Path, c.Body)
	}
	shutDown(t, after)
	if left := s.pending(t); len(left) != 0 {
		t.Errorf("the inbox still holds %v", left)
	}
}

func TestInbox_ResumeDropsAnInteractionWhoseTokenExpired(t *testing.T) {
	s, fake, keys := newStore(t), newFakeDiscord(t), newKeys(t)
	crashedInteraction(t, s.adapter(t, answering("never"), fake, keys, Options{}))
	s.clock.Advance(15 * time.Minute)
	var ran atomic.Bool
	after := s.adapter(t, routerFunc(func(ctx context.Context, in bot.Input) bot.Outcome { ran.Store(true); return bot.Outcome{} }), fake, keys, Options{})
	if err := after.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	shutDown(t, after)
	if ran.Load() || len(fake.received()) != 0 {
		t.Errorf("an interaction 15 minutes old was answered (router ran %v, calls %v)", ran.Load(), fake.received())
	}
	if left := s.pending(t); len(left) != 0 {
		t.Errorf("the inbox still holds %v", left)
	}
}

func TestInbox_ResumeRepliesToAKilledMention(t *testing.T) {
	s, fake, keys := newStore(t), newFakeDiscord(t), newKeys(t)
	crashedMention(t, s.adapter(t, answering("never"), fake, keys, Options{}))
	after := s.adapter(t, answering("Owned by the payments team"), fake, keys, Options{})
	if err := after.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := fake.await(t)
	if c.Method != "POST" || c.Path != "/api/v9/channels/22200/messages" || !strings.Contains(string(c.Body), "Owned by the payments team") ||
		!strings.Contains(string(c.Body), `"message_id":"1300000000000000009"`) {
		t.Fatalf("after the restart: %s %s %s; want a reply to the message", c.Method, c.Path, c.Body)
	}
	shutDown(t, after)
	if left := s.pending(t); len(left) != 0 {
		t.Errorf("the inbox still holds %v", left)
	}
	// A redelivery of the message to the new process is seen already.
	after2 := s.adapter(t, answering("again"), fake, keys, Options{})
	after2.onMessageCreate(gatewaySession("99900"), mention("1300000000000000009", "who owns payments-api?"))
	shutDown(t, after2)
	if n := len(fake.received()); n != 1 {
		t.Errorf("Discord received %d requests, want the one reply", n)
	}
}

func TestInbox_ResumeDoesNotRepostAStartedReply(t *testing.T) {
	s, fake, keys := newStore(t), newFakeDiscord(t), newKeys(t)
	first := s.adapter(t, answering("never"), fake, keys, Options{})
	crashedMention(t, first)
	j := s.pending(t)[messageKeyPrefix+"22200:1300000000000000009"]
	j.ID = messageKeyPrefix + "22200:1300000000000000009"
	first.ledger.Sending(context.Background(), &j)

	var ran atomic.Bool
	after := s.adapter(t, routerFunc(func(ctx context.Context, in bot.Input) bot.Outcome { ran.Store(true); return bot.Outcome{} }), fake, keys, Options{})
	if err := after.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := fake.await(t)
	shutDown(t, after)
	if ran.Load() || !strings.Contains(string(c.Body), `restarted while it was posting its answer to \"who owns payments\\-api?\"`) {
		t.Errorf("router ran %v; posted %s; want only a note that the answer may be there", ran.Load(), c.Body)
	}
	if left := s.pending(t); len(left) != 0 {
		t.Errorf("the inbox still holds %v", left)
	}
}

func TestInbox_MentionKeptUntilReplied(t *testing.T) {
	s, fake, keys := newStore(t), newFakeDiscord(t), newKeys(t)
	release := make(chan struct{})
	router := routerFunc(func(ctx context.Context, in bot.Input) bot.Outcome {
		<-release
		return bot.Outcome{Status: bot.Answered, Reply: bot.Reply{Text: "Owned by payments-team"}}
	})
	a := s.adapter(t, router, fake, keys, Options{})
	// While the reply is posted, the entry says so: after a crash then,
	// the reply may be in the channel already.
	sendingWhilePosting := make(chan bool, 1)
	fake.setReply(func(w http.ResponseWriter, c call) bool {
		sendingWhilePosting <- s.pending(t)[messageKeyPrefix+"22200:1300000000000000010"].Sending
		return false
	})
	a.onMessageCreate(gatewaySession("99900"), mention("1300000000000000010", "who owns payments-api?"))
	j, ok := s.pending(t)[messageKeyPrefix+"22200:1300000000000000010"]
	if !ok || j.Input.Reply == nil || j.Input.Reply.MessageID != "1300000000000000010" || j.Input.Input.Text != "who owns payments-api?" {
		t.Fatalf("while the mention is worked on, the inbox holds %+v", s.pending(t))
	}
	close(release)
	fake.await(t)
	shutDown(t, a)
	if !<-sendingWhilePosting {
		t.Error("while the reply was posted, its entry was not marked as sending")
	}
	if left := s.pending(t); len(left) != 0 {
		t.Errorf("after the reply, the inbox holds %v", left)
	}
}

// A deploy stops the process: a deferred answer it cuts short stays in
// the inbox, and the next process edits it in.
func TestInbox_ShutdownLeavesDeferredWorkForTheNextStart(t *testing.T) {
	s, fake, keys := newStore(t), newFakeDiscord(t), newKeys(t)
	started := make(chan struct{}, 1)
	stuck := routerFunc(func(ctx context.Context, in bot.Input) bot.Outcome {
		started <- struct{}{}
		<-ctx.Done()
		return bot.Outcome{Status: bot.Failed, Reply: bot.Reply{Text: "cancelled"}}
	})
	a := s.adapter(t, stuck, fake, keys, Options{AnswerBudget: 10 * time.Millisecond})
	post(t, a, keys, interaction(t, discordgo.InteractionApplicationCommand, command("catalog", subcommand("search", stringOption("text", "slow query")))))
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := a.Shutdown(ctx); err == nil {
		t.Fatal("Shutdown = nil, want its deadline: work was cut short")
	}
	if calls := fake.received(); len(calls) != 0 {
		t.Fatalf("the cut-short answer was edited before the restart: %v", calls)
	}
	if _, ok := s.pending(t)["interaction:70001"]; !ok {
		t.Fatalf("the cut-short interaction is not in the inbox: %v", s.pending(t))
	}
	after := s.adapter(t, answering("found it"), fake, keys, Options{})
	if err := after.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := fake.await(t); c.Path != editOriginalPath || !strings.Contains(string(c.Body), "found it") {
		t.Errorf("after the restart: %s %s", c.Path, c.Body)
	}
	shutDown(t, after)
}

// Over the gateway the deferral is a callback request: the interaction is
// in the inbox by the time Discord gets it.
func TestInbox_InteractionKeptBeforeItsDeferral(t *testing.T) {
	s, fake, keys := newStore(t), newFakeDiscord(t), newKeys(t)
	release := make(chan struct{})
	router := routerFunc(func(ctx context.Context, in bot.Input) bot.Outcome {
		<-release
		return bot.Outcome{Status: bot.Answered, Reply: bot.Reply{Text: "found it"}}
	})
	keptAtDeferral := make(chan bool, 1)
	fake.setReply(func(w http.ResponseWriter, c call) bool {
		if strings.HasSuffix(c.Path, "/callback") {
			_, ok := s.pending(t)["interaction:70001"]
			keptAtDeferral <- ok
		}
		return false
	})
	a := s.adapter(t, router, fake, keys, Options{AnswerBudget: 10 * time.Millisecond})
	a.onInteractionCreate(nil, gatewayInteraction(t, discordgo.InteractionApplicationCommand, command("catalog", subcommand("search", stringOption("text", "slow query")))))
	if !<-keptAtDeferral {
		t.Error("the deferral went out before the interaction was kept")
	}
	close(release)
	shutDown(t, a)
}

// An adapter whose Shutdown has begun resumes nothing, and counts no run.
func TestInbox_ResumeAfterShutdownStartsNothing(t *testing.T) {
	s, fake, keys := newStore(t), newFakeDiscord(t), newKeys(t)
	crashedInteraction(t, s.adapter(t, answering("never"), fake, keys, Options{}))
	var ran atomic.Bool
	after := s.adapter(t, routerFunc(func(ctx context.Context, in bot.Input) bot.Outcome { ran.Store(true); return bot.Outcome{} }), fake, keys, Options{})
	shutDown(t, after)
	if err := after.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ran.Load() || len(fake.received()) != 0 {
		t.Errorf("resumed after Shutdown: router ran %v, calls %v", ran.Load(), fake.received())
	}
	if j := s.pending(t)["interaction:70001"]; j.Runs != 1 {
		t.Errorf("runs = %d after a Resume that started nothing, want 1", j.Runs)
	}
}

// Shutdown's deadline can fall while the answer is being edited in: the
// interaction is left for the next process, which edits again.
func TestInbox_ShutdownDuringTheEditLeavesIt(t *testing.T) {
	s, fake, keys := newStore(t), newFakeDiscord(t), newKeys(t)
	editing := make(chan struct{}, 1)
	fake.setReply(func(w http.ResponseWriter, c call) bool {
		if c.Method == "PATCH" {
			editing <- struct{}{}
			time.Sleep(300 * time.Millisecond) // past the deadline below
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	a := s.adapter(t, answering("found it"), fake, keys, Options{})
	crashedInteraction(t, s.adapter(t, answering("never"), fake, keys, Options{}))
	if err := a.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-editing
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_ = a.Shutdown(ctx)
	if _, ok := s.pending(t)["interaction:70001"]; !ok {
		t.Errorf("an edit cut short by Shutdown forgot its interaction: %v", s.pending(t))
	}
}
