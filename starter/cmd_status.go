package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/serviceerror"

	"github.com/contactcenter/numberporting/porting"
)

func (a *app) statusCmd() *cobra.Command {
	var (
		workflowID string
		asJSON     bool
	)
	cmd := &cobra.Command{
		Use:   "status --workflow ID [--json]",
		Short: "Show a port's state, numbers, LOA groups, deadlines and history (the status query)",
		Args:  cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, _ []string) error {
			raw, err := a.queryStatus(ctx, workflowID)
			if err != nil {
				return err
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
			var st porting.Status
			if err := json.Unmarshal(raw, &st); err != nil {
				return failure(err, "decode status of %s: %v", workflowID, err)
			}
			return writeStatus(a.stdout, workflowID, st)
		}),
	}
	cmd.Flags().StringVar(&workflowID, "workflow", "", "workflow ID, e.g. port-in-REQ-1")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status query's JSON")
	_ = cmd.MarkFlagRequired("workflow")
	return cmd
}

// queryStatus runs the status query and returns its JSON as the workflow produced it.
func (a *app) queryStatus(ctx context.Context, workflowID string) (json.RawMessage, error) {
	c, err := a.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	val, err := c.QueryWorkflow(ctx, workflowID, "", porting.QueryStatus)
	if err != nil {
		var (
			nf     *serviceerror.NotFound
			failed *serviceerror.QueryFailed
		)
		switch {
		case errors.As(err, &nf):
			return nil, a.closedOrMissingQuery(workflowID, err)
		case errors.As(err, &failed):
			return nil, failure(err, "status query on %s failed: %s", workflowID, failed.Message)
		case timedOut(ctx, err):
			return nil, failure(err, "status query on %s: no answer within --timeout %s; is a worker polling task queue %q?",
				workflowID, a.timeout, porting.TaskQueue)
		}
		return nil, a.temporalError(err, "status query on %s", workflowID)
	}
	var raw json.RawMessage
	if err := val.Get(&raw); err != nil {
		return nil, failure(err, "decode status of %s: %v", workflowID, err)
	}
	return raw, nil
}

func (a *app) closedOrMissingQuery(workflowID string, cause error) error {
	return &cliError{code: exitNotFound, msg: fmt.Sprintf("no workflow %s in namespace %s", workflowID, a.namespace), err: cause}
}

// writeStatus prints the readable form: times in the port's own time zone.
func writeStatus(w io.Writer, workflowID string, st porting.Status) error {
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
		return t.In(loc).Format("2006-01-02 15:04 MST")
	}
	orDash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Request:\t%s\n", orDash(st.RequestID))
	fmt.Fprintf(tw, "Workflow:\t%s\n", workflowID)
	fmt.Fprintf(tw, "Kind:\t%s\n", orDash(st.Kind))
	fmt.Fprintf(tw, "State:\t%s\n", orDash(string(st.State)))
	if st.InstanceARN != "" {
		fmt.Fprintf(tw, "Instance:\t%s\n", st.InstanceARN)
	}
	fmt.Fprintf(tw, "Time zone:\t%s\n", loc.String())
	next := at(st.NextDeadline)
	if st.NextDeadline != nil && st.NextDeadlineKind != "" {
		next += " (" + st.NextDeadlineKind + ")"
	}
	fmt.Fprintf(tw, "Next deadline:\t%s\n", next)
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nNUMBERS")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "E164\tSTATE\tGROUP\tREASON")
	for _, n := range st.Numbers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", n.E164, n.State, orDash(n.Group), orDash(n.Reason))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nGROUPS")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tSTATE\tLOA VERSION\tPORT DATE\tNEXT DEADLINE\tREJECTIONS\tLAST REASON")
	for _, g := range st.Groups {
		gnext := at(g.NextDeadline)
		if g.NextDeadline != nil && g.NextDeadlineKind != "" {
			gnext += " (" + g.NextDeadlineKind + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%d\t%s\n", g.Group, g.State, g.LOAVersion, at(g.PortDate), gnext, g.Rounds, orDash(g.LastReason))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nHISTORY")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tSTATE\tNOTE")
	for _, h := range st.History {
		t := h.At
		fmt.Fprintf(tw, "%s\t%s\t%s\n", at(&t), h.State, h.Note)
	}
	return tw.Flush()
}
