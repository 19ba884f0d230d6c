package workflows

import "github.com/contactcenter/numberporting/porting"

// result is what a port-in returns when it ends: every number's state and, for a request (not an
// order: an order's result lands in its request's history), what its status query answers at the
// end — the same status() the query handler serves, taken after the last step, so that the status
// of a completed request is read from its result instead of a query a worker would answer by
// replaying the whole history (porting.PortResult.Status). Building it reads state only: no command.
func (w *port) result(end porting.State, reason string) porting.PortResult {
	st := w.status()
	res := porting.PortResult{RequestID: w.req.RequestID, State: end, Reason: reason, Numbers: st.Numbers}
	if w.order == nil {
		st.Numbers = nil // the result's own Numbers
		res.Status = &st
	}
	return res
}
