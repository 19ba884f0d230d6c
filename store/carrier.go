package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/nyaruka/phonenumbers"

	"github.com/contactcenter/numberporting/porting"
)

// Kinds of carrier submissions (the carrier outbox).
const (
	SubmissionPortRequest = "port_request"
	SubmissionCancel      = "cancel"
	// SubmissionSupp is a supplemental change of a submitted port request (SubmitSupp).
	SubmissionSupp = "supp"
)

// HashPIN is how an LOA's PIN is kept (loa_versions.pin_hash): hex SHA-256 of the salt
// (the worker's PIN salt), the LOA's identity (workflow, group, version) and the PIN, so equal PINs of
// different LOAs do not hash alike even without a salt. The PIN itself is never stored.
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
	// A supp's change (SuppPortDate or SuppRemoveNumbers) with the date asked for or the numbers
	// removed (Numbers are then the group's numbers as the request stands after the change), and who
	// asked for it.
	Change   string     `json:"change,omitempty"`
	PortDate *time.Time `json:"port_date,omitempty"`
	Removed  []string   `json:"removed,omitempty"`
	By       string     `json:"by,omitempty"`
}

// LOASubmission is one LOA version of a group for the carrier.
type LOASubmission struct {
	WorkflowID string
	Group      string
	Carrier    string
	NumberType string
	Numbers    []string
	Version    int
	LOA        porting.LOA
}

// SubmitLOA records one LOA version of a group (PIN hashed with salt, account number reduced to its
// last digits: neither is stored in clear) and, in the same transaction, puts the port request for the
// carrier in the carrier outbox, keyed by workflow/group/version. The group's numbers then await the
// carrier. It returns the submission's ID, the same on every rerun.
func SubmitLOA(ctx context.Context, db *sqlx.DB, salt []byte, in LOASubmission) (int64, error) {
	version := strconv.Itoa(in.Version)
	key := StepKey(in.WorkflowID, in.Group, version) // workflow/group/version
	l := in.LOA
	var pinHash *string
	if l.PIN != "" {
		h := HashPIN(salt, in.WorkflowID, in.Group, in.Version, l.PIN)
		pinHash = &h
	}
	last4 := MaskAccountNumber(l.AccountNumber)

	var submissionID int64
	err := InTx(ctx, db, func(tx *sqlx.Tx) error {
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
		submissionID = id
		if _, err := tx.ExecContext(ctx, `
			UPDATE port_request_numbers SET state = $4, updated_at = now()
			WHERE workflow_id = $1 AND "group" = $2 AND e164 = ANY($3) AND active AND state <> $4`,
			in.WorkflowID, in.Group, pq.Array(numbers), porting.StateAwaitingCarrier); err != nil {
			return err
		}
		return Audit(ctx, tx, StepKey(in.WorkflowID, "loa", in.Group, version), in.WorkflowID, "loa_submitted", map[string]any{
			"group": in.Group, "version": in.Version, "carrier": in.Carrier, "submission_id": id, "numbers": numbers,
			"document_ref": l.DocumentRef,
		})
	})
	if err != nil {
		return 0, err
	}
	return submissionID, nil
}

// SubmittedLOA reports whether LOA version of the group is already in the carrier outbox, and its
// submission's ID (SubmitLOA's rerun of a version it sent returns it without checking the CSR again).
func SubmittedLOA(ctx context.Context, db *sqlx.DB, workflowID, group string, version int) (int64, bool, error) {
	var id int64
	err := db.GetContext(ctx, &id, `SELECT id FROM carrier_submissions WHERE idempotency_key = $1`,
		StepKey(workflowID, group, strconv.Itoa(version)))
	if isNoRows(err) {
		return 0, false, nil
	}
	return id, err == nil, err
}

// CarrierCancel asks the carrier to cancel a group's submitted port (the fields of
// activities.CarrierCancelInput, in its order).
type CarrierCancel struct {
	WorkflowID string
	Group      string
	Carrier    string
	Numbers    []string
	Reason     string
	// Round counts the cancellations of the group sent to the carrier (0 and 1: the first).
	Round int
}

// SubmitCarrierCancel puts a cancellation of the group's port request in the carrier outbox, keyed
// by CarrierCancelKey. It returns the submission's ID, the same on every rerun.
func SubmitCarrierCancel(ctx context.Context, db *sqlx.DB, in CarrierCancel) (int64, error) {
	key := CarrierCancelKey(in.WorkflowID, in.Group, in.Round)
	var submissionID int64
	err := InTx(ctx, db, func(tx *sqlx.Tx) error {
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
		submissionID = id
		return Audit(ctx, tx, RoundKey(StepKey(in.WorkflowID, "carrier-cancel", in.Group), in.Round), in.WorkflowID, "carrier_cancel_submitted", map[string]any{
			"group": in.Group, "carrier": in.Carrier, "submission_id": id, "numbers": numbers, "reason": in.Reason, "round": max(in.Round, 1),
		})
	})
	if err != nil {
		return 0, err
	}
	return submissionID, nil
}

// CarrierCancelKey is the carrier outbox's idempotency key of a group's cancellation round: the
// first round keeps the key "<workflow>/<group>/cancel" it always had; later rounds (after the carrier
// refused one) add "/<round>", so each is a row of its own.
func CarrierCancelKey(workflowID, group string, round int) string {
	return RoundKey(StepKey(workflowID, group, "cancel"), round)
}

// groupNumbers is given, or else the group's active numbers recorded for the port.
func groupNumbers(ctx context.Context, q sqlx.QueryerContext, workflowID, group string, given []string) ([]string, error) {
	if len(given) > 0 {
		for i, n := range given {
			if !E164Pattern.MatchString(n) {
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

// CarrierSubmission is one row of the carrier outbox, as a carrier connector (or the simulator)
// consumes it.
type CarrierSubmission struct {
	ID             int64           `json:"id"`
	IdempotencyKey string          `json:"idempotency_key"`
	WorkflowID     string          `json:"workflow_id"`
	Group          string          `json:"group"`
	Kind           string          `json:"kind"` // SubmissionPortRequest, SubmissionCancel or SubmissionSupp
	Carrier        string          `json:"carrier"`
	Numbers        []string        `json:"numbers"`
	LOAVersion     int             `json:"loa_version,omitempty"` // 0: none
	Payload        json.RawMessage `json:"payload"`               // a SubmissionPayload
	CreatedAt      time.Time       `json:"created_at"`
	ConsumedAt     *time.Time      `json:"consumed_at,omitempty"`
}

type submissionRow struct {
	ID             int64          `db:"id"`
	IdempotencyKey string         `db:"idempotency_key"`
	WorkflowID     string         `db:"workflow_id"`
	Group          string         `db:"group"`
	Kind           string         `db:"kind"`
	Carrier        string         `db:"carrier"`
	Numbers        pq.StringArray `db:"numbers"`
	LOAVersion     *int           `db:"loa_version"`
	Payload        []byte         `db:"payload"`
	CreatedAt      time.Time      `db:"created_at"`
	ConsumedAt     *time.Time     `db:"consumed_at"`
}

// PendingCarrierSubmissions lists up to limit carrier submissions not yet consumed, oldest first.
func PendingCarrierSubmissions(ctx context.Context, db *sqlx.DB, limit int) ([]CarrierSubmission, error) {
	if limit <= 0 {
		limit = 100
	}
	var rows []submissionRow
	if err := db.SelectContext(ctx, &rows, `
		SELECT id, idempotency_key, workflow_id, "group", kind, carrier, numbers, loa_version, payload, created_at, consumed_at
		FROM carrier_submissions WHERE consumed_at IS NULL ORDER BY id LIMIT $1`, limit); err != nil {
		return nil, err
	}
	out := make([]CarrierSubmission, len(rows))
	for i, r := range rows {
		out[i] = CarrierSubmission{
			ID: r.ID, IdempotencyKey: r.IdempotencyKey, WorkflowID: r.WorkflowID, Group: r.Group, Kind: r.Kind,
			Carrier: r.Carrier, Numbers: []string(r.Numbers), Payload: json.RawMessage(r.Payload),
			CreatedAt: r.CreatedAt, ConsumedAt: r.ConsumedAt,
		}
		if r.LOAVersion != nil {
			out[i].LOAVersion = *r.LOAVersion
		}
	}
	return out, nil
}

// MarkCarrierSubmissionConsumed records that the carrier connector handled a submission. Idempotent.
func MarkCarrierSubmissionConsumed(ctx context.Context, db *sqlx.DB, id int64) error {
	_, err := db.ExecContext(ctx, `UPDATE carrier_submissions SET consumed_at = now() WHERE id = $1 AND consumed_at IS NULL`, id)
	return err
}

// notPortableTypes are the number types carriers do not port, with the reason given to the customer.
var notPortableTypes = map[phonenumbers.PhoneNumberType]string{
	phonenumbers.PREMIUM_RATE: "premium-rate numbers cannot be ported",
	phonenumbers.SHARED_COST:  "shared-cost numbers cannot be ported",
	phonenumbers.UAN:          "UAN (universal access) numbers cannot be ported",
	phonenumbers.PAGER:        "pager numbers cannot be ported",
	phonenumbers.VOICEMAIL:    "voicemail-access numbers cannot be ported",
}

// CheckPortability asks the (simulated) carrier LNP database whether each number can be ported: a
// number listed in non_portable_numbers is not (with the listed reason), nor is a number whose type is
// premium rate, shared cost, UAN, pager or voicemail access; every other number is. Results come in
// the order of the input. It records nothing (RecordPortability does).
func CheckPortability(ctx context.Context, db *sqlx.DB, numbers []string) ([]PortabilityResult, error) {
	listed := map[string]string{}
	rows, err := db.QueryContext(ctx, `SELECT e164, reason FROM non_portable_numbers WHERE e164 = ANY($1)`, pq.Array(numbers))
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var e164, reason string
		if err := rows.Scan(&e164, &reason); err != nil {
			rows.Close()
			return nil, err
		}
		listed[e164] = reason
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	results := make([]PortabilityResult, len(numbers))
	for i, e164 := range numbers {
		reason, listedNP := listed[e164]
		if !listedNP {
			reason = typeReason(e164)
		}
		results[i] = PortabilityResult{E164: e164, Portable: reason == "", Reason: reason}
	}
	return results, nil
}

// typeReason is why a number's type makes it not portable, "" when it is portable.
func typeReason(e164 string) string {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return fmt.Sprintf("%s is not a phone number the carrier knows (%v)", e164, err)
	}
	return notPortableTypes[phonenumbers.GetNumberType(num)]
}

// AddNonPortableNumber lists a number in the simulated carrier LNP database as not portable, with the
// reason the carrier gives (ops and tests fill it). Idempotent; a second call updates the reason.
func AddNonPortableNumber(ctx context.Context, db *sqlx.DB, e164, reason string) error {
	if !E164Pattern.MatchString(e164) {
		return &InventoryError{Kind: InventoryInvalid, Field: "e164", Msg: fmt.Sprintf("must be an E.164 number like +14155550100, got %q", e164)}
	}
	if strings.TrimSpace(reason) == "" {
		return &InventoryError{Kind: InventoryInvalid, Field: "reason", Msg: "is required: the carrier's reason"}
	}
	_, err := db.ExecContext(ctx, `
		INSERT INTO non_portable_numbers (e164, reason) VALUES ($1, $2)
		ON CONFLICT (e164) DO UPDATE SET reason = EXCLUDED.reason
		WHERE non_portable_numbers.reason IS DISTINCT FROM EXCLUDED.reason`, e164, reason)
	return err
}
