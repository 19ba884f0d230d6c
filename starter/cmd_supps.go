package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/contactcenter/numberporting/porting"
)

// Supplemental changes (DESIGN §8): another port date, numbers dropped from an open request.

func (a *app) requestPortDateCmd() *cobra.Command {
	var workflowID, group, portDate, by string
	cmd := &cobra.Command{
		Use:   "request-port-date --workflow ID --group G --port-date T --by NAME",
		Short: "Ask the carrier for another port date for one group of a port-in (a supplemental change)",
		Long: "Sent as the request-port-date update (port-in and international port-in). The carrier is asked for the\n" +
			"new date; the current date stands until it answers (carrier-response: accepted with the new date, or\n" +
			"rejected and the old date stands). Refused once the group is provisioning or later, and within the\n" +
			"supplemental cut-off (supp_cutoff_business_days, default 2) of the current date.",
		Args: cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, _ []string) error {
			r, err := requestPortDatePayload(group, portDate, by, time.Now())
			if err != nil {
				return err
			}
			return a.sendGroupUpdate(ctx, workflowID, porting.SignalRequestPortDate, r.Group, func(group string) any {
				out := r
				out.Group = group
				return out
			})
		}),
	}
	f := cmd.Flags()
	f.StringVar(&workflowID, "workflow", "", "workflow ID, e.g. port-in-REQ-1")
	f.StringVar(&group, "group", "", `LOA group, e.g. "Acme Telecom/did"`)
	f.StringVar(&portDate, "port-date", "", "the date the customer asks for, RFC 3339 with offset, e.g. 2026-11-25T10:00:00-05:00")
	f.StringVar(&by, "by", "", "who asked for the new date")
	_ = cmd.MarkFlagRequired("workflow")
	return cmd
}

// requestPortDatePayload builds and validates the request-port-date payload; every problem is
// listed (exit 2), a port date that is not RFC 3339 among them.
func requestPortDatePayload(group, portDate, by string, now time.Time) (porting.RequestPortDate, error) {
	r := porting.RequestPortDate{Group: strings.TrimSpace(group), By: strings.TrimSpace(by)}
	var probs []porting.FieldError
	badDate := false
	if s := strings.TrimSpace(portDate); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			badDate = true
			probs = append(probs, porting.FieldError{Field: "port_date",
				Rule: fmt.Sprintf("must be RFC 3339 with offset, e.g. 2026-11-25T10:00:00-05:00; got %q", portDate)})
		} else {
			r.PortDate = t
		}
	}
	if err := porting.ValidateRequestPortDate(r, now); err != nil {
		var v *porting.ValidationError
		if !errors.As(err, &v) {
			return r, invalid("port date request", err)
		}
		for _, p := range v.Problems {
			if badDate && p.Field == "port_date" {
				continue // "is required": it was given, just not readable
			}
			probs = append(probs, p)
		}
	}
	if len(probs) > 0 {
		return r, invalid("port date request", &porting.ValidationError{Problems: probs})
	}
	return r, nil
}

func (a *app) removeNumbersCmd() *cobra.Command {
	var (
		workflowID, reason, by string
		numbers                []string
	)
	cmd := &cobra.Command{
		Use:   "remove-numbers --workflow ID --number E164 [--number E164 ...] --reason R --by NAME",
		Short: "Drop numbers from an open request before activation (removing every number left cancels it)",
		Long: "Sent as the remove-numbers update (port-in, international port-in, port-out). Numbers already\n" +
			"provisioned are released and the carrier is told; a number that is activating or later cannot be\n" +
			"removed. Removing every number the request still has is a cancellation.",
		Args: cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, _ []string) error {
			r, err := removeNumbersPayload(numbers, reason, by)
			if err != nil {
				return err
			}
			return a.removeNumbers(ctx, workflowID, r)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&workflowID, "workflow", "", "workflow ID, e.g. port-in-REQ-1")
	f.StringSliceVar(&numbers, "number", nil, "a number to remove, E.164 (repeatable, or several separated by commas)")
	f.StringVar(&reason, "reason", "", "why the numbers are removed")
	f.StringVar(&by, "by", "", "who asked for the removal")
	_ = cmd.MarkFlagRequired("workflow")
	return cmd
}

// removeNumbersPayload builds and validates the remove-numbers payload (exit 2, a number's problem
// naming --number and the value given).
func removeNumbersPayload(numbers []string, reason, by string) (porting.RemoveNumbers, error) {
	r := porting.RemoveNumbers{Reason: strings.TrimSpace(reason), By: strings.TrimSpace(by)}
	for _, n := range numbers {
		r.Numbers = append(r.Numbers, strings.TrimSpace(n))
	}
	if err := porting.ValidateRemoveNumbers(r); err != nil {
		return r, invalid("remove-numbers request", renameProblems(err, "numbers", "--number", numbers))
	}
	return r, nil
}
