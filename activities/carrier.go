package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/contactcenter/numberporting/porting"
)

// Kinds of carrier submissions (the carrier outbox).
const (
	SubmissionPortRequest = "port_request"
	SubmissionCancel      = "cancel"
)

// HashPIN is how an LOA's PIN is kept (loa_versions.pin_hash): hex SHA-256 of the salt
// (Activities.PINSalt), the LOA's identity (workflow, group, version) and the PIN, so equal PINs of
// different LOAs do not hash alike even without a salt. The PIN itself is never stored.
// (A plain function: every exported method of Activities is registered as an activity.)
func HashPIN(salt []byte, workflowID, group string, version int, pin string) string {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte{0})
	h.Write([]byte(workflowID + "\x00" + group + "\x00" + strconv.Itoa(version)))
	h.Write([]byte{0})
	h.Write([]byte(pin))
	return hex.EncodeToString(h.Sum(nil))
}

// MaskAccountNumber keeps at most the last 4 characters of a carrier account number, and never
// more than half of it, so that the stored part never reveals the whole number.
func MaskAccountNumber(account string) string {
	r := []rune(account)
	keep := min(4, len(r)/2)
	return string(r[len(r)-keep:])
}

// loaPayload is an LOA as handed to the carrier connector: no PIN, no full account number.
type loaPayload struct {
	AuthorizedName         string    `json:"authorized_name"`
	Company                string    `json:"company,omitempty"`
	Address                string    `json:"address"`
	AccountNumberLast4     string    `json:"account_number_last4,omitempty"`
	PINProvided            bool      `json:"pin_provided"`
	BillingTelephoneNumber string    `json:"billing_telephone_number,omitempty"`
	SignedAt               time.Time `json:"signed_at"`
	DocumentRef            string    `json:"document_ref"`
}

// SubmissionPayload is the payload of a carrier submission (the outbox row's payload column).
type SubmissionPayload struct {
	WorkflowID string      `json:"workflow_id"`
	Group      string      `json:"group"`
	Kind       string      `json:"kind"`
	Carrier    string      `json:"carrier"`
	NumberType string      `json:"number_type,omitempty"`
	Numbers    []string    `json:"numbers"`
	LOAVersion int         `json:"loa_version,omitempty"`
	LOA        *loaPayload `json:"loa,omitempty"`
	Reason     string      `json:"reason,omitempty"`
}

// SubmitLOA records one LOA version of a group (PIN hashed, account number reduced to its last
// digits: neither is stored in clear) and, in the same transaction, puts the port request for the
// carrier in the carrier outbox, keyed by workflow/group/version. The group's numbers then await the
// carrier. It returns the submission's ID, the same on every rerun.
func (a *Activities) SubmitLOA(ctx context.Context, in SubmitLOAInput) (SubmissionReceipt, error) {
	switch {
	case in.WorkflowID == "":
		return SubmissionReceipt{}, invalidInput("workflow_id", "is required")
	case in.Group == "":
		return SubmissionReceipt{}, invalidInput("group", "is required")
	case in.Carrier == "":
		return SubmissionReceipt{}, invalidInput("carrier", "is required")
	case in.Version < 1:
		return SubmissionReceipt{}, invalidInput("version", "must be 1 or more, got %d", in.Version)
	}
	if err := porting.ValidateSubmitLOA(porting.SubmitLOA{Group: in.Group, LOA: in.LOA}); err != nil {
		return SubmissionReceipt{}, invalidInput("", "%v", err)
	}
	version := strconv.Itoa(in.Version)
	key := stepKey(in.WorkflowID, in.Group, version) // workflow/group/version
	l := in.LOA
	var pinHash *string
	if l.PIN != "" {
		h := HashPIN(a.PINSalt, in.WorkflowID, in.Group, in.Version, l.PIN)
		pinHash = &h
	}
	last4 := MaskAccountNumber(l.AccountNumber)

	var receipt SubmissionReceipt
	err := inTx(ctx, a.DB, func(tx *sqlx.Tx) error {
		numbers, err := groupNumbers(ctx, tx, in.WorkflowID, in.Group, in.Numbers)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO loa_versions (workflow_id, "group", version, authorized_name, company, address,
				account_number_last4, pin_hash, billing_telephone_number, signed_at, document_ref)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (workflow_id, "group", version) DO NOTHING`,
			in.WorkflowID, in.Group, in.Version, l.AuthorizedName, l.Company, l.Address,
			last4, pinHash, l.BillingTelephoneNumber, l.SignedAt, l.DocumentRef); err != nil {
			return err
		}
		payload := SubmissionPayload{
			WorkflowID: in.WorkflowID, Group: in.Group, Kind: SubmissionPortRequest, Carrier: in.Carrier,
			NumberType: in.NumberType, Numbers: numbers, LOAVersion: in.Version,
			LOA: &loaPayload{
				AuthorizedName: l.AuthorizedName, Company: l.Company, Address: l.Address,
				AccountNumberLast4: last4, PINProvided: l.PIN != "",
				BillingTelephoneNumber: l.BillingTelephoneNumber, SignedAt: l.SignedAt.UTC(), DocumentRef: l.DocumentRef,
			},
		}
		id, err := insertSubmission(ctx, tx, key, payload)
		if err != nil {
			return err
		}
		receipt.SubmissionID = id
		if _, err := tx.ExecContext(ctx, `
			UPDATE port_request_numbers SET state = $4, updated_at = now()
			WHERE workflow_id = $1 AND "group" = $2 AND e164 = ANY($3) AND active AND state <> $4`,
			in.WorkflowID, in.Group, pq.Array(numbers), porting.StateAwaitingCarrier); err != nil {
			return err
		}
		return audit(ctx, tx, stepKey(in.WorkflowID, "loa", in.Group, version), in.WorkflowID, "loa_submitted", map[string]any{
			"group": in.Group, "version": in.Version, "carrier": in.Carrier, "submission_id": id, "numbers": numbers,
			"document_ref": l.DocumentRef,
		})
	})
	if err != nil {
		return SubmissionReceipt{}, err
	}
	return receipt, nil
}

// SubmitCarrierCancel puts a cancellation of the group's port request in the carrier outbox, keyed
// by workflow/group/cancel. It returns the submission's ID, the same on every rerun.
func (a *Activities) SubmitCarrierCancel(ctx context.Context, in CarrierCancelInput) (SubmissionReceipt, error) {
	switch {
	case in.WorkflowID == "":
		return SubmissionReceipt{}, invalidInput("workflow_id", "is required")
	case in.Group == "":
		return SubmissionReceipt{}, invalidInput("group", "is required")
	case in.Carrier == "":
		return SubmissionReceipt{}, invalidInput("carrier", "is required")
	}
	key := CarrierCancelKey(in.WorkflowID, in.Group, in.Round)
	var receipt SubmissionReceipt
	err := inTx(ctx, a.DB, func(tx *sqlx.Tx) error {
		numbers, err := groupNumbers(ctx, tx, in.WorkflowID, in.Group, in.Numbers)
		if err != nil {
			return err
		}
		var version *int // the LOA version the carrier has, when there is one
		if err := tx.GetContext(ctx, &version, `
			SELECT max(version) FROM loa_versions WHERE workflow_id = $1 AND "group" = $2`, in.WorkflowID, in.Group); err != nil {
			return err
		}
		payload := SubmissionPayload{
			WorkflowID: in.WorkflowID, Group: in.Group, Kind: SubmissionCancel, Carrier: in.Carrier,
			Numbers: numbers, Reason: in.Reason,
		}
		if version != nil {
			payload.LOAVersion = *version
		}
		id, err := insertSubmission(ctx, tx, key, payload)
		if err != nil {
			return err
		}
		receipt.SubmissionID = id
		return audit(ctx, tx, roundKey(stepKey(in.WorkflowID, "carrier-cancel", in.Group), in.Round), in.WorkflowID, "carrier_cancel_submitted", map[string]any{
			"group": in.Group, "carrier": in.Carrier, "submission_id": id, "numbers": numbers, "reason": in.Reason, "round": max(in.Round, 1),
		})
	})
	if err != nil {
		return SubmissionReceipt{}, err
	}
	return receipt, nil
}

// CarrierCancelKey is the carrier outbox's idempotency key of a group's cancellation round: the
// first round keeps the key "<workflow>/<group>/cancel" it always had; later rounds (after the carrier
// refused one) add "/<round>", so each is a row of its own.
func CarrierCancelKey(workflowID, group string, round int) string {
	return roundKey(stepKey(workflowID, group, "cancel"), round)
}

// roundKey adds a round to an idempotency key from the second round on.
func roundKey(key string, round int) string {
	if round <= 1 {
		return key
	}
	return key + "/" + strconv.Itoa(round)
}

// groupNumbers is given, or else the group's active numbers recorded for the port.
func groupNumbers(ctx context.Context, q sqlx.QueryerContext, workflowID, group string, given []string) ([]string, error) {
	if len(given) > 0 {
		for i, n := range given {
			if !e164Pattern.MatchString(n) {
				return nil, invalidInput("numbers["+strconv.Itoa(i)+"]", "must be an E.164 number like +14155550100, got %q", n)
			}
		}
		return given, nil
	}
	var numbers []string
	if err := sqlx.SelectContext(ctx, q, &numbers, `
		SELECT e164 FROM port_request_numbers WHERE workflow_id = $1 AND "group" = $2 AND active ORDER BY e164`,
		workflowID, group); err != nil {
		return nil, err
	}
	if len(numbers) == 0 {
		return nil, invalidInput("numbers", "none given and port %s has no active number in group %q", workflowID, group)
	}
	return numbers, nil
}

// insertSubmission adds a carrier outbox row once per idempotency key and returns its ID.
func insertSubmission(ctx context.Context, tx *sqlx.Tx, key string, p SubmissionPayload) (int64, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return 0, err
	}
	var loaVersion *int
	if p.LOAVersion > 0 {
		loaVersion = &p.LOAVersion
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO carrier_submissions (idempotency_key, workflow_id, "group", kind, carrier, numbers, loa_version, payload)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (idempotency_key) DO NOTHING`,
		key, p.WorkflowID, p.Group, p.Kind, p.Carrier, pq.Array(p.Numbers), loaVersion, body); err != nil {
		return 0, err
	}
	var id int64
	err = tx.GetContext(ctx, &id, `SELECT id FROM carrier_submissions WHERE idempotency_key = $1`, key)
	return id, err
}
