package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/contactcenter/numberporting/porting"
)

func (a *app) submitLOACmd() *cobra.Command {
	var workflowID, group, file string
	cmd := &cobra.Command{
		Use:   "submit-loa --workflow ID --group G --file F",
		Short: "Deliver an LOA (first one or a resubmission) for one group of a port",
		Long: "The file holds the LOA object {authorized_name, company?, address, account_number?, pin?,\n" +
			"billing_telephone_number?, signed_at, document_ref} or the whole {group, loa} payload;\n" +
			"--group, when given, wins over the file's group. Sent as the submit-loa update.",
		Args: cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, _ []string) error {
			data, err := a.readInput(file)
			if err != nil {
				return err
			}
			payload, err := decodeSubmitLOA(data, inputName(file))
			if err != nil {
				return err
			}
			if group != "" {
				payload.Group = group
			}
			if err := porting.ValidateSubmitLOA(payload); err != nil {
				return invalid("LOA ("+inputName(file)+")", err)
			}
			return a.sendUpdate(ctx, workflowID, porting.SignalSubmitLOA, payload)
		}),
	}
	cmd.Flags().StringVar(&workflowID, "workflow", "", "workflow ID, e.g. port-in-REQ-1")
	cmd.Flags().StringVar(&group, "group", "", `LOA group, e.g. "Acme Telecom/did"`)
	cmd.Flags().StringVarP(&file, "file", "f", "", "the LOA as JSON (- for standard input)")
	_ = cmd.MarkFlagRequired("workflow")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// decodeSubmitLOA accepts either the LOA object or the full {group, loa} payload.
func decodeSubmitLOA(data []byte, name string) (porting.SubmitLOA, error) {
	var probe map[string]json.RawMessage
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&probe); err == nil {
		if _, full := probe["loa"]; full {
			var s porting.SubmitLOA
			err := decodeStrict(data, &s, name)
			return s, err
		}
	}
	var l porting.LOA
	if err := decodeStrict(data, &l, name); err != nil {
		return porting.SubmitLOA{}, err
	}
	return porting.SubmitLOA{LOA: l}, nil
}

func (a *app) carrierResponseCmd() *cobra.Command {
	var (
		workflowID, group, portDate, reasonCode, reason string
		accept, reject                                  bool
	)
	cmd := &cobra.Command{
		Use:   "carrier-response --workflow ID --group G (--accept --port-date T | --reject --reason-code C --reason R)",
		Short: "Deliver the carrier's answer to an LOA submission: accepted with a port date (FOC), or rejected",
		Long: "Accepted with a port date (FOC) schedules the port; a later acceptance with another date reschedules.\n" +
			"Rejected with a reason asks the customer for a new LOA. While a cancellation awaits the carrier\n" +
			"(cancel_requested), --accept without --port-date confirms the cancellation and --reject refuses it.",
		Args: cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, _ []string) error {
			if accept == reject {
				return badInput("accepted: give exactly one of --accept or --reject")
			}
			r := porting.CarrierResponse{Group: group, Accepted: accept}
			if accept {
				if reason != "" || reasonCode != "" {
					return badInput("reason: --reason and --reason-code go with --reject, not --accept")
				}
				if portDate == "" {
					// Only the answer to a cancellation (international: "the cancel took") has no date;
					// the workflow refuses it otherwise, naming port_date.
					if strings.TrimSpace(group) == "" {
						return badInput("group: --group is required")
					}
					if err := a.acceptWithoutDate(ctx, workflowID); err != nil {
						return err
					}
					return a.sendUpdate(ctx, workflowID, porting.SignalCarrierResponse, r)
				}
				t, err := time.Parse(time.RFC3339, portDate)
				if err != nil {
					return badInput("port_date: must be RFC 3339 with offset, e.g. 2026-11-25T10:00:00-05:00; got %q", portDate)
				}
				r.PortDate = &t
			} else {
				if portDate != "" {
					return badInput("port_date: --port-date goes with --accept, not --reject")
				}
				r.ReasonCode, r.Reason = reasonCode, reason
			}
			if err := porting.ValidateCarrierResponse(r, time.Now()); err != nil {
				return invalid("carrier response", err)
			}
			return a.sendUpdate(ctx, workflowID, porting.SignalCarrierResponse, r)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&workflowID, "workflow", "", "workflow ID")
	f.StringVar(&group, "group", "", `LOA group, e.g. "Acme Telecom/did"`)
	f.BoolVar(&accept, "accept", false, "the carrier accepted the LOA")
	f.StringVar(&portDate, "port-date", "", "with --accept: the port date (FOC), RFC 3339 with offset")
	f.BoolVar(&reject, "reject", false, "the carrier rejected the LOA")
	f.StringVar(&reasonCode, "reason-code", "", "with --reject: the carrier's reason code")
	f.StringVar(&reason, "reason", "", "with --reject: the carrier's reason")
	_ = cmd.MarkFlagRequired("workflow")
	_ = cmd.MarkFlagRequired("group")
	return cmd
}

func (a *app) cancelCmd() *cobra.Command {
	var workflowID, reason, by string
	cmd := &cobra.Command{
		Use:   "cancel --workflow ID --reason R --by NAME",
		Short: "Ask a port to cancel (after carrier submission this is a request to the carrier)",
		Args:  cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, _ []string) error {
			c := porting.Cancel{Reason: strings.TrimSpace(reason), By: strings.TrimSpace(by)}
			if err := porting.ValidateCancel(c); err != nil {
				return invalid("cancel request", err)
			}
			return a.sendUpdate(ctx, workflowID, porting.SignalCancel, c)
		}),
	}
	cmd.Flags().StringVar(&workflowID, "workflow", "", "workflow ID")
	cmd.Flags().StringVar(&reason, "reason", "", "why the port is cancelled")
	cmd.Flags().StringVar(&by, "by", "", "who asked for the cancellation")
	_ = cmd.MarkFlagRequired("workflow")
	return cmd
}

// acceptWithoutDate: --accept without --port-date is bad input (exit 2) except as the carrier's
// confirmation of a cancellation, which only an international port-in awaiting it (state
// cancel_requested) takes. A port-in or port-out workflow ID is refused without asking Temporal; an
// international one is asked for its state.
func (a *app) acceptWithoutDate(ctx context.Context, workflowID string) error {
	noDate := func(why string) error {
		return badInput("port_date: --accept needs --port-date (the FOC date, RFC 3339 with offset, e.g. 2026-11-25T10:00:00-05:00); "+
			"only an international port-in awaiting the carrier's answer to a cancellation (state %s) is confirmed without one, %s",
			porting.StateCancelRequested, why)
	}
	if !strings.HasPrefix(workflowID, porting.IntlPortInWorkflowID("")) {
		return noDate("and " + workflowID + " is not an international port-in")
	}
	raw, err := a.queryStatus(ctx, workflowID)
	if err != nil {
		return err
	}
	var st porting.Status
	if err := json.Unmarshal(raw, &st); err != nil {
		return failure(err, "decode status of %s: %v", workflowID, err)
	}
	if st.State != porting.StateCancelRequested {
		return noDate(fmt.Sprintf("and %s is %s", workflowID, st.State))
	}
	return nil
}
