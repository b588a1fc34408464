package bot

import (
	"errors"
	"fmt"
)

// UserError is an error whose message is written for the person who asked:
// safe to show, and telling them what would work. Handlers return it for
// anything the user can fix (unknown names, bad arguments); every other error
// is treated as internal and shown only as a reference number.
type UserError struct {
	Message string
	// Reply, when set, replaces the plain message (e.g. did-you-mean
	// suggestions with buttons).
	Reply *Reply
	// Usage marks an error in how the command was called; the router adds
	// the command's usage line.
	Usage bool
}

func (e *UserError) Error() string { return e.Message }

// Errorf returns a *UserError with a formatted message.
func Errorf(format string, args ...any) error {
	return &UserError{Message: fmt.Sprintf(format, args...)}
}

// UsageErrorf returns a *UserError that makes the router show the command's
// usage after the message.
func UsageErrorf(format string, args ...any) error {
	return &UserError{Message: fmt.Sprintf(format, args...), Usage: true}
}

// DeniedError says the user may not run a command, and who may.
type DeniedError struct {
	Command string
	Who     string // a readable list of who may, e.g. "members of group:payments-team"
}

func (e *DeniedError) Error() string {
	if e.Who == "" {
		return fmt.Sprintf("Sorry, you are not allowed to run /%s here.", e.Command)
	}
	return fmt.Sprintf("Sorry, /%s is limited to %s.", e.Command, e.Who)
}

// IsUserError reports whether err is meant for the user rather than the operator.
func IsUserError(err error) bool {
	var ue *UserError
	var de *DeniedError
	return errors.As(err, &ue) || errors.As(err, &de)
}
