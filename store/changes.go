package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/contactcenter/numberporting/porting"
)

// Number-level changes of a port (DESIGN §8): supplemental changes sent to the carrier, and numbers
// leaving a group — split off into a group of their own by a per-number rejection, or removed from
// the port by the customer.

// Supplemental changes (the Change of a supp).
const (
	SuppPortDate      = "port_date"
	SuppRemoveNumbers = "remove_numbers"
)

// CarrierSupp is a supplemental change of a group's port request for the carrier (the fields of
// activities.SuppInput, in its order).
type CarrierSupp struct {
	WorkflowID string
	Group      string
	Carrier    string
	// Round counts the group's supps (1, 2, …); each is an outbox row of its own.
	Round  int
	Change string // SuppPortDate or SuppRemoveNumbers
	// Numbers are the group's numbers as the request stands after the change; none given: the
	// group's active numbers without Removed.
	Numbers  []string
	PortDate *time.Time // SuppPortDate: the date asked for
	Removed  []string   // SuppRemoveNumbers: the numbers dropped
	By       string
	Reason   string
}

// SuppKey is the carrier outbox's idempotency key of a group's supp round.
func SuppKey(workflowID, group string, round int) string {
	return StepKey(workflowID, group, "supp", strconv.Itoa(round))
}

// SubmitSupp puts a supplemental change of the group's port request in the carrier outbox (kind
// supp, keyed by SuppKey) with an audit row (supp_submitted), and returns the submission's ID, the
// same on every rerun. The payload names the group's latest LOA version, the one the carrier holds.
// A supp changes nothing else: the port date stands until the carrier answers, and removed numbers
// leave the group through DetachNumbers. A removal that leaves the group no number is still sent
// (Numbers empty): the carrier is told, and the caller decides whether the group is cancelled.
func SubmitSupp(ctx context.Context, db *sqlx.DB, in CarrierSupp) (int64, error) {
	switch {
	case in.Round < 1:
		return 0, invalidInput("round", "must be 1 or more, got %d", in.Round)
	case in.Change == SuppPortDate && in.PortDate == nil:
		return 0, invalidInput("port_date", "is required for a %s supp", SuppPortDate)
	case in.Change == SuppRemoveNumbers && len(in.Removed) == 0:
		return 0, invalidInput("removed", "at least one number is required for a %s supp", SuppRemoveNumbers)
	case in.Change != SuppPortDate && in.Change != SuppRemoveNumbers:
		return 0, invalidInput("change", "must be %q or %q, got %q", SuppPortDate, SuppRemoveNumbers, in.Change)
	}
	for i, n := range in.Removed {
		if !E164Pattern.MatchString(n) {
			return 0, invalidInput(fmt.Sprintf("removed[%d]", i), "must be an E.164 number like +14155550100, got %q", n)
		}
	}
	key := SuppKey(in.WorkflowID, in.Group, in.Round)
	var submissionID int64
	err := InTx(ctx, db, func(tx *sqlx.Tx) error {
		numbers, err := suppNumbers(ctx, tx, in)
		if err != nil {
			return err
		}
		var version *int // the LOA version the carrier has
		if err := tx.GetContext(ctx, &version, `
			SELECT max(version) FROM loa_versions WHERE workflow_id = $1 AND "group" = $2`, in.WorkflowID, in.Group); err != nil {
			return err
		}
		payload := SubmissionPayload{
			WorkflowID: in.WorkflowID, Group: in.Group, Kind: SubmissionSupp, Carrier: in.Carrier,
			Numbers: numbers, Reason: in.Reason, Change: in.Change, Removed: in.Removed, By: in.By,
		}
		if in.PortDate != nil {
			d := in.PortDate.UTC()
			payload.PortDate = &d
		}
		if version != nil {
			payload.LOAVersion = *version
		}
		id, err := insertSubmission(ctx, tx, key, payload)
		if err != nil {
			return err
		}
		submissionID = id
		detail := map[string]any{
			"group": in.Group, "carrier": in.Carrier, "round": in.Round, "change": in.Change, "submission_id": id,
			"numbers": numbers, "by": in.By, "reason": in.Reason,
		}
		if payload.PortDate != nil {
			detail["port_date"] = payload.PortDate
		}
		if len(in.Removed) > 0 {
			detail["removed"] = in.Removed
		}
		return Audit(ctx, tx, StepKey(in.WorkflowID, "supp", in.Group, strconv.Itoa(in.Round)), in.WorkflowID, "supp_submitted", detail)
	})
	if err != nil {
		return 0, err
	}
	return submissionID, nil
}

// suppNumbers is the group's numbers after the change: as given, or else its active numbers without
// the removed ones (whether or not DetachNumbers already took them out).
func suppNumbers(ctx context.Context, tx *sqlx.Tx, in CarrierSupp) ([]string, error) {
	if len(in.Numbers) > 0 {
		return groupNumbers(ctx, tx, in.WorkflowID, in.Group, in.Numbers)
	}
	var active []string
	if err := tx.SelectContext(ctx, &active, `
		SELECT e164 FROM port_request_numbers WHERE workflow_id = $1 AND "group" = $2 AND active ORDER BY e164`,
		in.WorkflowID, in.Group); err != nil {
		return nil, err
	}
	numbers := []string{} // an empty array, not NULL, when a removal leaves nothing
	for _, n := range active {
		if !slices.Contains(in.Removed, n) {
			numbers = append(numbers, n)
		}
	}
	if len(numbers) == 0 && in.Change != SuppRemoveNumbers {
		return nil, invalidInput("numbers", "none given and port %s has no active number in group %q", in.WorkflowID, in.Group)
	}
	return numbers, nil
}

// Detach takes numbers out of a port's group (the fields of activities.DetachInput, in its order):
// to the split group To, or, with To empty, out of the port.
type Detach struct {
	WorkflowID  string
	Group       string
	InstanceARN string
	Numbers     []porting.PortNumber
	To          string
	Reason      string
}

// detachRecord is the audit detail of a detach; its released count and limit are what a rerun returns.
type detachRecord struct {
	Group            string         `json:"group"`
	To               string         `json:"to,omitempty"`
	InstanceARN      string         `json:"instance_arn,omitempty"`
	Numbers          []string       `json:"numbers"`
	Groups           map[string]int `json:"groups"` // how many numbers left each group
	Released         int            `json:"released"`
	LimitDecrease    int            `json:"limit_decrease"`
	PhoneNumberLimit int            `json:"phone_number_limit"`
	Reason           string         `json:"reason"`
}

// DetachNumbers takes numbers out of a port's group in one transaction:
//
//  1. the numbers still active in the group leave it — k of them (a rerun finds none);
//  2. those this port put on the instance (phone_numbers.port_request) are released; a port-out's
//     numbers were on the instance before it, so a port-out releases nothing here;
//  3. the group's phone-number limit increase (limit_increases of workflow and group), if it has one,
//     shrinks by k, and the instance's limit by as much (never below 0); the row goes when nothing
//     of it is left, as ReleaseNumbers would have removed it whole;
//  4. the rows follow: with To (a split), they move to group To in state loa_rejected with the
//     reason — the split group provisions later under its own name, with its own increase; without
//     To, they leave the port (inactive, state cancelled, with the reason), unlocked for other ports;
//  5. an audit row (numbers_split or numbers_removed) keyed by the groups and the numbers, so that
//     a rerun adds none.
//
// Because only the rows still in the group count, a rerun changes nothing; it returns the first
// run's released count and limit (from the audit row). For a removal (To empty) Group may be empty:
// each number then leaves whichever group of the port holds it, and each such group's increase
// shrinks by its own count. (A port-out's numbers are in one group, named after its winning
// carrier; a caller that does not know it passes none.) Every number must be one of the port's, and
// an active one must be in Group (or, for a split, already in To).
// It returns how many numbers were released from the instance and the instance's phone-number limit
// afterwards (0 without InstanceARN).
func DetachNumbers(ctx context.Context, db *sqlx.DB, d Detach) (released, limit int, err error) {
	numbers := E164List(d.Numbers)
	switch {
	case d.WorkflowID == "":
		return 0, 0, invalidInput("workflow_id", "is required")
	case len(numbers) == 0:
		return 0, 0, invalidInput("numbers", "at least one number is required")
	case d.To != "" && d.Group == "":
		return 0, 0, invalidInput("group", "is required for a split (to %q)", d.To)
	case d.To != "" && (d.To == d.Group || porting.BaseGroupName(d.To) != porting.BaseGroupName(d.Group)):
		return 0, 0, invalidInput("to", "must be a split group of %q (like %q), got %q",
			d.Group, porting.SplitGroupName(d.Group, 2), d.To)
	}
	for i, n := range numbers {
		if !E164Pattern.MatchString(n) {
			return 0, 0, invalidInput(fmt.Sprintf("numbers[%d].e164", i), "must be an E.164 number like +14155550100, got %q", n)
		}
	}
	action, key := "numbers_removed", StepKey(d.WorkflowID, "remove-numbers", d.Group, numbersDigest(numbers))
	if d.To != "" {
		action, key = "numbers_split", StepKey(d.WorkflowID, "split", d.Group, d.To, numbersDigest(numbers))
	}

	var rec detachRecord
	err = InTx(ctx, db, func(tx *sqlx.Tx) error {
		if d.InstanceARN != "" {
			// The instance row lock serializes this with claims and provisioning on the instance, as
			// PrepareProvisioning does, so the limit stays consistent with what is held.
			var locked int
			err := tx.GetContext(ctx, &locked, `SELECT phone_number_limit FROM instances WHERE arn = $1 FOR UPDATE`, d.InstanceARN)
			if isNoRows(err) {
				return refuse(ErrInstanceNotFound, "instance_arn", "instance %s does not exist", d.InstanceARN)
			}
			if err != nil {
				return err
			}
		}
		leaving, groups, err := leavingNumbers(ctx, tx, d, numbers)
		if err != nil {
			return err
		}
		rec = detachRecord{Group: d.Group, To: d.To, InstanceARN: d.InstanceARN, Numbers: numbers, Groups: groups, Reason: d.Reason}

		// Only the numbers leaving now are released: after a split, the split group may have put the
		// same numbers on the instance again, and a rerun must not take them off.
		var releasedNumbers []string
		if err := tx.SelectContext(ctx, &releasedNumbers, `
			UPDATE phone_numbers SET state = 'released', contact_flow = NULL, updated_at = now()
			WHERE port_request = $1 AND e164 = ANY($2) AND state <> 'released' AND ($3 = '' OR instance_arn = $3)
			RETURNING e164`, d.WorkflowID, pq.Array(leaving), d.InstanceARN); err != nil {
			return err
		}
		rec.Released = len(releasedNumbers)

		for _, g := range sortedKeys(groups) {
			dec, err := shrinkLimitIncrease(ctx, tx, d.WorkflowID, g, groups[g])
			if err != nil {
				return err
			}
			rec.LimitDecrease += dec
		}

		if d.To != "" {
			_, err = tx.ExecContext(ctx, `
				UPDATE port_request_numbers SET "group" = $3, state = $4, reason = $5, updated_at = now()
				WHERE workflow_id = $1 AND e164 = ANY($2)`,
				d.WorkflowID, pq.Array(leaving), d.To, porting.StateLOARejected, d.Reason)
		} else {
			_, err = tx.ExecContext(ctx, `
				UPDATE port_request_numbers SET active = false, state = $3, reason = $4, updated_at = now()
				WHERE workflow_id = $1 AND e164 = ANY($2)`,
				d.WorkflowID, pq.Array(leaving), porting.StateCancelled, d.Reason)
		}
		if err != nil {
			return err
		}

		if d.InstanceARN != "" {
			if err := tx.GetContext(ctx, &rec.PhoneNumberLimit, `SELECT phone_number_limit FROM instances WHERE arn = $1`, d.InstanceARN); err != nil {
				return err
			}
		}
		// A rerun adds no row and reads back the first run's outcome.
		if err := Audit(ctx, tx, key, d.WorkflowID, action, rec); err != nil {
			return err
		}
		rec = detachRecord{}
		_, err = recordedDetail(ctx, tx, key, &rec)
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	return rec.Released, rec.PhoneNumberLimit, nil
}

// leavingNumbers locks the numbers' rows of the port and returns those that leave now (active in
// the group, or in any group when d.Group is empty), in the order given, with how many leave each
// group. A number that is not the port's, or that is active in another group, is refused.
func leavingNumbers(ctx context.Context, tx *sqlx.Tx, d Detach, numbers []string) ([]string, map[string]int, error) {
	var rows []struct {
		E164   string `db:"e164"`
		Group  string `db:"group"`
		Active bool   `db:"active"`
	}
	if err := tx.SelectContext(ctx, &rows, `
		SELECT e164, "group", active FROM port_request_numbers
		WHERE workflow_id = $1 AND e164 = ANY($2) ORDER BY e164 FOR UPDATE`, d.WorkflowID, pq.Array(numbers)); err != nil {
		return nil, nil, err
	}
	byNumber := make(map[string]int, len(rows))
	for i, r := range rows {
		byNumber[r.E164] = i
	}
	leaving := []string{}
	groups := map[string]int{}
	seen := make(map[string]bool, len(numbers))
	for i, n := range numbers {
		field := fmt.Sprintf("numbers[%d].e164", i)
		j, ok := byNumber[n]
		if !ok {
			return nil, nil, invalidInput(field, "%s is not a number of port %s", n, d.WorkflowID)
		}
		r := rows[j]
		switch {
		case seen[n] || !r.Active:
			// Listed twice, or already out of the port (removed before, not portable, the port ended).
		case d.Group == "" || r.Group == d.Group:
			leaving = append(leaving, n)
			groups[r.Group]++
		case d.To != "" && r.Group == d.To:
			// Split already: a rerun.
		default:
			return nil, nil, invalidInput(field, "%s is in group %q of port %s, not in %q", n, r.Group, d.WorkflowID, d.Group)
		}
		seen[n] = true
	}
	return leaving, groups, nil
}

// shrinkLimitIncrease lowers the (workflow, group) limit increase, if there is one, by up to k, and
// the instance's phone-number limit by as much (never below 0); the increase is deleted when nothing
// of it is left. It returns by how much the limit went down.
func shrinkLimitIncrease(ctx context.Context, tx *sqlx.Tx, workflowID, group string, k int) (int, error) {
	var inc struct {
		InstanceARN string `db:"instance_arn"`
		Amount      int    `db:"amount"`
	}
	err := tx.GetContext(ctx, &inc, `
		SELECT instance_arn, amount FROM limit_increases WHERE workflow_id = $1 AND "group" = $2 FOR UPDATE`, workflowID, group)
	if isNoRows(err) {
		return 0, nil // not provisioned (yet): nothing was raised
	}
	if err != nil {
		return 0, err
	}
	dec := min(k, inc.Amount)
	if dec == inc.Amount {
		_, err = tx.ExecContext(ctx, `DELETE FROM limit_increases WHERE workflow_id = $1 AND "group" = $2`, workflowID, group)
	} else {
		_, err = tx.ExecContext(ctx, `
			UPDATE limit_increases SET amount = amount - $3 WHERE workflow_id = $1 AND "group" = $2`, workflowID, group, dec)
	}
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE instances SET phone_number_limit = greatest(phone_number_limit - $2, 0) WHERE arn = $1`,
		inc.InstanceARN, dec); err != nil {
		return 0, err
	}
	return dec, nil
}

// numbersDigest names a set of numbers in an idempotency key (a removal may list thousands): hex of
// the first 12 bytes of SHA-256 over the sorted, distinct numbers.
func numbersDigest(numbers []string) string {
	sorted := slices.Clone(numbers)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	sum := sha256.Sum256([]byte(strings.Join(sorted, ",")))
	return hex.EncodeToString(sum[:12])
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
