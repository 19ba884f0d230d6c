package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/contactcenter/numberporting/porting"
)

func (a *app) portOutCmd() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "port-out --file F",
		Short: "Validate a port-out request, start the PortOut workflow and print its workflow ID",
		Long: "Reads the PortOut request {request_id, instance_arn, numbers:[e164], winning_carrier, customer_contact}\n" +
			"(JSON of DESIGN §3; - reads standard input), validates it (no instance ARN, no processing), starts the\n" +
			"PortOut workflow and waits until the workflow has checked the request against the inventory (every\n" +
			"number held by the instance and active, none in another active port) and locked the numbers.\n" +
			"Prints the workflow ID when accepted; a refusal is exit 3 with the reason.",
		Args: cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, _ []string) error {
			data, err := a.readInput(file)
			if err != nil {
				return err
			}
			var req porting.PortOutRequest
			if err := decodeStrict(data, &req, inputName(file)); err != nil {
				return err
			}
			if err := porting.ValidatePortOut(req); err != nil {
				return invalid("port-out request ("+inputName(file)+")", err)
			}
			return a.startPort(ctx, portOutStart(req), req)
		}),
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the request as JSON (- for standard input)")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

func portOutStart(req porting.PortOutRequest) portStart {
	return portStart{
		workflowType: porting.WorkflowPortOut, id: porting.PortOutWorkflowID(req.RequestID), requestID: req.RequestID,
		kind: porting.KindPortOut, instanceARN: req.InstanceARN, carriers: []string{req.WinningCarrier},
		numbers: append([]string(nil), req.Numbers...), label: "Port-out", counterparty: req.WinningCarrier,
	}
}

func (a *app) winningCarrierRequestCmd() *cobra.Command {
	var workflowID, file string
	cmd := &cobra.Command{
		Use:   "winning-carrier-request --workflow ID --file F",
		Short: "Deliver the winning carrier's port-out request; it is verified against the ownership records",
		Long: "The file holds {carrier, owner_name, address, billing_contact, numbers:[e164], loa_ref, requested_at,\n" +
			"passcode?}: the details as the winning carrier states them, and the agreed release date/time (RFC 3339\n" +
			"with offset, in the future). Sent as the winning-carrier-request update. When the instance has a\n" +
			"port-out passcode, the request must carry it: missing or wrong is refused with PASSCODE_INVALID and\n" +
			"nothing else said. Every detail must match the instance's ownership records exactly: a match approves\n" +
			"the release at requested_at (again while approved: reschedules); a mismatch is exit 3 naming the\n" +
			"mismatched fields, and the carrier may send a corrected request.",
		Args: cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, _ []string) error {
			data, err := a.readInput(file)
			if err != nil {
				return err
			}
			var r porting.WinningCarrierRequest
			if err := decodeStrict(data, &r, inputName(file)); err != nil {
				return err
			}
			if err := porting.ValidateWinningCarrierRequest(r, time.Now()); err != nil {
				return invalid("winning-carrier request ("+inputName(file)+")", err)
			}
			return a.sendUpdate(ctx, workflowID, porting.SignalWinningCarrierRequest, r)
		}),
	}
	cmd.Flags().StringVar(&workflowID, "workflow", "", "workflow ID, e.g. port-out-REQ-1")
	cmd.Flags().StringVarP(&file, "file", "f", "", "the carrier's request as JSON (- for standard input)")
	_ = cmd.MarkFlagRequired("workflow")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}
