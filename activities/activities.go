// Package activities holds the provider's own side of a port: everything that touches Postgres,
// the carrier gateway (an outbox a carrier connector consumes), notifications (an outbox) and the
// instance's phone-number inventory. Every activity is idempotent: running it twice leaves the
// same rows as running it once.
package activities

import (
	"sync"

	"github.com/jmoiron/sqlx"
	"golang.org/x/time/rate"

	"github.com/contactcenter/numberporting/porting"
)

// Error types of non-retryable application errors the activities return. The message always names
// the field and the rule, so the workflow can hand it to support staff as is.
const (
	ErrInstanceNotFound        = "InstanceNotFound"
	ErrRegionNotSupported      = "RegionNotSupported"
	ErrContactFlowNotFound     = "ContactFlowNotFound"
	ErrContactFlowNotPublished = "ContactFlowNotPublished"
	ErrNumberAlreadyInInstance = "NumberAlreadyInInstance"
	ErrNumberAlreadyPorting    = "NumberAlreadyPorting"
	ErrRequestConflict         = "RequestConflict"
	// ErrPhoneNumberLimit: ProvisionNumbers would put the instance above its phone-number limit.
	ErrPhoneNumberLimit = "PhoneNumberLimitExceeded"
)

// Instance API rate: the provider's instance API accepts 2 requests/s with a burst of 5.
const (
	InstanceAPIRate  = 2
	InstanceAPIBurst = 5
	// DefaultProvisionBatchSize is how many numbers one instance-API request adds.
	DefaultProvisionBatchSize = 100
)

// Activities are the porting activities; register one value with the worker.
type Activities struct {
	DB *sqlx.DB
	// ProvisionBatchSize is the numbers per instance-API request (DefaultProvisionBatchSize when 0).
	ProvisionBatchSize int
	// PINSalt salts the hash under which LOA PINs are kept (they are never stored in clear).
	PINSalt []byte

	limiters sync.Map // instance ARN → *rate.Limiter
}

// instanceLimiter is the per-instance API rate limiter shared by all provisioning in this worker.
func (a *Activities) instanceLimiter(arn string) *rate.Limiter {
	l, _ := a.limiters.LoadOrStore(arn, rate.NewLimiter(InstanceAPIRate, InstanceAPIBurst))
	return l.(*rate.Limiter)
}

// RecordPortInInput records a new PortIn request.
type RecordPortInInput struct {
	WorkflowID string `json:"workflow_id"`
	// Kind is porting.KindPortIn (the default) or porting.KindInternationalPortIn.
	Kind    string                `json:"kind,omitempty"`
	Request porting.PortInRequest `json:"request"`
}

// RecordPortInResult describes the target instance.
type RecordPortInResult struct {
	Region           string `json:"region"`
	PhoneNumberLimit int    `json:"phone_number_limit"`
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
}
