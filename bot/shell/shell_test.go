package shell

import (
	"context"
	"strings"
	"testing"

	"github.com/callboard/callboard/bot"
)

func TestRender(t *testing.T) {
	got := Render(bot.Reply{
		Title:  "payments-api",
		Text:   "Card payments.",
		Fields: []bot.Field{{Name: "Owner", Value: "Payments Team"}},
		Sections: []bot.Section{{Title: "Contact", Items: []bot.Item{
			{Text: "Jane", ChatUserID: "U1", Detail: "lead"},
			{Text: "team channel", ChatChannelID: "C1"},
		}, Total: 5, MoreAction: "/catalog show group:payments"}},
		Links:   []bot.Link{{Text: "Repository", URL: "https://github.com/acme/payments-api"}},
		Buttons: []bot.Button{{Text: "Share in channel", Action: "/whoowns payments-api", Shared: true}},
		Footer:  "from the catalog",
	})
	for _, want := range []string{"== payments-api ==", "Owner:  Payments Team", "• Jane (@U1) — lead", "• team channel (#C1)",
		"…and 3 more (/catalog show group:payments)", "Repository: https://github.com/acme/payments-api", "[1] Share in channel", "from the catalog"} {
		if !strings.Contains(got, want) {
			t.Errorf("Render lacks %q:\n%s", want, got)
		}
	}
}

type echoRouter struct{ inputs []bot.Input }

func (e *echoRouter) Handle(ctx context.Context, in bot.Input) bot.Outcome {
	e.inputs = append(e.inputs, in)
	return bot.Outcome{Status: bot.Answered, Reply: bot.Reply{Text: "got " + in.Text, Buttons: []bot.Button{{Text: "again", Action: "/again", Shared: true}}}}
}

func TestChat(t *testing.T) {
	r := &echoRouter{}
	var out strings.Builder
	if err := Chat(context.Background(), r, strings.NewReader("who owns x?\n\n1\n/quit\nnever\n"), &out, bot.User{}); err != nil {
		t.Fatal(err)
	}
	if len(r.inputs) != 2 {
		t.Fatalf("router saw %d inputs, want 2: %+v", len(r.inputs), r.inputs)
	}
	if in := r.inputs[0]; !in.Mention || in.Text != "who owns x?" || in.Platform != Platform {
		t.Errorf("plain words = %+v, want a mention", in)
	}
	if in := r.inputs[1]; in.Text != "/again" || !in.Shared || in.Mention {
		t.Errorf("pressing [1] = %+v, want the button's shared action", in)
	}
	if !strings.Contains(out.String(), "got who owns x?") {
		t.Errorf("output = %q", out.String())
	}
}

func TestRender_DropsControlCharacters(t *testing.T) {
	got := Render(bot.Reply{Text: "\x1b[31mRED\x1b]8;;https://evil.example\a\nnext\tline"})
	if strings.ContainsAny(got, "\x1b\a") || !strings.Contains(got, "[31mRED") || !strings.Contains(got, "\nnext\tline") {
		t.Errorf("Render = %q, want escape and bell characters dropped, newlines and tabs kept", got)
	}
}
