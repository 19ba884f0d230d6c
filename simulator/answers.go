package simulator

// The parties' answers: the losing carrier's to port requests, cancellations and supps from the
// carrier outbox (and the customer service records it holds), the partner carriers' to portability
// checks, and the customer's and winning carrier's to the ports that wait for them (simulate.go finds
// the work and sends the updates).

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

func (s *Simulator) consumeSubmission(ctx context.Context, id int64) Stats {
	if err := store.MarkCarrierSubmissionConsumed(ctx, s.DB, id); err != nil {
		s.Log.Warn("marking a carrier submission consumed failed", "submission", id, "error", err.Error())
		return Stats{Errors: 1}
	}
	return Stats{}
}

// carrierSubmission answers one row of the carrier outbox as the losing carrier.
func (s *Simulator) carrierSubmission(ctx context.Context, sub store.CarrierSubmission) Stats {
	if s.now().Before(sub.CreatedAt.Add(s.Config.AcceptAfter)) {
		return Stats{Waiting: 1}
	}
	st, stats, ok := s.status(ctx, sub.WorkflowID, "carrier submission")
	if !ok {
		return stats
	}
	g := findGroup(st, sub.Group)
	target := sub.WorkflowID
	if g != nil && g.WorkflowID != "" {
		// A bulk request's order handles the group: its own status is the one to answer to.
		target = g.WorkflowID
		if st, stats, ok = s.status(ctx, target, "carrier submission (order)"); !ok {
			return stats
		}
		g = findGroup(st, sub.Group)
	}
	if sub.Kind == store.SubmissionSupp && g != nil && g.State == porting.StateCancelRequested && g.RequestedPortDate != nil {
		// The carrier answers the cancellation first: an answer now would be taken as the cancellation's
		// (a reschedule), and the date asked for still awaits its answer if the cancellation is refused.
		return Stats{Waiting: 1}
	}
	var records []porting.CustomerServiceRecord
	if s.Config.CheckCSR && sub.Kind == store.SubmissionPortRequest && g != nil && g.State == porting.StateAwaitingCarrier {
		var err error
		if records, err = store.CustomerServiceRecords(ctx, s.DB, sub.Carrier, currentNumbers(sub, st)); err != nil {
			s.Log.Warn("reading the customer service records failed; retrying later", "workflow", sub.WorkflowID, "group", sub.Group, "error", err.Error())
			return Stats{Errors: 1}
		}
	}
	answer, note := CarrierAnswer(s.Config, sub, g, st, records, s.now())
	if answer == nil {
		s.Log.Info("carrier submission needs no answer: consumed", "workflow", sub.WorkflowID, "group", sub.Group,
			"kind", sub.Kind, "loa_version", sub.LOAVersion, "why", note)
		return Stats{Stale: 1}.add(s.consumeSubmission(ctx, sub.ID))
	}
	attrs := []any{"group", sub.Group, "loa_version", sub.LOAVersion}
	switch {
	case sub.Kind == store.SubmissionSupp && answer.Accepted:
		attrs = append(attrs, "answer", "port date change accepted", "port_date", answer.PortDate.Format(time.RFC3339))
	case sub.Kind == store.SubmissionSupp:
		attrs = append(attrs, "answer", "port date change refused", "reason_code", answer.ReasonCode)
	case sub.Kind == store.SubmissionCancel:
		attrs = append(attrs, "answer", "cancellation confirmed")
	case answer.Accepted:
		attrs = append(attrs, "answer", "accepted", "port_date", answer.PortDate.Format(time.RFC3339))
	default:
		attrs = append(attrs, "answer", "rejected", "reason_code", answer.ReasonCode)
	}
	for _, n := range answer.Rejected() {
		attrs = append(attrs, "rejected_number", n.E164+" "+n.ReasonCode)
	}
	stats, done := s.update(ctx, target, porting.SignalCarrierResponse, "carrier-response", *answer, attrs...)
	if done {
		stats = stats.add(s.consumeSubmission(ctx, sub.ID))
	}
	return stats
}

// CarrierAnswer is the carrier's answer to a submission given the port's status, or nil with the
// reason when the port no longer waits for one:
//   - a port request is answered only while its group awaits the carrier with that LOA version:
//     rejected while the version is <= RejectFirst, else accepted with a port date PortIn ahead, in
//     the port's time zone — with CheckCSR, the numbers whose customer service record (records: the
//     carrier's of the group's numbers) does not match the LOA rejected, the whole group when that is
//     all of them; with RejectNumberFirst, the first acceptance of a group of two numbers or more
//     rejecting its last number alone, which the workflow splits off;
//   - a cancellation is confirmed only while the group waits for that confirmation (cancel_requested);
//   - a supp asking for another port date is answered only while the group still shows that date
//     requested (accepted with it, or refused with RefuseSupps); a supp removing numbers needs no
//     answer (the carrier is only told).
func CarrierAnswer(cfg Config, sub store.CarrierSubmission, g *porting.GroupStatus, st porting.Status, records []porting.CustomerServiceRecord, now time.Time) (*porting.CarrierResponse, string) {
	if g == nil {
		return nil, fmt.Sprintf("%s has no group %q", sub.WorkflowID, sub.Group)
	}
	switch sub.Kind {
	case store.SubmissionCancel:
		if g.State != porting.StateCancelRequested {
			return nil, fmt.Sprintf("group is %s: the carrier is only told of the cancellation", g.State)
		}
		return &porting.CarrierResponse{Group: sub.Group, Accepted: true}, ""
	case store.SubmissionPortRequest:
		if g.State != porting.StateAwaitingCarrier {
			return nil, fmt.Sprintf("group is %s, not awaiting the carrier", g.State)
		}
		if g.LOAVersion != sub.LOAVersion {
			return nil, fmt.Sprintf("the carrier now holds LOA v%d, not v%d", g.LOAVersion, sub.LOAVersion)
		}
		if sub.LOAVersion <= cfg.RejectFirst {
			return &porting.CarrierResponse{Group: sub.Group, Accepted: false, ReasonCode: cfg.RejectReasonCode,
				Reason: fmt.Sprintf("%s (LOA v%d)", cfg.RejectReason, sub.LOAVersion)}, ""
		}
		numbers := currentNumbers(sub, st)
		var rejected []porting.NumberAnswer
		if cfg.CheckCSR {
			var fields []string
			rejected, fields = csrRejections(sub, numbers, records)
			if len(numbers) > 0 && len(rejected) == len(numbers) {
				return &porting.CarrierResponse{Group: sub.Group, Accepted: false, ReasonCode: string(porting.ReasonCSRMismatch),
					Reason: csrReason(sub.Carrier, fields)}, ""
			}
		}
		if last := len(numbers) - 1; cfg.RejectNumberFirst && last >= 1 && porting.BaseGroupName(g.Group) == g.Group && !splitBefore(st, g.Group) &&
			!isRejected(rejected, numbers[last]) && len(rejected) < last {
			rejected = append(rejected, porting.NumberAnswer{E164: numbers[last], ReasonCode: NumberRejectionCode, Reason: NumberRejection})
		}
		date := portTime(now, cfg.PortIn, st.TimeZone)
		return &porting.CarrierResponse{Group: sub.Group, Accepted: true, PortDate: &date, Numbers: rejected}, ""
	case store.SubmissionSupp:
		return suppAnswer(cfg, sub, g, st)
	}
	return nil, fmt.Sprintf("unknown submission kind %q", sub.Kind)
}

// NumberRejectionCode and NumberRejection are the carrier's rejection of a group's last number alone
// (RejectNumberFirst).
const (
	NumberRejectionCode = string(porting.ReasonAddressMismatch)
	NumberRejection     = "the service address differs for this line"
)

// currentNumbers are the numbers of the submission that are still in its group by the port's status
// (a number removed or split off since is not answered for: the workflow would refuse the answer),
// in the submission's order; all of them when the status lists no number of the group.
func currentNumbers(sub store.CarrierSubmission, st porting.Status) []string {
	in := map[string]bool{}
	listed := false
	for _, n := range st.Numbers {
		if n.Group == sub.Group {
			listed = true
			in[n.E164] = !n.State.IsEnd()
		}
	}
	if !listed {
		return sub.Numbers
	}
	var out []string
	for _, n := range sub.Numbers {
		if in[n] {
			out = append(out, n)
		}
	}
	return out
}

// csrRejections are the carrier's rejections of the numbers whose customer service record does not
// match the LOA it received (the submission payload's; it carries no full account number, so the
// account number is not compared), in the order of numbers, with the mismatched fields of them all.
// No LOA in the payload: nothing is rejected.
func csrRejections(sub store.CarrierSubmission, numbers []string, records []porting.CustomerServiceRecord) ([]porting.NumberAnswer, []string) {
	var p store.SubmissionPayload
	if err := json.Unmarshal(sub.Payload, &p); err != nil || p.LOA == nil {
		return nil, nil
	}
	loa := porting.LOA{AuthorizedName: p.LOA.AuthorizedName, Company: p.LOA.Company, Address: p.LOA.Address,
		BillingTelephoneNumber: p.LOA.BillingTelephoneNumber}
	byNumber := map[string]porting.CustomerServiceRecord{}
	for _, r := range records {
		r.AccountNumberHash = ""
		byNumber[r.E164] = r
	}
	var (
		out []porting.NumberAnswer
		all [][]string
	)
	for _, n := range numbers {
		rec, ok := byNumber[n]
		if !ok {
			continue
		}
		if fields := porting.CSRMismatches(loa, rec); len(fields) > 0 {
			out = append(out, porting.NumberAnswer{E164: n, ReasonCode: string(porting.ReasonCSRMismatch), Reason: csrReason(sub.Carrier, fields)})
			all = append(all, fields)
		}
	}
	return out, porting.MergeCSRFields(all...)
}

// csrReason is the carrier's reason for a CSR mismatch, naming the fields (never a value).
func csrReason(carrier string, fields []string) string {
	return fmt.Sprintf("the LOA does not match %s's customer service record: %s", cmp.Or(carrier, "the carrier"), strings.Join(fields, ", "))
}

func isRejected(answers []porting.NumberAnswer, e164 string) bool {
	for _, a := range answers {
		if a.E164 == e164 && !a.Accepted {
			return true
		}
	}
	return false
}

// splitBefore reports whether a group was split before (a group named after it, "<group>#<n>").
func splitBefore(st porting.Status, group string) bool {
	for _, g := range st.Groups {
		if g.Group != group && (g.SplitFrom == group || porting.BaseGroupName(g.Group) == group) {
			return true
		}
	}
	return false
}

// SuppRefusal is the carrier's refusal of another port date (RefuseSupps).
const SuppRefusal = "the carrier cannot move the date"

// suppAnswer is CarrierAnswer for a supp.
func suppAnswer(cfg Config, sub store.CarrierSubmission, g *porting.GroupStatus, st porting.Status) (*porting.CarrierResponse, string) {
	var p store.SubmissionPayload
	if err := json.Unmarshal(sub.Payload, &p); err != nil {
		return nil, fmt.Sprintf("unreadable supp payload: %v", err)
	}
	switch p.Change {
	case store.SuppRemoveNumbers:
		return nil, fmt.Sprintf("the carrier is only told of the removal of %s", strings.Join(p.Removed, ", "))
	case store.SuppPortDate:
	default:
		return nil, fmt.Sprintf("unknown supp change %q", p.Change)
	}
	if p.PortDate == nil {
		return nil, "a port date supp without a port date"
	}
	asked := p.PortDate.Format(time.RFC3339)
	switch {
	case g.RequestedPortDate == nil:
		return nil, fmt.Sprintf("group is %s and awaits no answer to a port date change (asked for %s)", g.State, asked)
	case !g.RequestedPortDate.Equal(*p.PortDate):
		return nil, fmt.Sprintf("the group now asks for %s, not %s", g.RequestedPortDate.Format(time.RFC3339), asked)
	}
	if cfg.RefuseSupps {
		return &porting.CarrierResponse{Group: sub.Group, Accepted: false, ReasonCode: string(porting.ReasonOther), Reason: SuppRefusal}, ""
	}
	date := inZone(*p.PortDate, st.TimeZone) // the date asked for, as asked
	return &porting.CarrierResponse{Group: sub.Group, Accepted: true, PortDate: &date}, ""
}

// portTime is now+ahead, to the second, in the port's time zone (so the JSON carries its offset).
func portTime(now time.Time, ahead time.Duration, tz string) time.Time {
	return inZone(now.Add(ahead).Truncate(time.Second), tz)
}

// inZone is t in the time zone tz (UTC when tz is empty or unknown).
func inZone(t time.Time, tz string) time.Time {
	if tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			return t.In(loc)
		}
	}
	return t.UTC()
}

func findGroup(st porting.Status, name string) *porting.GroupStatus {
	for i := range st.Groups {
		if st.Groups[i].Group == name {
			return &st.Groups[i]
		}
	}
	return nil
}

// portabilityCheck answers one row of the partner carriers' outbox.
func (s *Simulator) portabilityCheck(ctx context.Context, c store.PortabilityCheck) Stats {
	if s.now().Before(c.CreatedAt.Add(s.Config.PortabilityAfter)) {
		return Stats{Waiting: 1}
	}
	consume := func(st Stats) Stats {
		if err := store.MarkPortabilityCheckConsumed(ctx, s.DB, c.ID); err != nil {
			s.Log.Warn("marking a portability check consumed failed", "check", c.ID, "error", err.Error())
			return st.add(Stats{Errors: 1})
		}
		return st
	}
	st, stats, ok := s.status(ctx, c.WorkflowID, "portability check")
	if !ok {
		return stats
	}
	if st.State != porting.StateAwaitingPortability {
		s.Log.Info("portability check needs no answer: consumed", "workflow", c.WorkflowID, "check", c.ID,
			"why", fmt.Sprintf("request is %s, not awaiting portability", st.State))
		return consume(Stats{Stale: 1})
	}
	res := porting.PortabilityResult{Portable: true, Cost: s.Config.Cost}
	stats, done := s.update(ctx, c.WorkflowID, porting.SignalPortabilityResult, "portability-result", res,
		"country", c.Country, "numbers", len(c.Numbers), "portable", true, "cost", costString(s.Config.Cost))
	if done {
		stats = consume(stats)
	}
	return stats
}

// waitingPort acts for the customer or the winning carrier on a port that waits for them.
func (s *Simulator) waitingPort(ctx context.Context, wf string) Stats {
	st, stats, ok := s.status(ctx, wf, "waiting port")
	if !ok {
		return Stats{Errors: stats.Errors} // gone meanwhile: nothing to do
	}
	since := lastChange(st)
	if st.Orders > 0 {
		return Stats{} // a bulk request: its orders wait for the customer, each on its own
	}
	switch st.Kind {
	case porting.KindPortIn, porting.KindInternationalPortIn:
		var out Stats
		if s.Config.FillCSR {
			// Before the customer's LOA (below), which the workflow checks against these records.
			out = out.add(s.fillCSR(ctx, wf, st))
		}
		if st.State == porting.StateAwaitingCostApproval && s.Config.ApproveCosts {
			if at := since.Add(s.Config.CustomerAfter); s.now().Before(at) {
				return out.add(s.notDue(wf, at))
			}
			st, _ := s.update(ctx, wf, porting.SignalApproveCost, "approve-cost",
				porting.ApproveCost{Approved: true, By: "customer (simulated)"}, "approved", true)
			return out.add(st)
		}
		if !s.Config.SubmitLOAs {
			if s.Config.FillCSR && out.Errors == 0 {
				s.lookAgainAt(wf, s.now().Add(fillAgain)) // only the records to fill: no need to look every pass
			}
			return out
		}
		for _, g := range st.Groups {
			if g.State != porting.StateAwaitingLOA && g.State != porting.StateLOARejected {
				continue
			}
			if at := since.Add(s.Config.CustomerAfter); s.now().Before(at) {
				out = out.add(s.notDue(wf, at))
				continue
			}
			loa, err := s.customerLOA(ctx, wf, g)
			if err != nil {
				s.Log.Warn("preparing an LOA failed; retrying next pass", "workflow", wf, "group", g.Group, "error", err.Error())
				out = out.add(Stats{Errors: 1})
				continue
			}
			r, _ := s.update(ctx, wf, porting.SignalSubmitLOA, "submit-loa", porting.SubmitLOA{Group: g.Group, LOA: loa},
				"group", g.Group, "loa_version", g.LOAVersion+1, "document_ref", loa.DocumentRef)
			out = out.add(r)
		}
		return out
	case porting.KindPortOut:
		if !s.Config.PortOuts || (st.State != porting.StateAwaitingWinningCarrier && st.State != porting.StateRejectedMismatch) {
			return Stats{}
		}
		if at := since.Add(s.Config.AcceptAfter); s.now().Before(at) {
			return s.notDue(wf, at)
		}
		req, wrong, err := s.winningCarrierRequest(ctx, wf, st)
		if err != nil {
			s.Log.Warn("preparing the winning carrier's request failed; retrying next pass", "workflow", wf, "error", err.Error())
			return Stats{Errors: 1}
		}
		action := "winning-carrier-request"
		if wrong {
			action += " (owner_name misspelled on purpose)"
		}
		r, _ := s.update(ctx, wf, porting.SignalWinningCarrierRequest, action, req,
			"carrier", req.Carrier, "owner_name", req.OwnerName, "requested_at", req.RequestedAt.Format(time.RFC3339))
		return r
	}
	return Stats{}
}

// lastChange is when the port last changed (its latest history entry).
func lastChange(st porting.Status) time.Time {
	var t time.Time
	for _, h := range st.History {
		if h.At.After(t) {
			t = h.At
		}
	}
	return t
}

// recorded reads the port request as recorded and its instance's ownership records.
func (s *Simulator) recorded(ctx context.Context, wf string) (store.PortRequestRecord, store.Instance, error) {
	if request, ok := porting.RequestOfOrder(wf); ok {
		wf = request // an order of a bulk request: the request is recorded
	}
	rec, err := store.GetPortRequest(ctx, s.DB, wf)
	if err != nil {
		return rec, store.Instance{}, err
	}
	inst, err := store.GetInstance(ctx, s.DB, rec.InstanceARN)
	return rec, inst, err
}

// customerLOA is a plausible LOA for a group, as the customer would sign it: the authorized contact
// of the request, the instance's ownership address. (International requests carry the account
// number and PIN themselves; the workflow fills them in.)
func (s *Simulator) customerLOA(ctx context.Context, wf string, g porting.GroupStatus) (porting.LOA, error) {
	rec, inst, err := s.recorded(ctx, wf)
	if err != nil {
		return porting.LOA{}, err
	}
	var req struct {
		AuthorizedContact porting.Contact `json:"authorized_contact"`
	}
	if err := json.Unmarshal(rec.Request, &req); err != nil {
		return porting.LOA{}, fmt.Errorf("recorded request of %s: %w", wf, err)
	}
	return CustomerLOA(wf, g, req.AuthorizedContact.Name, inst, s.now()), nil
}

// CustomerLOA builds the LOA the simulated customer signs for the next version of group g.
func CustomerLOA(wf string, g porting.GroupStatus, authorizedName string, inst store.Instance, now time.Time) porting.LOA {
	authorizedName, address := customerDetails(authorizedName, inst)
	version := g.LOAVersion + 1
	slug := strings.NewReplacer("/", "-", " ", "-").Replace(strings.ToLower(g.Group))
	return porting.LOA{
		AuthorizedName: authorizedName,
		Company:        inst.OwnerName,
		Address:        address,
		SignedAt:       now.UTC().Truncate(time.Second),
		DocumentRef:    fmt.Sprintf("s3://loas/%s/%s-v%d.pdf", wf, slug, version),
	}
}

// customerDetails are the name and service address the simulated customer signs LOAs with, and the
// simulated losing carrier has on record (FillCSR): the request's authorized contact (else the
// instance's owner), the instance's ownership address.
func customerDetails(authorizedName string, inst store.Instance) (name, address string) {
	name, address = authorizedName, inst.Address
	if strings.TrimSpace(name) == "" {
		name = inst.OwnerName
	}
	if strings.TrimSpace(name) == "" {
		name = "Authorized Signatory"
	}
	if strings.TrimSpace(address) == "" {
		address = "1 Main St, Springfield"
	}
	return name, address
}

// fillAgain is how soon a port that waits for an LOA the simulator does not send (FillCSR without
// SubmitLOAs) is looked at again, for records of a group split off meanwhile.
const fillAgain = 15 * time.Second

// fillCSR gives the simulated losing carrier a customer service record of each number of the port's
// groups waiting for an LOA that has none yet, with the details the simulated customer's LOA carries
// (customerDetails; no account number, no billing telephone number), so that the workflow's CSR
// pre-check finds them matching. A record that exists is left as it is: ops may have set it on
// purpose.
func (s *Simulator) fillCSR(ctx context.Context, wf string, st porting.Status) Stats {
	waiting := map[string]bool{}
	for _, g := range st.Groups {
		if g.State == porting.StateAwaitingLOA || g.State == porting.StateLOARejected {
			waiting[g.Group] = true
		}
	}
	if len(waiting) == 0 {
		return Stats{}
	}
	fail := func(err error) Stats {
		s.Log.Warn("filling customer service records failed; retrying next pass", "workflow", wf, "error", err.Error())
		return Stats{Errors: 1}
	}
	rec, inst, err := s.recorded(ctx, wf)
	if err != nil {
		return fail(err)
	}
	var req struct {
		AuthorizedContact porting.Contact `json:"authorized_contact"`
		Carrier           string          `json:"carrier"` // international: one carrier
		Numbers           []struct {
			E164    string `json:"e164"`
			Carrier string `json:"carrier"`
		} `json:"numbers"`
	}
	if err := json.Unmarshal(rec.Request, &req); err != nil {
		return fail(fmt.Errorf("recorded request of %s: %w", wf, err))
	}
	carrierOf := map[string]string{}
	for _, n := range req.Numbers {
		carrierOf[n.E164] = cmp.Or(n.Carrier, req.Carrier)
	}
	byCarrier := map[string][]string{}
	for _, n := range st.Numbers {
		if c := carrierOf[n.E164]; waiting[n.Group] && !n.State.IsEnd() && c != "" {
			byCarrier[c] = append(byCarrier[c], n.E164)
		}
	}
	name, address := customerDetails(req.AuthorizedContact.Name, inst)
	for _, carrier := range slices.Sorted(maps.Keys(byCarrier)) {
		numbers := byCarrier[carrier]
		have, err := store.CustomerServiceRecords(ctx, s.DB, carrier, numbers)
		if err != nil {
			return fail(err)
		}
		held := map[string]bool{}
		for _, r := range have {
			held[r.E164] = true
		}
		var filled []string
		for _, n := range numbers {
			if held[n] {
				continue
			}
			if err := store.AddCustomerServiceRecord(ctx, s.DB, store.CSRInput{Carrier: carrier, E164: n, Name: name, Address: address}); err != nil {
				return fail(fmt.Errorf("record of %s: %w", n, err))
			}
			filled = append(filled, n)
		}
		if len(filled) > 0 {
			s.Log.Info("customer service records filled", "workflow", wf, "carrier", carrier, "numbers", len(filled),
				"kept", len(have))
		}
	}
	return Stats{}
}

// winningCarrierRequest builds the winning carrier's request from the recorded port-out and the
// instance's ownership records; wrong is true when it misspells the owner's name on purpose.
func (s *Simulator) winningCarrierRequest(ctx context.Context, wf string, st porting.Status) (porting.WinningCarrierRequest, bool, error) {
	rec, inst, err := s.recorded(ctx, wf)
	if err != nil {
		return porting.WinningCarrierRequest{}, false, err
	}
	var req porting.PortOutRequest
	if err := json.Unmarshal(rec.Request, &req); err != nil {
		return porting.WinningCarrierRequest{}, false, fmt.Errorf("recorded request of %s: %w", wf, err)
	}
	received := 0
	for _, g := range st.Groups {
		received += g.LOAVersion // a port-out's one group counts the requests received
	}
	return WinningCarrierRequest(s.Config, wf, req, inst, received, st.TimeZone, s.now())
}

// WinningCarrierRequest is the winning carrier's request number received+1 for a port-out: the
// ownership details as on record (the first one with the owner's name misspelled when
// MismatchFirst), every number, the release PortIn ahead.
func WinningCarrierRequest(cfg Config, wf string, req porting.PortOutRequest, inst store.Instance, received int, tz string, now time.Time) (porting.WinningCarrierRequest, bool, error) {
	if inst.OwnerName == "" || inst.Address == "" || inst.BillingContact == "" {
		return porting.WinningCarrierRequest{}, false, fmt.Errorf("instance %s has no complete ownership records (owner name, address, billing contact): "+
			"register them with `starter instance add --arn %s --owner-name … --address … --billing-contact …`", inst.ARN, inst.ARN)
	}
	wrong := cfg.MismatchFirst && received == 0
	owner := inst.OwnerName
	if wrong {
		owner = Misspell(owner)
	}
	return porting.WinningCarrierRequest{
		Carrier:        req.WinningCarrier,
		OwnerName:      owner,
		Address:        inst.Address,
		BillingContact: inst.BillingContact,
		Numbers:        slices.Clone(req.Numbers),
		LOARef:         fmt.Sprintf("s3://%s/port-out/%s-%d.pdf", slugify(req.WinningCarrier), wf, received+1),
		RequestedAt:    portTime(now, cfg.PortIn, tz),
		Passcode:       cfg.PortOutPasscode,
	}, wrong, nil
}

// Misspell spells a name slightly differently, as a carrier's clerk might: two letters of its first
// word of three letters or more swapped ("Ada Lovelace" → "Ada Lvoelace"), or an extra letter.
func Misspell(name string) string {
	words := strings.Split(name, " ")
	for i, w := range words {
		r := []rune(w)
		if len(r) >= 3 && r[1] != r[2] {
			r[1], r[2] = r[2], r[1]
			words[i] = string(r)
			return strings.Join(words, " ")
		}
	}
	return name + "e"
}

func slugify(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// ParseCost reads a quoted cost like "49.00 GBP" (or "GBP 49.00"); empty means none.
func ParseCost(s string) (*porting.Cost, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	parts := strings.Fields(s)
	if len(parts) != 2 {
		return nil, errors.New(`must be an amount and an ISO 4217 currency, e.g. "49.00 GBP"`)
	}
	amount, currency := parts[0], parts[1]
	if _, err := porting.ParseDecimal(amount); err != nil {
		amount, currency = parts[1], parts[0]
	}
	v, err := porting.ParseDecimal(amount) // exact: the quote is passed on as written, never through a float
	if err != nil || v.Sign() < 0 {
		return nil, fmt.Errorf(`amount %q is not a non-negative decimal (e.g. "49.00 GBP")`, parts[0])
	}
	c := &porting.Cost{Amount: v, Currency: strings.ToUpper(currency)}
	if err := porting.ValidatePortabilityResult(porting.PortabilityResult{Cost: c}); err != nil {
		return nil, err
	}
	return c, nil
}

func costString(c *porting.Cost) string {
	if c == nil {
		return "none"
	}
	return c.String()
}
