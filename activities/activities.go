// Package activities holds the Temporal activities of a port and nothing else: their input and
// output types, input checks, retry classification (a store.RuleError becomes a non-retryable
// application error of its code), heartbeats and the instance API's rate limiting — each a few lines
// over the data layer (store) and two gateways, CarrierGateway and InstanceAPI, whose default
// implementations are today's Postgres carrier outbox and simulated instance API. Every activity is
// idempotent: running it twice leaves the same rows as running it once.
package activities

import (
	"errors"
	"sync"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/temporal"

	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// Error types of non-retryable application errors the activities return (the store's refusal
// codes). The message always names the field and the rule, so the workflow can hand it to support
// staff as is.
const (
	ErrInstanceNotFound        = store.ErrInstanceNotFound
	ErrRegionNotSupported      = store.ErrRegionNotSupported
	ErrContactFlowNotFound     = store.ErrContactFlowNotFound
	ErrContactFlowNotPublished = store.ErrContactFlowNotPublished
	ErrNumberAlreadyInInstance = store.ErrNumberAlreadyInInstance
	ErrNumberAlreadyPorting    = store.ErrNumberAlreadyPorting
	ErrRequestConflict         = store.ErrRequestConflict
	// ErrPhoneNumberLimit: ProvisionNumbers would put the instance above its phone-number limit.
	ErrPhoneNumberLimit = store.ErrPhoneNumberLimit
	// ErrInvalidInput: the activity input breaks a rule the workflow should have checked (e.g. no
	// workflow ID, an end state that is not an end state).
	ErrInvalidInput = store.ErrInvalidInput
	// ErrNumberNotProvisioned: a number to activate is not provisioned on the instance for this port.
	ErrNumberNotProvisioned = store.ErrNumberNotProvisioned
	// ErrNumberNotHeld: a number to port out is not held by the request's instance.
	ErrNumberNotHeld = store.ErrNumberNotHeld
	// ErrNumberReleased: a number to port out was already released from the instance.
	ErrNumberReleased = store.ErrNumberReleased
	// ErrNumberNotActive: a number of the instance is not active (e.g. provisioned by a port-in in progress).
	ErrNumberNotActive = store.ErrNumberNotActive
	// ErrNumberLocked: a number to port out is locked against port-out (starter number lock).
	ErrNumberLocked = store.ErrNumberLocked
)

// Activities are the porting activities; register one value with the worker. (Every exported
// method is an activity.)
type Activities struct {
	DB *sqlx.DB
	// ProvisionBatchSize is the numbers per instance-API request (DefaultProvisionBatchSize when 0).
	ProvisionBatchSize int
	// PINSalt salts the hash under which LOA PINs are kept (they are never stored in clear).
	PINSalt []byte
	// Carrier is the carrier gateway; nil: the carrier outbox in DB (NewCarrierOutbox).
	Carrier CarrierGateway
	// Instances is the instance API; nil: the simulated one on DB (NewSimulatedInstanceAPI).
	Instances InstanceAPI

	defaults         sync.Once
	defaultCarrier   CarrierGateway
	defaultInstances InstanceAPI
}

func (a *Activities) initDefaults() {
	a.defaults.Do(func() {
		a.defaultCarrier = NewCarrierOutbox(a.DB, a.PINSalt)
		a.defaultInstances = NewSimulatedInstanceAPI(a.DB)
	})
}

// carrier is the carrier gateway in use.
func (a *Activities) carrier() CarrierGateway {
	if a.Carrier != nil {
		return a.Carrier
	}
	a.initDefaults()
	return a.defaultCarrier
}

// instances is the instance API in use; its rate limit per instance is shared by every worker.
func (a *Activities) instances() InstanceAPI {
	if a.Instances != nil {
		return a.Instances
	}
	a.initDefaults()
	return a.defaultInstances
}

// classify returns a store refusal as a non-retryable application error of its code (the message
// names the field and the rule); any other error stays as it is, retryable.
func classify(err error) error {
	var r *store.RuleError
	if errors.As(err, &r) {
		return temporal.NewNonRetryableApplicationError(r.Error(), r.Code, nil)
	}
	return err
}

// RecordPortInInput records a new PortIn request.
type RecordPortInInput struct {
	WorkflowID string `json:"workflow_id"`
	// Kind is porting.KindPortIn (the default) or porting.KindInternationalPortIn.
	Kind    string                `json:"kind,omitempty"`
	Request porting.PortInRequest `json:"request"`
	// Groups names each number's group, parallel to Request.Numbers: the orders of a bulk request
	// (porting.Orders). Empty: each number in its `<carrier>/<type>` group.
	Groups []string `json:"groups,omitempty"`
	// CheckPortability (ports from versionActionCost) asks the carrier gateway about the numbers once
	// they are recorded, as CheckPortability does, in the same activity: one action less per port.
	CheckPortability bool `json:"check_portability,omitempty"`
}

// RecordPortInResult describes the target instance, and with CheckPortability the numbers' answers.
type RecordPortInResult struct {
	Region           string `json:"region"`
	PhoneNumberLimit int    `json:"phone_number_limit"`
	// Portability holds each number's answer, in the request's order (CheckPortability only).
	Portability []PortabilityResult `json:"portability,omitempty"`
	// PortabilityProblem is why the check could not be made after the request was recorded (a
	// permanent gateway refusal): the port is recorded, so the workflow finishes it.
	PortabilityProblem string `json:"portability_problem,omitempty"`
}

// PortabilityInput asks the carrier gateway whether numbers can be ported.
type PortabilityInput struct {
	WorkflowID string               `json:"workflow_id"`
	Numbers    []porting.PortNumber `json:"numbers"`
}

// PortabilityResult is one number's portability.
type PortabilityResult struct {
	E164     string `json:"e164"`
	Portable bool   `json:"portable"`
	Reason   string `json:"reason,omitempty"`
}

// SubmitLOAInput records one LOA version of a group and submits it to the carrier.
type SubmitLOAInput struct {
	WorkflowID string      `json:"workflow_id"`
	Group      string      `json:"group"`
	Carrier    string      `json:"carrier"`
	NumberType string      `json:"number_type"`
	Numbers    []string    `json:"numbers"`
	Version    int         `json:"version"`
	LOA        porting.LOA `json:"loa"`
	// CheckCSR: compare the LOA with the losing carrier's customer service records first (the CSR
	// pre-check, DESIGN §8); an LOA that does not match is not sent, unless OverrideCSR.
	CheckCSR    bool `json:"check_csr,omitempty"`
	OverrideCSR bool `json:"override_csr,omitempty"`
}

// LOASubmitted is what SubmitLOA did: the submission, or (with CheckCSR) the pre-check that kept
// the LOA from the carrier.
type LOASubmitted struct {
	SubmissionID int64 `json:"submission_id,omitempty"`
	// Sent: the port request is in the carrier outbox. False only when the CSR pre-check kept it back.
	Sent bool `json:"sent"`
	// CSR is the pre-check's outcome (with CheckCSR; nil when the version had been sent already).
	CSR *CSRCheckResult `json:"csr,omitempty"`
}

// SubmissionReceipt identifies a carrier submission (outbox row).
type SubmissionReceipt struct {
	SubmissionID int64 `json:"submission_id"`
}

// CarrierCancelInput asks the carrier to cancel a submitted port.
type CarrierCancelInput struct {
	WorkflowID string   `json:"workflow_id"`
	Group      string   `json:"group"`
	Carrier    string   `json:"carrier"`
	Numbers    []string `json:"numbers"`
	Reason     string   `json:"reason"`
	// Round counts the cancellations of the group sent to the carrier (0 and 1: the first): a carrier
	// that refused one gets the next as a new outbox row.
	Round int `json:"round,omitempty"`
}

// Notification is one message to the customer, the carrier or operators, put in the outbox.
type Notification struct {
	WorkflowID string `json:"workflow_id"`
	// Key is unique within the workflow and the same on every retry and replay (e.g. "loa-reminder/Acme Telecom/did/2").
	Key       string `json:"key"`
	Kind      string `json:"kind"`      // e.g. loa_requested, loa_rejected, loa_reminder, carrier_escalation, scheduled, completed, cancelled
	Recipient string `json:"recipient"` // customer, carrier, operations
	Subject   string `json:"subject"`
	Body      string `json:"body"`
}

// NotifyAllInput is a workflow's pending notifications (NotifyAll).
type NotifyAllInput struct {
	WorkflowID    string         `json:"workflow_id"`
	Notifications []Notification `json:"notifications"`
}

// Notification recipients.
const (
	RecipientCustomer   = "customer"
	RecipientCarrier    = "carrier"
	RecipientOperations = "operations"
)

// NumbersInput names numbers of one group of a port on an instance.
type NumbersInput struct {
	WorkflowID  string               `json:"workflow_id"`
	Group       string               `json:"group"`
	InstanceARN string               `json:"instance_arn"`
	ContactFlow string               `json:"contact_flow,omitempty"`
	Numbers     []porting.PortNumber `json:"numbers"`
	Reason      string               `json:"reason,omitempty"`
	// Round counts the group's provisionings (0 and 1: the first): numbers released when the port
	// date moved weeks later are provisioned again in a new round, with its own audit rows.
	Round int `json:"round,omitempty"`
	// Notifications (ProvisionNumbers, ports from versionActionCost) are the workflow's outbox when
	// provisioning starts: queued first thing, so they go out with this activity, not one of their own.
	Notifications []Notification `json:"notifications,omitempty"`
	// SlowNotice (ProvisionNumbers) is queued when an attempt starts SlowAfterSeconds or more after
	// the activity was scheduled: operations learn that provisioning keeps retrying (Postgres or the
	// instance API down) from the activity itself, with no timer beside it in the workflow.
	SlowNotice       *Notification `json:"slow_notice,omitempty"`
	SlowAfterSeconds int           `json:"slow_after_seconds,omitempty"`
}

// ProvisionResult tells what provisioning did.
type ProvisionResult struct {
	Provisioned      int `json:"provisioned"`
	PhoneNumberLimit int `json:"phone_number_limit"`
}

// VerifyResult is the outcome of the verification test call.
type VerifyResult struct {
	Answered bool   `json:"answered"`
	Reason   string `json:"reason,omitempty"`
}

// FinishInput records a port's end.
type FinishInput struct {
	WorkflowID string        `json:"workflow_id"`
	State      porting.State `json:"state"`
	Note       string        `json:"note,omitempty"`
	// Notifications (ports from versionActionCost) are queued in the transaction that records the
	// end: the customer is told of the end exactly when it is recorded (a transactional outbox).
	Notifications []Notification `json:"notifications,omitempty"`
}
