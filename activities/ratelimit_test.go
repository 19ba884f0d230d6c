package activities_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/store"
)

// rateSlack is the tolerance of the rate checks on the access log: 0.25 s worth of requests at the
// instance API's rate (a request reaches the API a little after its token was taken).
const rateSlack = 0.25 * activities.InstanceAPIRate

// requireWithinRate checks the instance API's access log of arn against its limit, from the API's
// side: for every pair of requests i ≤ j, the j−i+1 requests from i to j came no faster than the
// burst plus the rate over the time between them (t_j − t_i), give or take rateSlack. It returns the
// log and the worst window: the largest (j−i+1) − rate·(t_j − t_i), which the limit keeps ≤ the burst.
func requireWithinRate(t *testing.T, db *sqlx.DB, arn string) ([]store.InstanceAPIRequest, float64) {
	t.Helper()
	reqs, err := store.InstanceAPIRequests(ctx, db, arn)
	require.NoError(t, err)
	worst := 0.0
	for i := range reqs {
		for j := i; j < len(reqs); j++ {
			n := float64(j - i + 1)
			dt := reqs[j].At.Sub(reqs[i].At).Seconds()
			worst = max(worst, n-activities.InstanceAPIRate*dt)
			require.LessOrEqual(t, n, activities.InstanceAPIBurst+activities.InstanceAPIRate*dt+rateSlack,
				"requests %d..%d (%d of them) reached the instance API in %.3f s", i+1, j+1, j-i+1, dt)
		}
	}
	return reqs, worst
}

// Two workers — two Activities, each with its own connection pool and its own instance API value —
// provisioning 6 groups into one instance at once send, together, no more than the instance API's
// 2 requests/s with a burst of 5, as measured on the API's access log.
func TestInstanceAPIRateHoldsAcrossWorkers(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewURL(t)
	var workers [2]*activities.Activities
	var counted [2]*calls
	for i := range workers {
		db, err := sqlx.Open("postgres", dbURL)
		require.NoError(t, err)
		db.SetMaxOpenConns(5)
		t.Cleanup(func() { _ = db.Close() })
		counted[i] = &calls{}
		workers[i] = &activities.Activities{DB: db, PINSalt: []byte("test-salt"), ProvisionBatchSize: 1,
			Instances: countingInstances{activities.NewSimulatedInstanceAPI(db), counted[i]}}
	}
	f := &fixture{db: workers[0].DB, a: workers[0]}
	f.arn = f.instance(t, "us-east-1")

	const groups, perGroup = 6, 3
	inputs := make([]activities.NumbersInput, groups)
	for g := range inputs {
		nums := numbers(perGroup, fmt.Sprintf("Carrier %d", g))
		in := f.record(t, fmt.Sprintf("bulk-rate-%d", g), nums)
		inputs[g] = f.numbersInput(in.WorkflowID, nums)
	}

	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, groups)
	for g, in := range inputs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[g] = workers[g%2].ProvisionNumbers(ctx, in)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, err := range errs {
		require.NoError(t, err)
	}

	reqs, worst := requireWithinRate(t, f.db, f.arn)
	const total = groups * perGroup
	require.Len(t, reqs, total, "one request per number (batches of 1), each number added once")
	require.Equal(t, total, pgtest.Count(t, f.db, "phone_numbers", `instance_arn = $1 AND state = 'provisioned'`, f.arn))
	for i, c := range counted {
		require.Equal(t, total/2, c.n["AddNumbers"], "worker %d sent its groups' requests", i+1)
	}
	// The floor: 18 requests at 2/s after a burst of 5 take at least (18 − 5) / 2 = 6.5 s.
	floor := time.Duration(float64(total-activities.InstanceAPIBurst) / activities.InstanceAPIRate * float64(time.Second))
	span := reqs[len(reqs)-1].At.Sub(reqs[0].At)
	require.GreaterOrEqual(t, elapsed, floor)
	require.GreaterOrEqual(t, span, floor-250*time.Millisecond)
	t.Logf("2 workers, %d groups: %d requests in %v (first to last request %v, floor %v); worst window: %.2f requests beyond 2/s·Δt (burst %d, slack %.1f); asks for a token: %d + %d",
		groups, len(reqs), elapsed.Round(time.Millisecond), span.Round(time.Millisecond), floor, worst, activities.InstanceAPIBurst, rateSlack,
		counted[0].n["Reserve"], counted[1].n["Reserve"])
}

// cancelOnWait is the simulated instance API whose first "no token yet" cancels the provisioning (a
// worker stopped while the activity waits for a token).
type cancelOnWait struct {
	activities.InstanceAPI
	cancel context.CancelFunc
}

func (c cancelOnWait) Reserve(ctx context.Context, arn string) (time.Duration, error) {
	wait, err := c.InstanceAPI.Reserve(ctx, arn)
	if wait > 0 {
		c.cancel()
	}
	return wait, err
}

func TestProvisionNumbersInterruptedWhileWaitingForATokenResumes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.a.ProvisionBatchSize = 1
	nums := numbers(8, "Acme")
	in := f.record(t, "rate-interrupted", nums)
	ni := f.numbersInput(in.WorkflowID, nums)

	// The first attempt spends the burst (5 requests), then is cancelled while it waits for the 6th token.
	first, cancel := context.WithCancel(ctx)
	defer cancel()
	interrupted := &activities.Activities{DB: f.db, ProvisionBatchSize: 1,
		Instances: cancelOnWait{activities.NewSimulatedInstanceAPI(f.db), cancel}}
	_, err := interrupted.ProvisionNumbers(first, ni)
	require.ErrorIs(t, err, context.Canceled)
	reqs, err := store.InstanceAPIRequests(ctx, f.db, f.arn)
	require.NoError(t, err)
	require.Len(t, reqs, activities.InstanceAPIBurst)
	require.Equal(t, 5, pgtest.Count(t, f.db, "phone_numbers", `port_request = $1`, in.WorkflowID))

	// The rerun (another worker's attempt) adds only the 3 missing numbers, at the rate.
	res, err := f.a.ProvisionNumbers(ctx, ni)
	require.NoError(t, err)
	require.Equal(t, 8, res.Provisioned)
	reqs, _ = requireWithinRate(t, f.db, f.arn)
	require.Len(t, reqs, 8, "5 requests, then 3")
	added := 0
	for _, r := range reqs {
		added += r.Numbers
	}
	require.Equal(t, 8, added, "no number is added twice")
	require.Equal(t, 8, pgtest.Count(t, f.db, "phone_numbers", `port_request = $1 AND state = 'provisioned'`, in.WorkflowID))
	require.Equal(t, 8, pgtest.Int(t, f.db, `count(DISTINCT e164)`, "phone_numbers", ``))
}
