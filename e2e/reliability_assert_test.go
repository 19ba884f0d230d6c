//go:build reliability

package e2e

// The reliability harness: assertions. What the database says at a moment and once every port has
// ended, and the counts of the ports' histories.

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lib/pq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/contactcenter/numberporting/porting"
)

// ---------------------------------------------------------------------------------------------
// What the database says at a moment, and at the end.

// snapshot is the progress at one moment, as the database shows it.
type snapshot struct {
	provisioningGroups int // groups whose ProvisionNumbers started and has not finished
	numbersAdded       int // of those groups, numbers already on the instance
	releasesDue        int // port-outs past their release time, or cancels sent, not yet finished
	releasesCommitted  int // of those, the ones whose release is already committed
	finished           int // ports ended
}

func (s snapshot) String() string {
	return fmt.Sprintf("provisioning in flight: %d group(s) (%d number(s) added so far); releases due: %d (%d committed, port not finished yet); ports ended: %d",
		s.provisioningGroups, s.numbersAdded, s.releasesDue, s.releasesCommitted, s.finished)
}

func (f *fleet) snapshot(ctx context.Context) (snapshot, error) {
	var s snapshot
	err := f.db.GetContext(ctx, &s.provisioningGroups, `
		SELECT count(*) FROM limit_increases l
		WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.idempotency_key = l.workflow_id || '/provision/' || l."group")`)
	if err != nil {
		return s, err
	}
	err = f.db.GetContext(ctx, &s.numbersAdded, `
		SELECT count(*) FROM phone_numbers p JOIN port_request_numbers n ON n.workflow_id = p.port_request AND n.e164 = p.e164
		JOIN limit_increases l ON l.workflow_id = n.workflow_id AND l."group" = n."group"
		WHERE p.state = 'provisioned'
		  AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.idempotency_key = l.workflow_id || '/provision/' || l."group")`)
	if err != nil {
		return s, err
	}
	if err := f.db.GetContext(ctx, &s.finished, `SELECT count(*) FROM port_requests WHERE finished_at IS NOT NULL`); err != nil {
		return s, err
	}
	var due []string
	now := time.Now()
	f.mu.Lock()
	for _, p := range f.plans {
		if (!p.releaseAt.IsZero() && !p.releaseAt.After(now)) || !p.cancelAt.IsZero() {
			due = append(due, p.workflowID)
		}
	}
	f.mu.Unlock()
	var rows []struct {
		Committed bool `db:"committed"`
	}
	err = f.db.SelectContext(ctx, &rows, `
		SELECT EXISTS (SELECT 1 FROM audit_log a WHERE a.workflow_id = r.workflow_id
		               AND a.action IN ('numbers_released', 'numbers_released_port_out')) AS committed
		FROM port_requests r WHERE r.workflow_id = ANY($1) AND r.finished_at IS NULL`, pq.Array(due))
	if err != nil {
		return s, err
	}
	s.releasesDue = len(rows)
	for _, r := range rows {
		if r.Committed {
			s.releasesCommitted++
		}
	}
	return s, nil
}

// awaitProvisioning waits until numbers are being added to an instance right now: a ProvisionNumbers
// is unfinished and the count of numbers ports have added grew between two looks 50 ms apart (a
// live attempt, not one a killed worker left behind, waiting for its heartbeat timeout).
func (f *fleet) awaitProvisioning(ctx context.Context, within time.Duration) bool {
	prev := -1
	return poll(ctx, within, 50*time.Millisecond, func() bool {
		var added int
		if err := f.db.GetContext(ctx, &added, `SELECT count(*) FROM phone_numbers WHERE port_request IS NOT NULL`); err != nil {
			return false
		}
		grew := prev >= 0 && added > prev
		prev = added
		if !grew {
			return false
		}
		s, err := f.snapshot(ctx)
		return err == nil && s.provisioningGroups > 0
	})
}

// poll checks cond every interval until it holds (true) or within has passed (false): a
// require.Eventually that does not fail the test, for conditions a test only prefers.
func poll(ctx context.Context, within, every time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

// verify checks every port's end and what the database holds, and logs the counts.
func (f *fleet) verify(ctx context.Context) {
	t := f.t
	t.Helper()
	ok := true
	for _, p := range f.plans {
		if p.err != nil {
			ok = false
			t.Errorf("%s: %v", p.workflowID, p.err)
			continue
		}
		if !assert.Equal(t, p.want, p.result.State, "%s ended %s (%s)", p.workflowID, p.result.State, p.result.Reason) {
			ok = false
		}
	}

	// Ports in the database.
	var ports []struct {
		WorkflowID string `db:"workflow_id"`
		State      string `db:"state"`
		Finished   bool   `db:"finished"`
	}
	require.NoError(t, f.db.SelectContext(ctx, &ports, `SELECT workflow_id, state, finished_at IS NOT NULL AS finished FROM port_requests`))
	byID := map[string]string{}
	for _, r := range ports {
		assert.True(t, r.Finished, "%s is not finished in port_requests", r.WorkflowID)
		byID[r.WorkflowID] = r.State
	}
	assert.Len(t, ports, len(f.plans), "one port_requests row per port")
	for _, p := range f.plans {
		assert.Equal(t, string(p.want), byID[p.workflowID], "port_requests.state of %s", p.workflowID)
	}
	var locked int
	require.NoError(t, f.db.GetContext(ctx, &locked, `SELECT count(*) FROM port_request_numbers WHERE active`))
	assert.Zero(t, locked, "numbers still locked by a port")

	// Every number: one phone_numbers row in the expected state; one audit row per step it went through.
	type numberRow struct {
		E164   string `db:"e164"`
		Rows   int    `db:"rows"`
		States string `db:"states"`
	}
	var numberRows []numberRow
	require.NoError(t, f.db.SelectContext(ctx, &numberRows, `
		SELECT e164, count(*) AS rows, string_agg(state, ',' ORDER BY id) AS states FROM phone_numbers GROUP BY e164`))
	phone := map[string]numberRow{}
	for _, r := range numberRows {
		phone[r.E164] = r
	}
	var auditRows []struct {
		E164   string `db:"e164"`
		Action string `db:"action"`
		Count  int    `db:"count"`
	}
	require.NoError(t, f.db.SelectContext(ctx, &auditRows, `
		SELECT n AS e164, action, count(*) AS count FROM audit_log, jsonb_array_elements_text(detail->'numbers') AS n
		WHERE action IN ('numbers_provisioned', 'numbers_activated', 'numbers_released', 'numbers_released_port_out')
		GROUP BY n, action`))
	audits := map[string]map[string]int{}
	for _, r := range auditRows {
		if audits[r.E164] == nil {
			audits[r.E164] = map[string]int{}
		}
		audits[r.E164][r.Action] = r.Count
	}
	want := map[string]int{} // action → numbers expected
	var completedIn, completedUK int
	for _, p := range f.plans {
		for _, n := range p.numbers {
			a := audits[n]
			var wantState string
			var wantAudit map[string]int
			switch {
			case p.kind == porting.KindPortOut:
				wantState, wantAudit = "released", map[string]int{"numbers_released_port_out": 1}
			case p.cancel:
				wantState, wantAudit = "released", map[string]int{"numbers_provisioned": 1, "numbers_released": 1}
			default:
				wantState, wantAudit = "active", map[string]int{"numbers_provisioned": 1, "numbers_activated": 1}
				if p.instance == relInARN {
					completedIn++
				} else {
					completedUK++
				}
			}
			for k, v := range wantAudit {
				want[k] += v
			}
			if !assert.Equal(t, numberRow{E164: n, Rows: 1, States: wantState}, phone[n], "phone_numbers rows of %s (%s)", n, p.workflowID) {
				ok = false
			}
			if !assert.Equal(t, wantAudit, a, "audit rows naming %s (%s)", n, p.workflowID) {
				ok = false
			}
		}
	}
	got := map[string]int{}
	for _, r := range auditRows {
		got[r.Action] += r.Count
	}
	var auditTotals []struct {
		Action string `db:"action"`
		Count  int    `db:"count"`
	}
	require.NoError(t, f.db.SelectContext(ctx, &auditTotals, `SELECT action, count(*) AS count FROM audit_log GROUP BY action ORDER BY action`))

	// The limit increases: applied once per provisioned group, reversed once per release.
	var limits []struct {
		ARN   string `db:"arn"`
		Limit int    `db:"phone_number_limit"`
	}
	require.NoError(t, f.db.SelectContext(ctx, &limits, `SELECT arn, phone_number_limit FROM instances`))
	for _, l := range limits {
		switch l.ARN {
		case relInARN:
			assert.Equal(t, relBase+completedIn, l.Limit, "phone-number limit of %s", l.ARN)
		case relUKARN:
			assert.Equal(t, relBase+completedUK, l.Limit, "phone-number limit of %s", l.ARN)
		case relOutARN:
			assert.Equal(t, relOutBase, l.Limit, "phone-number limit of %s", l.ARN)
		}
	}

	// Notifications: exactly the expected keys, each once.
	var notes []struct {
		WorkflowID string `db:"workflow_id"`
		Key        string `db:"key"`
	}
	require.NoError(t, f.db.SelectContext(ctx, &notes, `SELECT workflow_id, key FROM notifications ORDER BY workflow_id, key`))
	gotNotes := map[string][]string{}
	for _, n := range notes {
		gotNotes[n.WorkflowID] = append(gotNotes[n.WorkflowID], n.Key)
	}
	wantNotes := 0
	for _, p := range f.plans {
		exp := p.expectedNotifications()
		wantNotes += len(exp)
		if !assert.ElementsMatch(t, exp, gotNotes[p.workflowID], "notifications of %s", p.workflowID) {
			ok = false
		}
	}
	var queued int
	require.NoError(t, f.db.GetContext(ctx, &queued, `SELECT count(*) FROM audit_log WHERE action = 'notification_queued'`))
	assert.Equal(t, len(notes), queued, "one notification_queued audit row per notification")

	// Carrier submissions: one port request per group, one cancel per cancelled group.
	var subs []struct {
		Kind  string `db:"kind"`
		Count int    `db:"count"`
	}
	require.NoError(t, f.db.SelectContext(ctx, &subs, `SELECT kind, count(*) AS count FROM carrier_submissions WHERE kind IN ('port_request', 'cancel') GROUP BY kind`))
	wantSubs := map[string]int{}
	for _, p := range f.plans {
		if p.kind == porting.KindPortOut {
			continue
		}
		wantSubs["port_request"] += len(p.groups)
		if p.cancel {
			wantSubs["cancel"] += len(p.groups)
		}
	}
	gotSubs := map[string]int{}
	for _, s := range subs {
		gotSubs[s.Kind] = s.Count
	}
	assert.Equal(t, wantSubs, gotSubs, "carrier submissions by kind")

	var phoneRows int
	for _, r := range numberRows {
		phoneRows += r.Rows
	}
	wantNumbers := 0
	for _, p := range f.plans {
		wantNumbers += len(p.numbers)
	}
	totals := make([]string, len(auditTotals))
	for i, a := range auditTotals {
		totals[i] = fmt.Sprintf("%s=%d", a.Action, a.Count)
	}
	t.Logf("counts: %s", f.kinds())
	t.Logf("counts: numbers %d, phone_numbers rows %d (expected %d, one per number)", wantNumbers, phoneRows, wantNumbers)
	t.Logf("counts: per-number audit rows provisioned=%d activated=%d released=%d released_port_out=%d (expected %d/%d/%d/%d)",
		got["numbers_provisioned"], got["numbers_activated"], got["numbers_released"], got["numbers_released_port_out"],
		want["numbers_provisioned"], want["numbers_activated"], want["numbers_released"], want["numbers_released_port_out"])
	t.Logf("counts: notifications %d (expected %d, %d distinct (workflow, key)); carrier submissions %v (expected %v)",
		len(notes), wantNotes, len(notes), gotSubs, wantSubs)
	t.Logf("counts: audit_log by action: %s", strings.Join(totals, " "))
	if !ok {
		t.Errorf("the end state is wrong (seed %d)", f.seed)
	}
}

// historyCounts are, over every port's history, the activities that needed more than one attempt
// (by type) and the workflow tasks that timed out or failed: the traces kills and outages leave.
type historyCounts struct {
	retried       map[string]int
	extraAttempts int
	// localRetries are the local activities' attempts after their first (a port-in's short steps
	// from versionLocalSteps), as each workflow task reports them to the server for metering.
	localRetries             int
	wftTimeouts, wftFailures int
	failureCauses            map[string]int // workflow task failures by cause
	// historyReads are the workflow task failures in which the worker could not read the port's
	// history to the task's end ("premature end of stream": the server answered the history read
	// with fewer events than the task it handed out). They say nothing about the workflow code,
	// which never ran, so they are counted apart; the task is retried and goes through.
	historyReads int
}

// historyReadFailure is the SDK's message when the history it fetched ends before the task's
// started event.
const historyReadFailure = "history_events: premature end of stream"

func (h historyCounts) retriedTotal() int {
	n := h.localRetries
	for _, v := range h.retried {
		n += v
	}
	return n
}

func (h historyCounts) String() string {
	names := make([]string, 0, len(h.retried))
	for k := range h.retried {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s=%d", k, h.retried[k])
	}
	causes := make([]string, 0, len(h.failureCauses))
	for k, v := range h.failureCauses {
		causes = append(causes, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(causes)
	return fmt.Sprintf("activities that needed more than one attempt: %d (%d extra attempts) [%s], local activity attempts after the first: %d; workflow tasks timed out: %d, failed: %d [%s], failed reading their history: %d",
		h.retriedTotal()-h.localRetries, h.extraAttempts, strings.Join(parts, " "), h.localRetries, h.wftTimeouts, h.wftFailures, strings.Join(causes, " "), h.historyReads)
}

func (f *fleet) historyStats(ctx context.Context) historyCounts {
	h := historyCounts{retried: map[string]int{}, failureCauses: map[string]int{}}
	for _, p := range f.plans {
		types := map[int64]string{}
		it := f.c.GetWorkflowHistory(ctx, p.workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				f.t.Logf("history of %s: %v", p.workflowID, err)
				break
			}
			switch e.GetEventType() {
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
				types[e.GetEventId()] = e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
				a := e.GetActivityTaskStartedEventAttributes()
				if a.GetAttempt() > 1 {
					h.retried[types[a.GetScheduledEventId()]]++
					h.extraAttempts += int(a.GetAttempt()) - 1
				}
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
				h.localRetries += int(e.GetWorkflowTaskCompletedEventAttributes().GetMeteringMetadata().GetNonfirstLocalActivityExecutionAttempts())
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
				h.wftTimeouts++
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
				a := e.GetWorkflowTaskFailedEventAttributes()
				if strings.HasPrefix(a.GetFailure().GetMessage(), historyReadFailure) {
					h.historyReads++
					f.t.Logf("workflow task of %s (event %d) failed reading its history: %s", p.workflowID, e.GetEventId(), a.GetFailure().GetMessage())
					continue
				}
				h.wftFailures++
				cause := strings.TrimPrefix(a.GetCause().String(), "WORKFLOW_TASK_FAILED_CAUSE_")
				h.failureCauses[cause]++
				if a.GetCause() != enumspb.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND && a.GetCause() != enumspb.WORKFLOW_TASK_FAILED_CAUSE_RESET_STICKY_TASK_QUEUE {
					f.t.Logf("workflow task failed in %s (event %d): %s: %s", p.workflowID, e.GetEventId(), cause, a.GetFailure().GetMessage())
				}
			}
		}
	}
	return h
}

// driverStats sums the drivers' refused and transient update/query attempts.
func (f *fleet) driverStats() string {
	var refusals, transient int64
	for _, p := range f.plans {
		refusals += p.refusals.Load()
		transient += p.transient.Load()
	}
	return fmt.Sprintf("driver: %d update(s) refused and retried, %d query/update/result call(s) failed for want of a worker or server and retried", refusals, transient)
}
