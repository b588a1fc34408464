package discord

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/callboard/callboard/bot"
)

// Discord's modal limits, counted in runes.
const (
	maxModalTitle   = 45
	maxModalInputs  = 5
	maxInputLabel   = 45
	maxPlaceholder  = 100
	maxInputValue   = 4000
	formTTL         = time.Hour
	maxPendingForms = 1000
)

// Custom ids. A command button is "r<n>:<action>" or, when its reply is to
// be shared, "s<n>:<action>", where n (base 36) keeps ids in one message
// unique; the action is the command line itself, so the button keeps
// working after a restart. A button whose id would pass 100 runes is not
// shown as a button but listed as text. A form page is "f:<key>:<page>",
// both on its modal and on the button that opens it.
const formPrefix = "f:"

func encodeAction(action string, shared bool, n int) (string, bool) {
	if strings.TrimSpace(action) == "" {
		return "", false
	}
	flag := "r"
	if shared {
		flag = "s"
	}
	id := flag + strconv.FormatInt(int64(n), 36) + ":" + action
	return id, utf8.RuneCountInString(id) <= maxCustomID
}

func decodeAction(id string) (action string, shared bool, ok bool) {
	if len(id) < 3 || (id[0] != 'r' && id[0] != 's') {
		return "", false, false
	}
	colon := strings.IndexByte(id, ':')
	if colon < 2 {
		return "", false, false
	}
	for _, c := range id[1:colon] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z') {
			return "", false, false
		}
	}
	action = id[colon+1:]
	if strings.TrimSpace(action) == "" {
		return "", false, false
	}
	return action, id[0] == 's', true
}

func formID(key string, page int) string {
	return formPrefix + key + ":" + strconv.Itoa(page)
}

func parseFormID(id string) (key string, page int, ok bool) {
	rest, found := strings.CutPrefix(id, formPrefix)
	if !found {
		return "", 0, false
	}
	key, p, found := strings.Cut(rest, ":")
	if !found || key == "" {
		return "", 0, false
	}
	page, err := strconv.Atoi(p)
	if err != nil || page < 0 {
		return "", 0, false
	}
	return key, page, true
}

// Forms with more than five fields are paged: each modal holds five. A
// submitted page that is not the last is answered with a "Continue" button
// that opens the next modal (Discord does not let a modal open another).
// The collected values wait in memory under a random key carried in the
// custom ids, not in the ids themselves, which could not hold them within
// 100 characters. A pending form expires after an hour and does not survive
// a restart; its user is then asked to run the command again.
type formStore struct {
	now func() time.Time

	mu    sync.Mutex
	forms map[string]*pendingForm
}

type pendingForm struct {
	form    bot.Form
	userID  string // "" lets anyone fill it in
	values  map[string]string
	expires time.Time
}

func newFormStore(now func() time.Time) *formStore {
	return &formStore{now: now, forms: map[string]*pendingForm{}}
}

func (s *formStore) put(f bot.Form, userID string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	key := hex.EncodeToString(b[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if len(s.forms) >= maxPendingForms {
		var oldest string
		for k, p := range s.forms {
			if !p.expires.After(now) {
				delete(s.forms, k)
			} else if oldest == "" || p.expires.Before(s.forms[oldest].expires) {
				oldest = k
			}
		}
		if len(s.forms) >= maxPendingForms {
			delete(s.forms, oldest)
		}
	}
	s.forms[key] = &pendingForm{form: f, userID: userID, values: map[string]string{}, expires: now.Add(formTTL)}
	return key
}

// get returns a copy of the pending form.
func (s *formStore) get(key string) (pendingForm, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.forms[key]
	if !ok || !p.expires.After(s.now()) {
		delete(s.forms, key)
		return pendingForm{}, false
	}
	out := *p
	out.values = make(map[string]string, len(p.values))
	for k, v := range p.values {
		out.values[k] = v
	}
	return out, true
}

func (s *formStore) save(key string, values map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.forms[key]; ok {
		for k, v := range values {
			p.values[k] = v
		}
	}
}

func (s *formStore) delete(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.forms, key)
}

func formPages(f bot.Form) int {
	return (len(f.Fields) + maxModalInputs - 1) / maxModalInputs
}

// modalData is the data of a type 9 (modal) response.
type modalData struct {
	CustomID   string                       `json:"custom_id"`
	Title      string                       `json:"title"`
	Components []discordgo.MessageComponent `json:"components"`
}

// modal renders one page of f, prefilled with values (or the defaults).
// Text inputs are named "v<i>" by field index.
func modal(f bot.Form, key string, page int, values map[string]string) response {
	pages := formPages(f)
	title := f.Title
	if title == "" {
		title = "Form"
	}
	if pages > 1 {
		suffix := fmt.Sprintf(" (%d/%d)", page+1, pages)
		title = cut(title, maxModalTitle-utf8.RuneCountInString(suffix)) + suffix
	} else {
		title = cut(title, maxModalTitle)
	}
	rows := []discordgo.MessageComponent{}
	for i := page * maxModalInputs; i < len(f.Fields) && i < (page+1)*maxModalInputs; i++ {
		fld := f.Fields[i]
		label := fld.Label
		if label == "" {
			label = fld.Name
		}
		placeholder := fld.Placeholder
		if placeholder == "" {
			placeholder = fld.Hint
		}
		if placeholder == "" && len(fld.Options) > 0 {
			placeholder = "One of: " + strings.Join(fld.Options, ", ")
		}
		value, ok := values[fld.Name]
		if !ok {
			value = fld.Default
		}
		style := discordgo.TextInputShort
		if fld.Multiline {
			style = discordgo.TextInputParagraph
		}
		rows = append(rows, discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.TextInput{
				CustomID:    "v" + strconv.Itoa(i),
				Label:       cut(label, maxInputLabel),
				Style:       style,
				Placeholder: cut(placeholder, maxPlaceholder),
				Value:       cut(value, maxInputValue),
				Required:    fld.Required,
				MaxLength:   maxInputValue,
			},
		}})
	}
	return response{Type: discordgo.InteractionResponseModal, Data: modalData{
		CustomID:   formID(key, page),
		Title:      title,
		Components: rows,
	}}
}

// formButton opens page of the form stored under key.
func formButton(label string, key string, page int) *discordgo.Button {
	if label == "" {
		label = "Open form"
	}
	return &discordgo.Button{Label: cut(label, maxLabel), Style: discordgo.PrimaryButton, CustomID: formID(key, page)}
}

// submittedValues returns a modal submission's text input values by custom
// id.
func submittedValues(d discordgo.ModalSubmitInteractionData) map[string]string {
	out := map[string]string{}
	var walk func(cs []discordgo.MessageComponent)
	walk = func(cs []discordgo.MessageComponent) {
		for _, c := range cs {
			switch c := c.(type) {
			case *discordgo.ActionsRow:
				walk(c.Components)
			case discordgo.ActionsRow:
				walk(c.Components)
			case *discordgo.TextInput:
				out[c.CustomID] = c.Value
			case discordgo.TextInput:
				out[c.CustomID] = c.Value
			}
		}
	}
	walk(d.Components)
	return out
}

// checkPage validates the submitted values of one page against its
// fields: required ones must not be blank, ones with Options must be one of
// them (matched without case and stored as written in Options). It returns
// the values by field name and a problem per bad field.
func checkPage(f bot.Form, page int, submitted map[string]string) (map[string]string, []string) {
	values := map[string]string{}
	var problems []string
	for i := page * maxModalInputs; i < len(f.Fields) && i < (page+1)*maxModalInputs; i++ {
		fld := f.Fields[i]
		v := strings.TrimSpace(submitted["v"+strconv.Itoa(i)])
		label := fld.Label
		if label == "" {
			label = fld.Name
		}
		values[fld.Name] = v
		if v == "" {
			if fld.Required {
				problems = append(problems, label+" is required.")
			}
			continue
		}
		if len(fld.Options) > 0 {
			match := ""
			for _, o := range fld.Options {
				if strings.EqualFold(o, v) {
					match = o
					break
				}
			}
			if match == "" {
				problems = append(problems, fmt.Sprintf("%s must be one of: %s.", label, strings.Join(fld.Options, ", ")))
				continue
			}
			values[fld.Name] = match
		}
	}
	return values, problems
}

// firstIncompletePage returns the first page with a required field that
// has no value, for a form whose pages were not all submitted.
func firstIncompletePage(f bot.Form, values map[string]string) (int, bool) {
	for i, fld := range f.Fields {
		if fld.Required && strings.TrimSpace(values[fld.Name]) == "" {
			return i / maxModalInputs, true
		}
	}
	return 0, false
}
