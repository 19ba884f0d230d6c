package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/contactcenter/numberporting/porting"
)

func (a *app) submitLOACmd() *cobra.Command {
	var (
		workflowID, group, file string
		overrideCSR             bool
		cmd                     *cobra.Command // the closure asks whether --override-csr was given
	)
	cmd = &cobra.Command{
		Use:   "submit-loa --workflow ID --group G --file F [--override-csr]",
		Short: "Deliver an LOA (first one or a resubmission) for one group of a port",
		Long: "The file holds the LOA object {authorized_name, company?, address, account_number?, pin?,\n" +
			"billing_telephone_number?, signed_at, document_ref} or the whole {group, loa, override_csr?} payload;\n" +
			"--group, when given, wins over the file's group. Sent as the submit-loa update.\n\n" +
			"An LOA that does not match the losing carrier's customer service record (CSR) is not sent: the group\n" +
			"goes to loa_rejected with CSR_MISMATCH naming the fields. --override-csr (or \"override_csr\": true in\n" +
			"the full payload) sends it anyway, when the customer knows better than the record; the flag, when\n" +
			"given, wins over the file.",
		Args: cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, _ []string) error {
			data, err := a.readInput(file)
			if err != nil {
				return err
			}
			var override *bool
			if cmd.Flags().Changed("override-csr") {
				override = &overrideCSR
			}
			payload, err := submitLOAPayload(data, inputName(file), group, override)
			if err != nil {
				return err
			}
			return a.sendGroupUpdate(ctx, workflowID, porting.SignalSubmitLOA, payload.Group, func(group string) any {
				p := payload
				p.Group = group
				return p
			})
		}),
	}
	cmd.Flags().StringVar(&workflowID, "workflow", "", "workflow ID, e.g. port-in-REQ-1")
	cmd.Flags().StringVar(&group, "group", "", `LOA group, e.g. "Acme Telecom/did"`)
	cmd.Flags().StringVarP(&file, "file", "f", "", "the LOA as JSON (- for standard input)")
	cmd.Flags().BoolVar(&overrideCSR, "override-csr", false,
		"send the LOA to the carrier even if it does not match the losing carrier's customer service record")
	_ = cmd.MarkFlagRequired("workflow")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// submitLOAPayload decodes the file (name for messages), lets --group (when not empty) and
// --override-csr (when given) win over the file, and validates (exit 2).
func submitLOAPayload(data []byte, name, group string, overrideCSR *bool) (porting.SubmitLOA, error) {
	payload, err := decodeSubmitLOA(data, name)
	if err != nil {
		return payload, err
	}
	if group != "" {
		payload.Group = group
	}
	if overrideCSR != nil {
		payload.OverrideCSR = *overrideCSR
	}
	if err := porting.ValidateSubmitLOA(payload); err != nil {
		return payload, invalid("LOA ("+name+")", err)
	}
	return payload, nil
}

// decodeSubmitLOA accepts either the LOA object or the full {group, loa, override_csr?} payload,
// strictly (unknown fields are bad input).
func decodeSubmitLOA(data []byte, name string) (porting.SubmitLOA, error) {
	var probe map[string]json.RawMessage
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&probe); err == nil {
		if _, full := probe["loa"]; full {
			var s porting.SubmitLOA
			err := decodeStrict(data, &s, name)
			return s, err
		}
		if _, ok := probe["override_csr"]; ok {
			return porting.SubmitLOA{}, badInput("%s: override_csr: is not a field of the LOA object; give --override-csr, "+
				"or the full payload {\"group\": …, \"loa\": {…}, \"override_csr\": true}", name)
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
		workflowID string
		in         carrierResponseFlags
	)
	cmd := &cobra.Command{
		Use: "carrier-response --workflow ID --group G (--accept --port-date T | --reject --reason-code C --reason R) " +
			"[--reject-number E164=CODE[:reason] ...]",
		Short: "Deliver the carrier's answer to an LOA submission: accepted with a port date (FOC), or rejected",
		Long: "Accepted with a port date (FOC) schedules the port; a later acceptance with another date reschedules.\n" +
			"Rejected with a reason asks the customer for a new LOA. While a cancellation awaits the carrier\n" +
			"(cancel_requested), --accept without --port-date confirms the cancellation and --reject refuses it.\n\n" +
			"--reject-number E164=CODE[:reason] (repeatable) is the carrier's answer for one number: with --accept\n" +
			"--port-date, the numbers so listed leave the group as a new group <group>#<n> in loa_rejected, needing\n" +
			"their own corrected LOA, and the rest keep the date; with --reject, the whole group is rejected and each\n" +
			"listed number keeps its own reason. CODE is the carrier's reason code (e.g. NOT_PORTABLE, PARTIAL_PORT);\n" +
			"the reason, after the first ':', may itself contain ':'.",
		Args: cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, _ []string) error {
			r, noDate, err := in.payload(time.Now())
			if err != nil {
				return err
			}
			if noDate {
				// Only the answer to a cancellation (international: "the cancel took") has no date;
				// the workflow refuses it otherwise, naming port_date.
				if err := a.acceptWithoutDate(ctx, workflowID); err != nil {
					return err
				}
			}
			return a.sendGroupUpdate(ctx, workflowID, porting.SignalCarrierResponse, r.Group, func(group string) any {
				out := r
				out.Group = group
				return out
			})
		}),
	}
	f := cmd.Flags()
	f.StringVar(&workflowID, "workflow", "", "workflow ID")
	f.StringVar(&in.Group, "group", "", `LOA group, e.g. "Acme Telecom/did"`)
	f.BoolVar(&in.Accept, "accept", false, "the carrier accepted the LOA")
	f.StringVar(&in.PortDate, "port-date", "", "with --accept: the port date (FOC), RFC 3339 with offset")
	f.BoolVar(&in.Reject, "reject", false, "the carrier rejected the LOA")
	f.StringVar(&in.ReasonCode, "reason-code", "", "with --reject: the carrier's reason code")
	f.StringVar(&in.Reason, "reason", "", "with --reject: the carrier's reason")
	f.StringArrayVar(&in.RejectNumbers, "reject-number", nil,
		"E164=CODE[:reason]: a number the carrier did not accept, with its reason code and optional reason (repeatable)")
	_ = cmd.MarkFlagRequired("workflow")
	_ = cmd.MarkFlagRequired("group")
	return cmd
}

// carrierResponseFlags are carrier-response's flags as given.
type carrierResponseFlags struct {
	Group, PortDate, ReasonCode, Reason string
	Accept, Reject                      bool
	RejectNumbers                       []string // E164=CODE[:reason], as given
}

// payload builds the carrier-response payload from the flags and validates it against now (bad
// input, exit 2, naming the flag or field and the rule). noDate is --accept without --port-date:
// only the confirmation of a cancellation, which the caller must check with the workflow's state
// before sending r as it is (unvalidated: the validator would want a date).
func (in carrierResponseFlags) payload(now time.Time) (r porting.CarrierResponse, noDate bool, err error) {
	if in.Accept == in.Reject {
		return r, false, badInput("accepted: give exactly one of --accept or --reject")
	}
	r = porting.CarrierResponse{Group: in.Group, Accepted: in.Accept}
	for _, raw := range in.RejectNumbers {
		n, err := parseRejectNumber(raw)
		if err != nil {
			return r, false, err
		}
		r.Numbers = append(r.Numbers, n)
	}
	if in.Accept {
		if in.Reason != "" || in.ReasonCode != "" {
			return r, false, badInput("reason: --reason and --reason-code go with --reject, not --accept " +
				"(a number the carrier did not accept goes in --reject-number E164=CODE[:reason])")
		}
		if in.PortDate == "" {
			if len(r.Numbers) > 0 {
				return r, false, badInput("port_date: --reject-number with --accept needs --port-date (the date the other numbers keep, " +
					"RFC 3339 with offset); with --reject it records each number's reason")
			}
			if strings.TrimSpace(in.Group) == "" {
				return r, false, badInput("group: --group is required")
			}
			return r, true, nil
		}
		t, err := time.Parse(time.RFC3339, in.PortDate)
		if err != nil {
			return r, false, badInput("port_date: must be RFC 3339 with offset, e.g. 2026-11-25T10:00:00-05:00; got %q", in.PortDate)
		}
		r.PortDate = &t
	} else {
		if in.PortDate != "" {
			return r, false, badInput("port_date: --port-date goes with --accept, not --reject")
		}
		r.ReasonCode, r.Reason = in.ReasonCode, in.Reason
	}
	if err := porting.ValidateCarrierResponse(r, now); err != nil {
		return r, false, invalid("carrier response", renameProblems(err, "numbers", "--reject-number", in.RejectNumbers))
	}
	return r, false, nil
}

// rejectNumberForm is --reject-number's expected form, for messages.
const rejectNumberForm = "expected E164=CODE[:reason], e.g. +14155550100=NOT_PORTABLE or " +
	"+14155550100=PARTIAL_PORT:keep the BTN; CODE is the carrier's reason code"

// parseRejectNumber reads one --reject-number: E164=CODE[:reason]. The number and the code are
// required; the reason is everything after the first ':' (it may contain ':' itself). Whether the
// number is E.164 is checked here too, so that the message names the flag and the value.
func parseRejectNumber(raw string) (porting.NumberAnswer, error) {
	bad := func(format string, args ...any) error {
		return badInput("--reject-number %q: %s; %s", raw, fmt.Sprintf(format, args...), rejectNumberForm)
	}
	e164, rest, ok := strings.Cut(raw, "=")
	if !ok {
		return porting.NumberAnswer{}, bad("no '=' between the number and the reason code")
	}
	e164 = strings.TrimSpace(e164)
	code, reason, hasReason := strings.Cut(rest, ":")
	code, reason = strings.TrimSpace(code), strings.TrimSpace(reason)
	switch {
	case e164 == "":
		return porting.NumberAnswer{}, bad("the number before '=' is missing")
	case !e164Form.MatchString(e164):
		return porting.NumberAnswer{}, bad("the number must be E.164 like +14155550100, got %q", e164)
	case code == "" && reason != "":
		return porting.NumberAnswer{}, bad("the reason code after '=' is missing (use OTHER when the carrier gave only a text)")
	case code == "":
		return porting.NumberAnswer{}, bad("the reason code after '=' is missing")
	case strings.ContainsFunc(code, unicode.IsSpace):
		return porting.NumberAnswer{}, bad("the reason code %q must not contain spaces (a reason goes after ':')", code)
	case hasReason && reason == "":
		return porting.NumberAnswer{}, bad("the reason after ':' is empty (leave out the ':' or give the reason)")
	}
	return porting.NumberAnswer{E164: e164, Accepted: false, ReasonCode: code, Reason: reason}, nil
}

// e164Form is the contract's E.164 form (porting checks it again).
var e164Form = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// renameProblems names a repeatable flag where a validation problem names an element of the
// payload's list built from it: "numbers[1].e164" becomes `--reject-number "+1…=X" (numbers[1].e164)`,
// "numbers" alone `--reject-number (numbers)`.
// Any other error is returned as it is.
func renameProblems(err error, list, flag string, given []string) error {
	var v *porting.ValidationError
	if !errors.As(err, &v) {
		return err
	}
	out := &porting.ValidationError{Problems: make([]porting.FieldError, len(v.Problems))}
	for i, p := range v.Problems {
		out.Problems[i] = p
		var idx int
		if n, _ := fmt.Sscanf(p.Field, list+"[%d]", &idx); n == 1 && idx >= 0 && idx < len(given) {
			out.Problems[i].Field = fmt.Sprintf("%s %q (%s)", flag, given[idx], p.Field)
		} else if p.Field == list {
			out.Problems[i].Field = fmt.Sprintf("%s (%s)", flag, p.Field)
		}
	}
	return out
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

func (a *app) unfreezeCmd() *cobra.Command {
	var workflowID, by, reason string
	cmd := &cobra.Command{
		Use:   "unfreeze --workflow ID --by NAME --reason R",
		Short: "Let a port-out frozen after too many wrong passcodes take winning-carrier requests again",
		Args:  cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, _ []string) error {
			u := porting.Unfreeze{By: strings.TrimSpace(by), Reason: strings.TrimSpace(reason)}
			if err := porting.ValidateUnfreeze(u); err != nil {
				return invalid("unfreeze", err)
			}
			return a.sendUpdate(ctx, workflowID, porting.SignalUnfreeze, u)
		}),
	}
	cmd.Flags().StringVar(&workflowID, "workflow", "", "workflow ID, e.g. port-out-REQ-1")
	cmd.Flags().StringVar(&by, "by", "", "who checked the port-out and lets it go on")
	cmd.Flags().StringVar(&reason, "reason", "", "why it may go on")
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
