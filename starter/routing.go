package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"go.temporal.io/sdk/temporal"

	"github.com/contactcenter/numberporting/internal/portstatus"
	"github.com/contactcenter/numberporting/porting"
)

// Bulk requests (DESIGN §8 "Bulk"): a request of more than porting.OrderSize numbers is handled by
// order workflows, one per group of up to that many numbers; its status lists their groups, each
// with the order's workflow_id. An update addressed to a group goes to the order that handles it —
// to every order of an LOA group for the group itself (one LOA serves them all) — and numbers to
// remove go to the orders that hold them. The orders' own validators answer (exit 3 on refusal).

// routeConcurrency bounds the updates sent to orders at once.
const routeConcurrency = 8

// orderTarget is one order workflow an update goes to, with the group it addresses there.
type orderTarget struct {
	workflowID string
	group      string
}

// groupTargets are the orders that take an update addressed to group of workflowID's request, or
// none when the request has no orders (or its status cannot be read: the update then goes to the
// request itself, which answers for itself).
func (a *app) groupTargets(ctx context.Context, workflowID, group string) []orderTarget {
	st, ok := a.orderedStatus(ctx, workflowID, false)
	if !ok {
		return nil
	}
	var exact, orders []orderTarget
	for _, g := range st.Groups {
		if g.WorkflowID == "" {
			continue
		}
		switch {
		case g.Group == group:
			exact = append(exact, orderTarget{g.WorkflowID, g.Group})
		case g.OrderOf == group && porting.BaseGroupName(g.Group) == g.Group && !g.State.IsEnd():
			orders = append(orders, orderTarget{g.WorkflowID, g.Group})
		}
	}
	if len(exact) > 0 {
		return exact
	}
	return orders
}

// orderedStatus reads the status of a port-in or international port-in that has orders (with every
// page of its numbers when all is set).
func (a *app) orderedStatus(ctx context.Context, workflowID string, all bool) (porting.Status, bool) {
	if !strings.HasPrefix(workflowID, porting.PortInWorkflowID("")) && !strings.HasPrefix(workflowID, porting.IntlPortInWorkflowID("")) {
		return porting.Status{}, false
	}
	r, done, err := a.statusReader(ctx, workflowID)
	if err != nil {
		return porting.Status{}, false
	}
	defer done()
	raw, err := r.Page(ctx, nil)
	if err != nil {
		return porting.Status{}, false
	}
	var st porting.Status
	if json.Unmarshal(raw, &st) != nil || st.Orders == 0 {
		return porting.Status{}, false
	}
	if all {
		full, err := r.Follow(ctx, st)
		if err != nil {
			return porting.Status{}, false
		}
		st = full
	}
	return st, true
}

// sendGroupUpdate sends an update addressed to a group to the request; a bulk request refuses it
// (ErrHandledByOrders) and it goes to the orders that handle the group instead (payload builds the
// update for the group it addresses there).
func (a *app) sendGroupUpdate(ctx context.Context, workflowID, name, group string, payload func(group string) any) error {
	err := a.sendUpdate(ctx, workflowID, name, payload(group))
	if !handledByOrders(err) {
		return err
	}
	targets := a.groupTargets(ctx, workflowID, group)
	if len(targets) == 0 {
		return err
	}
	return a.sendToOrders(ctx, name, targets, func(t orderTarget) any { return payload(t.group) })
}

// handledByOrders: a bulk request's refusal of an update its orders take.
func handledByOrders(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == porting.ErrHandledByOrders
}

// sendToOrders sends one update per order (a few at a time); each order's answer is printed as it
// comes. A refusal of any is the command's exit 3 (the others were applied, and say so).
func (a *app) sendToOrders(ctx context.Context, name string, targets []orderTarget, payload func(orderTarget) any) error {
	var (
		mu     sync.Mutex
		failed []string
		first  error
		wg     sync.WaitGroup
		sem    = make(chan struct{}, routeConcurrency)
	)
	for _, t := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func(t orderTarget) {
			defer wg.Done()
			defer func() { <-sem }()
			var out strings.Builder
			sub := *a
			sub.stdout = &lockedWriter{w: &out}
			err := sub.sendUpdate(ctx, t.workflowID, name, payload(t))
			mu.Lock()
			defer mu.Unlock()
			_, _ = a.stdout.Write([]byte(out.String()))
			if err != nil {
				failed = append(failed, fmt.Sprintf("%s: %v", t.workflowID, errorText(err)))
				if first == nil {
					first = err
				}
			}
		}(t)
	}
	wg.Wait()
	if first == nil {
		return nil
	}
	if len(targets) == 1 {
		return first
	}
	return &cliError{code: exitCode(first), msg: fmt.Sprintf("%d of %d order(s) did not take %s:\n  %s", len(failed), len(targets), name,
		strings.Join(failed, "\n  ")), err: first}
}

// removeNumbers sends each order of a bulk request the numbers it holds; removing every number
// left, or numbers the request does not know, goes to the request itself (a cancellation, or its
// refusal naming the number).
func (a *app) removeNumbers(ctx context.Context, workflowID string, in porting.RemoveNumbers) error {
	err := a.sendUpdate(ctx, workflowID, porting.SignalRemoveNumbers, in)
	if !handledByOrders(err) {
		return err
	}
	st, ok := a.orderedStatus(ctx, workflowID, true)
	if !ok {
		return err
	}
	order := map[string]string{} // group → order workflow
	for _, g := range st.Groups {
		order[g.Group] = g.WorkflowID
	}
	where := map[string]string{} // number → order workflow
	open := 0
	for _, n := range st.Numbers {
		if !n.State.IsEnd() {
			open++
		}
		where[n.E164] = order[n.Group]
	}
	parts := map[string][]string{}
	var targets []orderTarget
	for _, e := range in.Numbers {
		id := where[e]
		if id == "" || len(in.Numbers) == open {
			return err // the request answered for itself
		}
		if _, seen := parts[id]; !seen {
			targets = append(targets, orderTarget{workflowID: id})
		}
		parts[id] = append(parts[id], e)
	}
	return a.sendToOrders(ctx, porting.SignalRemoveNumbers, targets, func(t orderTarget) any {
		return porting.RemoveNumbers{Numbers: parts[t.workflowID], Reason: in.Reason, By: in.By}
	})
}

// followPages completes a status whose numbers are paged with the pages that follow (read by r,
// which read the first).
func (a *app) followPages(ctx context.Context, r *portstatus.Reader, workflowID string, st porting.Status) (porting.Status, error) {
	full, err := r.Follow(ctx, st)
	if err != nil {
		return st, a.statusError(ctx, workflowID, err)
	}
	return full, nil
}

// errorText is an error as the command prints it.
func errorText(err error) string {
	var b strings.Builder
	writeError(&b, err)
	return strings.TrimSpace(b.String())
}

// lockedWriter serialises writes of concurrent sends.
type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
