package store

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jmoiron/sqlx"
)

// TakeInstanceAPIToken takes one token of the instance's request bucket, which every worker shares
// (instance_api_tokens): the bucket holds at most burst tokens and gains perSecond tokens a second,
// counted on the database's clock (clock_timestamp()), never a worker's. It returns 0 when it took a
// token — the caller may send one request — and otherwise how long until the next token (nothing is
// taken: ask again then). An instance's first request finds its bucket full.
//
// One short transaction: the row is locked (created full on first use by INSERT … ON CONFLICT) and
// the clock read under the lock, so concurrent takers on any number of connections are serialized
// and never get more than burst + perSecond·t tokens in t seconds; a taker that finds the row locked
// does not queue for it (that would hold a connection per waiter) but is told to ask again shortly. A token taken by an attempt that
// then fails (a retried activity) is simply lost: that slows the instance's requests, it never lets
// more through.
func TakeInstanceAPIToken(ctx context.Context, db *sqlx.DB, instanceARN string, perSecond float64, burst int) (time.Duration, error) {
	if perSecond <= 0 || math.IsInf(perSecond, 0) || math.IsNaN(perSecond) || burst < 1 {
		return 0, fmt.Errorf("instance API rate limit of %v/s with a burst of %d: the rate must be positive and finite and the burst at least 1", perSecond, burst)
	}
	var wait time.Duration
	err := InTx(ctx, db, func(tx *sqlx.Tx) error {
		// The bucket exists, full on first use (nothing waits here on a row another taker holds).
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO instance_api_tokens (instance_arn, tokens, refilled_at) VALUES ($1, $2, clock_timestamp())
			ON CONFLICT (instance_arn) DO NOTHING`, instanceARN, burst); err != nil {
			return err
		}
		// The row lock, without queueing for it: with hundreds of provisionings of one instance
		// waiting (a bulk request), takers queued on the lock would each hold a connection. A taker
		// that finds it held asks again a moment later. The clock is read once the lock is held.
		var b struct {
			Tokens     float64   `db:"tokens"`
			RefilledAt time.Time `db:"refilled_at"`
			Now        time.Time `db:"now"`
		}
		err := tx.GetContext(ctx, &b, `
			SELECT tokens, refilled_at, clock_timestamp() AS now FROM instance_api_tokens
			WHERE instance_arn = $1 FOR UPDATE SKIP LOCKED`, instanceARN)
		if isNoRows(err) {
			wait = lockedRetry(perSecond)
			return nil
		}
		if err != nil {
			return err
		}
		available := math.Min(float64(burst), b.Tokens+perSecond*math.Max(b.Now.Sub(b.RefilledAt).Seconds(), 0))
		if available < 1 {
			// Nothing taken and nothing to write: the refill is linear, so the row as it is says the same.
			wait = time.Duration(math.Ceil((1 - available) / perSecond * float64(time.Second)))
			return nil
		}
		// Never back in time (a clock stepped back would otherwise count a refill twice).
		refilled := b.Now
		if refilled.Before(b.RefilledAt) {
			refilled = b.RefilledAt
		}
		_, err = tx.ExecContext(ctx, `UPDATE instance_api_tokens SET tokens = $2, refilled_at = $3 WHERE instance_arn = $1`,
			instanceARN, available-1, refilled)
		return err
	})
	if err != nil {
		return 0, err
	}
	return wait, nil
}

// lockedRetry is how long a taker that found the bucket held waits before asking again: a fraction
// of a token's time, so that it does not miss the next token by much.
func lockedRetry(perSecond float64) time.Duration {
	return max(time.Duration(float64(time.Second)/perSecond/4), 10*time.Millisecond)
}

// InstanceAPIRequest is one request the simulated instance API received (its access log).
type InstanceAPIRequest struct {
	At      time.Time `db:"at"`
	Numbers int       `db:"numbers"`
}

// InstanceAPIRequests is the simulated instance API's access log of an instance: its AddNumbers
// requests in the order they were received, each with the database's time and how many numbers it
// carried.
func InstanceAPIRequests(ctx context.Context, db *sqlx.DB, instanceARN string) ([]InstanceAPIRequest, error) {
	var out []InstanceAPIRequest
	err := db.SelectContext(ctx, &out, `
		SELECT at, numbers FROM instance_api_requests WHERE instance_arn = $1 ORDER BY at, id`, instanceARN)
	return out, err
}
