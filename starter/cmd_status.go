package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/serviceerror"

	"github.com/contactcenter/numberporting/internal/portstatus"
	"github.com/contactcenter/numberporting/porting"
)

func (a *app) statusCmd() *cobra.Command {
	var (
		workflowID string
		asJSON     bool
		allNumbers bool
	)
	cmd := &cobra.Command{
		Use:   "status --workflow ID [--json] [--numbers]",
		Short: "Show a port's state, numbers, LOA groups, deadlines and history (the status query)",
		Long: "A request of more than " + fmt.Sprint(numbersListedUpTo) + " numbers shows how many numbers are in each state (--numbers lists\n" +
			"them all); a bulk request's groups are its orders, each with the workflow that handles it. The\n" +
			"status query pages the numbers of a large request; status follows the pages (--json prints them\n" +
			"as one answer). A completed request's status is read from its result, which carries what the\n" +
			"query answers (a closed workflow's query would be answered by replaying its whole history).",
		Args: cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, _ []string) error {
			r, done, err := a.statusReader(ctx, workflowID)
			if err != nil {
				return err
			}
			defer done()
			raw, err := a.statusPage(ctx, r, workflowID, nil)
			if err != nil {
				return err
			}
			st, paged, err := a.wholeStatus(ctx, r, workflowID, raw)
			if err != nil {
				return err
			}
			if asJSON && paged {
				if raw, err = json.Marshal(st); err != nil {
					return failure(err, "encode status of %s: %v", workflowID, err)
				}
			}
			if asJSON {
				var out bytes.Buffer
				if err := json.Indent(&out, raw, "", "  "); err != nil {
					return failure(err, "status of %s is not JSON: %v", workflowID, err)
				}
				out.WriteByte('\n')
				_, err := a.stdout.Write(out.Bytes())
				return err
			}
			// Buffered: the table writes cell by cell, a write each (20,000 numbers: 100,000 writes).
			out := bufio.NewWriterSize(a.stdout, 64<<10)
			if err := writeStatus(out, workflowID, st, time.Now(), allNumbers); err != nil {
				return err
			}
			return out.Flush()
		}),
	}
	cmd.Flags().StringVar(&workflowID, "workflow", "", "workflow ID, e.g. port-in-REQ-1")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status query's JSON")
	cmd.Flags().BoolVar(&allNumbers, "numbers", false, fmt.Sprintf("list every number even when there are more than %d", numbersListedUpTo))
	_ = cmd.MarkFlagRequired("workflow")
	return cmd
}

// statusReader reads workflowID's status through one connection (done closes it): a running
// workflow's from its status query, a completed request's from its result, which carries the same
// status (package portstatus: a closed workflow's query would be answered by replaying its history).
func (a *app) statusReader(ctx context.Context, workflowID string) (*portstatus.Reader, func(), error) {
	c, err := a.dial(ctx)
	if err != nil {
		return nil, nil, err
	}
	return portstatus.New(c, workflowID), c.Close, nil
}

// queryStatus reads the status (its first page) and returns its JSON as the status query answers it.
func (a *app) queryStatus(ctx context.Context, workflowID string) (json.RawMessage, error) {
	r, done, err := a.statusReader(ctx, workflowID)
	if err != nil {
		return nil, err
	}
	defer done()
	return a.statusPage(ctx, r, workflowID, nil)
}

// statusPage reads a page of the numbers (nil: the first) with r.
func (a *app) statusPage(ctx context.Context, r *portstatus.Reader, workflowID string, page *porting.StatusPage) (json.RawMessage, error) {
	raw, err := r.Page(ctx, page)
	if err != nil {
		return nil, a.statusError(ctx, workflowID, err)
	}
	return raw, nil
}

// wholeStatus is the status whose first page is raw with every number (paged: they were not all
// on the first page; the pages that follow are read with r).
func (a *app) wholeStatus(ctx context.Context, r *portstatus.Reader, workflowID string, raw json.RawMessage) (porting.Status, bool, error) {
	if whole, ok := r.Whole(); ok { // a completed request's, from its result: no page to follow
		return whole, len(whole.Numbers) > porting.DefaultStatusNumbers, nil
	}
	var st porting.Status
	if err := json.Unmarshal(raw, &st); err != nil {
		return st, false, failure(err, "decode status of %s: %v", workflowID, err)
	}
	if st.NumbersNext == 0 {
		return st, false, nil
	}
	st, err := a.followPages(ctx, r, workflowID, st)
	return st, true, err
}

// statusError is a failure to read a status as the command reports it.
func (a *app) statusError(ctx context.Context, workflowID string, err error) error {
	var (
		nf     *serviceerror.NotFound
		failed *serviceerror.QueryFailed
	)
	switch {
	case errors.As(err, &nf):
		return a.closedOrMissingQuery(workflowID, err)
	case errors.As(err, &failed):
		return failure(err, "status query on %s failed: %s", workflowID, failed.Message)
	case timedOut(ctx, err):
		return failure(err, "status query on %s: no answer within --timeout %s; is a worker polling task queue %q?",
			workflowID, a.timeout, porting.TaskQueue)
	}
	return a.temporalError(err, "status query on %s", workflowID)
}

func (a *app) closedOrMissingQuery(workflowID string, cause error) error {
	return &cliError{code: exitNotFound, msg: fmt.Sprintf("no workflow %s in namespace %s", workflowID, a.namespace), err: cause}
}

// writeStatus prints the readable form: times in the port's own time zone (with the weekday, as
// deadlines count business days), the next deadline also relative to now. Numbers show their own
// reason code when the carrier answered for them alone; groups their number count, and below the
// table the split a group came from and a port date asked for that the carrier has not answered. A
// port-out's one group is its winning carrier: requests received, rejections, the agreed release time.
// numbersListedUpTo: a request of more numbers shows how many are in each state instead of a row
// each (status --numbers lists them).
const numbersListedUpTo = 100

func writeStatus(w io.Writer, workflowID string, st porting.Status, now time.Time, allNumbers bool) error {
	loc := time.UTC
	if st.TimeZone != "" {
		if l, err := time.LoadLocation(st.TimeZone); err == nil {
			loc = l
		}
	}
	at := func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return "-"
		}
		return t.In(loc).Format("Mon 2006-01-02 15:04:05 MST")
	}
	deadline := func(t *time.Time, kind string, rel bool) string {
		if t == nil || t.IsZero() {
			return "-"
		}
		var notes []string
		if kind != "" {
			notes = append(notes, kind)
		}
		if rel {
			notes = append(notes, relative(t.Sub(now)))
		}
		if len(notes) == 0 {
			return at(t)
		}
		return at(t) + " (" + strings.Join(notes, ", ") + ")"
	}
	orDash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	portOut := st.Kind == porting.KindPortOut

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Request:\t%s\n", orDash(st.RequestID))
	fmt.Fprintf(tw, "Workflow:\t%s\n", workflowID)
	fmt.Fprintf(tw, "Kind:\t%s\n", orDash(st.Kind))
	fmt.Fprintf(tw, "State:\t%s\n", orDash(string(st.State)))
	if st.State.IsEnd() && len(st.History) > 0 {
		fmt.Fprintf(tw, "Outcome:\t%s\n", st.History[len(st.History)-1].Note)
	}
	if st.InstanceARN != "" {
		fmt.Fprintf(tw, "Instance:\t%s\n", st.InstanceARN)
	}
	fmt.Fprintf(tw, "Time zone:\t%s\n", loc.String())
	fmt.Fprintf(tw, "Next deadline:\t%s\n", deadline(st.NextDeadline, st.NextDeadlineKind, true))
	if err := tw.Flush(); err != nil {
		return err
	}

	if len(st.Numbers) > numbersListedUpTo && !allNumbers {
		if err := writeNumberCounts(w, st); err != nil {
			return err
		}
	} else if err := writeNumbers(w, st, portOut, orDash); err != nil {
		return err
	}
	if err := writeGroups(w, st, portOut, at, deadline, orDash); err != nil {
		return err
	}
	if err := writeGroupChanges(w, st.Groups, at); err != nil {
		return err
	}
	if err := writeActions(w, st.Groups, portOut); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nHISTORY")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tSTATE\tNOTE")
	for _, h := range st.History {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", h.At.In(loc).Format("2006-01-02 15:04:05 MST"), h.State, h.Note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if st.Ignored > 0 {
		fmt.Fprintf(w, "\n%d signal(s) ignored in all (the history lists the first ones)\n", st.Ignored)
	}
	return nil
}

// writeNumberCounts shows how many of a large request's numbers are in each state, in order of
// progress.
func writeNumberCounts(w io.Writer, st porting.Status) error {
	count := map[porting.State]int{}
	var states []porting.State
	for _, n := range st.Numbers {
		if count[n.State] == 0 {
			states = append(states, n.State)
		}
		count[n.State]++
	}
	sort.SliceStable(states, func(i, j int) bool { return states[i].Progress() < states[j].Progress() })
	fmt.Fprintf(w, "\nNUMBERS (%d; --numbers lists them)\n", len(st.Numbers))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATE\tNUMBERS")
	for _, s := range states {
		fmt.Fprintf(tw, "%s\t%d\n", s, count[s])
	}
	return tw.Flush()
}

// writeNumbers lists every number with its state, group and reason.
func writeNumbers(w io.Writer, st porting.Status, portOut bool, orDash func(string) string) error {
	fmt.Fprintln(w, "\nNUMBERS")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	// CODE (a number's own reason code, from a per-number carrier answer) only when a number has one.
	withCode := false
	for _, n := range st.Numbers {
		withCode = withCode || n.ReasonCode != ""
	}
	header := []string{"E164", "STATE"}
	if !portOut {
		header = append(header, "GROUP")
	}
	if withCode {
		header = append(header, "CODE")
	}
	fmt.Fprintln(tw, strings.Join(append(header, "REASON"), "\t"))
	for _, n := range st.Numbers {
		row := []string{n.E164, string(n.State)}
		if !portOut {
			row = append(row, orDash(n.Group))
		}
		if withCode {
			row = append(row, orDash(string(n.ReasonCode)))
		}
		fmt.Fprintln(tw, strings.Join(append(row, orDash(n.Reason)), "\t"))
	}
	return tw.Flush()
}

// writeGroups lists the LOA groups (a bulk request's: its orders, with their workflows), or a
// port-out's winning carrier.
func writeGroups(w io.Writer, st porting.Status, portOut bool, at func(*time.Time) string,
	deadline func(*time.Time, string, bool) string, orDash func(string) string) error {
	if portOut {
		fmt.Fprintln(w, "\nWINNING CARRIER")
	} else {
		fmt.Fprintln(w, "\nLOA GROUPS")
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	orders := st.Orders > 0
	switch {
	case portOut:
		fmt.Fprintln(tw, "CARRIER\tSTATE\tREQUESTS\tREJECTED\tRELEASE AT\tNEXT DEADLINE\tLAST REJECTION")
	case orders:
		fmt.Fprintln(tw, "GROUP\tSTATE\tNUMBERS\tLOA\tREJECTED\tPORT DATE\tNEXT DEADLINE\tLAST REASON\tORDER WORKFLOW")
	default:
		fmt.Fprintln(tw, "GROUP\tSTATE\tNUMBERS\tLOA\tREJECTED\tPORT DATE\tNEXT DEADLINE\tLAST REASON")
	}
	for _, g := range st.Groups {
		if portOut {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\n", g.Group, g.State, g.LOAVersion, g.Rounds, at(g.PortDate),
				deadline(g.NextDeadline, g.NextDeadlineKind, false), orDash(g.LastReason))
			continue
		}
		version, count := "-", "-"
		if g.LOAVersion > 0 {
			version = fmt.Sprintf("v%d", g.LOAVersion)
		}
		if g.Numbers > 0 {
			count = fmt.Sprint(g.Numbers)
		}
		row := fmt.Sprintf("%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s", g.Group, g.State, count, version, g.Rounds, at(g.PortDate),
			deadline(g.NextDeadline, g.NextDeadlineKind, false), orDash(g.LastReason))
		if orders {
			row += "\t" + orDash(g.WorkflowID)
		}
		fmt.Fprintln(tw, row)
	}
	if len(st.Groups) == 0 {
		fmt.Fprintln(tw, "-\t\t\t\t\t\t")
	}
	return tw.Flush()
}

// writeGroupChanges lists, for the groups that have them, the split a group came from and the port
// date the customer asked for that the carrier has not answered yet; nothing when no group has
// either. at formats a time in the port's zone.
func writeGroupChanges(w io.Writer, groups []porting.GroupStatus, at func(*time.Time) string) error {
	type change struct{ group, what string }
	var changes []change
	for _, g := range groups {
		if g.SplitFrom != "" {
			changes = append(changes, change{g.Group, "split from " + g.SplitFrom + ": numbers the carrier did not accept with the rest"})
		}
		if g.RequestedPortDate != nil && !g.RequestedPortDate.IsZero() {
			what := "requested port date " + at(g.RequestedPortDate) + ": date asked for, awaiting the carrier"
			if g.PortDate != nil && !g.PortDate.IsZero() {
				what += " (" + at(g.PortDate) + " stands until it answers)"
			}
			changes = append(changes, change{g.Group, what})
		}
	}
	if len(changes) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nGROUP CHANGES")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tCHANGE")
	for _, c := range changes {
		fmt.Fprintf(tw, "%s\t%s\n", c.group, c.what)
	}
	return tw.Flush()
}

// writeActions lists what to do about each group's last rejection (its catalogue code and customer
// action), for the groups that have one; nothing when none has.
func writeActions(w io.Writer, groups []porting.GroupStatus, portOut bool) error {
	var todo []porting.GroupStatus
	for _, g := range groups {
		if g.CustomerAction != "" {
			todo = append(todo, g)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if portOut {
		fmt.Fprintln(w, "\nWHAT THE WINNING CARRIER SHOULD DO")
	} else {
		fmt.Fprintln(w, "\nWHAT THE CUSTOMER SHOULD DO")
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tCODE\tACTION")
	for _, g := range todo {
		code := string(g.LastReasonCode)
		if code == "" {
			code = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", g.Group, code, g.CustomerAction)
	}
	return tw.Flush()
}

// relative says how far a time is from now, coarsely: "in 3d 4h", "2m 10s ago".
func relative(d time.Duration) string {
	past := d < 0
	if past {
		d = -d
	}
	var out string
	switch {
	case d < time.Minute:
		out = fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		out = fmt.Sprintf("%dm %ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		out = fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		out = fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
	}
	if past {
		return out + " ago"
	}
	return "in " + out
}
