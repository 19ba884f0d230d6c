// Package store is the product's whole Postgres data layer: every SQL statement, by concern —
// inventory (instances, contact flows, phone numbers, claims), port requests and their numbers,
// provisioning, the carrier and partner-carrier outboxes, the notifications outbox, port-out and the
// audit log — on *sqlx.DB / *sqlx.Tx with the domain types of porting. Writes are idempotent
// (INSERT … ON CONFLICT, keyed by workflow and step). It knows nothing of Temporal: the activities,
// the starter CLI and the carrier simulator all use it. A refusal is a *RuleError (for the
// activities, which return it as a non-retryable application error of its Code) or an
// *InventoryError (for the inventory functions the CLI calls).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/contactcenter/numberporting/porting"
)

// Codes of RuleError: the error types of the non-retryable application errors the activities return
// (activities re-exports them under the same names). The message always names the field and the rule,
// so the workflow can hand it to support staff as is.
const (
	ErrInstanceNotFound        = "InstanceNotFound"
	ErrRegionNotSupported      = "RegionNotSupported"
	ErrContactFlowNotFound     = "ContactFlowNotFound"
	ErrContactFlowNotPublished = "ContactFlowNotPublished"
	ErrNumberAlreadyInInstance = "NumberAlreadyInInstance"
	ErrNumberAlreadyPorting    = "NumberAlreadyPorting"
	ErrRequestConflict         = "RequestConflict"
	// ErrPhoneNumberLimit: provisioning would put the instance above its phone-number limit.
	ErrPhoneNumberLimit = "PhoneNumberLimitExceeded"
	// ErrInvalidInput: the input breaks a rule the caller should have checked (e.g. no workflow ID).
	ErrInvalidInput = "InvalidInput"
	// ErrNumberNotProvisioned: a number to activate is not provisioned on the instance for this port.
	ErrNumberNotProvisioned = "NumberNotProvisioned"
	// ErrNumberNotHeld: a number to port out is not held by the request's instance.
	ErrNumberNotHeld = "NumberNotHeld"
	// ErrNumberReleased: a number to port out was already released from the instance.
	ErrNumberReleased = "NumberReleased"
	// ErrNumberNotActive: a number of the instance is not active (e.g. provisioned by a port-in in progress).
	ErrNumberNotActive = "NumberNotActive"
	// ErrNumberLocked: a number to port out is locked against port-out (LockNumber).
	ErrNumberLocked = "NumberLocked"
)

// RuleError is a permanent refusal of a port's write: Code is one of the Err* codes, Field names the
// input it concerns. Retrying cannot help.
type RuleError struct {
	Code  string
	Field string
	Msg   string
}

func (e *RuleError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// refuse is a RuleError whose message names the field and the rule.
func refuse(code, field, format string, args ...any) error {
	return &RuleError{Code: code, Field: field, Msg: fmt.Sprintf(format, args...)}
}

func invalidInput(field, format string, args ...any) error {
	return refuse(ErrInvalidInput, field, format, args...)
}

// Constraint names mapped to clear errors.
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

// E164Pattern is what the store accepts as a number: E.164, '+' and up to 15 digits.
var E164Pattern = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// NumberTypes are the number types the inventory knows.
var NumberTypes = []string{"did", "toll_free", "local", "itfs", "uifn", "mobile"}

// InTx runs fn in a transaction, committing when it returns nil.
func InTx(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
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

// UniqueViolation returns the violated constraint's name when err is a unique violation.
func UniqueViolation(err error) (constraint string, ok bool) {
	if e := pq.As(err, "23505"); e != nil {
		return e.Constraint, true
	}
	return "", false
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// StepKey is an idempotency key: workflow ID, step and attempt-independent parts, joined with '/'.
func StepKey(workflowID, step string, parts ...string) string {
	return strings.Join(append([]string{workflowID, step}, parts...), "/")
}

// RoundKey adds a round to an idempotency key from the second round on.
func RoundKey(key string, round int) string {
	if round <= 1 {
		return key
	}
	return fmt.Sprintf("%s/%d", key, round)
}

// E164List is the numbers' E.164 strings, in order.
func E164List(numbers []porting.PortNumber) []string {
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

// IndexOf is the position of e164 in numbers (for field names), -1 when absent.
func IndexOf(numbers []string, e164 string) int {
	for i, n := range numbers {
		if n == e164 {
			return i
		}
	}
	return -1
}

func numberField(numbers []string, e164 string) string {
	if i := IndexOf(numbers, e164); i >= 0 {
		return fmt.Sprintf("numbers[%d].e164", i)
	}
	return "numbers"
}
