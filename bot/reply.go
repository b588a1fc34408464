package bot

// Reply is a platform-neutral answer. All text is plain: renderers escape it
// for their platform and enforce its limits, cutting long lists with a visible
// "…and N more". Handlers never format for a platform.
type Reply struct {
	Title    string    // a short heading, e.g. the entity's name
	Text     string    // the main sentence or paragraph
	Fields   []Field   // short name/value pairs shown side by side
	Sections []Section // titled blocks, each optionally a list
	Links    []Link    // shown as link buttons where the platform has them
	Buttons  []Button  // buttons that run a command when pressed
	Footer   string    // small print: source, freshness, hints

	// Ephemeral replies are shown only to the asking user where the platform
	// can do that.
	Ephemeral bool

	// Form, when set, asks the adapter to collect input from the user (a
	// Slack modal, a Discord modal) and submit it back as an Input with
	// Values and Text set to Form.SubmitAction.
	Form *Form
}

// Field is a labelled value such as "Owner: payments-team".
type Field struct {
	Name  string
	Value string
}

// Section is a titled part of a reply with either prose, fields or a list.
type Section struct {
	Title  string
	Text   string
	Fields []Field
	Items  []Item

	// Total is the full length of the list when Items holds only its first
	// part; renderers then say "…and Total-len(Items) more". Zero means Items
	// is complete.
	Total int
	// MoreAction is the command line that shows the rest, when there is one.
	MoreAction string
}

// Item is one entry of a list.
type Item struct {
	Text   string
	URL    string // optional link for Text
	Detail string // optional short explanation after Text

	// ChatUserID is the platform user id of the person the item names, when
	// known for the platform the reply is for. Renderers show it as a
	// mention that never notifies.
	ChatUserID string
	// ChatChannelID is a platform channel id the item names, shown as a
	// channel link.
	ChatChannelID string
}

// Link is a URL with a label.
type Link struct {
	Text string
	URL  string
}

// Button runs Action, a command line such as "/whoowns payments-api", when
// pressed. Share buttons set Shared so the result is posted in channel.
type Button struct {
	Text   string
	Action string
	Shared bool
	Style  string // "", "primary" or "danger"
}

// Form asks the user for several values at once.
type Form struct {
	Title        string
	SubmitLabel  string
	SubmitAction string // command line run on submit, with Values attached
	Fields       []FormField
}

// FormField is one input of a Form.
type FormField struct {
	Name        string
	Label       string
	Hint        string
	Placeholder string
	Default     string
	Required    bool
	Multiline   bool
	Options     []string // when set, the value must be one of these
}

// Len returns the number of entries across the reply's lists, which tests
// and renderers use to decide what to cut.
func (r Reply) Len() int {
	n := 0
	for _, s := range r.Sections {
		n += len(s.Items)
	}
	return n
}
