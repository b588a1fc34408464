// Package bot is Callboard's platform-neutral core: the request a chat user
// makes, the reply the bot gives, and the router between them. It knows no chat
// SDK and no domain package; adapters (bot/slack, bot/discord, bot/shell)
// translate to and from these types, and handlers (bot/commands) answer them.
package bot

import (
	"strings"
	"unicode"
)

// Input is what an adapter hands the router: one message, slash command,
// button press or form submission, already verified and decoded.
type Input struct {
	Platform string // "slack", "discord", "shell"
	User     User
	Channel  Channel

	// Text is the command line. Slash commands arrive as "/whoowns payments-api"
	// (adapters put the slash command name in front of its text); mentions
	// arrive as the words after the bot's name ("who owns payments-api?").
	Text string

	// Mention is true when Text came from a plain-words message (an
	// @-mention or a direct message) rather than a slash command or a button.
	Mention bool

	// FromBot is true for messages written by any bot, ourselves included.
	// The router ignores them so two bots never talk to each other in a loop.
	FromBot bool

	// Shared asks for the reply to be posted in channel rather than only to
	// the user, as a "Share in channel" button does.
	Shared bool

	// Values holds a submitted form's values by field name.
	Values map[string]string
}

// User identifies who is asking. ID is the platform's immutable id (Slack
// U…, a Discord snowflake); Name and Email are for display and catalog
// matching only and never for permissions.
type User struct {
	ID    string
	Name  string
	Email string
}

// Channel identifies where the request was made. ID is immutable; Name is
// for display.
type Channel struct {
	ID   string
	Name string
}

// Request is what a Handler sees: the parsed command and its arguments plus
// who is asking and where.
type Request struct {
	Platform string
	User     User
	Channel  Channel

	// CatalogUser is the catalog ref of the asking user ("user:default/jane")
	// when the router's Identifier could map them, otherwise empty.
	CatalogUser string

	Command string   // registered command name, e.g. "whoowns" or "catalog"
	Args    []string // arguments after the command name
	Shared  bool
	Values  map[string]string
}

// Arg returns argument i or "" when there are fewer arguments.
func (r Request) Arg(i int) string {
	if i < len(r.Args) {
		return r.Args[i]
	}
	return ""
}

// Rest returns the arguments from i on joined by single spaces.
func (r Request) Rest(i int) string {
	if i >= len(r.Args) {
		return ""
	}
	return strings.Join(r.Args[i:], " ")
}

// CommandLine is the slash form of the request, suitable for a button's
// Action so that pressing it runs the same command again.
func (r Request) CommandLine() string {
	if len(r.Args) == 0 {
		return "/" + r.Command
	}
	return "/" + r.Command + " " + quoteArgs(r.Args)
}

func quoteArgs(args []string) string {
	quoted := make([]string, len(args))
	esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "“", "\\“", "”", "\\”")
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, "\"'“”‘’\\") || strings.IndexFunc(a, unicode.IsSpace) >= 0 {
			a = `"` + esc.Replace(a) + `"`
		}
		quoted[i] = a
	}
	return strings.Join(quoted, " ")
}
