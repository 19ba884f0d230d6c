package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/contactcenter/numberporting/internal/temporalconn"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// Exit codes of the CLI contract (DESIGN §7).
const (
	exitOK       = 0
	exitFailure  = 1 // anything else, e.g. Temporal unreachable
	exitBadInput = 2 // the message names the field and the rule
	exitRefused  = 3 // refused by the workflow (its validator's or handler's message)
	exitNotFound = 4 // no such workflow
)

// cliError is an error with its exit code decided where it happened.
type cliError struct {
	code int
	msg  string
	err  error // optional cause, for errors.Is/As
}

func (e *cliError) Error() string { return e.msg }
func (e *cliError) Unwrap() error { return e.err }

func badInput(format string, args ...any) error {
	return &cliError{code: exitBadInput, msg: fmt.Sprintf(format, args...)}
}

func refused(format string, args ...any) error {
	return &cliError{code: exitRefused, msg: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &cliError{code: exitNotFound, msg: fmt.Sprintf(format, args...)}
}

func failure(cause error, format string, args ...any) error {
	return &cliError{code: exitFailure, msg: fmt.Sprintf(format, args...), err: cause}
}

// usageError marks cobra's own errors (unknown flag, missing required flag…) as bad input.
func usageError(err error) error {
	var ce *cliError
	if errors.As(err, &ce) {
		return err
	}
	return &cliError{code: exitBadInput, msg: err.Error() + " (see --help)", err: err}
}

// exitCode is the one place that maps an error to the CLI's exit code.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var (
		ce          *cliError
		unreachable *temporalconn.UnreachableError
		validation  *porting.ValidationError
		inventory   *store.InventoryError
		started     *serviceerror.WorkflowExecutionAlreadyStarted
		nf          *serviceerror.NotFound
		appErr      *temporal.ApplicationError
	)
	switch {
	case errors.As(err, &ce):
		return ce.code
	case errors.As(err, &unreachable):
		// Checked before NotFound: an unknown namespace while connecting is not "no such workflow".
		return exitFailure
	case errors.As(err, &validation):
		return exitBadInput
	case errors.As(err, &inventory):
		switch inventory.Kind {
		case "invalid":
			return exitBadInput
		case "refused":
			return exitRefused
		case "not_found":
			return exitNotFound
		}
		return exitFailure
	case errors.As(err, &started):
		return exitRefused
	case errors.As(err, &nf):
		return exitNotFound
	case errors.As(err, &appErr):
		// An update's validator or handler said no.
		return exitRefused
	}
	return exitFailure
}

// writeError prints err for a person: validation problems one per line (the first few, then how
// many more), workflow refusals with their message only (not the SDK's type decoration).
func writeError(w io.Writer, err error) {
	var (
		ce         *cliError
		validation *porting.ValidationError
		appErr     *temporal.ApplicationError
	)
	switch {
	case errors.As(err, &ce):
		fmt.Fprintln(w, strings.TrimRight(ce.msg, "\n"))
	case errors.As(err, &validation):
		fmt.Fprintln(w, "invalid input:")
		writeProblems(w, validation.Problems)
	case errors.As(err, &appErr):
		fmt.Fprintln(w, appErr.Message())
	default:
		fmt.Fprintln(w, err.Error())
	}
}
