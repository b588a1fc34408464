package bot

import "context"

// FormHolder opens a placeholder for the form a handler will answer with,
// on platforms where a form must open within seconds of the user's action
// (a Slack trigger_id lasts three seconds and serves once). Adapters that
// need one put it in the handler's context; HoldForm reaches it.
type FormHolder interface {
	HoldForm(ctx context.Context, title string) error
}

type formHolderKey struct{}

// WithFormHolder returns ctx carrying h for HoldForm.
func WithFormHolder(ctx context.Context, h FormHolder) context.Context {
	return context.WithValue(ctx, formHolderKey{}, h)
}

// HoldForm opens a placeholder titled title for the form the handler is
// about to build. A handler calls it before slow work (a call to GitHub,
// say) that precedes its Form reply; the form then replaces the
// placeholder. It does nothing where the platform needs no placeholder.
// An error means none could be opened; the handler carries on, and the
// adapter offers the form as it would without one.
func HoldForm(ctx context.Context, title string) error {
	if h, ok := ctx.Value(formHolderKey{}).(FormHolder); ok {
		return h.HoldForm(ctx, title)
	}
	return nil
}
