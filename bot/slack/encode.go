package slack

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// This file encodes the Block Kit the renderer makes without reflection:
// an inline answer is encoded once per command, and encoding/json spent
// more time on it than the command itself. The output is the JSON
// encoding/json makes for the same values, except that <, > and & are not
// escaped as \u003c, \u003e and \u0026 (mrkdwn already escapes them), so
// both decode to the same message. Blocks and elements the renderer does
// not make, and the rare fields it never sets (a section's accessory, a
// button's confirm dialog), are encoded by encoding/json.
// TestAppendBlocks_MatchesEncodingJSON holds the two encodings together and
// TestAppendBlocks_KnowsEveryField notices fields a new slack-go adds.

// appendAck appends the body of an acknowledgement that answers a command
// inline: the fallback text, the blocks and the response type, the fields
// a WebhookMessage has when it neither replaces nor deletes the original.
// It ends with a newline, like json.Encoder.
func appendAck(dst []byte, text string, blocks []slack.Block, responseType string) []byte {
	dst = append(dst, `{"text":`...)
	dst = appendString(dst, text)
	if len(blocks) > 0 {
		dst = append(dst, `,"blocks":`...)
		dst = appendBlocks(dst, blocks)
	}
	if responseType != "" {
		dst = append(dst, `,"response_type":`...)
		dst = appendString(dst, responseType)
	}
	return append(dst, "}\n"...)
}

// appendBlocks appends blocks as a JSON array.
func appendBlocks(dst []byte, blocks []slack.Block) []byte {
	return appendArray(dst, blocks, appendBlock)
}

// appendArray appends items as a JSON array, each with appendItem; a nil
// slice is null, as encoding/json writes it.
func appendArray[T any](dst []byte, items []T, appendItem func([]byte, T) []byte) []byte {
	if items == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, item := range items {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendItem(dst, item)
	}
	return append(dst, ']')
}

// openBlock writes the start of a block object: its type, its text if it
// has one and its block_id if set, in encoding/json's field order.
func openBlock(dst []byte, typ slack.MessageBlockType, text *slack.TextBlockObject, blockID string) []byte {
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, string(typ))
	if text != nil {
		dst = append(dst, `,"text":`...)
		dst = appendText(dst, text)
	}
	return appendOptString(dst, `,"block_id":`, blockID)
}

func appendBlock(dst []byte, b slack.Block) []byte {
	switch b := b.(type) {
	case *slack.HeaderBlock:
		if b == nil {
			break
		}
		dst = openBlock(dst, b.Type, b.Text, b.BlockID)
		if b.Level != 0 {
			dst = append(dst, `,"level":`...)
			dst = strconv.AppendInt(dst, int64(b.Level), 10)
		}
		return append(dst, '}')
	case *slack.SectionBlock:
		if b == nil || b.Accessory != nil {
			break
		}
		dst = openBlock(dst, b.Type, b.Text, b.BlockID)
		if len(b.Fields) > 0 {
			dst = append(dst, `,"fields":`...)
			dst = appendArray(dst, b.Fields, appendText)
		}
		if b.Expand {
			dst = append(dst, `,"expand":true`...)
		}
		return append(dst, '}')
	case *slack.ActionBlock:
		if b == nil {
			break
		}
		dst = openBlock(dst, b.Type, nil, b.BlockID)
		dst = append(dst, `,"elements":`...)
		if b.Elements == nil || b.Elements.ElementSet == nil {
			dst = append(dst, "null"...)
		} else {
			dst = appendArray(dst, b.Elements.ElementSet, appendElement)
		}
		return append(dst, '}')
	case *slack.ContextBlock:
		if b == nil {
			break
		}
		dst = openBlock(dst, b.Type, nil, b.BlockID)
		dst = append(dst, `,"elements":`...)
		dst = appendArray(dst, b.ContextElements.Elements, func(dst []byte, el slack.MixedElement) []byte {
			if t, ok := el.(*slack.TextBlockObject); ok {
				return appendText(dst, t)
			}
			return appendMarshaled(dst, el)
		})
		return append(dst, '}')
	}
	return appendMarshaled(dst, b)
}

func appendElement(dst []byte, el slack.BlockElement) []byte {
	b, ok := el.(*slack.ButtonBlockElement)
	if !ok || b == nil || b.Confirm != nil {
		return appendMarshaled(dst, el)
	}
	dst = append(dst, '{')
	if b.Type != "" {
		dst = append(dst, `"type":`...)
		dst = appendString(dst, string(b.Type))
		dst = append(dst, ',')
	}
	dst = append(dst, `"text":`...)
	dst = appendText(dst, b.Text)
	dst = appendOptString(dst, `,"action_id":`, b.ActionID)
	dst = appendOptString(dst, `,"url":`, b.URL)
	dst = appendOptString(dst, `,"value":`, b.Value)
	dst = appendOptString(dst, `,"style":`, string(b.Style))
	dst = appendOptString(dst, `,"accessibility_label":`, b.AccessibilityLabel)
	dst = appendOptString(dst, `,"agent_prompt":`, b.AgentPrompt)
	dst = appendOptString(dst, `,"agent_prompt_display":`, b.AgentPromptDisplay)
	if len(b.VisibleToUserIDs) > 0 {
		dst = append(dst, `,"visible_to_user_ids":`...)
		dst = appendArray(dst, b.VisibleToUserIDs, appendString)
	}
	return append(dst, '}')
}

func appendText(dst []byte, t *slack.TextBlockObject) []byte {
	if t == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, t.Type)
	dst = append(dst, `,"text":`...)
	dst = appendString(dst, t.Text)
	if t.Emoji != nil {
		dst = append(dst, `,"emoji":`...)
		dst = strconv.AppendBool(dst, *t.Emoji)
	}
	if t.Verbatim {
		dst = append(dst, `,"verbatim":true`...)
	}
	return append(dst, '}')
}

// appendOptString appends key and s unless s is empty (omitempty).
func appendOptString(dst []byte, key, s string) []byte {
	if s == "" {
		return dst
	}
	return appendString(append(dst, key...), s)
}

// appendMarshaled appends what encoding/json makes of v, or null when it
// cannot encode it; no value the renderer makes fails to encode.
func appendMarshaled(dst []byte, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return append(dst, "null"...)
	}
	return append(dst, b...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json does with
// HTML escaping off.
func appendString(dst []byte, s string) []byte { return appendJSONString(dst, s, false) }

// appendJSONString appends s as a JSON string the way encoding/json does:
// invalid UTF-8 becomes \ufffd, U+2028 and U+2029 are escaped, and so are
// <, > and & when escapeHTML is set.
func appendJSONString(dst []byte, s string, escapeHTML bool) []byte {
	special := &jsonSpecial
	if escapeHTML {
		special = &jsonSpecialHTML
	}
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if !special[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// jsonSpecial marks the bytes appendJSONString must look at: those it
// escapes, and the first bytes of multi-byte UTF-8 sequences (or invalid
// bytes), which may need replacing or escaping. Continuation bytes of a
// valid sequence are skipped with their first byte.
var (
	jsonSpecial     = jsonSpecialBytes("")
	jsonSpecialHTML = jsonSpecialBytes("<>&")
)

func jsonSpecialBytes(extra string) [256]bool {
	var t [256]bool
	for c := range 256 {
		t[c] = c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf || strings.IndexByte(extra, byte(c)) >= 0
	}
	return t
}
