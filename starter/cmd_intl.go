package main

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/contactcenter/numberporting/porting"
)

func (a *app) intlPortInCmd() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "intl-port-in --file F",
		Short: "Validate an international (non +1) port-in request, start InternationalPortIn and print its workflow ID",
		Long: "Reads the InternationalPortIn request (JSON of DESIGN §3; - reads standard input). Numbers may be\n" +
			"written in the country's national format (leading zeros and all): they are parsed in the request's\n" +
			"country and started as E.164. Waits until the workflow has checked the request against the\n" +
			"inventory; prints the workflow ID when accepted.",
		Args: cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, _ []string) error {
			data, err := a.readInput(file)
			if err != nil {
				return err
			}
			var req porting.InternationalPortInRequest
			if err := decodeStrict(data, &req, inputName(file)); err != nil {
				return err
			}
			req, err = porting.ValidateInternationalPortIn(req, time.Now())
			if err != nil {
				return invalid("international port-in request ("+inputName(file)+")", err)
			}
			return a.startPort(ctx, intlPortInStart(req), req)
		}),
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the request as JSON (- for standard input)")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// intlPortInStart starts a validated (normalised) international request.
func intlPortInStart(req porting.InternationalPortInRequest) portStart {
	numbers := make([]string, len(req.Numbers))
	for i, n := range req.Numbers {
		numbers[i] = n.E164
	}
	return portStart{
		workflowType: porting.WorkflowInternationalPortIn, id: porting.IntlPortInWorkflowID(req.RequestID),
		requestID: req.RequestID, kind: porting.KindInternationalPortIn, instanceARN: req.InstanceARN,
		carriers: []string{req.Carrier}, numbers: numbers, label: "International port-in",
	}
}

func (a *app) portabilityResultCmd() *cobra.Command {
	var workflowID, file string
	cmd := &cobra.Command{
		Use:   "portability-result --workflow ID --file F",
		Short: "Deliver the partner carriers' portability answer to an international port-in",
		Long:  "The file holds {portable, numbers?:[{e164, portable, reason?}], cost?:{amount, currency}}. Sent as the portability-result update.",
		Args:  cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, _ []string) error {
			data, err := a.readInput(file)
			if err != nil {
				return err
			}
			var r porting.PortabilityResult
			if err := decodeStrict(data, &r, inputName(file)); err != nil {
				return err
			}
			if err := porting.ValidatePortabilityResult(r); err != nil {
				return invalid("portability result ("+inputName(file)+")", err)
			}
			return a.sendUpdate(ctx, workflowID, porting.SignalPortabilityResult, r)
		}),
	}
	cmd.Flags().StringVar(&workflowID, "workflow", "", "workflow ID, e.g. intl-port-in-REQ-1")
	cmd.Flags().StringVarP(&file, "file", "f", "", "the answer as JSON (- for standard input)")
	_ = cmd.MarkFlagRequired("workflow")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

func (a *app) approveCostCmd() *cobra.Command {
	var (
		workflowID, by   string
		approve, decline bool
	)
	cmd := &cobra.Command{
		Use:   "approve-cost --workflow ID (--approve | --decline) --by NAME",
		Short: "Deliver the customer's decision on the quoted cost of an international port-in",
		Args:  cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, _ []string) error {
			if approve == decline {
				return badInput("approved: give exactly one of --approve or --decline")
			}
			d := porting.ApproveCost{Approved: approve, By: strings.TrimSpace(by)}
			if err := porting.ValidateApproveCost(d); err != nil {
				return invalid("cost decision", err)
			}
			return a.sendUpdate(ctx, workflowID, porting.SignalApproveCost, d)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&workflowID, "workflow", "", "workflow ID")
	f.BoolVar(&approve, "approve", false, "the customer approves the cost")
	f.BoolVar(&decline, "decline", false, "the customer declines the cost (the request is cancelled)")
	f.StringVar(&by, "by", "", "who decided")
	_ = cmd.MarkFlagRequired("workflow")
	return cmd
}
