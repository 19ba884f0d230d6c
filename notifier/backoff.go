package notifier

import (
	"math/rand/v2"
	"time"
)

// Backoff is how long to wait before the next attempt once attempt (1 the first) has failed.
// Tests inject their own; the worker uses Exponential.
type Backoff func(attempt int) time.Duration

// Exponential waits first after the first failure, doubling after each one up to max, with jitter:
// a random wait in the upper half of that step ([d/2, d]), so that the deliveries that failed
// together — a receiver down for everyone — do not all come back at the same instant. With the
// defaults (10 s, 1 h) a receiver is tried about 40 times in 24 hours (32 to 57, by the jitter):
// ten times within an hour or so, then every 30 to 60 minutes.
func Exponential(first, max time.Duration) Backoff {
	return func(attempt int) time.Duration {
		d := first
		for i := 1; i < attempt && d < max; i++ {
			d *= 2
		}
		d = min(d, max)
		half := d / 2
		return half + rand.N(d-half+1)
	}
}
