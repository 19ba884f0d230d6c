package workflows

import (
	"encoding/json"
	"errors"

	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// PortIn moves US/Canada (+1) numbers from their current carriers into a customer's instance
// (DESIGN §1): validation, portability check, one LOA per (carrier, number type) group with any
// number of rejection rounds, provisioning one business day before the carrier's port date,
// activation and a verification test call on the day. Groups progress independently; the
// request's state is that of its least advanced open group.
func PortIn(ctx workflow.Context, req porting.PortInRequest) (porting.PortResult, error) {
	v := portVersion(ctx)
	carry, err := resumed[portCarryOver](ctx, req.Resume)
	if err != nil {
		return porting.PortResult{}, err
	}
	if carry != nil {
		req.Resume = nil // the carry-over is this run's own state from here
	}
	w := newPort(ctx, v, porting.KindPortIn, usPortIn{}, usRules, req)
	w.resumeFrom = carry
	if v >= versionFailurePaths {
		w.continueWith = func(resume json.RawMessage) (string, any) {
			next := w.req
			next.Resume = resume
			return porting.WorkflowPortIn, next
		}
	}
	return runPort(ctx, w)
}

var usRules = rules{
	groupName: func(n porting.PortNumber) string { return porting.GroupName(n.Carrier, n.Type) },
	carrierFollowUps: []followUp{
		{businessDays: porting.DefaultCarrierReminderBusinessDays, kind: "carrier_escalation", recipient: activities.RecipientOperations},
	},
}

// usPortIn is the US/Canada process: the numbers' country's holidays (US federal or Canadian; US
// for every port started before failure-paths) in the instance region's time zone, and a
// portability check the carrier gateway answers at once.
type usPortIn struct{}

func (usPortIn) setup(workflow.Context, *port) error { return nil }

// validate runs the request's own checks, then the database's (instance, flow, inventory, other
// ports), which also records the request and locks its numbers.
func (usPortIn) validate(ctx workflow.Context, w *port) error {
	if w.v < versionFailurePaths {
		if err := validatePortIn(w.req); err != nil {
			return err
		}
		ref, _ := porting.ParseInstanceARN(w.req.InstanceARN)
		tz, _ := porting.RegionTimeZone(ref.Region)
		if err := w.useCalendar("US", tz); err != nil {
			return err
		}
		return w.record(ctx)
	}
	// Validation reads library data (number types, regions) that an upgrade may change: its outcome
	// is recorded once, so a running port replays with the request and time zone it was accepted with.
	var out validated
	if err := workflow.SideEffect(ctx, func(workflow.Context) interface{} {
		req := porting.NormalizePortIn(w.req)
		if err := validatePortIn(req); err != nil {
			return validated{Problem: err.Error()}
		}
		// The numbers' own country's calendar (US or CA; a mixed request is refused), in the
		// instance region's zone. Ports that started before failure-paths count on the US calendar.
		country, err := porting.PortInCalendarCountry(req)
		if err != nil {
			return validated{Problem: err.Error()}
		}
		ref, _ := porting.ParseInstanceARN(req.InstanceARN)
		tz, _ := porting.RegionTimeZone(ref.Region)
		return validated{Request: &req, Country: country, TimeZone: tz}
	}).Get(&out); err != nil {
		return err
	}
	if out.Problem != "" {
		return errors.New(out.Problem)
	}
	w.req = *out.Request
	if err := w.useCalendar(out.Country, out.TimeZone); err != nil {
		return err
	}
	w.recordCalendar(ctx)
	return w.record(ctx)
}

// validatePortIn is the request's own validation; a variable only so that the replay tests can stand
// in a library upgrade that reclassifies numbers.
var validatePortIn = porting.ValidatePortIn

// validated is the recorded outcome of a request's validation: the normalised request and its
// calendar, or the problem.
type validated struct {
	Problem  string                 `json:"problem,omitempty"`
	Request  *porting.PortInRequest `json:"request,omitempty"`
	Country  string                 `json:"country,omitempty"`
	TimeZone string                 `json:"time_zone,omitempty"`
}

func (usPortIn) settlePortability(ctx workflow.Context, w *port) ([]porting.PortNumber, porting.State, string) {
	w.setState(ctx, porting.StateCheckingPortability, "checking portability with the current carriers")
	var results []activities.PortabilityResult
	if rec := w.portability; rec != nil {
		// Asked by the recording activity (versionActionCost).
		if rec.PortabilityProblem != "" {
			return nil, porting.StateFailed, "portability check failed: " + rec.PortabilityProblem
		}
		results = rec.Portability
	} else if err := workflow.ExecuteActivity(withDBActivity(ctx, "check portability"), acts.CheckPortability,
		activities.PortabilityInput{WorkflowID: w.workflowID, Numbers: w.req.Numbers}).Get(ctx, &results); err != nil {
		return nil, porting.StateFailed, "portability check failed: " + plainError(err).Error()
	}
	portable := w.applyPortability(ctx, results)
	if len(portable) == 0 {
		return nil, porting.StateNotPortable, "none of the numbers can be ported"
	}
	return portable, "", ""
}
