package slack

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/callboard/callboard/bot"
)

// Modal limits, counted in characters.
const (
	maxViewBlocks      = 100
	maxViewTitle       = 24
	maxPrivateMetadata = 3000
	maxInputLabel      = 2000
	maxInputHint       = 2000
	maxPlaceholder     = 150
	maxInputValue      = 3000
	maxBlockID         = 255
	maxOptionText      = 75
	maxOptionValue     = 150
	maxSelectOptions   = 100
	maxOptionGroups    = 100
	// maxViewBytes is Slack's 250 KB bound on a view's JSON.
	maxViewBytes = 250_000
)

const (
	formCallbackID = "callboard.form"
	// formValueAction is the action_id of every input's element; the
	// block_id is the field's name.
	formValueAction = "value"
)

// formState travels in a modal's private_metadata: the command to run on
// submit and where to answer.
type formState struct {
	Action  string `json:"a"`
	Channel string `json:"c,omitempty"`
	Thread  string `json:"t,omitempty"`
}

// formView renders f as a modal whose submission runs state.Action. intro,
// when set, is shown above the inputs. A view over Slack's 250 KB is made
// to fit: the longest lists of options are halved, then the last fields
// left out, each with a visible "…and N more". It fails when the state
// does not fit private_metadata or nothing makes the view fit.
func formView(f bot.Form, intro string, state formState) (slack.ModalViewRequest, error) {
	meta, err := json.Marshal(state)
	if err != nil {
		return slack.ModalViewRequest{}, fmt.Errorf("encode form state: %w", err)
	}
	if utf8.RuneCount(meta) > maxPrivateMetadata {
		return slack.ModalViewRequest{}, fmt.Errorf("form state for %q is %d characters, over Slack's %d", cut(state.Action, 40), utf8.RuneCount(meta), maxPrivateMetadata)
	}
	fit := formFit{fields: f.Fields}
	for {
		view := buildFormView(f, fit, intro, string(meta))
		data, err := json.Marshal(view)
		if err != nil {
			return slack.ModalViewRequest{}, fmt.Errorf("encode form %q: %w", f.Title, err)
		}
		if len(data) <= maxViewBytes {
			return view, nil
		}
		if !fit.shrink() {
			return slack.ModalViewRequest{}, &formTooLarge{title: f.Title, bytes: len(data)}
		}
	}
}

// formFit is what formView leaves out of a form to keep its view under
// maxViewBytes.
type formFit struct {
	fields []bot.FormField // the fields shown, options cut
	// hiddenOptions[i] counts the options of fields[i] left out.
	hiddenOptions map[int]int
	hiddenFields  int
}

// shrink leaves something out: it halves the longest list of options while
// one is longer than a select shows ungrouped (100), then drops the last
// field, and only with a single field left halves its options further. It
// reports false when there is nothing left to leave out.
func (ff *formFit) shrink() bool {
	longest := -1
	for i, f := range ff.fields {
		if len(f.Options) > 1 && (longest < 0 || len(f.Options) > len(ff.fields[longest].Options)) {
			longest = i
		}
	}
	switch {
	case longest >= 0 && (len(ff.fields[longest].Options) > maxSelectOptions || len(ff.fields) == 1):
		ff.halveOptions(longest)
	case len(ff.fields) > 0:
		ff.fields = ff.fields[:len(ff.fields)-1]
		ff.hiddenFields++
	default:
		return false
	}
	return true
}

// halveOptions keeps the first half of field i's options, and its default.
func (ff *formFit) halveOptions(i int) {
	if ff.hiddenOptions == nil {
		ff.hiddenOptions = map[int]int{}
		ff.fields = slices.Clone(ff.fields)
	}
	f := &ff.fields[i]
	keep := f.Options[:len(f.Options)/2]
	if f.Default != "" && slices.Contains(f.Options, f.Default) && !slices.Contains(keep, f.Default) {
		keep = append(slices.Clone(keep[:len(keep)-1]), f.Default)
	}
	ff.hiddenOptions[i] += len(f.Options) - len(keep)
	f.Options = keep
}

// formTooLarge is a form whose view cannot be made to fit Slack's bound.
type formTooLarge struct {
	title string
	bytes int
}

func (e *formTooLarge) Error() string {
	return fmt.Sprintf("form %q is %d bytes as a Slack view even with its fields left out, over Slack's %d", e.title, e.bytes, maxViewBytes)
}

func buildFormView(f bot.Form, fit formFit, intro, meta string) slack.ModalViewRequest {
	title := strings.TrimSpace(f.Title)
	if title == "" {
		title = "Callboard"
	}
	submit := strings.TrimSpace(f.SubmitLabel)
	if submit == "" {
		submit = "Submit"
	}
	var blocks []slack.Block
	if strings.TrimSpace(intro) != "" {
		blocks = append(blocks, section(fitEscaped(intro, maxSectionText, moreCharacters)))
	}
	seen := map[string]bool{}
	hidden := fit.hiddenFields
	for i, field := range fit.fields {
		id := cut(strings.TrimSpace(field.Name), maxBlockID)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		if len(blocks) == maxViewBlocks-1 { // room for the note only
			hidden++
			continue
		}
		if n := fit.hiddenOptions[i]; n > 0 {
			// The note must survive the cut of the hint to its limit.
			note := andMore(n) + " options not shown"
			field.Hint = strings.TrimSpace(cut(strings.TrimSpace(field.Hint), maxInputHint-utf8.RuneCountInString(note)-1) + " " + note)
		}
		blocks = append(blocks, inputBlock(id, field))
	}
	if hidden > 0 {
		blocks = append(blocks, slack.NewContextBlock("", markdown(fmt.Sprintf("…and %d more fields not shown", hidden))))
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      formCallbackID,
		Title:           plainText(cut(title, maxViewTitle)),
		Submit:          plainText(cut(submit, maxViewTitle)),
		Close:           plainText("Cancel"),
		Blocks:          slack.Blocks{BlockSet: blocks},
		PrivateMetadata: meta,
	}
}

func inputBlock(id string, f bot.FormField) *slack.InputBlock {
	label := strings.TrimSpace(f.Label)
	if label == "" {
		label = f.Name
	}
	var hint *slack.TextBlockObject
	if h := strings.TrimSpace(f.Hint); h != "" {
		hint = plainText(cut(h, maxInputHint))
	}
	var placeholder *slack.TextBlockObject
	if p := strings.TrimSpace(f.Placeholder); p != "" {
		placeholder = plainText(cut(p, maxPlaceholder))
	}
	var el slack.BlockElement
	if len(f.Options) > 0 {
		el = selectElement(f, placeholder)
	} else {
		in := slack.NewPlainTextInputBlockElement(placeholder, formValueAction)
		in.Multiline = f.Multiline
		in.MaxLength = maxInputValue
		if utf8.RuneCountInString(f.Default) <= maxInputValue {
			in.InitialValue = f.Default
		}
		el = in
	}
	block := slack.NewInputBlock(id, plainText(cut(label, maxInputLabel)), hint, el)
	block.Optional = !f.Required
	return block
}

// selectElement offers f.Options in a static select: up to 100 options
// directly, more in groups of 100. Options whose text is too long for a
// value cannot be offered.
func selectElement(f bot.FormField, placeholder *slack.TextBlockObject) *slack.SelectBlockElement {
	var opts []*slack.OptionBlockObject
	var initial *slack.OptionBlockObject
	for _, o := range f.Options {
		if o == "" || utf8.RuneCountInString(o) > maxOptionValue {
			continue
		}
		opt := slack.NewOptionBlockObject(o, plainText(cut(o, maxOptionText)), nil)
		if o == f.Default {
			initial = opt
		}
		opts = append(opts, opt)
	}
	el := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, placeholder, formValueAction)
	el.InitialOption = initial
	if len(opts) <= maxSelectOptions {
		el.Options = opts
		return el
	}
	for start := 0; start < len(opts) && len(el.OptionGroups) < maxOptionGroups; start += maxSelectOptions {
		end := min(start+maxSelectOptions, len(opts))
		label := fmt.Sprintf("%d–%d", start+1, end)
		el.OptionGroups = append(el.OptionGroups, slack.NewOptionGroupBlockElement(plainText(label), opts[start:end]...))
	}
	return el
}

// formValues reads a submitted view's values by field name and checks them
// against the inputs the view was built with (Slack sends the view back with
// the submission): required inputs must be filled and a selected value must
// be one of the offered options. problems maps block ids to messages for
// response_action "errors".
func formValues(v slack.View) (values, problems map[string]string) {
	values = map[string]string{}
	problems = map[string]string{}
	for _, b := range v.Blocks.BlockSet {
		in, ok := b.(*slack.InputBlock)
		if !ok || in.BlockID == "" {
			continue
		}
		var state slack.BlockAction
		if v.State != nil {
			state = v.State.Values[in.BlockID][formValueAction]
		}
		var value string
		switch el := in.Element.(type) {
		case *slack.PlainTextInputBlockElement:
			value = strings.TrimSpace(state.Value)
			if utf8.RuneCountInString(value) > maxInputValue {
				problems[in.BlockID] = fmt.Sprintf("Please keep this under %d characters.", maxInputValue)
				continue
			}
		case *slack.SelectBlockElement:
			value = state.SelectedOption.Value
			if value != "" && !offers(el, value) {
				problems[in.BlockID] = "Please pick one of the options."
				continue
			}
		default:
			continue
		}
		if value == "" {
			if !in.Optional {
				problems[in.BlockID] = "Please fill this in."
			}
			continue
		}
		values[in.BlockID] = value
	}
	return values, problems
}

func offers(el *slack.SelectBlockElement, value string) bool {
	for _, o := range el.Options {
		if o.Value == value {
			return true
		}
	}
	for _, g := range el.OptionGroups {
		for _, o := range g.Options {
			if o.Value == value {
				return true
			}
		}
	}
	return false
}

// fieldProblem finds the input a handler's error message is about: one that
// starts with the field's name or label followed by a colon. It returns the
// block id and the rest of the message.
func fieldProblem(message string, v slack.View) (string, string, bool) {
	first, _, _ := strings.Cut(strings.TrimSpace(message), "\n")
	name, rest, ok := strings.Cut(first, ":")
	rest = strings.TrimSpace(rest)
	if !ok || rest == "" {
		return "", "", false
	}
	name = strings.TrimSpace(name)
	for _, b := range v.Blocks.BlockSet {
		in, ok := b.(*slack.InputBlock)
		if !ok {
			continue
		}
		label := ""
		if in.Label != nil {
			label = in.Label.Text
		}
		if strings.EqualFold(name, in.BlockID) || (label != "" && strings.EqualFold(name, label)) {
			return in.BlockID, cut(rest, maxInputHint), true
		}
	}
	return "", "", false
}
