package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/callboard/callboard/bot"
)

func contactSection(team string, members int) bot.Section {
	s := bot.Section{Title: "Contact " + team, Items: []bot.Item{
		{Text: team + "@example.com", URL: "mailto:" + team + "@example.com", Detail: "team email"},
		{Text: "team channel", ChatChannelID: "C04PAYMENTS1"},
	}}
	for i := range members {
		s.Items = append(s.Items, bot.Item{Text: fmt.Sprintf("Member %d <&>", i), ChatUserID: fmt.Sprintf("U%08d", i), Detail: fmt.Sprintf("m%d@example.com", i)})
	}
	return s
}

// renderJSON is a rendering as one comparable string.
func renderJSON(t *testing.T, r bot.Reply, memo *sectionMemo) string {
	t.Helper()
	fallback, blocks := render(r, nil, memo)
	b, err := json.Marshal(blocks)
	if err != nil {
		t.Error(err)
	}
	return fallback + "\n" + string(b)
}

func TestSectionMemo_RendersAsWithout(t *testing.T) {
	replies := encodeReplies()
	replies["contacts"] = bot.Reply{Title: "payments-api", Sections: []bot.Section{contactSection("payments", 12), contactSection("ledger", 3)}}
	long := contactSection("long", 4)
	long.Text = strings.Repeat("a heading too long to share the list's block ", 10)
	replies["long heading"] = bot.Reply{Sections: []bot.Section{long}}
	many := contactSection("many", 400)
	many.Total = 1000
	replies["cut list"] = bot.Reply{Sections: []bot.Section{many}}
	var memo sectionMemo
	for name, r := range replies {
		t.Run(name, func(t *testing.T) {
			want := renderJSON(t, r, nil)
			for i := range 2 { // a miss, then a hit
				if got := renderJSON(t, r, &memo); got != want {
					t.Errorf("rendering %d with the memo:\n%s\nwant\n%s", i+1, got, want)
				}
			}
		})
	}
}

// Two answers about services of one team share its contact list: the
// second is rendered from the memo, even from a different slice.
func TestSectionMemo_SharedAcrossAnswers(t *testing.T) {
	var memo sectionMemo
	a := bot.Reply{Title: "payments-api", Sections: []bot.Section{contactSection("payments", 5)}}
	b := bot.Reply{Title: "payments-web", Sections: []bot.Section{contactSection("payments", 5)}}
	renderJSON(t, a, &memo)
	renderJSON(t, b, &memo)
	if n := len(memo.m); n != 1 {
		t.Errorf("memo holds %d sections after two answers sharing one, want 1", n)
	}
}

// The memo keeps its own copy of the items: a section changed in place
// after rendering renders anew.
func TestSectionMemo_SeesChangedSection(t *testing.T) {
	var memo sectionMemo
	s := contactSection("payments", 5)
	r := bot.Reply{Sections: []bot.Section{s}}
	renderJSON(t, r, &memo)
	s.Items[3].Text = "Someone Else"
	s.Items[4].ChatUserID = "U99999999"
	got := renderJSON(t, r, &memo)
	if !strings.Contains(got, "Someone Else") || !strings.Contains(got, "U99999999") {
		t.Errorf("rendering after the items changed = %s, want the new items", got)
	}
	if want := renderJSON(t, r, nil); got != want {
		t.Errorf("rendering after the items changed:\n%s\nwant\n%s", got, want)
	}
	s.Total = 40
	if got, want := renderJSON(t, r, &memo), renderJSON(t, r, nil); got != want {
		t.Errorf("rendering after Total changed:\n%s\nwant\n%s", got, want)
	}
}

func TestSectionMemo_Bounded(t *testing.T) {
	var memo sectionMemo
	for i := range maxMemoSections + 10 {
		memo.text(contactSection(fmt.Sprintf("team-%d", i), 3))
	}
	if n := len(memo.m); n > maxMemoSections {
		t.Errorf("memo holds %d sections, want at most %d", n, maxMemoSections)
	}
}

func TestSectionMemo_Concurrent(t *testing.T) {
	var memo sectionMemo
	replies := make([]bot.Reply, 8)
	want := make([]string, len(replies))
	for i := range replies {
		replies[i] = bot.Reply{Sections: []bot.Section{contactSection(fmt.Sprintf("team-%d", i%3), 4+i%2)}}
		want[i] = renderJSON(t, replies[i], nil)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				k := (g + i) % len(replies)
				if got := renderJSON(t, replies[k], &memo); got != want[k] {
					t.Errorf("concurrent rendering of reply %d differs", k)
					return
				}
			}
		})
	}
	wg.Wait()
}

// Sections that differ only in a middle entry share a hash slot; each
// still renders as itself, however they alternate.
func TestSectionMemo_SameSlotDifferentSections(t *testing.T) {
	var memo sectionMemo
	a, b := contactSection("payments", 5), contactSection("payments", 5)
	b.Items[3].Detail = "someone.else@example.com"
	if memo.hash(a) != memo.hash(b) {
		t.Fatalf("test sections do not share a slot; pick ones that do")
	}
	ra, rb := bot.Reply{Sections: []bot.Section{a}}, bot.Reply{Sections: []bot.Section{b}}
	wantA, wantB := renderJSON(t, ra, nil), renderJSON(t, rb, nil)
	for range 3 {
		if got := renderJSON(t, ra, &memo); got != wantA {
			t.Errorf("rendering a:\n%s\nwant\n%s", got, wantA)
		}
		if got := renderJSON(t, rb, &memo); got != wantB {
			t.Errorf("rendering b:\n%s\nwant\n%s", got, wantB)
		}
	}
}
