package main

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	commonpb "go.temporal.io/api/common/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/contactcenter/numberporting/porting"
)

var (
	listKinds   = []string{porting.KindPortIn, porting.KindInternationalPortIn, porting.KindPortOut}
	listStates  = []porting.State{porting.StateValidating, porting.StateCheckingPortability, porting.StateAwaitingLOA, porting.StateLOARejected, porting.StateAwaitingCarrier, porting.StateScheduled, porting.StateProvisioning, porting.StateProvisioned, porting.StateActivating, porting.StateVerifying, porting.StateCompleted, porting.StateNotPortable, porting.StateCancelled, porting.StateFailed, porting.StateAwaitingPortability, porting.StateAwaitingCostApproval, porting.StateCancelRequested, porting.StateAwaitingWinningCarrier, porting.StateVerifyingOwnership, porting.StateRejectedMismatch, porting.StateApproved, porting.StateReleasing, porting.StateExpired}
	e164Pattern = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	safeValue   = regexp.MustCompile(`^[A-Za-z0-9:/._+-]+$`)
)

type listFilter struct {
	Kind, State, Number, Instance, RequestID string
}

// listQuery builds the visibility query on the contract's search attributes.
func listQuery(f listFilter) (string, error) {
	clauses := []string{fmt.Sprintf("TaskQueue = '%s'", porting.TaskQueue)}
	if f.Kind != "" {
		if !slices.Contains(listKinds, f.Kind) {
			return "", badInput("--kind: must be one of %s, got %q", strings.Join(listKinds, ", "), f.Kind)
		}
		clauses = append(clauses, fmt.Sprintf("PortKind = '%s'", f.Kind))
	}
	if f.State != "" {
		if !slices.Contains(listStates, porting.State(f.State)) {
			return "", badInput("--state: %q is not a port state (e.g. awaiting_loa, scheduled, completed)", f.State)
		}
		clauses = append(clauses, fmt.Sprintf("PortState = '%s'", f.State))
	}
	if f.Number != "" {
		if !e164Pattern.MatchString(f.Number) {
			return "", badInput("--number: must be an E.164 number like +14155550100, got %q", f.Number)
		}
		clauses = append(clauses, fmt.Sprintf("PhoneNumbers = '%s'", f.Number))
	}
	if f.Instance != "" {
		if !safeValue.MatchString(f.Instance) {
			return "", badInput("--instance: must be an instance ARN like arn:aws:connect:us-east-1:123456789012:instance/ID, got %q", f.Instance)
		}
		clauses = append(clauses, fmt.Sprintf("InstanceArn = '%s'", f.Instance))
	}
	if f.RequestID != "" {
		if !porting.IsRequestID(f.RequestID) {
			return "", badInput("--request-id: must be a request_id (1-64 letters, digits, '.', '_' or '-', starting with a letter or digit), got %q", f.RequestID)
		}
		// The request's workflow and any child workflow it runs (DESIGN §8).
		clauses = append(clauses, fmt.Sprintf("RequestId = '%s'", f.RequestID))
	}
	return strings.Join(clauses, " AND "), nil
}

func (a *app) listCmd() *cobra.Command {
	var (
		f     listFilter
		limit int
	)
	cmd := &cobra.Command{
		Use:   "list [--kind K] [--state S] [--number E164] [--instance ARN] [--request-id ID]",
		Short: "List ports by kind, state, phone number, instance or request (visibility query on the search attributes)",
		Long: "Lists the workflows that match every filter given (a visibility query on the search attributes).\n" +
			"--request-id lists a request's workflow and any child workflow it runs (RequestId = \"<request_id>\").",
		Args: cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, _ []string) error {
			query, err := listQuery(f)
			if err != nil {
				return err
			}
			if limit <= 0 {
				return badInput("--limit: must be positive, got %d", limit)
			}
			c, err := a.dial(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			var rows []*workflowpb.WorkflowExecutionInfo
			var token []byte
			for len(rows) < limit {
				resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
					Namespace:     a.namespace,
					PageSize:      int32(min(limit-len(rows), 1000)),
					NextPageToken: token,
					Query:         query,
				})
				if err != nil {
					return a.temporalError(err, "list (%s)", query)
				}
				rows = append(rows, resp.GetExecutions()...)
				token = resp.GetNextPageToken()
				if len(token) == 0 {
					break
				}
			}
			if len(rows) > limit {
				rows = rows[:limit]
			}
			if len(rows) == 0 {
				fmt.Fprintf(a.stderr, "no port matches (%s)\n", query)
				return nil
			}
			return writeList(a.stdout, rows)
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Kind, "kind", "", "port_in, intl_port_in or port_out")
	fl.StringVar(&f.State, "state", "", "port state, e.g. awaiting_loa")
	fl.StringVar(&f.Number, "number", "", "a phone number of the port (E.164)")
	fl.StringVar(&f.Instance, "instance", "", "instance ARN")
	fl.StringVar(&f.RequestID, "request-id", "", "a request_id: the request's workflow and its child workflows")
	fl.IntVar(&limit, "limit", 100, "at most this many ports")
	return cmd
}

// writeList prints one line per workflow: the request it belongs to (a request's child workflows
// have IDs of their own), its state, its port date (port-ins) or release time (port-outs) in the
// port's own time zone, its numbers (the first few), carrier and instance.
func writeList(w io.Writer, rows []*workflowpb.WorkflowExecutionInfo) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKFLOW ID\tREQUEST\tKIND\tSTATE\tEXECUTION\tPORT DATE\tNUMBERS\tCARRIER\tINSTANCE")
	for _, info := range rows {
		sa := info.GetSearchAttributes()
		arn := keyword(sa, "InstanceArn")
		numbers := keywordList(sa, "PhoneNumbers")
		portDate := "-"
		if s := keyword(sa, "PortDate"); s != "" {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				portDate = t.In(portLocation(arn, numbers)).Format("2006-01-02 15:04 MST")
			} else {
				portDate = s
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			info.GetExecution().GetWorkflowId(),
			dash(keyword(sa, "RequestId")),
			dash(keyword(sa, "PortKind")),
			dash(keyword(sa, "PortState")),
			statusName(info.GetStatus()),
			portDate,
			dash(abbreviate(numbers, 3)),
			dash(strings.Join(keywordList(sa, "Carrier"), ",")),
			dash(arn),
		)
	}
	return tw.Flush()
}

// portLocation is the time zone a port's dates are in (the instance region's for +1 numbers, the
// numbers' country's otherwise); UTC when it cannot tell.
func portLocation(arn string, numbers []string) *time.Location {
	if len(numbers) == 0 {
		return time.UTC
	}
	cal, err := porting.PortOutCalendar(porting.PortOutRequest{InstanceARN: arn, Numbers: numbers[:1]})
	if err != nil {
		return time.UTC
	}
	return cal.Location()
}

// abbreviate joins the first n numbers and says how many more there are.
func abbreviate(numbers []string, n int) string {
	if len(numbers) <= n {
		return strings.Join(numbers, ",")
	}
	return fmt.Sprintf("%s (+%d more)", strings.Join(numbers[:n], ","), len(numbers)-n)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// keyword decodes a single-valued search attribute (Keyword, Datetime) as a string.
func keyword(sa *commonpb.SearchAttributes, name string) string {
	p := sa.GetIndexedFields()[name]
	if p == nil {
		return ""
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &s); err != nil {
		// Some servers return single values as a one-element list.
		if l := keywordList(sa, name); len(l) > 0 {
			return l[0]
		}
		return ""
	}
	return s
}

// keywordList decodes a KeywordList search attribute.
func keywordList(sa *commonpb.SearchAttributes, name string) []string {
	p := sa.GetIndexedFields()[name]
	if p == nil {
		return nil
	}
	var l []string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &l); err != nil {
		var s string
		if converter.GetDefaultDataConverter().FromPayload(p, &s) == nil && s != "" {
			return []string{s}
		}
		return nil
	}
	return l
}
