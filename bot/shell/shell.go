// Package shell is the terminal adapter: `callboard chat` and `callboard ask`
// speak to the same router as Slack and Discord, the way Hubot's shell
// adapter lets people try a bot without a workspace.
package shell

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/callboard/callboard/bot"
)

// Router is the part of bot.Router the shell needs.
type Router interface {
	Handle(ctx context.Context, in bot.Input) bot.Outcome
}

// Platform is the platform name the shell reports to the router.
const Platform = "shell"

// localUser is who a terminal session speaks as unless told otherwise.
func localUser() bot.User { return bot.User{ID: "local", Name: "you"} }

// Input turns a terminal line into a router input: a line starting with '/'
// is a slash command, anything else plain words, as in a direct message.
func Input(line string, user bot.User) bot.Input {
	line = strings.TrimSpace(line)
	in := bot.Input{Platform: Platform, User: user, Channel: bot.Channel{ID: "terminal", Name: "terminal"}, Text: line}
	if !strings.HasPrefix(line, "/") {
		in.Mention = true
		in.Text = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(line, "@callboard"), ","))
	}
	return in
}

// Ask answers one line and returns the outcome, writing the reply to out.
func Ask(ctx context.Context, r Router, line string, user bot.User, out io.Writer) bot.Outcome {
	if user.ID == "" {
		user = localUser()
	}
	o := r.Handle(ctx, Input(line, user))
	if o.Status != bot.Ignored {
		fmt.Fprint(out, Render(o.Reply))
	}
	return o
}

// Chat runs an interactive prompt until in ends, ctx is cancelled or the
// user types /quit. Pressing a button is typing its number.
func Chat(ctx context.Context, r Router, in io.Reader, out io.Writer, user bot.User) error {
	if user.ID == "" {
		user = localUser()
	}
	fmt.Fprintln(out, "Callboard chat. Try /whoowns payments-api, \"who owns checkout-web?\" or /help. /quit leaves.")
	lines := make(chan string)
	errs := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		errs <- sc.Err()
		close(lines)
	}()
	var buttons []bot.Button
	for {
		fmt.Fprint(out, "> ")
		var line string
		select {
		case <-ctx.Done():
			fmt.Fprintln(out)
			return nil
		case l, ok := <-lines:
			if !ok {
				fmt.Fprintln(out)
				return <-errs
			}
			line = strings.TrimSpace(l)
		}
		switch line {
		case "":
			continue
		case "/quit", "/exit", "quit", "exit":
			return nil
		}
		shared := false
		if n, ok := buttonNumber(line, len(buttons)); ok {
			line, shared = buttons[n].Action, buttons[n].Shared
		}
		input := Input(line, user)
		input.Shared = shared
		o := r.Handle(ctx, input)
		if o.Status == bot.Ignored {
			continue
		}
		fmt.Fprint(out, Render(o.Reply))
		buttons = o.Reply.Buttons
	}
}

func buttonNumber(line string, n int) (int, bool) {
	var i int
	if _, err := fmt.Sscanf(line, "%d", &i); err != nil || fmt.Sprint(i) != line {
		return 0, false
	}
	if i < 1 || i > n {
		return 0, false
	}
	return i - 1, true
}

// Render shows a reply as plain text for a terminal. Control characters
// other than newlines and tabs are dropped: catalog text must not drive the
// operator's terminal with escape sequences.
func Render(r bot.Reply) string {
	return stripControl(render(r))
}

func stripControl(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, s)
}

func render(r bot.Reply) string {
	var b strings.Builder
	if r.Title != "" {
		fmt.Fprintf(&b, "== %s ==\n", r.Title)
	}
	if r.Text != "" {
		b.WriteString(r.Text + "\n")
	}
	width := 0
	for _, f := range r.Fields {
		width = max(width, len([]rune(f.Name)))
	}
	for _, f := range r.Fields {
		fmt.Fprintf(&b, "  %-*s  %s\n", width+1, f.Name+":", f.Value)
	}
	for _, s := range r.Sections {
		if s.Title != "" {
			fmt.Fprintf(&b, "%s:\n", s.Title)
		}
		if s.Text != "" {
			b.WriteString("  " + s.Text + "\n")
		}
		for _, f := range s.Fields {
			fmt.Fprintf(&b, "  %s: %s\n", f.Name, f.Value)
		}
		for _, it := range s.Items {
			b.WriteString("  • " + itemText(it) + "\n")
		}
		if s.Total > len(s.Items) {
			fmt.Fprintf(&b, "  …and %d more", s.Total-len(s.Items))
			if s.MoreAction != "" {
				fmt.Fprintf(&b, " (%s)", s.MoreAction)
			}
			b.WriteString("\n")
		}
	}
	for _, l := range r.Links {
		fmt.Fprintf(&b, "  %s: %s\n", l.Text, l.URL)
	}
	if r.Form != nil {
		fmt.Fprintf(&b, "[form] %s: %d fields (forms need Slack or Discord)\n", r.Form.Title, len(r.Form.Fields))
	}
	for i, btn := range r.Buttons {
		fmt.Fprintf(&b, "  [%d] %s  (%s)\n", i+1, btn.Text, btn.Action)
	}
	if r.Footer != "" {
		b.WriteString(r.Footer + "\n")
	}
	return b.String()
}

func itemText(it bot.Item) string {
	s := it.Text
	if it.ChatUserID != "" {
		s += " (@" + it.ChatUserID + ")"
	}
	if it.ChatChannelID != "" {
		s += " (#" + it.ChatChannelID + ")"
	}
	if it.URL != "" && !strings.HasPrefix(it.URL, "mailto:") {
		s += " <" + it.URL + ">"
	}
	if it.Detail != "" {
		s += " — " + it.Detail
	}
	return s
}
