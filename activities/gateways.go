package activities

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// CarrierGateway is how the activities reach carriers. Answers come back as signals and updates, so
// a real connector replaces the default (the carrier outbox in Postgres, which a connector or the
// simulator consumes) without touching a workflow or an activity. Every call must be idempotent.
type CarrierGateway interface {
	// CheckPortability asks the carrier LNP database whether each number can be ported, in order.
	CheckPortability(ctx context.Context, numbers []string) ([]store.PortabilityResult, error)
	// RequestPortabilityCheck asks the partner carriers about an international port (answered by the
	// portability-result signal); it returns the check's ID, the same on every rerun.
	RequestPortabilityCheck(ctx context.Context, in store.PortabilityCheckRequest) (int64, error)
	// SubmitPortRequest records an LOA version of a group and submits the port request to the
	// carrier; it returns the submission's ID, the same on every rerun.
	SubmitPortRequest(ctx context.Context, in store.LOASubmission) (int64, error)
	// Cancel asks the carrier to cancel a group's port request; it returns the submission's ID.
	Cancel(ctx context.Context, in store.CarrierCancel) (int64, error)
	// CustomerServiceRecords are the carrier's customer service records of numbers, in their order;
	// a number the carrier holds no record of is left out.
	CustomerServiceRecords(ctx context.Context, carrier string, numbers []string) ([]porting.CustomerServiceRecord, error)
	// Supplement sends a supplemental change of a group's port request (another port date, numbers
	// removed); it returns the submission's ID, the same on every rerun.
	Supplement(ctx context.Context, in store.CarrierSupp) (int64, error)
}

// InstanceAPI is the contact-center instance's phone-number API. The default is simulated on the
// phone_numbers table; a real connector replaces it without touching a workflow or an activity.
type InstanceAPI interface {
	// Reserve asks for the right to send one request to the instance, under the instance API's rate
	// limit as it holds across every worker: wait is 0 when a token was taken (send the request now),
	// and otherwise how long until the next one (nothing was taken: ask again then).
	Reserve(ctx context.Context, instanceARN string) (wait time.Duration, err error)
	// AddNumbers is one request adding numbers to the instance for a port, not yet live, mapped to
	// contactFlow; a number already added is left as it is.
	AddNumbers(ctx context.Context, instanceARN, contactFlow, workflowID string, numbers []porting.PortNumber) error
	// Activate makes the group's provisioned numbers live (store.ErrNumberNotProvisioned refusals).
	Activate(ctx context.Context, g store.PortGroup) error
	// Release takes the group's numbers this port added off the instance and reverses its limit increase.
	Release(ctx context.Context, g store.PortGroup) error
	// TestCall calls every number; not answered is a result, with the reason.
	TestCall(ctx context.Context, instanceARN string, numbers []string) (answered bool, reason string, err error)
	// Detach takes numbers out of a port's group (store.DetachNumbers): those this port added are
	// released and the group's limit increase shrinks; it returns how many were released and the
	// instance's phone-number limit afterwards.
	Detach(ctx context.Context, d store.Detach) (released, limit int, err error)
}

// Instance API rate: the provider's instance API accepts 2 requests/s with a burst of 5 per instance,
// whatever the number of callers.
const (
	InstanceAPIRate  = 2
	InstanceAPIBurst = 5
	// DefaultProvisionBatchSize is how many numbers one instance-API request adds.
	DefaultProvisionBatchSize = 100
)

// carrierOutbox is the default CarrierGateway: the carrier and partner-carrier outboxes in Postgres.
type carrierOutbox struct {
	db   *sqlx.DB
	salt []byte
}

// NewCarrierOutbox is the CarrierGateway that writes the carrier outboxes in db; LOA PINs are hashed
// with salt.
func NewCarrierOutbox(db *sqlx.DB, salt []byte) CarrierGateway {
	return carrierOutbox{db: db, salt: salt}
}

func (c carrierOutbox) CheckPortability(ctx context.Context, numbers []string) ([]store.PortabilityResult, error) {
	return store.CheckPortability(ctx, c.db, numbers)
}

func (c carrierOutbox) RequestPortabilityCheck(ctx context.Context, in store.PortabilityCheckRequest) (int64, error) {
	return store.RequestPortabilityCheck(ctx, c.db, in)
}

func (c carrierOutbox) SubmitPortRequest(ctx context.Context, in store.LOASubmission) (int64, error) {
	return store.SubmitLOA(ctx, c.db, c.salt, in)
}

func (c carrierOutbox) Cancel(ctx context.Context, in store.CarrierCancel) (int64, error) {
	return store.SubmitCarrierCancel(ctx, c.db, in)
}

// CustomerServiceRecords reads the simulated carriers' records (customer_service_records).
func (c carrierOutbox) CustomerServiceRecords(ctx context.Context, carrier string, numbers []string) ([]porting.CustomerServiceRecord, error) {
	return store.CustomerServiceRecords(ctx, c.db, carrier, numbers)
}

func (c carrierOutbox) Supplement(ctx context.Context, in store.CarrierSupp) (int64, error) {
	return store.SubmitSupp(ctx, c.db, in)
}

// simulatedInstanceAPI is the default InstanceAPI: the instance's numbers are phone_numbers rows,
// and its rate limit is a token bucket per instance in Postgres (store.TakeInstanceAPIToken), shared
// by every worker on the database.
type simulatedInstanceAPI struct {
	db        *sqlx.DB
	perSecond float64
	burst     int
}

// SimulatedInstanceAPIOption changes a simulated instance API.
type SimulatedInstanceAPIOption func(*simulatedInstanceAPI)

// WithInstanceAPIRate sets the simulated instance API's rate limit per instance: perSecond requests a
// second with bursts of burst (the default: InstanceAPIRate and InstanceAPIBurst). Every worker on the
// database must use the same: there is one bucket per instance, whoever takes from it.
func WithInstanceAPIRate(perSecond float64, burst int) SimulatedInstanceAPIOption {
	return func(s *simulatedInstanceAPI) { s.perSecond, s.burst = perSecond, burst }
}

// NewSimulatedInstanceAPI is the InstanceAPI simulated on db's phone_numbers, rate-limited per
// instance across every worker on db.
func NewSimulatedInstanceAPI(db *sqlx.DB, opts ...SimulatedInstanceAPIOption) InstanceAPI {
	s := simulatedInstanceAPI{db: db, perSecond: InstanceAPIRate, burst: InstanceAPIBurst}
	for _, o := range opts {
		o(&s)
	}
	return s
}

func (s simulatedInstanceAPI) Reserve(ctx context.Context, arn string) (time.Duration, error) {
	return store.TakeInstanceAPIToken(ctx, s.db, arn, s.perSecond, s.burst)
}

func (s simulatedInstanceAPI) AddNumbers(ctx context.Context, arn, flow, workflowID string, numbers []porting.PortNumber) error {
	return store.AddProvisionedNumbers(ctx, s.db, arn, flow, workflowID, numbers)
}

func (s simulatedInstanceAPI) Activate(ctx context.Context, g store.PortGroup) error {
	return store.ActivateNumbers(ctx, s.db, g)
}

func (s simulatedInstanceAPI) Release(ctx context.Context, g store.PortGroup) error {
	return store.ReleaseNumbers(ctx, s.db, g)
}

func (s simulatedInstanceAPI) TestCall(ctx context.Context, arn string, numbers []string) (bool, string, error) {
	return store.TestCall(ctx, s.db, arn, numbers)
}

func (s simulatedInstanceAPI) Detach(ctx context.Context, d store.Detach) (int, int, error) {
	return store.DetachNumbers(ctx, s.db, d)
}
