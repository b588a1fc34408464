package bot

import (
	"context"
	"errors"
	"testing"
)

type holderFunc func(ctx context.Context, title string) error

func (f holderFunc) HoldForm(ctx context.Context, title string) error { return f(ctx, title) }

func TestHoldForm(t *testing.T) {
	if err := HoldForm(context.Background(), "New service"); err != nil {
		t.Errorf("HoldForm without a holder = %v, want nil (nothing to hold)", err)
	}
	var got string
	refused := errors.New("expired_trigger_id")
	ctx := WithFormHolder(context.Background(), holderFunc(func(_ context.Context, title string) error {
		got = title
		return refused
	}))
	if err := HoldForm(ctx, "New service"); !errors.Is(err, refused) || got != "New service" {
		t.Errorf("HoldForm = %v with title %q, want the holder's error for \"New service\"", err, got)
	}
}
