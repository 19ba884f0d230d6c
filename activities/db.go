package activities

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"go.temporal.io/sdk/temporal"

	"github.com/contactcenter/numberporting/porting"
)

// More error types of non-retryable application errors (see the list in activities.go).
const (
	// ErrInvalidInput: the activity input breaks a rule the workflow should have checked (e.g. no
	// workflow ID, an end state that is not an end state).
	ErrInvalidInput = "InvalidInput"
	// ErrNumberNotProvisioned: a number to activate is not provisioned on the instance for this port.
	ErrNumberNotProvisioned = "NumberNotProvisioned"
)

// Constraint names the activities map to clear errors.
const (
	constraintActivePort = "port_request_numbers_active_e164"
	constraintHeldNumber = "phone_numbers_held_e164"
)

// Phone-number states in the inventory.
const (
	NumberProvisioned = "provisioned"
	NumberActive      = "active"
	NumberReleasing   = "releasing"
	NumberReleased    = "released"
)

var e164Pattern = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// nonRetryable is a permanent failure whose message names the field and the rule.
func nonRetryable(errType, field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if field != "" {
		msg = field + ": " + msg
	}
	return temporal.NewNonRetryableApplicationError(msg, errType, nil)
}

func invalidInput(field, format string, args ...any) error {
	return nonRetryable(ErrInvalidInput, field, format, args...)
}

// inTx runs fn in a transaction, committing when it returns nil.
func inTx(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// uniqueViolation returns the violated constraint's name when err is a unique violation.
func uniqueViolation(err error) (constraint string, ok bool) {
	if e := pq.As(err, "23505"); e != nil {
		return e.Constraint, true
	}
	return "", false
}

// audit writes one audit_log row, once per idempotency key.
func audit(ctx context.Context, ex sqlx.ExecerContext, key, workflowID, action string, detail any) error {
	d, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("audit %s: %w", key, err)
	}
	_, err = ex.ExecContext(ctx, `
		INSERT INTO audit_log (idempotency_key, workflow_id, action, detail)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (idempotency_key) DO NOTHING`, key, workflowID, action, d)
	if err != nil {
		return fmt.Errorf("audit %s: %w", key, err)
	}
	return nil
}

// stepKey is an idempotency key: workflow ID, step and attempt-independent parts, joined with '/'.
func stepKey(workflowID, step string, parts ...string) string {
	return strings.Join(append([]string{workflowID, step}, parts...), "/")
}

func e164List(numbers []porting.PortNumber) []string {
	out := make([]string, len(numbers))
	for i, n := range numbers {
		out[i] = n.E164
	}
	return out
}

func typeList(numbers []porting.PortNumber) []string {
	out := make([]string, len(numbers))
	for i, n := range numbers {
		out[i] = n.Type
	}
	return out
}

// checkNumbersInput checks what every group-scoped activity needs.
func checkNumbersInput(in NumbersInput, needTypes bool) error {
	switch {
	case in.WorkflowID == "":
		return invalidInput("workflow_id", "is required")
	case in.Group == "":
		return invalidInput("group", "is required")
	case in.InstanceARN == "":
		return invalidInput("instance_arn", "is required")
	case len(in.Numbers) == 0:
		return invalidInput("numbers", "at least one number is required")
	}
	if err := checkNumbers(in.Numbers); err != nil {
		return err
	}
	for i, n := range in.Numbers {
		if needTypes && !slices.Contains(numberTypes, n.Type) {
			return invalidInput(fmt.Sprintf("numbers[%d].type", i), "must be one of %s, got %q", strings.Join(numberTypes, ", "), n.Type)
		}
	}
	return nil
}

// checkNumbers: every number is E.164 and appears once.
func checkNumbers(numbers []porting.PortNumber) error {
	seen := make(map[string]int, len(numbers))
	for i, n := range numbers {
		field := fmt.Sprintf("numbers[%d].e164", i)
		if !e164Pattern.MatchString(n.E164) {
			return invalidInput(field, "must be an E.164 number like +14155550100, got %q", n.E164)
		}
		if first, dup := seen[n.E164]; dup {
			return invalidInput(field, "duplicate of numbers[%d] (%s)", first, n.E164)
		}
		seen[n.E164] = i
	}
	return nil
}

// indexOf is the position of e164 in numbers (for field names), -1 when absent.
func indexOf(numbers []string, e164 string) int {
	for i, n := range numbers {
		if n == e164 {
			return i
		}
	}
	return -1
}

func numberField(numbers []string, e164 string) string {
	if i := indexOf(numbers, e164); i >= 0 {
		return fmt.Sprintf("numbers[%d].e164", i)
	}
	return "numbers"
}

var errNoRows = sql.ErrNoRows

func isNoRows(err error) bool { return errors.Is(err, errNoRows) }

// recordedBefore reports whether this port was already recorded with this very request (a rerun of
// the recording activity). A workflow ID already used by a finished port, or recorded with another
// request, is a RequestConflict naming request_id.
func recordedBefore(ctx context.Context, tx *sqlx.Tx, workflowID, requestID string, request []byte) (bool, error) {
	var prev struct {
		Same     bool `db:"same"`
		Finished bool `db:"finished"`
		State    string
	}
	err := tx.GetContext(ctx, &prev, `
		SELECT request = $2::jsonb AS same, finished_at IS NOT NULL AS finished, state
		FROM port_requests WHERE workflow_id = $1 FOR UPDATE`, workflowID, request)
	switch {
	case isNoRows(err):
		return false, nil
	case err != nil:
		return false, err
	case prev.Finished:
		return false, nonRetryable(ErrRequestConflict, "request_id",
			"%s was already used by port %s, which ended (%s); use a new request_id", requestID, workflowID, prev.State)
	case !prev.Same:
		return false, nonRetryable(ErrRequestConflict, "request_id",
			"port %s is already recorded with a different request; use a new request_id", workflowID)
	}
	return true, nil
}
