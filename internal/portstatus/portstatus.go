// Package portstatus reads a port workflow's status as its status query answers it (DESIGN §3; the
// numbers paged as §8 "Bulk" allows), for the starter and the bench.
//
// A running workflow answers the query from the worker's cache in milliseconds. A closed one is
// not in any cache: a worker answers each query by replaying its whole history — 0.6 s a page for
// a completed 20,000-number bulk request (4,000 events, 2 MB), 2.5 s for its four pages. So the
// query is sent with QUERY_REJECT_CONDITION_NOT_OPEN: a running workflow answers it as before, a
// closed one is refused by the server at once, without a worker. A completed request's status is
// then read from its result, which carries the status the query would answer (the same function,
// taken as the workflow ended: porting.PortResult.Status), fetched once — one history event — and
// paged here by the query's own rule (porting.StatusPage.Page), so the JSON is the query's to the
// byte. A closed workflow whose result has no status (failed, terminated, timed out, an order of
// a bulk request, a port-out, or ended on an earlier build) is queried as before, by replay.
package portstatus

import (
	"context"
	"encoding/json"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/contactcenter/numberporting/porting"
)

// Source says where a status came from.
type Source string

const (
	// FromQuery: the status query of the running workflow.
	FromQuery Source = "query"
	// FromResult: the final status in a completed workflow's result.
	FromResult Source = "result"
	// FromReplay: the status query of a closed workflow whose result has no status, answered by
	// a worker replaying its history.
	FromReplay Source = "replay"
)

// Reader reads one workflow's status, page by page. Once a page came from a completed workflow's
// result, the other pages come from it too (it is read once); a running workflow is asked for
// each page, and a page asked after it closed comes from its result.
type Reader struct {
	client     client.Client
	workflowID string

	source Source
	runID  string          // the closed run (FromResult, FromReplay)
	final  *porting.Status // FromResult: every number
}

// New reads workflowID's status through c (a client with the porting payload codec).
func New(c client.Client, workflowID string) *Reader {
	return &Reader{client: c, workflowID: workflowID}
}

// Source is where the last page came from ("" before the first).
func (r *Reader) Source() Source { return r.source }

// Page returns a page of the status as the status query's JSON (page nil: the query without an
// argument, up to porting.DefaultStatusNumbers numbers). Errors are the client's: a
// serviceerror.NotFound for no such workflow, a serviceerror.QueryFailed for a query the
// workflow failed, and so on.
func (r *Reader) Page(ctx context.Context, page *porting.StatusPage) (json.RawMessage, error) {
	switch {
	case r.final != nil:
		return r.fromResult(page)
	case r.source == FromReplay:
		return r.query(ctx, page, enumspb.QUERY_REJECT_CONDITION_NONE)
	}
	raw, rejected, err := r.queryOpen(ctx, page)
	if err != nil {
		return nil, err
	}
	if rejected == enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED {
		r.source = FromQuery
		return raw, nil
	}
	// Closed: its result, else a replaying query of the run described.
	ok, err := r.readResult(ctx, rejected)
	if err != nil {
		return nil, err
	}
	if ok {
		return r.fromResult(page)
	}
	r.source = FromReplay
	return r.query(ctx, page, enumspb.QUERY_REJECT_CONDITION_NONE)
}

// All returns the whole status: the first page with the pages that follow it (numbers_next), its
// numbers all listed and no paging fields set.
func (r *Reader) All(ctx context.Context) (porting.Status, error) {
	raw, err := r.Page(ctx, nil)
	if err != nil {
		return porting.Status{}, err
	}
	if whole, ok := r.Whole(); ok {
		return whole, nil
	}
	var st porting.Status
	if err := json.Unmarshal(raw, &st); err != nil {
		return porting.Status{}, fmt.Errorf("decode status of %s: %w", r.workflowID, err)
	}
	return r.Follow(ctx, st)
}

// Whole is the status with every number once it was read from a completed workflow's result (the
// pages would only cut it and put it back together); false before, and for a status from a query.
func (r *Reader) Whole() (porting.Status, bool) {
	if r.final == nil {
		return porting.Status{}, false
	}
	return *r.final, true
}

// Follow completes a first page with the pages that follow it.
func (r *Reader) Follow(ctx context.Context, st porting.Status) (porting.Status, error) {
	if st.NumbersNext == 0 {
		return st, nil
	}
	if whole, ok := r.Whole(); ok {
		return whole, nil
	}
	for next := st.NumbersNext; next > 0; {
		raw, err := r.Page(ctx, &porting.StatusPage{Offset: next})
		if err != nil {
			return st, err
		}
		var page porting.Status
		if err := json.Unmarshal(raw, &page); err != nil {
			return st, fmt.Errorf("decode status of %s: %w", r.workflowID, err)
		}
		st.Numbers = append(st.Numbers, page.Numbers...)
		next = page.NumbersNext
	}
	st.NumbersTotal, st.NumbersOffset, st.NumbersNext = 0, 0, 0
	return st, nil
}

// queryOpen sends the status query to the running workflow; a closed one is refused by the server
// (its status returned, no worker involved).
func (r *Reader) queryOpen(ctx context.Context, page *porting.StatusPage) (json.RawMessage, enumspb.WorkflowExecutionStatus, error) {
	resp, err := r.client.QueryWorkflowWithOptions(ctx, &client.QueryWorkflowWithOptionsRequest{
		WorkflowID: r.workflowID, QueryType: porting.QueryStatus, Args: pageArgs(page),
		QueryRejectCondition: enumspb.QUERY_REJECT_CONDITION_NOT_OPEN,
	})
	if err != nil {
		return nil, 0, err
	}
	if resp.QueryRejected != nil {
		status := resp.QueryRejected.GetStatus()
		if status == enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED {
			status = enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED // refused, so not open: look
		}
		return nil, status, nil
	}
	raw, err := decode(resp.QueryResult)
	return raw, 0, err
}

// query sends the status query, to the closed run when one was described.
func (r *Reader) query(ctx context.Context, page *porting.StatusPage, reject enumspb.QueryRejectCondition) (json.RawMessage, error) {
	resp, err := r.client.QueryWorkflowWithOptions(ctx, &client.QueryWorkflowWithOptionsRequest{
		WorkflowID: r.workflowID, RunID: r.runID, QueryType: porting.QueryStatus, Args: pageArgs(page),
		QueryRejectCondition: reject,
	})
	if err != nil {
		return nil, err
	}
	return decode(resp.QueryResult)
}

// readResult reads the final status from the result of the closed workflow, if it completed with
// one. It describes the workflow first: the run that completed (a new run of the same ID may have
// started since, and is then queried).
func (r *Reader) readResult(ctx context.Context, status enumspb.WorkflowExecutionStatus) (bool, error) {
	if status != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		return false, nil
	}
	desc, err := r.client.DescribeWorkflowExecution(ctx, r.workflowID, "")
	if err != nil {
		return false, err
	}
	info := desc.GetWorkflowExecutionInfo()
	if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		return false, nil // a new run since: the query answers (it is running) or replays
	}
	r.runID = info.GetExecution().GetRunId()
	var res porting.PortResult
	if err := r.client.GetWorkflow(ctx, r.workflowID, r.runID).Get(ctx, &res); err != nil {
		if ctx.Err() != nil {
			return false, err
		}
		return false, nil // a result this client cannot read (an old key's, say): the query may
	}
	st, ok := res.FinalStatus()
	if !ok {
		return false, nil
	}
	r.final, r.source = &st, FromResult
	return true, nil
}

// fromResult pages the final status as the query handler pages it.
func (r *Reader) fromResult(page *porting.StatusPage) (json.RawMessage, error) {
	st := *r.final
	page.Page(&st)
	return json.Marshal(st)
}

func pageArgs(page *porting.StatusPage) []any {
	if page == nil {
		return nil
	}
	return []any{page}
}

func decode(v interface{ Get(valuePtr any) error }) (json.RawMessage, error) {
	if v == nil {
		return nil, fmt.Errorf("status query: no answer")
	}
	var raw json.RawMessage
	if err := v.Get(&raw); err != nil {
		return nil, err
	}
	return raw, nil
}
