package porting

// State is a port's (or one LOA group's) state, as in the PortState search attribute.
type State string

// Port-in states, in order of progress, then the ends.
const (
	StateValidating          State = "validating"
	StateCheckingPortability State = "checking_portability"
	StateAwaitingLOA         State = "awaiting_loa"
	StateLOARejected         State = "loa_rejected"
	StateAwaitingCarrier     State = "awaiting_carrier"
	StateScheduled           State = "scheduled"
	StateProvisioning        State = "provisioning"
	StateProvisioned         State = "provisioned"
	StateActivating          State = "activating"
	StateVerifying           State = "verifying"
	StateCompleted           State = "completed"

	StateNotPortable State = "not_portable"
	StateCancelled   State = "cancelled"
	StateFailed      State = "failed"
)

// International and port-out states (the ends above apply too).
const (
	StateAwaitingPortability    State = "awaiting_portability"
	StateAwaitingCostApproval   State = "awaiting_cost_approval"
	StateCancelRequested        State = "cancel_requested"
	StateAwaitingWinningCarrier State = "awaiting_winning_carrier"
	StateVerifyingOwnership     State = "verifying_ownership"
	StateRejectedMismatch       State = "rejected_mismatch"
	StateApproved               State = "approved"
	StateReleasing              State = "releasing"
	StateExpired                State = "expired"
	// StateFrozen: a port-out stopped after too many wrong passcodes (DESIGN §8); only unfreeze or
	// cancel go on.
	StateFrozen State = "frozen"
)

var portInProgress = map[State]int{
	StateValidating: 0, StateCheckingPortability: 1, StateAwaitingPortability: 1, StateAwaitingCostApproval: 2,
	StateAwaitingLOA: 3, StateLOARejected: 4, StateAwaitingCarrier: 5, StateCancelRequested: 6,
	StateScheduled: 7, StateProvisioning: 8, StateProvisioned: 9, StateActivating: 10, StateVerifying: 11,
	StateCompleted: 12,
}

// Progress orders the open port-in states (US/Canada and international); ends sort after every open state.
func (s State) Progress() int {
	if p, ok := portInProgress[s]; ok {
		return p
	}
	return 100
}

// IsEnd reports whether nothing more happens after s.
func (s State) IsEnd() bool {
	switch s {
	case StateCompleted, StateNotPortable, StateCancelled, StateFailed, StateExpired:
		return true
	}
	return false
}
