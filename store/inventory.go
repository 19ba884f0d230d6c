package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/contactcenter/numberporting/porting"
)

// Kinds of InventoryError; the starter maps them to exit codes 2, 4 and 3.
const (
	InventoryInvalid  = "invalid"
	InventoryNotFound = "not_found"
	InventoryRefused  = "refused"
)

// InventoryError is a permanent failure of an inventory function: bad input (invalid), a missing
// instance or flow (not_found), or a rule that says no (refused). Field names the input it concerns.
type InventoryError struct {
	Kind  string
	Field string
	Msg   string
}

func (e *InventoryError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

func invErr(kind, field, format string, args ...any) error {
	return &InventoryError{Kind: kind, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// DefaultPhoneNumberLimit is an instance's phone-number limit unless said otherwise.
const DefaultPhoneNumberLimit = 10

// Instance is a contact-center instance with its ownership records.
type Instance struct {
	ARN    string `db:"arn" json:"arn"`
	Region string `db:"region" json:"region"`
	// PhoneNumberLimit is how many non-released numbers the instance may hold. On AddInstance it is the
	// base limit (DefaultPhoneNumberLimit when 0); the limit increases of ports in progress come on top.
	PhoneNumberLimit int       `db:"phone_number_limit" json:"phone_number_limit"`
	OwnerName        string    `db:"owner_name" json:"owner_name,omitempty"`
	Address          string    `db:"address" json:"address,omitempty"`
	BillingContact   string    `db:"billing_contact" json:"billing_contact,omitempty"`
	CreatedAt        time.Time `db:"created_at" json:"created_at"`
	// PortOutPasscode is input only: when not empty, AddInstance sets the instance's port-out
	// passcode to it (as SetPortOutPasscode does; empty leaves the stored one as it is). It is
	// stored only as a bcrypt hash and never read back.
	PortOutPasscode Passcode `db:"-" json:"-"`
	// HasPortOutPasscode tells whether the instance has a port-out passcode (read back only).
	HasPortOutPasscode bool `db:"has_port_out_passcode" json:"has_port_out_passcode"`
}

// instanceColumns are an Instance's columns as read back.
const instanceColumns = `arn, region, phone_number_limit, owner_name, address, billing_contact, created_at,
	port_out_passcode_hash IS NOT NULL AS has_port_out_passcode`

// PhoneNumber is one number of an instance.
type PhoneNumber struct {
	E164        string    `db:"e164" json:"e164"`
	Type        string    `db:"type" json:"type"`
	State       string    `db:"state" json:"state"` // provisioned, active, releasing, released
	ContactFlow string    `db:"contact_flow" json:"contact_flow,omitempty"`
	PortRequest string    `db:"port_request" json:"port_request,omitempty"` // workflow ID of the port that brought it in
	UpdatedAt   time.Time `db:"updated_at" json:"updated_at"`
}

// AddInstance registers an instance and its ownership records; idempotent. The region comes from the
// ARN when not given. On an existing instance, the ownership fields given (non-empty) replace the
// stored ones, and the phone-number limit becomes the given base limit (when not 0) plus the limit
// increases of the ports in progress, so re-adding an instance does not undo a port's increase.
// A port-out passcode given (in.PortOutPasscode, validated as SetPortOutPasscode does) is set,
// hashed; none given leaves the stored one. It returns the instance as stored.
func AddInstance(ctx context.Context, db *sqlx.DB, in Instance) (Instance, error) {
	ref, err := porting.ParseInstanceARN(in.ARN)
	if err != nil {
		if strings.TrimSpace(in.ARN) == "" {
			return Instance{}, invErr(InventoryInvalid, "arn", "is required")
		}
		return Instance{}, invErr(InventoryInvalid, "arn", "%v", err)
	}
	if in.Region == "" {
		in.Region = ref.Region
	} else if in.Region != ref.Region {
		return Instance{}, invErr(InventoryInvalid, "region", "%q does not match the ARN's region %q", in.Region, ref.Region)
	}
	if in.PhoneNumberLimit < 0 {
		return Instance{}, invErr(InventoryInvalid, "phone_number_limit", "must not be negative, got %d", in.PhoneNumberLimit)
	}
	// Ownership records are stored normalized (porting.NormalizeText): NFC, white space trimmed and
	// collapsed, so that what is shown and compared is the same text however it was typed.
	in.OwnerName = porting.NormalizeText(in.OwnerName)
	in.Address = porting.NormalizeText(in.Address)
	in.BillingContact = porting.NormalizeText(in.BillingContact)
	var limit *int
	if in.PhoneNumberLimit > 0 {
		limit = &in.PhoneNumberLimit
	}
	// The passcode's hash, made before the transaction (bcrypt is slow on purpose); nil when none is
	// given or the instance already has this one.
	var hash *string
	if in.PortOutPasscode != "" {
		if err := checkPasscode(in.PortOutPasscode); err != nil {
			return Instance{}, err
		}
		current, _, err := storedPasscodeHash(ctx, db, in.ARN, false)
		if err != nil {
			return Instance{}, err
		}
		if hash, err = newPasscodeHash(current, in.PortOutPasscode); err != nil {
			return Instance{}, err
		}
	}
	var out Instance
	err = InTx(ctx, db, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &out, `
			INSERT INTO instances AS i (arn, region, phone_number_limit, owner_name, address, billing_contact, port_out_passcode_hash)
			VALUES ($1, $2, coalesce($3::int, $7::int), $4, $5, $6, $8)
			ON CONFLICT (arn) DO UPDATE SET
				phone_number_limit = CASE WHEN $3::int IS NULL THEN i.phone_number_limit
					ELSE $3::int + coalesce((SELECT sum(amount) FROM limit_increases l WHERE l.instance_arn = i.arn), 0) END,
				owner_name = coalesce(nullif(EXCLUDED.owner_name, ''), i.owner_name),
				address = coalesce(nullif(EXCLUDED.address, ''), i.address),
				billing_contact = coalesce(nullif(EXCLUDED.billing_contact, ''), i.billing_contact),
				port_out_passcode_hash = coalesce(EXCLUDED.port_out_passcode_hash, i.port_out_passcode_hash)
			RETURNING `+instanceColumns,
			in.ARN, in.Region, limit, in.OwnerName, in.Address, in.BillingContact, DefaultPhoneNumberLimit, hash)
		if err != nil || hash == nil {
			return err
		}
		return auditPasscodeSet(ctx, tx, in.ARN)
	})
	if err != nil {
		return Instance{}, err
	}
	return out, nil
}

// GetInstance reads an instance (not_found when it does not exist).
func GetInstance(ctx context.Context, db *sqlx.DB, arn string) (Instance, error) {
	var out Instance
	err := db.GetContext(ctx, &out, `SELECT `+instanceColumns+` FROM instances WHERE arn = $1`, arn)
	if isNoRows(err) {
		return Instance{}, invErr(InventoryNotFound, "instance", "instance %s does not exist", arn)
	}
	return out, err
}

func requireInstance(ctx context.Context, q sqlx.QueryerContext, arn string, forUpdate bool) (int, error) {
	if strings.TrimSpace(arn) == "" {
		return 0, invErr(InventoryInvalid, "instance", "is required: the instance ARN")
	}
	query := `SELECT phone_number_limit FROM instances WHERE arn = $1`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	var limit int
	err := sqlx.GetContext(ctx, q, &limit, query, arn)
	if isNoRows(err) {
		return 0, invErr(InventoryNotFound, "instance", "instance %s does not exist (register it with `starter instance add`)", arn)
	}
	return limit, err
}

// AddContactFlow registers a contact flow of an instance, published or not; idempotent (a second call
// sets the published flag to the one given).
func AddContactFlow(ctx context.Context, db *sqlx.DB, instanceARN, name string, published bool) error {
	if strings.TrimSpace(name) == "" {
		return invErr(InventoryInvalid, "name", "is required: the contact flow's exact name")
	}
	return InTx(ctx, db, func(tx *sqlx.Tx) error {
		if _, err := requireInstance(ctx, tx, instanceARN, false); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO contact_flows AS f (instance_arn, name, published) VALUES ($1, $2, $3)
			ON CONFLICT (instance_arn, name) DO UPDATE SET published = EXCLUDED.published, updated_at = now()
			WHERE f.published <> EXCLUDED.published`, instanceARN, name, published)
		return err
	})
}

// PublishContactFlow publishes a registered contact flow; idempotent.
func PublishContactFlow(ctx context.Context, db *sqlx.DB, instanceARN, name string) error {
	if strings.TrimSpace(name) == "" {
		return invErr(InventoryInvalid, "name", "is required: the contact flow's exact name")
	}
	return InTx(ctx, db, func(tx *sqlx.Tx) error {
		if _, err := requireInstance(ctx, tx, instanceARN, false); err != nil {
			return err
		}
		var exists bool
		if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM contact_flows WHERE instance_arn = $1 AND name = $2)`,
			instanceARN, name); err != nil {
			return err
		}
		if !exists {
			return invErr(InventoryNotFound, "name", "contact flow %q does not exist on instance %s", name, instanceARN)
		}
		_, err := tx.ExecContext(ctx, `
			UPDATE contact_flows SET published = true, updated_at = now()
			WHERE instance_arn = $1 AND name = $2 AND NOT published`, instanceARN, name)
		return err
	})
}

// ClaimNumber gives a number to an instance directly (state active), optionally mapped to a published
// contact flow. The instance's phone-number limit applies, counting its non-released numbers. A number
// held by another instance, being ported, or provisioned by a port is refused. Claiming a number the
// instance already holds as active is a no-op (that maps it to flow when one is given).
func ClaimNumber(ctx context.Context, db *sqlx.DB, instanceARN, e164, numberType, flow string) error {
	if !E164Pattern.MatchString(e164) {
		return invErr(InventoryInvalid, "e164", "must be an E.164 number like +14155550100, got %q", e164)
	}
	if numberType == "" {
		numberType = porting.NumberTypeDID
	}
	known := false
	for _, t := range NumberTypes {
		known = known || t == numberType
	}
	if !known {
		return invErr(InventoryInvalid, "type", "must be one of %s, got %q", strings.Join(NumberTypes, ", "), numberType)
	}
	err := InTx(ctx, db, func(tx *sqlx.Tx) error {
		// The instance row lock serializes claims on one instance, so the limit holds.
		limit, err := requireInstance(ctx, tx, instanceARN, true)
		if err != nil {
			return err
		}
		if flow != "" {
			var published bool
			err := tx.GetContext(ctx, &published, `SELECT published FROM contact_flows WHERE instance_arn = $1 AND name = $2`, instanceARN, flow)
			if isNoRows(err) {
				return invErr(InventoryNotFound, "flow", "contact flow %q does not exist on instance %s", flow, instanceARN)
			}
			if err != nil {
				return err
			}
			if !published {
				return invErr(InventoryRefused, "flow", "contact flow %q is not published; a number can only be mapped to a published flow", flow)
			}
		}
		held, err := loadHeld(ctx, tx, []string{e164})
		if err != nil {
			return err
		}
		if len(held) > 0 {
			h := held[0]
			switch {
			case h.InstanceARN != instanceARN:
				return invErr(InventoryRefused, "e164", "%s is already held by instance %s", e164, h.InstanceARN)
			case h.State != NumberActive:
				by := ""
				if h.PortRequest != nil {
					by = " by port " + *h.PortRequest
				}
				return invErr(InventoryRefused, "e164", "%s is %s on this instance%s; it cannot be claimed", e164, h.State, by)
			case flow != "" && (h.ContactFlow == nil || *h.ContactFlow != flow):
				_, err := tx.ExecContext(ctx, `
					UPDATE phone_numbers SET contact_flow = $3, updated_at = now()
					WHERE instance_arn = $1 AND e164 = $2 AND state = 'active'`, instanceARN, e164, flow)
				return err
			}
			return nil // already claimed
		}
		var portWF string
		err = tx.GetContext(ctx, &portWF, `SELECT workflow_id FROM port_request_numbers WHERE e164 = $1 AND active`, e164)
		if err == nil {
			return invErr(InventoryRefused, "e164", "%s is in an active port (%s)", e164, portWF)
		}
		if err != nil && !isNoRows(err) {
			return err
		}
		// A number that ported out belongs to the winning carrier now: release is irreversible.
		err = tx.GetContext(ctx, &portWF, `
			SELECT r.workflow_id FROM port_request_numbers n JOIN port_requests r USING (workflow_id)
			WHERE n.e164 = $1 AND r.kind = $2 AND r.state = $3 LIMIT 1`, e164, porting.KindPortOut, porting.StateCompleted)
		if err == nil {
			return invErr(InventoryRefused, "e164", "%s was released to another carrier by %s; a released number cannot be claimed again", e164, portWF)
		}
		if !isNoRows(err) {
			return err
		}
		// Held numbers, plus the room ports have reserved: a port's limit increase is for its own
		// numbers, which ProvisionNumbers adds after raising the limit.
		var count int
		if err := tx.GetContext(ctx, &count, `
			SELECT (SELECT count(*) FROM phone_numbers WHERE instance_arn = $1 AND state <> 'released')
			     + coalesce((SELECT sum(greatest(l.amount - (SELECT count(*) FROM phone_numbers p
			                    WHERE p.instance_arn = $1 AND p.port_request = l.workflow_id AND p.state <> 'released'), 0))
			                 FROM (SELECT workflow_id, sum(amount) AS amount FROM limit_increases
			                       WHERE instance_arn = $1 GROUP BY workflow_id) l), 0)`, instanceARN); err != nil {
			return err
		}
		if count >= limit {
			return invErr(InventoryRefused, "instance", "instance %s is at its phone-number limit of %d (numbers held and reserved by ports in progress)", instanceARN, limit)
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO phone_numbers (instance_arn, e164, type, state, contact_flow)
			VALUES ($1, $2, $3, 'active', nullif($4, ''))`, instanceARN, e164, numberType, flow)
		return err
	})
	if c, ok := UniqueViolation(err); ok && c == constraintHeldNumber {
		return invErr(InventoryRefused, "e164", "%s was just claimed by another instance", e164)
	}
	return err
}

// ListNumbers lists an instance's numbers, released ones included, by number.
func ListNumbers(ctx context.Context, db *sqlx.DB, instanceARN string) ([]PhoneNumber, error) {
	if _, err := requireInstance(ctx, db, instanceARN, false); err != nil {
		return nil, err
	}
	var rows []struct {
		E164        string         `db:"e164"`
		Type        string         `db:"type"`
		State       string         `db:"state"`
		ContactFlow sql.NullString `db:"contact_flow"`
		PortRequest sql.NullString `db:"port_request"`
		UpdatedAt   time.Time      `db:"updated_at"`
	}
	if err := db.SelectContext(ctx, &rows, `
		SELECT e164, type, state, contact_flow, port_request, updated_at FROM phone_numbers
		WHERE instance_arn = $1 ORDER BY e164, state = 'released', updated_at DESC, id`, instanceARN); err != nil {
		return nil, err
	}
	out := make([]PhoneNumber, len(rows))
	for i, r := range rows {
		out[i] = PhoneNumber{E164: r.E164, Type: r.Type, State: r.State,
			ContactFlow: r.ContactFlow.String, PortRequest: r.PortRequest.String, UpdatedAt: r.UpdatedAt}
	}
	return out, nil
}

// heldRow is one non-released phone_numbers row.
type heldRow struct {
	E164        string  `db:"e164"`
	InstanceARN string  `db:"instance_arn"`
	State       string  `db:"state"`
	PortRequest *string `db:"port_request"`
	ContactFlow *string `db:"contact_flow"`
}

func (h heldRow) ownedBy(instanceARN, workflowID string) bool {
	return h.InstanceARN == instanceARN && h.PortRequest != nil && *h.PortRequest == workflowID
}

func loadHeld(ctx context.Context, q sqlx.QueryerContext, numbers []string) ([]heldRow, error) {
	var held []heldRow
	err := sqlx.SelectContext(ctx, q, &held, `
		SELECT e164, instance_arn, state, port_request, contact_flow FROM phone_numbers
		WHERE e164 = ANY($1) AND state <> 'released'`, pq.Array(numbers))
	// In the order of the request (a map of positions: the lists hold up to thousands of numbers).
	pos := make(map[string]int, len(numbers))
	for i, n := range numbers {
		pos[n] = i
	}
	sort.Slice(held, func(i, j int) bool { return pos[held[i].E164] < pos[held[j].E164] })
	return held, err
}
