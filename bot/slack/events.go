package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"

	"github.com/slack-go/slack/slackevents"

	"github.com/callboard/callboard/bot"
)

func (a *Adapter) serveEvent(w http.ResponseWriter, r *http.Request, body []byte) {
	if !json.Valid(body) {
		http.Error(w, "not JSON", http.StatusBadRequest)
		return
	}
	ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
	if err != nil {
		// Event types slack-go does not know fail to parse. They are still
		// acknowledged, or Slack would retry them.
		a.log.DebugContext(r.Context(), "slack event not understood", "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	if v, ok := ev.Data.(*slackevents.EventsAPIURLVerificationEvent); ok {
		writeJSON(w, map[string]string{"challenge": v.Challenge})
		return
	}
	// The input is recorded before it is acknowledged (see Inbox).
	a.event(r.Context(), ev)
	w.WriteHeader(http.StatusOK)
}

// message is an app_mention or direct message, as much as the adapter needs.
type message struct {
	eventID string
	self    string // the bot's user id, when the event says
	channel string
	user    string
	botID   string
	subtype string
	text    string
	ts      string
	thread  string
	// addressed is true for app_mention, whose text starts with the bot's
	// mention.
	addressed bool
}

// event starts processing an Events API event in the background, once per
// event id, and records it in the inbox; the caller acknowledges it then.
func (a *Adapter) event(ctx context.Context, ev slackevents.EventsAPIEvent) {
	if ev.Type == slackevents.AppRateLimited {
		a.log.WarnContext(ctx, "slack is dropping events: over 30,000 an hour", "team", ev.TeamID)
		return
	}
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok {
		return
	}
	m := message{eventID: cb.EventID}
	for _, au := range cb.Authorizations {
		if au.IsBot && au.UserID != "" {
			m.self = au.UserID
			break
		}
	}
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppMentionEvent:
		m.channel, m.user, m.botID, m.text, m.ts, m.thread = e.Channel, e.User, e.BotID, e.Text, e.TimeStamp, e.ThreadTimeStamp
		m.addressed = true
	case *slackevents.MessageEvent:
		if e.ChannelType != "im" {
			return
		}
		m.channel, m.user, m.botID, m.subtype, m.text, m.ts, m.thread = e.Channel, e.User, e.BotID, e.SubType, e.Text, e.TimeStamp, e.ThreadTimeStamp
	default:
		return
	}
	if m.ignored() {
		return
	}
	first, j := a.accept(ctx, "event:"+m.eventID, "event:"+m.eventID, kept{Mention: m.stored()})
	if !first {
		return
	}
	a.background(func(ctx context.Context) { a.answerMention(ctx, m, j) })
}

// ignored reports what the event alone shows is not a question: an edit,
// join or other subtype, a bot's message or one without a user. Messages
// from the bot itself are known by the bot user id the event names;
// wantMention checks again once it is known for sure.
func (m message) ignored() bool {
	return m.subtype != "" || m.botID != "" || m.user == "" || (m.self != "" && m.user == m.self)
}

// answerMention answers a message addressed to the bot, once per message:
// subscribing to app_mention and message.im delivers some messages twice
// under different event ids. j is the message as the inbox keeps it, or
// nil; after a restart (its second run) the message counts as not seen,
// as the run before recorded it.
func (a *Adapter) answerMention(ctx context.Context, m message, j *job) {
	if !a.wantMention(ctx, &m, j == nil || j.Runs <= 1) {
		a.ledger.Done(ctx, j)
		return
	}
	text := m.words()
	in := bot.Input{
		User:    bot.User{ID: m.user},
		Channel: bot.Channel{ID: m.channel},
		Text:    text,
		Mention: true,
	}
	out := a.handle(ctx, in)
	a.deliverLate(ctx, origin{channel: m.channel, user: m.user, thread: m.thread, text: text, job: j}, out)
}

// wantMention reports whether m is a question for the bot, filling in
// m.self, the bot's user id, when it can: not ignored (see ignored), not
// the bot's own, and (when dedup) not a message already answered.
func (a *Adapter) wantMention(ctx context.Context, m *message, dedup bool) bool {
	if m.ignored() {
		return false
	}
	self, err := a.self.get(ctx, m.self)
	if err != nil {
		a.log.WarnContext(ctx, "slack bot user id unknown", "err", err)
	}
	m.self = self
	if self != "" && m.user == self {
		return false
	}
	return !dedup || m.ts == "" || a.firstSeen(ctx, "message:"+m.channel+":"+m.ts)
}

// words is the message as the router sees it: without the bot's mention,
// in plain words.
func (m message) words() string {
	text := m.text
	if m.self != "" || m.addressed {
		text = stripMention(text, m.self)
	}
	return plainWords(text)
}

var leadingMention = regexp.MustCompile(`^\s*<@([UW][A-Z0-9]+)(?:\|[^>]*)?>[\s,:]*`)

// stripMention removes the bot's mention from the start of text: self's
// when known, else whichever user is mentioned first, as app_mention text
// always starts with the bot's.
func stripMention(text, self string) string {
	m := leadingMention.FindStringSubmatchIndex(text)
	if m == nil {
		return text
	}
	if self != "" && text[m[2]:m[3]] != self {
		return text
	}
	return text[m[1]:]
}

var slackLink = regexp.MustCompile(`<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>`)

var mrkdwnUnescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// plainWords turns message markup into the words the user typed: links
// become their text and escapes are undone. User and channel mentions stay,
// as ids are what handlers look people up by.
func plainWords(text string) string {
	text = slackLink.ReplaceAllStringFunc(text, func(s string) string {
		m := slackLink.FindStringSubmatch(s)
		if m[2] != "" {
			return m[2]
		}
		return strings.TrimPrefix(m[1], "mailto:")
	})
	return strings.TrimSpace(mrkdwnUnescaper.Replace(text))
}
