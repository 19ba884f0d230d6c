package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/store"
)

// take takes a token of arn's bucket at 2/s with a burst of 5 (the instance API's limit).
func take(t *testing.T, db *sqlx.DB, arn string) time.Duration {
	t.Helper()
	wait, err := store.TakeInstanceAPIToken(ctx, db, arn, 2, 5)
	require.NoError(t, err)
	return wait
}

// idle makes the bucket of arn as it would be after d without requests (its refill time moved back).
func idle(t *testing.T, db *sqlx.DB, arn string, d time.Duration) {
	t.Helper()
	_, err := db.ExecContext(ctx, `UPDATE instance_api_tokens SET refilled_at = refilled_at - make_interval(secs => $2) WHERE instance_arn = $1`,
		arn, d.Seconds())
	require.NoError(t, err)
}

func tokensLeft(t *testing.T, db *sqlx.DB, arn string) float64 {
	t.Helper()
	var tokens float64
	require.NoError(t, db.GetContext(ctx, &tokens, `SELECT tokens FROM instance_api_tokens WHERE instance_arn = $1`, arn))
	return tokens
}

func TestInstanceAPITokenBucket(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	// The first use finds the bucket full: the burst of 5, then a wait of about 1/2 s for the 6th.
	for i := range 5 {
		require.Zero(t, take(t, f.db, f.arn), "request %d of the burst", i+1)
	}
	wait := take(t, f.db, f.arn)
	require.Greater(t, wait, 400*time.Millisecond)
	require.LessOrEqual(t, wait, 500*time.Millisecond)
	require.Greater(t, take(t, f.db, f.arn), time.Duration(0), "asking again does not help")

	// Then 2 a second: one second's refill is 2 tokens, the 3rd waits.
	idle(t, f.db, f.arn, time.Second)
	require.Zero(t, take(t, f.db, f.arn))
	require.Zero(t, take(t, f.db, f.arn))
	wait = take(t, f.db, f.arn)
	require.Greater(t, wait, 400*time.Millisecond)
	require.LessOrEqual(t, wait, 500*time.Millisecond)
	// In real time too: after the wait it told, there is a token.
	time.Sleep(wait)
	require.Zero(t, take(t, f.db, f.arn))

	// A long idle refills the bucket to the burst, not more.
	idle(t, f.db, f.arn, time.Hour)
	require.Zero(t, take(t, f.db, f.arn))
	require.InDelta(t, 4, tokensLeft(t, f.db, f.arn), 1e-9, "an hour's refill is capped at the burst of 5, one taken")
	for range 4 {
		require.Zero(t, take(t, f.db, f.arn))
	}
	require.Greater(t, take(t, f.db, f.arn), 400*time.Millisecond)

	// Each instance has its own bucket.
	other := f.instance(t, "us-west-2")
	for range 5 {
		require.Zero(t, take(t, f.db, other))
	}

	// A bucket without a refill or a burst is a mistake, refused before anything is written.
	_, err := store.TakeInstanceAPIToken(ctx, f.db, f.arn, 0, 5)
	require.ErrorContains(t, err, "rate must be positive")
	_, err = store.TakeInstanceAPIToken(ctx, f.db, f.arn, 2, 0)
	require.ErrorContains(t, err, "burst at least 1")
}

// Takers on several connection pools (several workers) at once never get more than the bucket gives:
// burst + rate × elapsed.
func TestInstanceAPITokensHoldAcrossConnections(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewURL(t)
	const (
		takers    = 6
		perSecond = 20.0
		burst     = 5
		runFor    = 1500 * time.Millisecond
	)
	pools := make([]*sqlx.DB, takers)
	for i := range pools {
		db, err := sqlx.Open("postgres", dbURL)
		require.NoError(t, err)
		db.SetMaxOpenConns(2)
		t.Cleanup(func() { _ = db.Close() })
		pools[i] = db
	}
	f := &fixture{db: pools[0]}
	f.arn = f.instance(t, "us-east-1")

	var (
		mu    sync.Mutex
		taken int
		asked int
		wg    sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(runFor)
	for _, db := range pools {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				wait, err := store.TakeInstanceAPIToken(ctx, db, f.arn, perSecond, burst)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				asked++
				if wait == 0 {
					taken++
				}
				mu.Unlock()
				time.Sleep(wait) // every taker wakes when the next token is due: they race for it
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	most := burst + perSecond*elapsed.Seconds()
	t.Logf("%d takers on their own pools: %d tokens in %v (at most %.1f), %d asks", takers, taken, elapsed.Round(time.Millisecond), most, asked)
	require.LessOrEqual(t, float64(taken), most)
	// The bucket is not starved either: most of what it gives is taken.
	require.GreaterOrEqual(t, float64(taken), burst+perSecond*runFor.Seconds()/2)
}
