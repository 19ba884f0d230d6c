package simulator

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

var ctx = context.Background()

// fakeTemporal stands in for the Temporal client (the database is real): statuses by workflow, and
// the updates the simulator sent.
type fakeTemporal struct {
	mu        sync.Mutex
	statuses  map[string]porting.Status
	statusErr map[string]error
	updateErr map[string]error // by update name
	open      []string
	sent      []sent
	queries   int
}

type sent struct {
	workflow, name string
	arg            any
}

func (f *fakeTemporal) Status(_ context.Context, wf string) (porting.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries++
	if err := f.statusErr[wf]; err != nil {
		return porting.Status{}, err
	}
	st, ok := f.statuses[wf]
	if !ok {
		return porting.Status{}, &Refused{Msg: "no workflow " + wf, Gone: true}
	}
	return st, nil
}

func (f *fakeTemporal) Update(_ context.Context, wf, name string, arg any) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, sent{wf, name, arg})
	if err := f.updateErr[name]; err != nil {
		return "", err
	}
	return name + " taken", nil
}

func (f *fakeTemporal) ListOpen(context.Context, []porting.State) ([]string, error) {
	return f.open, nil
}

func (f *fakeTemporal) updates() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sent(nil), f.sent...)
}

func newSim(t *testing.T, cfg Config, ft *fakeTemporal) (*Simulator, *sqlx.DB) {
	t.Helper()
	db := pgtest.New(t)
	return &Simulator{Config: cfg, DB: db, Temporal: ft, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, db
}

// submission puts a carrier-outbox row created age ago and returns its ID.
func submission(t *testing.T, db *sqlx.DB, wf, group, kind string, version int, age time.Duration) int64 {
	t.Helper()
	return submissionWith(t, db, store.SubmissionPayload{WorkflowID: wf, Group: group, Kind: kind, Numbers: []string{"+14155550100"}}, version, age)
}

// submissionWith puts a carrier-outbox row with payload p (its workflow, group, kind and numbers
// are the row's) created age ago and returns its ID.
func submissionWith(t *testing.T, db *sqlx.DB, p store.SubmissionPayload, version int, age time.Duration) int64 {
	t.Helper()
	return submissionRaw(t, db, p, payloadWithLOA(t, p, nil), version, age)
}

// payloadWithLOA is p as JSON, with the LOA as the carrier gets it (store's payload type of it is
// the store's own) when loa is given.
func payloadWithLOA(t *testing.T, p store.SubmissionPayload, loa map[string]any) []byte {
	t.Helper()
	body, err := json.Marshal(p)
	require.NoError(t, err)
	if loa == nil {
		return body
	}
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	m["loa"] = loa
	body, err = json.Marshal(m)
	require.NoError(t, err)
	return body
}

// submissionRaw puts a carrier-outbox row with the payload body; p gives the row's columns.
func submissionRaw(t *testing.T, db *sqlx.DB, p store.SubmissionPayload, body []byte, version int, age time.Duration) int64 {
	t.Helper()
	var id int64
	require.NoError(t, db.GetContext(ctx, &id, `
		INSERT INTO carrier_submissions (idempotency_key, workflow_id, "group", kind, carrier, numbers, loa_version, payload, created_at)
		VALUES ($1, $2, $3, $4, 'Acme Telecom', $5, $6, $7, now() - make_interval(secs => $8)) RETURNING id`,
		p.WorkflowID+"/"+p.Group+"/"+p.Kind+"/"+time.Now().String(), p.WorkflowID, p.Group, p.Kind, pq.Array(p.Numbers), version, body, age.Seconds()), "")
	return id
}

func consumed(t *testing.T, db *sqlx.DB, table string, id int64) bool {
	t.Helper()
	var at *time.Time
	require.NoError(t, db.GetContext(ctx, &at, `SELECT consumed_at FROM `+table+` WHERE id = $1`, id))
	return at != nil
}

func group(name string, state porting.State, version int) porting.GroupStatus {
	return porting.GroupStatus{Group: name, State: state, LOAVersion: version}
}

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.AcceptAfter = time.Minute
	cfg.PortabilityAfter = time.Minute
	cfg.CustomerAfter = 0
	cfg.RejectFirst = 1
	cfg.PortIn = 2 * time.Minute
	cfg.Cost = &porting.Cost{Amount: porting.MustDecimal("49.00"), Currency: "GBP"}
	return cfg
}

func TestCarrierAnswer(t *testing.T) {
	cfg := testConfig()
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	st := porting.Status{TimeZone: "America/New_York"}
	sub := func(kind string, v int) store.CarrierSubmission {
		return store.CarrierSubmission{WorkflowID: "port-in-X", Group: "Acme Telecom/did", Kind: kind, LOAVersion: v}
	}
	g := func(state porting.State, v int) *porting.GroupStatus {
		x := group("Acme Telecom/did", state, v)
		return &x
	}

	r, _ := CarrierAnswer(cfg, sub(store.SubmissionPortRequest, 1), g(porting.StateAwaitingCarrier, 1), st, nil, now)
	require.NotNil(t, r)
	assert.False(t, r.Accepted)
	assert.Equal(t, "LOA_NAME_MISMATCH", r.ReasonCode)
	assert.Contains(t, r.Reason, "LOA v1")
	require.NoError(t, porting.ValidateCarrierResponse(*r, now))

	r, _ = CarrierAnswer(cfg, sub(store.SubmissionPortRequest, 2), g(porting.StateAwaitingCarrier, 2), st, nil, now)
	require.NotNil(t, r)
	assert.True(t, r.Accepted)
	assert.Equal(t, "2026-11-20T10:02:00-05:00", r.PortDate.Format(time.RFC3339), "port date PortIn ahead, in the port's time zone")
	require.NoError(t, porting.ValidateCarrierResponse(*r, now))

	for _, tc := range []struct {
		name string
		sub  store.CarrierSubmission
		g    *porting.GroupStatus
		why  string
	}{
		{"no such group", sub(store.SubmissionPortRequest, 1), nil, "has no group"},
		{"group moved on", sub(store.SubmissionPortRequest, 2), g(porting.StateScheduled, 2), "scheduled, not awaiting the carrier"},
		{"older LOA", sub(store.SubmissionPortRequest, 1), g(porting.StateAwaitingCarrier, 2), "holds LOA v2, not v1"},
		{"cancel of a port-in", sub(store.SubmissionCancel, 1), g(porting.StateCancelled, 1), "only told of the cancellation"},
	} {
		r, why := CarrierAnswer(cfg, tc.sub, tc.g, st, nil, now)
		assert.Nil(t, r, tc.name)
		assert.Contains(t, why, tc.why, tc.name)
	}

	r, _ = CarrierAnswer(cfg, sub(store.SubmissionCancel, 1), g(porting.StateCancelRequested, 1), st, nil, now)
	require.NotNil(t, r)
	assert.Equal(t, porting.CarrierResponse{Group: "Acme Telecom/did", Accepted: true}, *r, "a cancellation is confirmed without a date")
}

func TestMisspell(t *testing.T) {
	assert.Equal(t, "Aad Lovelace Ltd", Misspell("Ada Lovelace Ltd"))
	assert.Equal(t, "Deo Holdings LLC", Misspell("Doe Holdings LLC"))
	assert.Equal(t, "Al Bbo", Misspell("Al Bob"))
	assert.Equal(t, "Ooe", Misspell("Oo"))
	for _, n := range []string{"Ada Lovelace Ltd", "Al Bob", "Oo", "Anna"} {
		assert.NotEqual(t, n, Misspell(n))
	}
}

func TestParseCost(t *testing.T) {
	c, err := ParseCost("49.00 GBP")
	require.NoError(t, err)
	assert.Equal(t, &porting.Cost{Amount: porting.MustDecimal("49.00"), Currency: "GBP"}, c)
	c, err = ParseCost("eur 12.5")
	require.NoError(t, err)
	assert.Equal(t, &porting.Cost{Amount: porting.MustDecimal("12.5"), Currency: "EUR"}, c)
	c, err = ParseCost(" ")
	require.NoError(t, err)
	assert.Nil(t, c)
	for _, bad := range []string{"49", "-1 GBP", "49 POUNDS", "a b c"} {
		_, err := ParseCost(bad)
		assert.Error(t, err, bad)
	}
}

func TestOpenQuery(t *testing.T) {
	assert.Equal(t, "TaskQueue = 'number-porting' AND ExecutionStatus = 'Running' AND PortState IN ('awaiting_loa', 'loa_rejected')",
		OpenQuery([]porting.State{porting.StateAwaitingLOA, porting.StateLOARejected}))
}

func TestCustomerLOAIsValid(t *testing.T) {
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	l := CustomerLOA("port-in-X", group("Acme Telecom/toll_free", porting.StateLOARejected, 1), "Ada Lovelace",
		store.Instance{OwnerName: "Lovelace Ltd", Address: "1 Analytical Way"}, now)
	require.NoError(t, porting.ValidateSubmitLOA(porting.SubmitLOA{Group: "Acme Telecom/toll_free", LOA: l}))
	assert.Equal(t, "Ada Lovelace", l.AuthorizedName)
	assert.Equal(t, "1 Analytical Way", l.Address)
	assert.Equal(t, "s3://loas/port-in-X/acme-telecom-toll_free-v2.pdf", l.DocumentRef)
	// Without an authorized contact or ownership records it is still a complete LOA.
	l = CustomerLOA("port-in-X", group("main", porting.StateAwaitingLOA, 0), "", store.Instance{}, now)
	require.NoError(t, porting.ValidateSubmitLOA(porting.SubmitLOA{Group: "main", LOA: l}))
}

func TestWinningCarrierRequest(t *testing.T) {
	cfg := testConfig()
	cfg.MismatchFirst = true
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	req := porting.PortOutRequest{RequestID: "OUT-1", Numbers: []string{"+12125550100", "+12125550101"}, WinningCarrier: "Beta Wireless"}
	inst := store.Instance{ARN: "arn", OwnerName: "Doe Holdings LLC", Address: "1 Main St", BillingContact: "billing@doe.example"}

	first, wrong, err := WinningCarrierRequest(cfg, "port-out-OUT-1", req, inst, 0, "America/New_York", now)
	require.NoError(t, err)
	assert.True(t, wrong)
	assert.Equal(t, "Deo Holdings LLC", first.OwnerName)
	require.NoError(t, porting.ValidateWinningCarrierRequest(first, now))

	second, wrong, err := WinningCarrierRequest(cfg, "port-out-OUT-1", req, inst, 1, "America/New_York", now)
	require.NoError(t, err)
	assert.False(t, wrong)
	assert.Equal(t, porting.WinningCarrierRequest{
		Carrier: "Beta Wireless", OwnerName: "Doe Holdings LLC", Address: "1 Main St", BillingContact: "billing@doe.example",
		Numbers: req.Numbers, LOARef: "s3://beta-wireless/port-out/port-out-OUT-1-2.pdf", RequestedAt: second.RequestedAt,
	}, second)
	assert.Equal(t, "2026-11-20T10:02:00-05:00", second.RequestedAt.Format(time.RFC3339))

	cfg.PortOutPasscode = "Zq7pass9"
	withPasscode, _, err := WinningCarrierRequest(cfg, "port-out-OUT-1", req, inst, 1, "America/New_York", now)
	require.NoError(t, err)
	assert.Equal(t, "Zq7pass9", withPasscode.Passcode, "the passcode the winning carrier got from the owner")

	_, _, err = WinningCarrierRequest(cfg, "port-out-OUT-1", req, store.Instance{ARN: "arn"}, 0, "", now)
	assert.ErrorContains(t, err, "no complete ownership records")
}

func TestStepAnswersTheOutboxes(t *testing.T) {
	t.Parallel()
	ft := &fakeTemporal{statuses: map[string]porting.Status{
		"port-in-A": {Kind: porting.KindPortIn, State: porting.StateAwaitingCarrier, TimeZone: "America/New_York", Groups: []porting.GroupStatus{
			group("Acme Telecom/did", porting.StateAwaitingCarrier, 1),
			group("Acme Telecom/toll_free", porting.StateAwaitingCarrier, 2),
		}},
		"port-in-B":      {Kind: porting.KindPortIn, State: porting.StateScheduled, Groups: []porting.GroupStatus{group("Acme Telecom/did", porting.StateScheduled, 2)}},
		"intl-port-in-C": {Kind: porting.KindInternationalPortIn, State: porting.StateAwaitingPortability, TimeZone: "Europe/London"},
		"intl-port-in-D": {Kind: porting.KindInternationalPortIn, State: porting.StateCancelRequested, Groups: []porting.GroupStatus{group("main", porting.StateCancelRequested, 1)}},
	}}
	sim, db := newSim(t, testConfig(), ft)
	rejectV1 := submission(t, db, "port-in-A", "Acme Telecom/did", store.SubmissionPortRequest, 1, 2*time.Minute)
	acceptV2 := submission(t, db, "port-in-A", "Acme Telecom/toll_free", store.SubmissionPortRequest, 2, 2*time.Minute)
	notDue := submission(t, db, "port-in-B", "Acme Telecom/did", store.SubmissionPortRequest, 3, 10*time.Second)
	stale := submission(t, db, "port-in-B", "Acme Telecom/did", store.SubmissionPortRequest, 2, 2*time.Minute)
	cancel := submission(t, db, "intl-port-in-D", "main", store.SubmissionCancel, 1, 2*time.Minute)
	unknown := submission(t, db, "port-in-elsewhere", "Acme Telecom/did", store.SubmissionPortRequest, 1, 2*time.Minute)
	var check int64
	require.NoError(t, db.GetContext(ctx, &check, `
		INSERT INTO portability_checks (idempotency_key, workflow_id, carrier, country, numbers, created_at)
		VALUES ('c', 'intl-port-in-C', 'Albion Telecom', 'GB', '{+442079460100}', now() - interval '2 minutes') RETURNING id`))

	st, err := sim.Step(ctx)
	require.NoError(t, err)
	assert.Equal(t, Stats{Answered: 4, Stale: 1, Waiting: 1, Unknown: 1}, st)

	byKey := map[string]any{}
	for _, u := range ft.updates() {
		byKey[u.workflow+" "+u.name] = u.arg
		if r, ok := u.arg.(porting.CarrierResponse); ok {
			byKey[u.workflow+" "+u.name+" "+r.Group] = r
		}
	}
	rej := byKey["port-in-A carrier-response Acme Telecom/did"].(porting.CarrierResponse)
	assert.False(t, rej.Accepted)
	acc := byKey["port-in-A carrier-response Acme Telecom/toll_free"].(porting.CarrierResponse)
	assert.True(t, acc.Accepted)
	assert.WithinDuration(t, time.Now().Add(2*time.Minute), *acc.PortDate, 5*time.Second)
	assert.Equal(t, porting.CarrierResponse{Group: "main", Accepted: true}, byKey["intl-port-in-D carrier-response"])
	assert.Equal(t, porting.PortabilityResult{Portable: true, Cost: &porting.Cost{Amount: porting.MustDecimal("49.00"), Currency: "GBP"}}, byKey["intl-port-in-C portability-result"])
	assert.Len(t, ft.updates(), 4)

	for id, want := range map[int64]bool{rejectV1: true, acceptV2: true, notDue: false, stale: true, cancel: true, unknown: false} {
		assert.Equal(t, want, consumed(t, db, "carrier_submissions", id), "submission %d", id)
	}
	assert.True(t, consumed(t, db, "portability_checks", check))

	// The next pass sends nothing again: what was answered is consumed, the rest not due or held off.
	st, err = sim.Step(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, st.Answered)
	assert.Len(t, ft.updates(), 4)
}

func TestStepRefusalsAndFailures(t *testing.T) {
	t.Parallel()
	ft := &fakeTemporal{
		statuses: map[string]porting.Status{
			"port-in-A": {Kind: porting.KindPortIn, Groups: []porting.GroupStatus{group("Acme Telecom/did", porting.StateAwaitingCarrier, 2)}},
			"port-in-B": {Kind: porting.KindPortIn, Groups: []porting.GroupStatus{group("Acme Telecom/did", porting.StateAwaitingCarrier, 2)}},
		},
		statusErr: map[string]error{"port-in-B": errors.New("worker cannot answer the query")},
		updateErr: map[string]error{porting.SignalCarrierResponse: &Refused{Msg: "group Acme Telecom/did is scheduled, not awaiting the carrier"}},
	}
	sim, db := newSim(t, testConfig(), ft)
	refused := submission(t, db, "port-in-A", "Acme Telecom/did", store.SubmissionPortRequest, 2, 2*time.Minute)
	failing := submission(t, db, "port-in-B", "Acme Telecom/did", store.SubmissionPortRequest, 2, 2*time.Minute)

	st, err := sim.Step(ctx)
	require.NoError(t, err)
	assert.Equal(t, Stats{Refused: 1, Errors: 1}, st)
	assert.True(t, consumed(t, db, "carrier_submissions", refused), "a refusal is final: the port moved on")
	assert.False(t, consumed(t, db, "carrier_submissions", failing), "a failure is retried")

	// The failing port is held off for a while, then retried.
	st, err = sim.Step(ctx)
	require.NoError(t, err)
	assert.Equal(t, Stats{Waiting: 1}, st)
	ft.mu.Lock()
	delete(ft.statusErr, "port-in-B")
	ft.updateErr = nil
	ft.mu.Unlock()
	sim.Now = func() time.Time { return time.Now().Add(maxBackoff) }
	st, err = sim.Step(ctx)
	require.NoError(t, err)
	assert.Equal(t, Stats{Answered: 1}, st)
	assert.True(t, consumed(t, db, "carrier_submissions", failing))
}

func TestStepPlaysTheCustomerAndTheWinningCarrier(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.SubmitLOAs, cfg.ApproveCosts, cfg.MismatchFirst, cfg.AcceptAfter = true, true, true, 0
	long := time.Now().Add(-time.Hour)
	ft := &fakeTemporal{
		open: []string{"port-in-A", "intl-port-in-C", "port-out-O", "port-out-P"},
		statuses: map[string]porting.Status{
			"port-in-A": {Kind: porting.KindPortIn, State: porting.StateAwaitingLOA, History: []porting.HistoryEntry{{At: long}},
				Groups: []porting.GroupStatus{
					group("Acme Telecom/did", porting.StateAwaitingLOA, 0),
					group("Acme Telecom/toll_free", porting.StateAwaitingCarrier, 1),
				}},
			"intl-port-in-C": {Kind: porting.KindInternationalPortIn, State: porting.StateAwaitingCostApproval, History: []porting.HistoryEntry{{At: long}}},
			"port-out-O": {Kind: porting.KindPortOut, State: porting.StateAwaitingWinningCarrier, History: []porting.HistoryEntry{{At: long}},
				Groups: []porting.GroupStatus{group("Beta Wireless", porting.StateAwaitingWinningCarrier, 0)}},
			"port-out-P": {Kind: porting.KindPortOut, State: porting.StateRejectedMismatch, History: []porting.HistoryEntry{{At: long}},
				Groups: []porting.GroupStatus{group("Beta Wireless", porting.StateRejectedMismatch, 1)}},
		},
	}
	sim, db := newSim(t, cfg, ft)
	arn := "arn:aws:connect:us-east-1:123456789012:instance/sim-1"
	_, err := store.AddInstance(ctx, db, store.Instance{ARN: arn, OwnerName: "Doe Holdings LLC", Address: "1 Main St", BillingContact: "billing@doe.example"})
	require.NoError(t, err)
	record := func(wf, kind string, req any) {
		b, err := json.Marshal(req)
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, `INSERT INTO port_requests (workflow_id, request_id, kind, instance_arn, state, request)
			VALUES ($1, $1, $2, $3, 'validating', $4)`, wf, kind, arn, b)
		require.NoError(t, err)
	}
	record("port-in-A", porting.KindPortIn, porting.PortInRequest{AuthorizedContact: porting.Contact{Name: "Pat Doe"}})
	for _, wf := range []string{"port-out-O", "port-out-P"} {
		record(wf, porting.KindPortOut, porting.PortOutRequest{Numbers: []string{"+12125550100"}, WinningCarrier: "Beta Wireless"})
	}

	st, err := sim.Step(ctx)
	require.NoError(t, err)
	assert.Equal(t, Stats{Answered: 4}, st)
	got := map[string]any{}
	for _, u := range ft.updates() {
		got[u.workflow+" "+u.name] = u.arg
	}
	loa := got["port-in-A submit-loa"].(porting.SubmitLOA)
	assert.Equal(t, "Acme Telecom/did", loa.Group, "only the group awaiting an LOA")
	assert.Equal(t, "Pat Doe", loa.LOA.AuthorizedName)
	assert.Equal(t, porting.ApproveCost{Approved: true, By: "customer (simulated)"}, got["intl-port-in-C approve-cost"])
	assert.Equal(t, "Deo Holdings LLC", got["port-out-O winning-carrier-request"].(porting.WinningCarrierRequest).OwnerName, "first request misspelled")
	assert.Equal(t, "Doe Holdings LLC", got["port-out-P winning-carrier-request"].(porting.WinningCarrierRequest).OwnerName, "then corrected")
}

func TestStepWaitsForTheCustomer(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.SubmitLOAs, cfg.CustomerAfter = true, time.Hour
	ft := &fakeTemporal{
		open: []string{"port-in-A"},
		statuses: map[string]porting.Status{"port-in-A": {Kind: porting.KindPortIn, State: porting.StateAwaitingLOA,
			History: []porting.HistoryEntry{{At: time.Now()}}, Groups: []porting.GroupStatus{group("Acme Telecom/did", porting.StateAwaitingLOA, 0)}}},
	}
	sim, _ := newSim(t, cfg, ft)
	st, err := sim.Step(ctx)
	require.NoError(t, err)
	assert.Equal(t, Stats{Waiting: 1}, st)
	assert.Empty(t, ft.updates())
	assert.Equal(t, 1, ft.queries)

	// Not queried again before the customer is due.
	_, err = sim.Step(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, ft.queries)
	sim.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	_, err = sim.Step(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, ft.queries)
}

func TestCarrierAnswerSupps(t *testing.T) {
	cfg := testConfig()
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	asked := time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)
	st := porting.Status{TimeZone: "America/New_York"}
	supp := func(p store.SubmissionPayload) store.CarrierSubmission {
		p.WorkflowID, p.Group, p.Kind = "port-in-X", "Acme Telecom/did", store.SubmissionSupp
		b, err := json.Marshal(p)
		require.NoError(t, err)
		return store.CarrierSubmission{WorkflowID: "port-in-X", Group: "Acme Telecom/did", Kind: store.SubmissionSupp, LOAVersion: 2, Payload: b}
	}
	scheduled := func(requested *time.Time) *porting.GroupStatus {
		g := group("Acme Telecom/did", porting.StateScheduled, 2)
		g.RequestedPortDate = requested
		return &g
	}
	dateSupp := supp(store.SubmissionPayload{Change: store.SuppPortDate, PortDate: &asked, By: "Pat Doe"})

	r, why := CarrierAnswer(cfg, dateSupp, scheduled(&asked), st, nil, now)
	require.NotNil(t, r, why)
	assert.True(t, r.Accepted)
	assert.True(t, r.PortDate.Equal(asked))
	assert.Equal(t, "2026-11-27T10:00:00-05:00", r.PortDate.Format(time.RFC3339), "the date asked for, in the port's time zone")
	require.NoError(t, porting.ValidateCarrierResponse(*r, now))

	refusing := cfg
	refusing.RefuseSupps = true
	r, _ = CarrierAnswer(refusing, dateSupp, scheduled(&asked), st, nil, now)
	require.NotNil(t, r)
	assert.Equal(t, porting.CarrierResponse{Group: "Acme Telecom/did", ReasonCode: "OTHER", Reason: "the carrier cannot move the date"}, *r)
	require.NoError(t, porting.ValidateCarrierResponse(*r, now))

	other := asked.Add(24 * time.Hour)
	for _, tc := range []struct {
		name string
		sub  store.CarrierSubmission
		g    *porting.GroupStatus
		why  string
	}{
		{"answered already", dateSupp, scheduled(nil), "awaits no answer to a port date change"},
		{"another date asked since", dateSupp, scheduled(&other), "now asks for 2026-11-28T15:00:00Z, not 2026-11-27T15:00:00Z"},
		{"group gone", dateSupp, nil, "has no group"},
		{"removal", supp(store.SubmissionPayload{Change: store.SuppRemoveNumbers, Removed: []string{"+14155550101"}}), scheduled(nil), "only told of the removal of +14155550101"},
		{"removal while a date is asked", supp(store.SubmissionPayload{Change: store.SuppRemoveNumbers, Removed: []string{"+14155550101"}}), scheduled(&asked), "only told"},
		{"unknown change", supp(store.SubmissionPayload{Change: "carrier"}), scheduled(&asked), `unknown supp change "carrier"`},
	} {
		r, why := CarrierAnswer(cfg, tc.sub, tc.g, st, nil, now)
		assert.Nil(t, r, tc.name)
		assert.Contains(t, why, tc.why, tc.name)
	}
}

func TestStepAnswersSupps(t *testing.T) {
	t.Parallel()
	asked := time.Now().Add(72 * time.Hour).Truncate(time.Second)
	earlier := asked.Add(-24 * time.Hour)
	scheduled := func(requested *time.Time) porting.GroupStatus {
		g := group("Acme Telecom/did", porting.StateScheduled, 2)
		g.RequestedPortDate = requested
		return g
	}
	cancelling := scheduled(&asked)
	cancelling.State = porting.StateCancelRequested
	ft := &fakeTemporal{statuses: map[string]porting.Status{
		"port-in-A": {Kind: porting.KindPortIn, State: porting.StateScheduled, TimeZone: "America/New_York", Groups: []porting.GroupStatus{scheduled(&asked)}},
		"port-in-B": {Kind: porting.KindPortIn, State: porting.StateScheduled, Groups: []porting.GroupStatus{scheduled(nil)}},
		"port-in-C": {Kind: porting.KindPortIn, State: porting.StateCancelRequested, Groups: []porting.GroupStatus{cancelling}},
		"port-in-D": {Kind: porting.KindPortIn, State: porting.StateScheduled, Groups: []porting.GroupStatus{scheduled(&asked)}},
	}}
	sim, db := newSim(t, testConfig(), ft)
	supp := func(wf string, p store.SubmissionPayload, age time.Duration) int64 {
		p.WorkflowID, p.Group, p.Kind, p.Numbers = wf, "Acme Telecom/did", store.SubmissionSupp, []string{"+14155550100"}
		return submissionWith(t, db, p, 2, age)
	}
	due := supp("port-in-A", store.SubmissionPayload{Change: store.SuppPortDate, PortDate: &asked, By: "Pat Doe"}, 2*time.Minute)
	notDue := supp("port-in-D", store.SubmissionPayload{Change: store.SuppPortDate, PortDate: &asked, By: "Pat Doe"}, 10*time.Second)
	stale := supp("port-in-B", store.SubmissionPayload{Change: store.SuppPortDate, PortDate: &earlier, By: "Pat Doe"}, 2*time.Minute)
	cancelled := supp("port-in-C", store.SubmissionPayload{Change: store.SuppPortDate, PortDate: &asked, By: "Pat Doe"}, 2*time.Minute)
	removal := supp("port-in-A", store.SubmissionPayload{Change: store.SuppRemoveNumbers, Removed: []string{"+14155550101"}, By: "Pat Doe"}, 2*time.Minute)

	st, err := sim.Step(ctx)
	require.NoError(t, err)
	assert.Equal(t, Stats{Answered: 1, Stale: 2, Waiting: 2}, st)
	require.Len(t, ft.updates(), 1, "only the due supp whose date the group still asks for is answered")
	u := ft.updates()[0]
	assert.Equal(t, "port-in-A", u.workflow)
	assert.Equal(t, porting.SignalCarrierResponse, u.name)
	r := u.arg.(porting.CarrierResponse)
	assert.True(t, r.Accepted)
	assert.True(t, r.PortDate.Equal(asked), "accepted with the date asked for")
	assert.Empty(t, r.Numbers)
	for id, want := range map[int64]bool{due: true, notDue: false, stale: true, removal: true, cancelled: false} {
		assert.Equal(t, want, consumed(t, db, "carrier_submissions", id), "submission %d", id)
	}

	// The cancellation was refused: the group is scheduled again and still asks for the date.
	ft.mu.Lock()
	ft.statuses["port-in-C"] = porting.Status{Kind: porting.KindPortIn, State: porting.StateScheduled, Groups: []porting.GroupStatus{scheduled(&asked)}}
	ft.mu.Unlock()
	sim.Config.RefuseSupps = true
	st, err = sim.Step(ctx)
	require.NoError(t, err)
	assert.Equal(t, Stats{Answered: 1, Waiting: 1}, st)
	require.Len(t, ft.updates(), 2)
	u = ft.updates()[1]
	assert.Equal(t, "port-in-C", u.workflow)
	assert.Equal(t, porting.CarrierResponse{Group: "Acme Telecom/did", ReasonCode: "OTHER", Reason: "the carrier cannot move the date"}, u.arg)
	assert.True(t, consumed(t, db, "carrier_submissions", cancelled))
}

func TestCarrierAnswerRejectNumberFirst(t *testing.T) {
	cfg := testConfig()
	cfg.RejectNumberFirst = true
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	numbers := []string{"+14155550100", "+14155550101", "+14155550102"}
	sub := func(group string, numbers ...string) store.CarrierSubmission {
		return store.CarrierSubmission{WorkflowID: "port-in-X", Group: group, Kind: store.SubmissionPortRequest, LOAVersion: 2, Numbers: numbers}
	}
	// status: the groups; the numbers in the first group, but the third in the second group if any.
	status := func(groups ...porting.GroupStatus) porting.Status {
		st := porting.Status{TimeZone: "America/New_York", Groups: groups}
		for i, n := range numbers {
			g := groups[0]
			if i == 2 && len(groups) > 1 {
				g = groups[1]
			}
			st.Numbers = append(st.Numbers, porting.NumberStatus{E164: n, State: g.State, Group: g.Group})
		}
		return st
	}
	did := group("Acme Telecom/did", porting.StateAwaitingCarrier, 2)

	st := status(did)
	r, why := CarrierAnswer(cfg, sub(did.Group, numbers...), &did, st, nil, now)
	require.NotNil(t, r, why)
	assert.True(t, r.Accepted)
	assert.NotNil(t, r.PortDate)
	assert.Equal(t, []porting.NumberAnswer{{E164: "+14155550102", ReasonCode: "ADDRESS_MISMATCH", Reason: "the service address differs for this line"}}, r.Numbers,
		"the last number alone rejected")
	require.NoError(t, porting.ValidateCarrierResponse(*r, now))
	assert.Equal(t, porting.ReasonAddressMismatch, porting.ReasonFor(r.Numbers[0].ReasonCode, r.Numbers[0].Reason).Code, "a catalogue code")

	// A number removed since is not answered for: the last one left is rejected.
	st.Numbers[2].State = porting.StateCancelled
	r, _ = CarrierAnswer(cfg, sub(did.Group, numbers...), &did, st, nil, now)
	require.NotNil(t, r)
	assert.Equal(t, "+14155550101", r.Numbers[0].E164)

	// The split group is accepted whole; so is the group it left, and a group of one number.
	split := group("Acme Telecom/did#2", porting.StateAwaitingCarrier, 2) // v1 rejected: RejectFirst
	split.SplitFrom = "Acme Telecom/did"
	scheduled := group("Acme Telecom/did", porting.StateScheduled, 2)
	for _, tc := range []struct {
		name string
		sub  store.CarrierSubmission
		g    porting.GroupStatus
		st   porting.Status
	}{
		{"split group", sub(split.Group, numbers[2]), split, status(scheduled, split)},
		{"group split before", sub(did.Group, numbers[:2]...), did, status(did, group("Acme Telecom/did#2", porting.StateScheduled, 1))},
		{"one number", sub(did.Group, numbers[0]), did, porting.Status{}},
	} {
		tc.sub.LOAVersion = tc.g.LOAVersion
		r, why := CarrierAnswer(cfg, tc.sub, &tc.g, tc.st, nil, now)
		require.NotNil(t, r, "%s: %s", tc.name, why)
		assert.True(t, r.Accepted, tc.name)
		assert.Empty(t, r.Numbers, tc.name)
	}

	// Off: accepted whole.
	cfg.RejectNumberFirst = false
	r, _ = CarrierAnswer(cfg, sub(did.Group, numbers...), &did, status(did), nil, now)
	require.NotNil(t, r)
	assert.Empty(t, r.Numbers)
}

func TestStepFillsCustomerServiceRecords(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.FillCSR, cfg.SubmitLOAs = true, true
	long := time.Now().Add(-time.Hour)
	n := func(e164, grp string, state porting.State) porting.NumberStatus {
		return porting.NumberStatus{E164: e164, State: state, Group: grp}
	}
	ft := &fakeTemporal{
		open: []string{"port-in-A", "intl-port-in-C"},
		statuses: map[string]porting.Status{
			"port-in-A": {Kind: porting.KindPortIn, State: porting.StateAwaitingLOA, History: []porting.HistoryEntry{{At: long}},
				Groups: []porting.GroupStatus{
					group("Acme Telecom/did", porting.StateAwaitingLOA, 0),
					group("Beta Wireless/did", porting.StateAwaitingCarrier, 1),
				},
				Numbers: []porting.NumberStatus{
					n("+12125550100", "Acme Telecom/did", porting.StateAwaitingLOA),
					n("+12125550101", "Acme Telecom/did", porting.StateAwaitingLOA),
					n("+12125550102", "Acme Telecom/did", porting.StateCancelled), // removed
					n("+12125550103", "Beta Wireless/did", porting.StateAwaitingCarrier),
				}},
			"intl-port-in-C": {Kind: porting.KindInternationalPortIn, State: porting.StateLOARejected, History: []porting.HistoryEntry{{At: long}},
				Groups:  []porting.GroupStatus{group("main", porting.StateLOARejected, 1)},
				Numbers: []porting.NumberStatus{n("+442079460100", "main", porting.StateLOARejected)}},
		},
	}
	sim, db := newSim(t, cfg, ft)
	arn := "arn:aws:connect:us-east-1:123456789012:instance/sim-csr"
	_, err := store.AddInstance(ctx, db, store.Instance{ARN: arn, OwnerName: "Doe Holdings LLC", Address: "1 Main St", BillingContact: "billing@doe.example"})
	require.NoError(t, err)
	record := func(wf, kind string, req any) {
		b, err := json.Marshal(req)
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, `INSERT INTO port_requests (workflow_id, request_id, kind, instance_arn, state, request)
			VALUES ($1, $1, $2, $3, 'awaiting_loa', $4)`, wf, kind, arn, b)
		require.NoError(t, err)
	}
	record("port-in-A", porting.KindPortIn, porting.PortInRequest{AuthorizedContact: porting.Contact{Name: "Pat Doe"}, Numbers: []porting.PortNumber{
		{E164: "+12125550100", Type: "did", Carrier: "Acme Telecom"}, {E164: "+12125550101", Type: "did", Carrier: "Acme Telecom"},
		{E164: "+12125550102", Type: "did", Carrier: "Acme Telecom"}, {E164: "+12125550103", Type: "did", Carrier: "Beta Wireless"},
	}})
	record("intl-port-in-C", porting.KindInternationalPortIn, porting.InternationalPortInRequest{Carrier: "Albion Telecom",
		AuthorizedContact: porting.Contact{Name: "Ada Lovelace"}, Numbers: []porting.IntlNumber{{E164: "+442079460100", Type: "geographic"}}})
	// Ops set this one on purpose: it stays.
	opsRecord := store.CSRInput{Carrier: "Acme Telecom", E164: "+12125550101", Name: "Pat Doe", Address: "9 Other Rd", AccountNumber: "12345678"}
	require.NoError(t, store.AddCustomerServiceRecord(ctx, db, opsRecord))

	st, err := sim.Step(ctx)
	require.NoError(t, err)
	assert.Equal(t, Stats{Answered: 2}, st, "an LOA for each group awaiting one")

	acme, err := store.CustomerServiceRecords(ctx, db, "Acme Telecom", []string{"+12125550100", "+12125550101", "+12125550102"})
	require.NoError(t, err)
	require.Len(t, acme, 2, "the removed number gets no record")
	assert.Equal(t, porting.CustomerServiceRecord{Carrier: "Acme Telecom", E164: "+12125550100", Name: "Pat Doe", Address: "1 Main St"}, acme[0])
	assert.Equal(t, "9 Other Rd", acme[1].Address, "an existing record is left alone")
	assert.NotEmpty(t, acme[1].AccountNumberHash)
	beta, err := store.CustomerServiceRecords(ctx, db, "Beta Wireless", []string{"+12125550103"})
	require.NoError(t, err)
	assert.Empty(t, beta, "a group not waiting for an LOA is not filled")
	albion, err := store.CustomerServiceRecords(ctx, db, "Albion Telecom", []string{"+442079460100"})
	require.NoError(t, err)
	require.Len(t, albion, 1)
	assert.Equal(t, porting.CustomerServiceRecord{Carrier: "Albion Telecom", E164: "+442079460100", Name: "Ada Lovelace", Address: "1 Main St"}, albion[0])

	// The simulated customer's LOAs match the filled records.
	loas := map[string]porting.LOA{}
	for _, u := range ft.updates() {
		require.Equal(t, porting.SignalSubmitLOA, u.name)
		loas[u.workflow] = u.arg.(porting.SubmitLOA).LOA
	}
	assert.Empty(t, porting.CSRMismatches(loas["port-in-A"], acme[0]))
	assert.Equal(t, []string{porting.CSRFieldAddress, porting.CSRFieldAccountNumber}, porting.CSRMismatches(loas["port-in-A"], acme[1]),
		"ops' own record differs on purpose")
	assert.Empty(t, porting.CSRMismatches(loas["intl-port-in-C"], albion[0]))

	// Rerun: nothing is written again.
	var updated time.Time
	require.NoError(t, db.GetContext(ctx, &updated, `SELECT max(updated_at) FROM customer_service_records WHERE e164 IN ('+12125550100', '+12125550101', '+442079460100')`))
	sim.Now = func() time.Time { return time.Now().Add(time.Hour) }
	_, err = sim.Step(ctx)
	require.NoError(t, err)
	var again time.Time
	require.NoError(t, db.GetContext(ctx, &again, `SELECT max(updated_at) FROM customer_service_records WHERE e164 IN ('+12125550100', '+12125550101', '+442079460100')`))
	assert.Equal(t, updated, again)
}

func TestStepFillsRecordsWithoutPlayingTheCustomer(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.FillCSR = true
	ft := &fakeTemporal{
		open: []string{"port-in-A"},
		statuses: map[string]porting.Status{"port-in-A": {Kind: porting.KindPortIn, State: porting.StateAwaitingLOA,
			Groups:  []porting.GroupStatus{group("Acme Telecom/did", porting.StateAwaitingLOA, 0)},
			Numbers: []porting.NumberStatus{{E164: "+12125550110", State: porting.StateAwaitingLOA, Group: "Acme Telecom/did"}}}},
	}
	sim, db := newSim(t, cfg, ft)
	arn := "arn:aws:connect:us-east-1:123456789012:instance/sim-csr-2"
	_, err := store.AddInstance(ctx, db, store.Instance{ARN: arn, OwnerName: "Doe Holdings LLC", Address: "1 Main St"})
	require.NoError(t, err)
	b, err := json.Marshal(porting.PortInRequest{Numbers: []porting.PortNumber{{E164: "+12125550110", Type: "did", Carrier: "Acme Telecom"}}})
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `INSERT INTO port_requests (workflow_id, request_id, kind, instance_arn, state, request)
		VALUES ('port-in-A', 'A', $1, $2, 'awaiting_loa', $3)`, porting.KindPortIn, arn, b)
	require.NoError(t, err)

	st, err := sim.Step(ctx)
	require.NoError(t, err)
	assert.Equal(t, Stats{}, st)
	assert.Empty(t, ft.updates(), "no LOA: the customer is not played")
	recs, err := store.CustomerServiceRecords(ctx, db, "Acme Telecom", []string{"+12125550110"})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, "Doe Holdings LLC", recs[0].Name, "no authorized contact: the owner's name, as the customer's LOA has it")

	// Not queried again every pass.
	_, err = sim.Step(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, ft.queries)
}

func TestCarrierAnswerChecksCSR(t *testing.T) {
	cfg := testConfig()
	cfg.CheckCSR = true
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	numbers := []string{"+14155550100", "+14155550101", "+14155550102"}
	loa := map[string]any{"authorized_name": "Pat Doe", "company": "Doe Holdings LLC", "address": "1 Main St",
		"account_number_last4": "5678", "pin_provided": false, "billing_telephone_number": "+14155550100",
		"signed_at": now, "document_ref": "s3://loas/x.pdf"}
	body := payloadWithLOA(t, store.SubmissionPayload{WorkflowID: "port-in-X", Group: "Acme Telecom/did", Kind: store.SubmissionPortRequest,
		Carrier: "Acme Telecom", Numbers: numbers, LOAVersion: 2}, loa)
	sub := store.CarrierSubmission{WorkflowID: "port-in-X", Group: "Acme Telecom/did", Kind: store.SubmissionPortRequest, Carrier: "Acme Telecom",
		LOAVersion: 2, Numbers: numbers, Payload: body}
	g := group("Acme Telecom/did", porting.StateAwaitingCarrier, 2)
	st := porting.Status{TimeZone: "America/New_York"}
	rec := func(e164, name, address string) porting.CustomerServiceRecord {
		return porting.CustomerServiceRecord{Carrier: "Acme Telecom", E164: e164, Name: name, Address: address,
			AccountNumberHash: porting.HashAccountNumber("99999999")} // not compared: the payload has no account number
	}

	// Every record matches (the company's name counts, case and spacing do not), one number has none.
	r, why := CarrierAnswer(cfg, sub, &g, st, []porting.CustomerServiceRecord{
		rec(numbers[0], "pat doe", "1  Main St"), rec(numbers[1], "Doe Holdings LLC", "1 Main St")}, now)
	require.NotNil(t, r, why)
	assert.True(t, r.Accepted)
	assert.Empty(t, r.Numbers)

	// Some numbers differ: those alone are rejected.
	r, _ = CarrierAnswer(cfg, sub, &g, st, []porting.CustomerServiceRecord{
		rec(numbers[0], "Pat Doe", "1 Main St"), rec(numbers[1], "Pat Doe", "2 Side St"), rec(numbers[2], "Ada Lovelace", "2 Side St")}, now)
	require.NotNil(t, r)
	assert.True(t, r.Accepted)
	assert.Equal(t, []porting.NumberAnswer{
		{E164: numbers[1], ReasonCode: "CSR_MISMATCH", Reason: "the LOA does not match Acme Telecom's customer service record: address"},
		{E164: numbers[2], ReasonCode: "CSR_MISMATCH", Reason: "the LOA does not match Acme Telecom's customer service record: authorized_name, address"},
	}, r.Numbers)
	require.NoError(t, porting.ValidateCarrierResponse(*r, now))

	// All differ: the whole group, the fields of them all named.
	records := []porting.CustomerServiceRecord{rec(numbers[0], "Pat Doe", "2 Side St"), rec(numbers[1], "Pat Doe", "2 Side St"), rec(numbers[2], "Ada Lovelace", "1 Main St")}
	r, _ = CarrierAnswer(cfg, sub, &g, st, records, now)
	require.NotNil(t, r)
	assert.Equal(t, porting.CarrierResponse{Group: "Acme Telecom/did", ReasonCode: "CSR_MISMATCH",
		Reason: "the LOA does not match Acme Telecom's customer service record: authorized_name, address"}, *r)
	require.NoError(t, porting.ValidateCarrierResponse(*r, now))

	// A billing telephone number on record is compared too.
	btn := rec(numbers[0], "Pat Doe", "1 Main St")
	btn.BillingTelephoneNumber = "+14155550199"
	r, _ = CarrierAnswer(cfg, sub, &g, st, []porting.CustomerServiceRecord{btn}, now)
	require.NotNil(t, r)
	assert.Equal(t, "the LOA does not match Acme Telecom's customer service record: billing_telephone_number", r.Numbers[0].Reason)

	// With RejectNumberFirst too: the last number joins the rejected ones while one number stays.
	both := cfg
	both.RejectNumberFirst = true
	r, _ = CarrierAnswer(both, sub, &g, st, []porting.CustomerServiceRecord{rec(numbers[1], "Pat Doe", "2 Side St")}, now)
	require.NotNil(t, r)
	assert.Equal(t, []string{numbers[1], numbers[2]}, []string{r.Numbers[0].E164, r.Numbers[1].E164})
	assert.Equal(t, "ADDRESS_MISMATCH", r.Numbers[1].ReasonCode)
	r, _ = CarrierAnswer(both, sub, &g, st, []porting.CustomerServiceRecord{rec(numbers[0], "Pat Doe", "2 Side St"), rec(numbers[1], "Pat Doe", "2 Side St")}, now)
	require.NotNil(t, r)
	assert.Len(t, r.Numbers, 2, "the last number stays: it is the only one accepted")

	// Off, or no LOA in the payload: not checked.
	r, _ = CarrierAnswer(testConfig(), sub, &g, st, records, now)
	require.NotNil(t, r)
	assert.True(t, r.Accepted)
	assert.Empty(t, r.Numbers)
	noLOA := sub
	noLOA.Payload = json.RawMessage(`{}`)
	r, _ = CarrierAnswer(cfg, noLOA, &g, st, records, now)
	require.NotNil(t, r)
	assert.True(t, r.Accepted)
	assert.Empty(t, r.Numbers)
}

func TestStepChecksCSR(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.CheckCSR = true
	awaiting := func(grp string, numbers ...string) porting.Status {
		st := porting.Status{Kind: porting.KindPortIn, State: porting.StateAwaitingCarrier, Groups: []porting.GroupStatus{group(grp, porting.StateAwaitingCarrier, 2)}}
		for _, n := range numbers {
			st.Numbers = append(st.Numbers, porting.NumberStatus{E164: n, State: porting.StateAwaitingCarrier, Group: grp})
		}
		return st
	}
	ft := &fakeTemporal{statuses: map[string]porting.Status{
		"port-in-A": awaiting("Acme Telecom/did", "+12125550120", "+12125550121"),
		"port-in-B": awaiting("Acme Telecom/did", "+12125550130", "+12125550131"),
	}}
	sim, db := newSim(t, cfg, ft)
	for _, r := range []store.CSRInput{
		{Carrier: "Acme Telecom", E164: "+12125550120", Name: "Pat Doe", Address: "1 Main St"},
		{Carrier: "Acme Telecom", E164: "+12125550121", Name: "Pat Doe", Address: "2 Side St"},
		{Carrier: "Acme Telecom", E164: "+12125550130", Name: "Pat Doe", Address: "2 Side St"},
		{Carrier: "Acme Telecom", E164: "+12125550131", Name: "Pat Doe", Address: "2 Side St"},
	} {
		require.NoError(t, store.AddCustomerServiceRecord(ctx, db, r))
	}
	loa := map[string]any{"authorized_name": "Pat Doe", "company": "Doe Holdings LLC", "address": "1 Main St",
		"pin_provided": false, "signed_at": time.Now(), "document_ref": "s3://loas/x.pdf"}
	for wf, numbers := range map[string][]string{"port-in-A": {"+12125550120", "+12125550121"}, "port-in-B": {"+12125550130", "+12125550131"}} {
		p := store.SubmissionPayload{WorkflowID: wf, Group: "Acme Telecom/did", Kind: store.SubmissionPortRequest, Carrier: "Acme Telecom", Numbers: numbers, LOAVersion: 2}
		submissionRaw(t, db, p, payloadWithLOA(t, p, loa), 2, 2*time.Minute)
	}

	st, err := sim.Step(ctx)
	require.NoError(t, err)
	assert.Equal(t, Stats{Answered: 2}, st)
	got := map[string]porting.CarrierResponse{}
	for _, u := range ft.updates() {
		got[u.workflow] = u.arg.(porting.CarrierResponse)
	}
	some := got["port-in-A"]
	assert.True(t, some.Accepted, "one number matches: accepted with the other rejected")
	assert.Equal(t, []porting.NumberAnswer{{E164: "+12125550121", ReasonCode: "CSR_MISMATCH",
		Reason: "the LOA does not match Acme Telecom's customer service record: address"}}, some.Numbers)
	all := got["port-in-B"]
	assert.False(t, all.Accepted, "no number matches: the whole group rejected")
	assert.Equal(t, "CSR_MISMATCH", all.ReasonCode)
	assert.Contains(t, all.Reason, "address")
	assert.Empty(t, all.Numbers)
}
