package slack

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/callboard/callboard/bot"
)

// renderedAck is the acknowledgement made the slow way: render's slack-go
// blocks, encoded by appendAck. The ackWriter must write the same bytes.
func renderedAck(r bot.Reply, rerun *bot.Button) []byte {
	fallback, blocks := render(r, rerun, nil)
	return appendAck(nil, fallback, blocks, responseType(r))
}

// checkAckWriter fails unless w writes r as renderedAck does, without and
// with the memo.
func checkAckWriter(t *testing.T, w *ackWriter, memo *sectionMemo, r bot.Reply, rerun *bot.Button) {
	t.Helper()
	want := renderedAck(r, rerun)
	for _, m := range []*sectionMemo{nil, memo} {
		w.writeAck(r, rerun, m)
		if !bytes.Equal(w.out, want) {
			t.Fatalf("ackWriter (memo %v) differs from render and appendAck for %#v:\n got %s\nwant %s", m != nil, r, w.out, want)
		}
	}
}

func TestAckWriter_MatchesRender(t *testing.T) {
	var w ackWriter // one writer for all: nothing may leak from one reply to the next
	var memo sectionMemo
	rerun := &bot.Button{Text: "Open form", Action: "/new-service go-grpc", Style: "primary"}
	for name, r := range ackReplies() {
		t.Run(name, func(t *testing.T) {
			checkAckWriter(t, &w, &memo, r, nil)
			checkAckWriter(t, &w, &memo, r, rerun)
		})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	n := 500
	if testing.Short() {
		n = 100
	}
	for i := range n {
		r := randomReply(rng)
		var rr *bot.Button
		if i%4 == 0 {
			b := randomButton(rng, i)
			rr = &b
		}
		checkAckWriter(t, &w, &memo, r, rr)
	}
}

// A command's acknowledgement is written without allocating once the
// writer and the memo are warm.
func TestAckWriter_NoAllocs(t *testing.T) {
	r := goldenReplies["whoowns"]
	more := contactSection("ledger", 12)
	more.Total, more.MoreAction = 40, "/catalog show group:ledger"
	r.Sections = append(r.Sections, contactSection("payments", 12), more)
	var w ackWriter
	var memo sectionMemo
	w.writeAck(r, nil, &memo)
	if n := testing.AllocsPerRun(100, func() { w.writeAck(r, nil, &memo) }); n != 0 {
		t.Errorf("writeAck allocates %v times per answer, want 0", n)
	}
}

func TestAppendFitEscaped_MatchesFitEscaped(t *testing.T) {
	for _, s := range []string{"", "plain", "a & b <c> d", "\xff\xe2\x80 é😀", strings.Repeat("&<> x\n", 500), strings.Repeat("é", 3001)} {
		for _, limit := range []int{0, 1, 5, 10, 300, 3000} {
			for _, more := range []func(int) string{nil, moreCharacters} {
				want := fitEscaped(s, limit, more)
				if got := appendFitEscaped([]byte("x"), s, limit, more); string(got) != "x"+want {
					t.Errorf("appendFitEscaped(%q, %d) = %q, want %q", s, limit, got[1:], want)
				}
				if got := appendFitEscaped(nil, []byte(s), limit, more); string(got) != want {
					t.Errorf("appendFitEscaped([]byte(%q), %d) = %q, want %q", s, limit, got, want)
				}
			}
		}
	}
}

// ackReplies are the replies other tests render, the limit cases, and
// more replies at and past the limits.
func ackReplies() map[string]bot.Reply {
	rs := encodeReplies()
	many := func(n int, f func(i int) bot.Item) []bot.Item {
		items := make([]bot.Item, n)
		for i := range items {
			items[i] = f(i)
		}
		return items
	}
	long := strings.Repeat("word & <markup> ", 700)
	rs["500 items"] = bot.Reply{Sections: []bot.Section{{Title: "Services", Items: many(500, func(i int) bot.Item {
		return bot.Item{Text: fmt.Sprintf("service-%03d", i), URL: fmt.Sprintf("https://backstage.example.com/catalog/default/component/service-%03d", i), Detail: "owned by someone"}
	}), MoreAction: "/catalog owned-by x"}}}
	rs["long texts"] = bot.Reply{Title: strings.Repeat("T", 400), Text: long, Footer: long,
		Fields: []bot.Field{{Name: long, Value: long}, {Value: long}, {Name: long}}}
	for name, c := range renderLimitCases() {
		rs["limits: "+name] = c.reply
	}
	for _, n := range []int{47, 48, 49, 50, 51, 60} {
		sections := make([]bot.Section, n)
		for i := range sections {
			sections[i] = bot.Section{Title: fmt.Sprint("Section ", i)}
		}
		rs[fmt.Sprintf("%d sections", n)] = bot.Reply{Sections: sections}
		rs[fmt.Sprintf("%d sections, a button", n)] = bot.Reply{Sections: sections, Buttons: []bot.Button{{Text: "Share", Action: "/x", Shared: true}}}
		rs[fmt.Sprintf("%d sections, a button and a footer", n)] = bot.Reply{Title: "t", Sections: sections, Buttons: []bot.Button{{Action: "/x"}}, Footer: "f"}
		rs[fmt.Sprintf("%d sections, a dropped link", n)] = bot.Reply{Sections: sections, Links: []bot.Link{{URL: "javascript:x"}}}
	}
	rs["more button too long"] = bot.Reply{Sections: []bot.Section{{Items: many(20, func(i int) bot.Item { return bot.Item{Text: fmt.Sprint(i)} }),
		Total: 40, MoreAction: strings.Repeat("y", 2100)}}}
	rs["blank"] = bot.Reply{Title: " ", Text: "\n", Fields: []bot.Field{{Name: " ", Value: "\t"}}, Footer: " "}
	return rs
}

// randomReply makes a reply of random size and content, now and then past
// a limit.
func randomReply(rng *rand.Rand) bot.Reply {
	r := bot.Reply{
		Title:     randomText(rng),
		Text:      randomText(rng),
		Footer:    randomText(rng),
		Ephemeral: rng.IntN(2) == 0,
	}
	for range randomCount(rng, 45) {
		r.Fields = append(r.Fields, bot.Field{Name: randomText(rng), Value: randomText(rng)})
	}
	for range randomCount(rng, 55) {
		s := bot.Section{Title: randomText(rng), Text: randomText(rng), MoreAction: randomAction(rng)}
		for range randomCount(rng, 4) {
			s.Fields = append(s.Fields, bot.Field{Name: randomText(rng), Value: randomText(rng)})
		}
		for range randomCount(rng, 150) {
			s.Items = append(s.Items, bot.Item{Text: randomText(rng), URL: randomURL(rng), Detail: randomText(rng),
				ChatUserID: pick(rng, "", "U061F7AUR", "W12", "U1> <!x", "C04PAYMENTS1"), ChatChannelID: pick(rng, "", "C04PAYMENTS1", "G12", "D1")})
		}
		if rng.IntN(3) == 0 {
			s.Total = len(s.Items) + rng.IntN(1000)
		}
		r.Sections = append(r.Sections, s)
	}
	for i := range randomCount(rng, 40) {
		r.Buttons = append(r.Buttons, randomButton(rng, i))
	}
	for range randomCount(rng, 40) {
		r.Links = append(r.Links, bot.Link{Text: randomText(rng), URL: randomURL(rng)})
	}
	return r
}

// randomCount is mostly small, sometimes up to max.
func randomCount(rng *rand.Rand, max int) int {
	if rng.IntN(8) == 0 {
		return rng.IntN(max + 1)
	}
	return rng.IntN(min(max, 4) + 1)
}

func randomButton(rng *rand.Rand, i int) bot.Button {
	return bot.Button{Text: randomText(rng), Action: randomAction(rng), Shared: rng.IntN(2) == 0, Style: pick(rng, "", "primary", "danger", "other")}
}

func randomAction(rng *rand.Rand) string {
	switch rng.IntN(6) {
	case 0:
		return ""
	case 1:
		return "/search " + strings.Repeat("<&x", 100+rng.IntN(700))
	}
	return "/whoowns " + randomText(rng)
}

func randomURL(rng *rand.Rand) string {
	return pick(rng, "", "https://github.com/acme/payments-api", "http://x.example/a?b=1&c=2", "mailto:team@example.com",
		"javascript:alert(1)", "https://x.example/p|q r", "HTTPS://X.EXAMPLE/", "https://a//b", "https://ä.example/ü",
		"https://example.com/"+strings.Repeat("p", 990+rng.IntN(30)), "https://example.com/"+strings.Repeat("q", 2990+rng.IntN(30)), "%zz")
}

// randomText joins random pieces: words, markup, JSON specials, invalid
// UTF-8, blanks; now and then thousands of them.
func randomText(rng *rand.Rand) string {
	pieces := []string{"payments", "api", " ", "  ", "\n", "\t", "&", "<", ">", "<@U1>", "\"", "\\", "\x01", "\x7f",
		"\u2028", "\u2029", "\xff", "\xe2\x80", "\x80", "é", "😀", "…", "•", "*", "|", "—", "<!channel>"}
	n := rng.IntN(6)
	switch rng.IntN(40) {
	case 0, 1:
		return ""
	case 2:
		n = rng.IntN(4000)
	}
	var b strings.Builder
	for range n {
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	return b.String()
}

func pick(rng *rand.Rand, choices ...string) string { return choices[rng.IntN(len(choices))] }

// Whatever the reply, the ackWriter writes what render and appendAck
// make of it.
func FuzzAckWriter(f *testing.F) {
	f.Add("payments-api", "Owned by <team> & \"friends\"", "Jane", "https://x.example/a?b=1&c=2", "U061F7AUR", "/whoowns x", "footer", true, uint8(3))
	f.Add("", "", "", "", "", "", "", false, uint8(0))
	f.Add("\xff\u2028", "\x01\t", "•", "mailto:a@b", "C1", "", "\u2029", true, uint8(60))
	f.Fuzz(func(t *testing.T, title, text, item, url, id, action, footer string, ephemeral bool, sections uint8) {
		r := bot.Reply{
			Title:     title,
			Text:      text,
			Fields:    []bot.Field{{Name: title, Value: text}, {Value: item}},
			Links:     []bot.Link{{Text: item, URL: url}},
			Buttons:   []bot.Button{{Text: item, Action: action, Shared: ephemeral, Style: footer}},
			Footer:    footer,
			Ephemeral: ephemeral,
		}
		for range sections % 64 {
			r.Sections = append(r.Sections, bot.Section{Title: item, Text: text,
				Items: []bot.Item{{Text: item, URL: url, ChatUserID: id, ChatChannelID: id, Detail: footer}}, Total: 20, MoreAction: action})
		}
		var w ackWriter
		var memo sectionMemo
		checkAckWriter(t, &w, &memo, r, nil)
		checkAckWriter(t, &w, &memo, r, &bot.Button{Text: title, Action: action})
	})
}
