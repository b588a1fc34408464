package slack

import (
	"encoding/json"
	"fmt"
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
// when set, is shown above the inputs. It fails when the state does not fit
// private_metadata.
func formView(f bot.Form, intro string, state formState) (slack.ModalViewRequest, error) {
	meta, err := json.Marshal(state)
	if err != nil {
		return slack.ModalViewRequest{}, fmt.Errorf("encode form state: %w", err)
	}
	if utf8.RuneCount(meta) > maxPrivateMetadata {
		return slack.ModalViewRequest{}, fmt.Errorf("form state for %q is %d characters, over Slack's %d", cut(state.Action, 40), utf8.RuneCount(meta), maxPrivateMetadata)
	}
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
	shown := 0
	for _, field := range f.Fields {
		id := cut(strings.TrimSpace(field.Name), maxBlockID)
		if id == "" || seen[id] {
			continue
		}
		if len(blocks) == maxViewBlocks-1 {
			break
		}
		seen[id] = true
		blocks = append(blocks, inputBlock(id, field))
		shown++
	}
	if left := len(f.Fields) - shown; left > 0 && len(blocks) == maxViewBlocks-1 {
		blocks = append(blocks, slack.NewContextBlock("", markdown(fmt.Sprintf("…and %d more fields not shown", left))))
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      formCallbackID,
		Title:           plainText(cut(title, maxViewTitle)),
		Submit:          plainText(cut(submit, maxViewTitle)),
		Close:           plainText("Cancel"),
		Blocks:          slack.Blocks{BlockSet: blocks},
		PrivateMetadata: string(meta),
	}, nil
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
