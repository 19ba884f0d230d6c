package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/spf13/cobra"

	"github.com/contactcenter/numberporting/porting"
)

func (a *app) portInCmd() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "port-in --file F",
		Short: "Validate a US/Canada port-in request, start the PortIn workflow and print its workflow ID",
		Long: "Reads the PortIn request (JSON of DESIGN §3; - reads standard input), validates it, starts the\n" +
			"PortIn workflow and waits until the workflow has checked the request against the inventory\n" +
			"(instance, contact flow, numbers already porting). Prints the workflow ID when accepted.",
		Args: cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, _ []string) error { return a.portIn(ctx, file) }),
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the request as JSON (- for standard input)")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

func (a *app) portIn(ctx context.Context, file string) error {
	data, err := a.readInput(file)
	if err != nil {
		return err
	}
	req, err := readPortIn(data, inputName(file))
	if err != nil {
		return err
	}
	return a.startPort(ctx, portInStart(req), req)
}

// readPortIn decodes and validates a PortIn request and canonicalises its carriers
// (porting.NormalizePortIn), so that the workflow, its groups and the Carrier search attribute see
// one spelling per carrier ("Acme Telecom" and "acme telecom " are one carrier).
func readPortIn(data []byte, name string) (porting.PortInRequest, error) {
	var req porting.PortInRequest
	if err := decodeStrict(data, &req, name); err != nil {
		return porting.PortInRequest{}, err
	}
	if err := porting.ValidatePortIn(req); err != nil {
		return porting.PortInRequest{}, invalid("port-in request ("+name+")", err)
	}
	if _, err := porting.PortInCalendarCountry(req); err != nil {
		return porting.PortInRequest{}, invalid("port-in request ("+name+")", err)
	}
	return porting.NormalizePortIn(req), nil
}

func portInStart(req porting.PortInRequest) portStart {
	var carriers, numbers []string
	for _, n := range req.Numbers {
		if !slices.Contains(carriers, n.Carrier) {
			carriers = append(carriers, n.Carrier)
		}
		numbers = append(numbers, n.E164)
	}
	return portStart{
		workflowType: porting.WorkflowPortIn, id: porting.PortInWorkflowID(req.RequestID), requestID: req.RequestID,
		kind: porting.KindPortIn, instanceARN: req.InstanceARN, carriers: carriers, numbers: numbers, label: "Port-in",
	}
}

// portStart is what starting a port needs besides its input.
type portStart struct {
	workflowType, id, requestID, kind, instanceARN string
	carriers, numbers                              []string
	label                                          string // the process as people name it: "Port-in"
	counterparty                                   string // the port-out's winning carrier
}

// staticSummary is the one line the Temporal UI shows for the port for its whole life (its
// changing account is the workflow's current details).
func (p portStart) staticSummary() string {
	if p.kind == porting.KindPortOut {
		return fmt.Sprintf("%s %s: %s from %s to %s", p.label, p.requestID, countNumbers(len(p.numbers)), p.instanceARN, p.counterparty)
	}
	return fmt.Sprintf("%s %s: %s from %s to %s", p.label, p.requestID, countNumbers(len(p.numbers)), strings.Join(p.carriers, ", "), p.instanceARN)
}

// staticDetailsNumbers caps the numbers listed in the static details: a bulk request's 20,000 are in
// its status and found by the PhoneNumbers search attribute.
const staticDetailsNumbers = 20

// staticDetails is the request as started, in Markdown: who, where, which numbers.
func (p portStart) staticDetails() string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** `%s` (request `%s`)\n\n", p.label, p.id, p.requestID)
	fmt.Fprintf(&b, "- instance: `%s`\n", p.instanceARN)
	if p.kind == porting.KindPortOut {
		fmt.Fprintf(&b, "- winning carrier: %s\n", p.counterparty)
	} else {
		fmt.Fprintf(&b, "- losing carrier(s): %s\n", strings.Join(p.carriers, ", "))
	}
	shown := p.numbers
	if len(shown) > staticDetailsNumbers {
		shown = shown[:staticDetailsNumbers]
	}
	fmt.Fprintf(&b, "- numbers (%d): %s", len(p.numbers), strings.Join(shown, ", "))
	if more := len(p.numbers) - len(shown); more > 0 {
		fmt.Fprintf(&b, " and %d more", more)
	}
	b.WriteString("\n")
	return b.String()
}

func countNumbers(n int) string {
	if n == 1 {
		return "1 number"
	}
	return fmt.Sprintf("%d numbers", n)
}

// startPort starts one port per request (a second start while the first is open is refused; a new
// run is allowed once the old one closed), with the search attributes an operator finds it by, and
// waits for the workflow to validate the request against the inventory.
func (a *app) startPort(ctx context.Context, p portStart, input any) error {
	c, err := a.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	run, err := c.ExecuteWorkflow(ctx, startOptions(p), p.workflowType, input)
	if err != nil {
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &started) {
			return refused("request %s is already open as workflow %s", p.requestID, p.id)
		}
		return a.temporalError(err, "start workflow %s", p.id)
	}
	return a.awaitValidation(ctx, c, run)
}

func startOptions(p portStart) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                                       p.id,
		TaskQueue:                                porting.TaskQueue,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		StaticSummary:                            p.staticSummary(),
		StaticDetails:                            p.staticDetails(),
		TypedSearchAttributes: temporal.NewSearchAttributes(
			porting.SearchPortKind.ValueSet(p.kind),
			porting.SearchPortState.ValueSet(string(porting.StateValidating)),
			porting.SearchInstanceArn.ValueSet(p.instanceARN),
			porting.SearchCarrier.ValueSet(p.carriers),
			porting.SearchPhoneNumbers.ValueSet(porting.IndexedNumbers(p.numbers)),
			porting.SearchRequestId.ValueSet(p.requestID),
		),
	}
}

// awaitValidation calls the await-validation update right after the start, so a request the
// inventory refuses (unknown instance, unpublished flow, number already porting…) is reported here
// with exit 3 instead of failing silently in the background.
func (a *app) awaitValidation(ctx context.Context, c client.Client, run client.WorkflowRun) error {
	id := run.GetID()
	handle, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   id,
		RunID:        run.GetRunID(),
		UpdateName:   porting.UpdateAwaitValidation,
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var outcome porting.ValidationOutcome
	if err == nil {
		err = handle.Get(ctx, &outcome)
	}
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			// The workflow already ended (it refused the request before the update arrived).
			return a.endedBeforeValidation(ctx, run)
		}
		if timedOut(ctx, err) {
			return failure(err, "workflow %s started, but its validation did not finish within --timeout %s; "+
				"is a worker polling task queue %q? (see: starter status --workflow %s)", id, a.timeout, porting.TaskQueue, id)
		}
		return a.updateError(ctx, c, id, porting.UpdateAwaitValidation, err)
	}
	if !outcome.Accepted {
		return refused("request refused (workflow %s, state %s): %s", id, outcome.State, outcome.Reason)
	}
	fmt.Fprintln(a.stdout, id)
	return nil
}

// endedBeforeValidation reports a workflow that closed before answering await-validation.
func (a *app) endedBeforeValidation(ctx context.Context, run client.WorkflowRun) error {
	var res porting.PortResult
	err := run.Get(ctx, &res)
	if err != nil {
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) {
			return refused("request refused: workflow %s failed: %s", run.GetID(), appErr.Message())
		}
		return failure(err, "workflow %s ended before validating the request: %v", run.GetID(), err)
	}
	reason := res.Reason
	if reason == "" {
		reason = "no reason given"
	}
	return refused("request refused: workflow %s ended in state %q: %s", run.GetID(), res.State, reason)
}
