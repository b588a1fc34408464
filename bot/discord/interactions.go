package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/callboard/callboard/bot"
)

// response is an interaction response; Data is a Message, modalData,
// autocompleteData or nil.
type response struct {
	Type discordgo.InteractionResponseType `json:"type"`
	Data any                               `json:"data,omitempty"`
}

type autocompleteData struct {
	Choices []choice `json:"choices"`
}

type choice struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type deferData struct {
	Flags discordgo.MessageFlags `json:"flags,omitempty"`
}

// responder delivers the one initial response to an interaction: the HTTP
// response body on the interactions endpoint, the callback endpoint on the
// gateway.
type responder func(response) error

// Handler returns the HTTP Interactions Endpoint handler, to be mounted at
// POST /discord/interactions. It answers 401 to any request whose
// X-Signature-Ed25519 does not verify over X-Signature-Timestamp and the raw
// body with Options.PublicKey, or whose timestamp is more than 5 minutes
// from Options.Now; PING with {"type":1}; everything else within 3 seconds.
func (a *Adapter) Handler() http.Handler {
	return http.HandlerFunc(a.serveInteraction)
}

func (a *Adapter) serveInteraction(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		a.refuse(w, r, http.StatusMethodNotAllowed, "method")
		return
	}
	sig := r.Header.Get("X-Signature-Ed25519")
	ts := r.Header.Get("X-Signature-Timestamp")
	if sig == "" || ts == "" {
		a.refuse(w, r, http.StatusUnauthorized, "headers")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.opts.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			a.refuse(w, r, http.StatusRequestEntityTooLarge, "too_large")
			return
		}
		a.refuse(w, r, http.StatusBadRequest, "read")
		return
	}
	if !verifySignature(a.publicKey, sig, ts, body) {
		a.refuse(w, r, http.StatusUnauthorized, "signature")
		return
	}
	if !fresh(ts, a.now()) {
		a.refuse(w, r, http.StatusUnauthorized, "stale")
		return
	}
	var i discordgo.Interaction
	if err := json.Unmarshal(body, &i); err != nil {
		a.refuse(w, r, http.StatusBadRequest, "decode")
		return
	}
	var once sync.Once
	a.interact(&i, func(resp response) error {
		err := errors.New("interaction answered twice")
		once.Do(func() {
			var b []byte
			if b, err = json.Marshal(resp); err != nil {
				err = fmt.Errorf("encode interaction response type %d: %w", resp.Type, err)
				http.Error(w, "internal error", http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
			_, err = w.Write(b)
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
		})
		return err
	})
}

func (a *Adapter) refuse(w http.ResponseWriter, r *http.Request, status int, reason string) {
	a.reject(reason)
	a.log.DebugContext(r.Context(), "discord interaction refused", "reason", reason, "status", status, "remote", r.RemoteAddr)
	http.Error(w, http.StatusText(status), status)
}

// verifySignature reports whether sig (hex) is key's Ed25519 signature of
// timestamp followed by body. A nil key verifies nothing.
func verifySignature(key ed25519.PublicKey, sig, timestamp string, body []byte) bool {
	if len(key) != ed25519.PublicKeySize || len(sig) != 2*ed25519.SignatureSize {
		return false
	}
	raw, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	msg := make([]byte, 0, len(timestamp)+len(body))
	msg = append(msg, timestamp...)
	msg = append(msg, body...)
	return ed25519.Verify(key, msg, raw)
}

// fresh reports whether a signature timestamp (Unix seconds) is within 5
// minutes of now, either way.
func fresh(timestamp string, now time.Time) bool {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return false
	}
	d := now.Sub(time.Unix(sec, 0))
	return d <= signatureMaxAge && d >= -signatureMaxAge
}

// interact answers one verified interaction through respond, exactly once.
func (a *Adapter) interact(i *discordgo.Interaction, respond responder) {
	switch i.Type {
	case discordgo.InteractionPing:
		a.send(i, respond, response{Type: discordgo.InteractionResponsePong})
	case discordgo.InteractionApplicationCommandAutocomplete:
		a.send(i, respond, a.autocomplete(i))
	case discordgo.InteractionApplicationCommand:
		d, ok := i.Data.(discordgo.ApplicationCommandInteractionData)
		if !ok || d.Name == "" {
			a.send(i, respond, notice("I could not read that command."))
			return
		}
		in := inputFrom(i)
		in.Text = commandLine(d)
		a.route(i, in, true, respond)
	case discordgo.InteractionMessageComponent:
		a.component(i, respond)
	case discordgo.InteractionModalSubmit:
		a.submit(i, respond)
	default:
		a.send(i, respond, notice("Callboard does not handle this kind of interaction."))
	}
}

// send delivers resp and reports whether it went out.
func (a *Adapter) send(i *discordgo.Interaction, respond responder, resp response) bool {
	if err := respond(resp); err != nil {
		a.log.Error("discord interaction response failed",
			"interaction", i.ID, "type", int(resp.Type), "err", redact(err))
		return false
	}
	return true
}

// notice is an ephemeral plain message.
func notice(text string) response {
	return messageResponse(render(bot.Reply{Text: text, Ephemeral: true}, nil))
}

func messageResponse(m Message) response {
	return response{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: m}
}

func inputFrom(i *discordgo.Interaction) bot.Input {
	in := bot.Input{Platform: Platform, Channel: bot.Channel{ID: i.ChannelID}}
	u := i.User
	nick := ""
	if i.Member != nil && i.Member.User != nil {
		u = i.Member.User
		nick = i.Member.Nick
	}
	if u != nil {
		in.User = bot.User{ID: u.ID, Name: displayName(u, nick)}
		in.FromBot = u.Bot
	}
	return in
}

func displayName(u *discordgo.User, nick string) string {
	switch {
	case nick != "":
		return nick
	case u.GlobalName != "":
		return u.GlobalName
	default:
		return u.Username
	}
}

// route runs the router on in and answers the interaction: inline when the
// router finishes within the answer budget, otherwise with a deferred
// response (type 5) followed by an edit of @original. A reply's Form opens
// as a modal when modalOK and the answer is inline; otherwise it becomes a
// button that opens it. A deferred answer is ephemeral unless in.Shared,
// and keeps that visibility whatever the reply asks for.
func (a *Adapter) route(i *discordgo.Interaction, in bot.Input, modalOK bool, respond responder) {
	ctx, cancel := context.WithTimeout(a.life, a.opts.FollowupTimeout)
	results := make(chan bot.Outcome, 1)
	if !a.spawn(func() { results <- a.handle(ctx, in) }) {
		cancel()
		a.send(i, respond, notice("Callboard is restarting; please try again in a moment."))
		return
	}
	timer := time.NewTimer(a.opts.AnswerBudget)
	defer timer.Stop()
	select {
	case out := <-results:
		cancel()
		a.send(i, respond, a.answer(in, out, modalOK))
		return
	case <-timer.C:
	}
	var flags discordgo.MessageFlags
	if !in.Shared {
		flags = discordgo.MessageFlagsEphemeral
	}
	// Kept before the deferral acknowledges it (see Inbox).
	j := a.ledger.Record(ctx, "interaction:"+i.ID, kept{Input: storeInput(in), Interaction: &storedInteraction{ID: i.ID, AppID: i.AppID, Token: i.Token}})
	if !a.send(i, respond, response{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource, Data: deferData{Flags: flags}}) {
		cancel()
		a.ledger.Done(ctx, j)
		return
	}
	started := a.spawn(func() {
		defer cancel()
		var out bot.Outcome
		select {
		case out = <-results:
		case <-ctx.Done():
			out = tookTooLong
		}
		if !a.cutShort(j) {
			a.editAnswer(i, in, out, j)
		}
	})
	if !started {
		cancel() // Shutdown has begun: the next process answers it
	}
}

var tookTooLong = bot.Outcome{Status: bot.Failed, Reply: bot.Reply{Text: "Sorry, that took too long. Please try again.", Ephemeral: true}}

// editAnswer replaces a deferred response with the answer, and forgets j.
func (a *Adapter) editAnswer(i *discordgo.Interaction, in bot.Input, out bot.Outcome, j *job) {
	edit, cancelEdit := context.WithTimeout(a.life, deliveryTimeout)
	defer cancelEdit()
	if err := a.editOriginal(edit, i, a.message(in, out)); err != nil {
		a.log.Error("discord deferred answer failed", "interaction", i.ID, "user", in.User.ID, "err", err)
		if a.cutShort(j) {
			return
		}
	}
	a.ledger.Done(edit, j)
}

// answerLater runs in's work again for a deferred interaction a process
// before this one acknowledged, and edits its response while the token
// lasts (for left more).
func (a *Adapter) answerLater(i *discordgo.Interaction, in bot.Input, j *job, left time.Duration) {
	a.spawn(func() {
		ctx, cancel := context.WithTimeout(a.life, min(left, a.opts.FollowupTimeout))
		defer cancel()
		out := a.handle(ctx, in)
		if ctx.Err() != nil && a.life.Err() == nil {
			out = tookTooLong
		}
		if !a.cutShort(j) {
			a.editAnswer(i, in, out, j)
		}
	})
}

// answer turns an outcome into the initial response for in: a modal for a
// form when modalOK, a message otherwise.
func (a *Adapter) answer(in bot.Input, out bot.Outcome, modalOK bool) response {
	if f := out.Reply.Form; modalOK && out.Status != bot.Ignored && f != nil && len(f.Fields) > 0 {
		return modal(*f, a.forms.put(*f, in.User.ID), 0, nil)
	}
	return messageResponse(a.message(in, out))
}

// message renders an outcome as a message; a form becomes a button that
// opens it for in's user.
func (a *Adapter) message(in bot.Input, out bot.Outcome) Message {
	if out.Status == bot.Ignored {
		return render(bot.Reply{Text: nothingToShow, Ephemeral: true}, nil)
	}
	r := out.Reply
	if f := r.Form; f != nil && len(f.Fields) > 0 {
		return render(r, formButton(f.Title, a.forms.put(*f, in.User.ID), 0))
	}
	return render(r, nil)
}

// editOriginal replaces the deferred response with m. Discord may not have
// recorded the deferral yet when a result comes just after the budget, so
// a 404 is retried a few times; the edit is idempotent.
func (a *Adapter) editOriginal(ctx context.Context, i *discordgo.Interaction, m Message) error {
	appID := i.AppID
	if appID == "" {
		appID = a.opts.AppID
	}
	m.Flags = 0 // visibility was fixed by the deferral
	ep := discordgo.EndpointWebhookMessage(appID, i.Token, "@original")
	wait := 250 * time.Millisecond
	for attempt := 0; ; attempt++ {
		_, err := a.session.RequestWithBucketID(http.MethodPatch, ep, m, ep, discordgo.WithContext(ctx))
		err = redact(err)
		var api *APIError
		if err == nil || attempt >= 3 || !errors.As(err, &api) || api.Status != http.StatusNotFound {
			if err != nil {
				return fmt.Errorf("edit original response of interaction %s: %w", i.ID, err)
			}
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("edit original response of interaction %s: %w", i.ID, ctx.Err())
		case <-t.C:
		}
		wait *= 2
	}
}

// autocomplete answers a type 4 interaction inline with at most 25
// suggestions for the focused option, never waiting past the answer
// budget.
func (a *Adapter) autocomplete(i *discordgo.Interaction) response {
	resp := response{Type: discordgo.InteractionApplicationCommandAutocompleteResult, Data: autocompleteData{Choices: []choice{}}}
	d, ok := i.Data.(discordgo.ApplicationCommandInteractionData)
	if !ok || a.opts.Suggester == nil {
		return resp
	}
	sub, focused := focusedOption(d.Options)
	if focused == nil {
		return resp
	}
	kind := OptionKind(d.Name, sub, focused.Name)
	if kind == "" {
		return resp
	}
	prefix := optionString(focused.Value)
	ctx, cancel := context.WithTimeout(a.life, a.opts.AnswerBudget)
	defer cancel()
	got := make(chan []string, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				a.log.Error("discord suggester panicked", "kind", kind, "panic", fmt.Sprint(v))
				got <- nil
			}
		}()
		got <- a.opts.Suggester.Suggest(ctx, kind, prefix, maxChoices)
	}()
	var values []string
	select {
	case values = <-got:
	case <-ctx.Done():
		a.log.Warn("discord suggestions too slow", "kind", kind, "budget", a.opts.AnswerBudget)
	}
	resp.Data = autocompleteData{Choices: choices(values)}
	return resp
}

// choices keeps at most 25 distinct, non-empty values that fit Discord's
// 100 runes (a longer value could not be sent back as typed).
func choices(values []string) []choice {
	out := []choice{}
	seen := map[string]bool{}
	for _, v := range values {
		if len(out) == maxChoices {
			break
		}
		if strings.TrimSpace(v) == "" || seen[v] || utf8.RuneCountInString(v) > maxChoiceValue {
			continue
		}
		seen[v] = true
		out = append(out, choice{Name: cut(v, maxChoiceName), Value: v})
	}
	return out
}

// focusedOption finds the option being typed and the subcommand holding it.
func focusedOption(opts []*discordgo.ApplicationCommandInteractionDataOption) (string, *discordgo.ApplicationCommandInteractionDataOption) {
	for _, o := range opts {
		if o == nil {
			continue
		}
		if o.Type == discordgo.ApplicationCommandOptionSubCommand {
			if _, f := focusedOption(o.Options); f != nil {
				return o.Name, f
			}
			continue
		}
		if o.Focused {
			return "", o
		}
	}
	return "", nil
}

// component answers a button press: a command button runs its action (a
// shared one in public), a form button opens its form's page.
func (a *Adapter) component(i *discordgo.Interaction, respond responder) {
	d, ok := i.Data.(discordgo.MessageComponentInteractionData)
	if !ok {
		a.send(i, respond, notice("I could not read that button."))
		return
	}
	in := inputFrom(i)
	if key, page, ok := parseFormID(d.CustomID); ok {
		p, found := a.forms.get(key)
		switch {
		case !found:
			a.send(i, respond, notice(formExpired))
		case p.userID != "" && p.userID != in.User.ID:
			a.send(i, respond, notice("This form belongs to someone else. Run the command yourself to get your own."))
		case page >= formPages(p.form):
			a.send(i, respond, notice("That form has no such page."))
		default:
			a.send(i, respond, modal(p.form, key, page, p.values))
		}
		return
	}
	action, shared, ok := decodeAction(d.CustomID)
	if !ok {
		a.send(i, respond, notice("This button no longer works. Please run the command again."))
		return
	}
	in.Text = action
	in.Shared = shared
	a.route(i, in, true, respond)
}

const formExpired = "This form has expired (forms wait an hour, and not across restarts). Please run the command again."

// submit handles a modal submission: it validates the page, then asks for
// the next page or, after the last, runs the form's SubmitAction with all
// values.
func (a *Adapter) submit(i *discordgo.Interaction, respond responder) {
	d, ok := i.Data.(discordgo.ModalSubmitInteractionData)
	if !ok {
		a.send(i, respond, notice("I could not read that form."))
		return
	}
	in := inputFrom(i)
	key, page, ok := parseFormID(d.CustomID)
	if !ok {
		a.send(i, respond, notice(formExpired))
		return
	}
	p, found := a.forms.get(key)
	if !found {
		a.send(i, respond, notice(formExpired))
		return
	}
	if p.userID != "" && p.userID != in.User.ID {
		a.send(i, respond, notice("This form belongs to someone else."))
		return
	}
	pages := formPages(p.form)
	if page >= pages {
		a.send(i, respond, notice("That form has no such page."))
		return
	}
	values, problems := checkPage(p.form, page, submittedValues(d))
	a.forms.save(key, values)
	if len(problems) > 0 {
		r := bot.Reply{Text: "Please fix:\n• " + strings.Join(problems, "\n• "), Ephemeral: true}
		a.send(i, respond, messageResponse(render(r, formButton("Fix", key, page))))
		return
	}
	for k, v := range values {
		p.values[k] = v
	}
	if page+1 < pages {
		r := bot.Reply{Text: fmt.Sprintf("Step %d of %d saved.", page+1, pages), Ephemeral: true}
		a.send(i, respond, messageResponse(render(r, formButton("Continue", key, page+1))))
		return
	}
	if missing, ok := firstIncompletePage(p.form, p.values); ok {
		r := bot.Reply{Text: fmt.Sprintf("Page %d of the form still has required fields.", missing+1), Ephemeral: true}
		a.send(i, respond, messageResponse(render(r, formButton("Continue", key, missing))))
		return
	}
	a.forms.delete(key)
	in.Text = p.form.SubmitAction
	in.Values = p.values
	a.route(i, in, false, respond)
}

// gatewayResponder answers an interaction received over the gateway through
// the callback endpoint, which no rate limit delays.
func (a *Adapter) gatewayResponder(i *discordgo.Interaction) responder {
	return func(resp response) error {
		ctx, cancel := context.WithTimeout(a.life, discordgo.InteractionDeadline)
		defer cancel()
		ep := discordgo.EndpointInteractionResponse(i.ID, i.Token)
		if _, err := a.session.RequestWithBucketID(http.MethodPost, ep, resp, ep, discordgo.WithContext(ctx)); err != nil {
			return fmt.Errorf("answer interaction %s: %w", i.ID, redact(err))
		}
		return nil
	}
}
