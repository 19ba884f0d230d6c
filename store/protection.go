package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"golang.org/x/crypto/bcrypt"

	"github.com/contactcenter/numberporting/porting"
)

// Port-out protection (DESIGN §8): an instance's port-out passcode, kept only as a bcrypt hash, and
// number locks that refuse port-outs.

// PasscodeHashCost is the bcrypt cost of port-out passcode hashes (2^10 rounds of its key schedule:
// tens of milliseconds a hash or a check).
const PasscodeHashCost = bcrypt.DefaultCost

// FieldPortOutPasscode names the passcode in messages (the CLI's --port-out-passcode).
const FieldPortOutPasscode = "port_out_passcode"

// Passcode is a port-out passcode in clear on its way to its hash. It prints (fmt's %v, %+v, %s,
// %#v) and logs (slog) as [REDACTED] and is never marshalled to JSON, so that an Instance printed or
// logged by mistake does not show it.
type Passcode string

const redacted = "[REDACTED]"

func (p Passcode) String() string {
	if p == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v from printing the passcode.
func (p Passcode) GoString() string { return strconv.Quote(p.String()) }

// LogValue keeps slog from printing the passcode.
func (p Passcode) LogValue() slog.Value { return slog.StringValue(p.String()) }

// MarshalJSON keeps encoding/json from writing the passcode.
func (p Passcode) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(p.String())), nil }

// InstanceAuditID is the audit log's workflow_id of an instance's own events (its port-out passcode
// set or cleared): AuditLog(ctx, db, InstanceAuditID(arn)) lists them.
func InstanceAuditID(arn string) string { return "instance:" + arn }

// NumberAuditID is the audit log's workflow_id of a number's locks and unlocks.
func NumberAuditID(e164 string) string { return "number:" + e164 }

// eventKey is an audit idempotency key for an event that is not a workflow's step (setting a
// passcode, locking a number): unique by the transaction that writes it.
func eventKey(ctx context.Context, tx *sqlx.Tx, auditID, event string) (string, error) {
	var txid int64
	if err := tx.GetContext(ctx, &txid, `SELECT txid_current()`); err != nil {
		return "", err
	}
	return StepKey(auditID, event, strconv.FormatInt(txid, 10)), nil
}

// checkPasscode validates a passcode to set (an InventoryError naming port_out_passcode; the message
// never repeats the passcode).
func checkPasscode(p Passcode) error {
	if p == "" {
		return invErr(InventoryInvalid, FieldPortOutPasscode, "is required (%d to %d characters); to remove an instance's passcode, clear it",
			porting.MinPasscodeLength, porting.MaxPasscodeLength)
	}
	err := porting.ValidatePasscode(FieldPortOutPasscode, string(p))
	var v *porting.ValidationError
	if errors.As(err, &v) && len(v.Problems) > 0 {
		return invErr(InventoryInvalid, FieldPortOutPasscode, "%s", v.Problems[0].Rule)
	}
	return err
}

// newPasscodeHash is the hash to store for passcode on an instance whose stored hash is current
// (nil: none): nil when current is already this passcode's (nothing to change), else a new bcrypt
// hash with its own salt.
func newPasscodeHash(current *string, passcode Passcode) (*string, error) {
	if current != nil && bcrypt.CompareHashAndPassword([]byte(*current), []byte(passcode)) == nil {
		return nil, nil
	}
	h, err := bcrypt.GenerateFromPassword([]byte(passcode), PasscodeHashCost)
	if err != nil {
		// bcrypt's errors never hold the password; say nothing of it either way.
		return nil, fmt.Errorf("%s: cannot be hashed: %w", FieldPortOutPasscode, err)
	}
	s := string(h)
	return &s, nil
}

// storedPasscodeHash reads an instance's passcode hash (nil: no passcode); found is false when the
// instance does not exist.
func storedPasscodeHash(ctx context.Context, q sqlx.QueryerContext, arn string, forUpdate bool) (hash *string, found bool, err error) {
	query := `SELECT port_out_passcode_hash FROM instances WHERE arn = $1`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	err = sqlx.GetContext(ctx, q, &hash, query, arn)
	if isNoRows(err) {
		return nil, false, nil
	}
	return hash, err == nil, err
}

// checkInstanceARN: arn is given and well-formed (an InventoryError naming arn).
func checkInstanceARN(arn string) error {
	if strings.TrimSpace(arn) == "" {
		return invErr(InventoryInvalid, "arn", "is required")
	}
	if _, err := porting.ParseInstanceARN(arn); err != nil {
		return invErr(InventoryInvalid, "arn", "%v", err)
	}
	return nil
}

// SetPortOutPasscode sets an instance's port-out passcode (DESIGN §8): 4 to 10 characters
// (porting.ValidatePasscode), stored only as a bcrypt hash (salted per hash: two instances with the
// same passcode store different hashes). With a passcode, a winning carrier's request must carry it
// (VerifyOwnership). Idempotent: setting the passcode the instance already has changes nothing.
// Each change is audited (port_out_passcode_set, under InstanceAuditID) without the passcode.
// An empty passcode is bad input, not a removal (a removal is ClearPortOutPasscode: an empty
// variable in a script must not take an instance's protection away). Errors are InventoryErrors:
// invalid (port_out_passcode, arn) or not_found (arn); no message repeats the passcode.
func SetPortOutPasscode(ctx context.Context, db *sqlx.DB, arn, passcode string) error {
	if err := checkInstanceARN(arn); err != nil {
		return err
	}
	if err := checkPasscode(Passcode(passcode)); err != nil {
		return err
	}
	// Hashed outside the transaction (bcrypt is slow on purpose): no row lock is held meanwhile.
	current, found, err := storedPasscodeHash(ctx, db, arn, false)
	if err != nil {
		return err
	}
	if !found {
		return instanceNotFound(arn)
	}
	hash, err := newPasscodeHash(current, Passcode(passcode))
	if err != nil || hash == nil {
		return err
	}
	return InTx(ctx, db, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE instances SET port_out_passcode_hash = $2 WHERE arn = $1`, arn, *hash)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = instanceNotFound(arn)
			}
			return err
		}
		return auditPasscodeSet(ctx, tx, arn)
	})
}

func instanceNotFound(arn string) error {
	return invErr(InventoryNotFound, "arn", "instance %s does not exist (register it with `starter instance add`)", arn)
}

func auditPasscodeSet(ctx context.Context, tx *sqlx.Tx, arn string) error {
	key, err := eventKey(ctx, tx, InstanceAuditID(arn), "port-out-passcode-set")
	if err != nil {
		return err
	}
	return Audit(ctx, tx, key, InstanceAuditID(arn), "port_out_passcode_set", map[string]any{"instance_arn": arn})
}

// ClearPortOutPasscode removes an instance's port-out passcode: winning carriers' requests are then
// verified on the ownership records alone. It reports whether there was one to remove (idempotent:
// clearing an instance without a passcode changes nothing). The removal is audited
// (port_out_passcode_cleared). An unknown instance is an InventoryError not_found.
func ClearPortOutPasscode(ctx context.Context, db *sqlx.DB, arn string) (removed bool, err error) {
	if err := checkInstanceARN(arn); err != nil {
		return false, err
	}
	err = InTx(ctx, db, func(tx *sqlx.Tx) error {
		current, found, err := storedPasscodeHash(ctx, tx, arn, true)
		switch {
		case err != nil:
			return err
		case !found:
			return instanceNotFound(arn)
		case current == nil:
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE instances SET port_out_passcode_hash = NULL WHERE arn = $1`, arn); err != nil {
			return err
		}
		removed = true
		key, err := eventKey(ctx, tx, InstanceAuditID(arn), "port-out-passcode-cleared")
		if err != nil {
			return err
		}
		return Audit(ctx, tx, key, InstanceAuditID(arn), "port_out_passcode_cleared", map[string]any{"instance_arn": arn})
	})
	return removed, err
}

// Outcomes of a port-out passcode check (audit action port_out_passcode_checked).
const (
	PasscodeRight   = "right"
	PasscodeWrong   = "wrong"
	PasscodeMissing = "missing"
)

// checkClaimPasscode compares a winning carrier's passcode with an instance's hash: right, wrong or
// missing (nothing given; white space around it is not part of it, as no passcode set has any).
func checkClaimPasscode(hash string, claimed string) string {
	claimed = strings.TrimSpace(claimed)
	switch {
	case claimed == "":
		return PasscodeMissing
	case bcrypt.CompareHashAndPassword([]byte(hash), []byte(claimed)) == nil:
		return PasscodeRight
	}
	return PasscodeWrong
}

// NumberLock is a number locked against port-out: who locked it, why and when.
type NumberLock struct {
	E164     string    `db:"e164" json:"e164"`
	LockedBy string    `db:"locked_by" json:"locked_by"`
	Reason   string    `db:"reason" json:"reason,omitempty"`
	LockedAt time.Time `db:"locked_at" json:"locked_at"`
}

// LockOutcome is what LockNumber did.
type LockOutcome struct {
	// Lock is the lock in force: this call's, or the one the number already had.
	Lock NumberLock
	// Created: this call locked the number (false: it was locked already and keeps that lock).
	Created bool
	// ActivePortOut is the workflow ID of a port-out recorded for the number before the lock, if any:
	// a lock refuses new port-outs; one already under way goes on unless cancelled.
	ActivePortOut string
}

// LockNumber locks a number against port-out (DESIGN §8 "starter number lock"): RecordPortOut then
// refuses any port-out naming it (ErrNumberLocked) until UnlockNumber. by (who locks it) is
// required; reason is optional. Any E.164 number may be locked, held by an instance or not.
// Idempotent: a number already locked keeps its lock (who, why and when) and nothing is written. A
// new lock is audited (number_locked, under NumberAuditID). Bad input is an InventoryError (invalid)
// naming e164 or by.
func LockNumber(ctx context.Context, db *sqlx.DB, e164, by, reason string) (LockOutcome, error) {
	by, reason = porting.NormalizeText(by), porting.NormalizeText(reason)
	if err := checkLockInput(e164, by); err != nil {
		return LockOutcome{}, err
	}
	var out LockOutcome
	err := InTx(ctx, db, func(tx *sqlx.Tx) error {
		// The number's inventory row, locked as RecordPortOut locks it: a port-out recorded at the same
		// time either committed before (and is named below) or sees this lock.
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM phone_numbers WHERE e164 = $1 AND state <> 'released' FOR UPDATE`, e164); err != nil {
			return err
		}
		err := tx.GetContext(ctx, &out.Lock, `
			INSERT INTO number_locks (e164, locked_by, reason) VALUES ($1, $2, $3)
			ON CONFLICT (e164) DO NOTHING
			RETURNING e164, locked_by, reason, locked_at`, e164, by, reason)
		switch {
		case isNoRows(err):
			// Already locked: that lock stands.
			if err := tx.GetContext(ctx, &out.Lock, `SELECT e164, locked_by, reason, locked_at FROM number_locks WHERE e164 = $1`, e164); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			out.Created = true
			key, err := eventKey(ctx, tx, NumberAuditID(e164), "lock")
			if err != nil {
				return err
			}
			if err := Audit(ctx, tx, key, NumberAuditID(e164), "number_locked", map[string]any{
				"e164": e164, "by": by, "reason": reason,
			}); err != nil {
				return err
			}
		}
		err = tx.GetContext(ctx, &out.ActivePortOut, `
			SELECT n.workflow_id FROM port_request_numbers n JOIN port_requests r USING (workflow_id)
			WHERE n.e164 = $1 AND n.active AND r.kind = $2`, e164, porting.KindPortOut)
		if isNoRows(err) {
			return nil
		}
		return err
	})
	if err != nil {
		return LockOutcome{}, err
	}
	out.Lock.LockedAt = out.Lock.LockedAt.UTC()
	return out, nil
}

// UnlockNumber removes a number's lock; by (who unlocks it) is required. It returns the lock it
// removed and whether there was one (idempotent: unlocking a number that is not locked changes
// nothing). The removal is audited (number_unlocked: who unlocked it, and the lock removed).
func UnlockNumber(ctx context.Context, db *sqlx.DB, e164, by string) (removed NumberLock, unlocked bool, err error) {
	by = porting.NormalizeText(by)
	if err := checkLockInput(e164, by); err != nil {
		return NumberLock{}, false, err
	}
	err = InTx(ctx, db, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &removed, `
			DELETE FROM number_locks WHERE e164 = $1 RETURNING e164, locked_by, reason, locked_at`, e164)
		if isNoRows(err) {
			return nil
		}
		if err != nil {
			return err
		}
		unlocked = true
		key, err := eventKey(ctx, tx, NumberAuditID(e164), "unlock")
		if err != nil {
			return err
		}
		return Audit(ctx, tx, key, NumberAuditID(e164), "number_unlocked", map[string]any{
			"e164": e164, "by": by, "locked_by": removed.LockedBy, "reason": removed.Reason, "locked_at": removed.LockedAt,
		})
	})
	if err != nil {
		return NumberLock{}, false, err
	}
	removed.LockedAt = removed.LockedAt.UTC()
	return removed, unlocked, nil
}

func checkLockInput(e164, by string) error {
	switch {
	case !E164Pattern.MatchString(e164):
		return invErr(InventoryInvalid, "e164", "must be an E.164 number like +14155550100, got %q", e164)
	case by == "":
		return invErr(InventoryInvalid, "by", "is required: who locks or unlocks the number")
	}
	return nil
}

// checkNotLocked: no number of a port-out is locked (the first one locked, in request order, is
// named with who locked it, when and why).
func checkNotLocked(ctx context.Context, q sqlx.QueryerContext, numbers []string) error {
	var locks []NumberLock
	if err := sqlx.SelectContext(ctx, q, &locks, `
		SELECT e164, locked_by, reason, locked_at FROM number_locks WHERE e164 = ANY($1)`, pq.Array(numbers)); err != nil {
		return err
	}
	if len(locks) == 0 {
		return nil
	}
	first := 0
	for i, l := range locks {
		if IndexOf(numbers, l.E164) < IndexOf(numbers, locks[first].E164) {
			first = i
		}
	}
	l := locks[first]
	why := ""
	if l.Reason != "" {
		why = ": " + l.Reason
	}
	return refuse(ErrNumberLocked, portOutField(numbers, l.E164),
		"%s is locked against port-out by %s since %s%s; it cannot be ported out until it is unlocked (starter number unlock)",
		l.E164, l.LockedBy, l.LockedAt.UTC().Format(time.RFC3339), why)
}
