package porting

import (
	"time"

	"go.temporal.io/sdk/temporal"
)

// TaskQueue is the one task queue every porting workflow and activity runs on.
const TaskQueue = "number-porting"

// Workflow types of the wire contract.
const (
	WorkflowPortIn              = "PortIn"
	WorkflowInternationalPortIn = "InternationalPortIn"
	WorkflowPortOut             = "PortOut"
)

// Kinds as shown in the PortKind search attribute and the status query.
const (
	KindPortIn              = "port_in"
	KindInternationalPortIn = "intl_port_in"
	KindPortOut             = "port_out"
)

// Signal, update and query names of the wire contract. Every signal is also an update of the same name.
const (
	SignalSubmitLOA             = "submit-loa"
	SignalCarrierResponse       = "carrier-response"
	SignalPortabilityResult     = "portability-result"
	SignalApproveCost           = "approve-cost"
	SignalWinningCarrierRequest = "winning-carrier-request"
	SignalCancel                = "cancel"
	// DESIGN §8: supplemental changes.
	SignalRequestPortDate = "request-port-date"
	SignalRemoveNumbers   = "remove-numbers"
	// DESIGN §8: port-out protection.
	SignalUnfreeze = "unfreeze"
	QueryStatus    = "status"
	// UpdateAwaitValidation is an extension: the starter calls it right after starting a port so that
	// a request the database refuses (unknown instance, number already porting…) is reported to the
	// caller with exit 3 instead of failing silently in the background.
	UpdateAwaitValidation = "await-validation"
)

// PortInWorkflowID and friends build the contract's workflow IDs.
func PortInWorkflowID(requestID string) string     { return "port-in-" + requestID }
func IntlPortInWorkflowID(requestID string) string { return "intl-port-in-" + requestID }
func PortOutWorkflowID(requestID string) string    { return "port-out-" + requestID }

// MemoSummary is the memo field holding a port's customer-facing one-line summary.
const MemoSummary = "summary"

// Search attributes of the wire contract.
var (
	SearchPortKind     = temporal.NewSearchAttributeKeyKeyword("PortKind")
	SearchPortState    = temporal.NewSearchAttributeKeyKeyword("PortState")
	SearchInstanceArn  = temporal.NewSearchAttributeKeyKeyword("InstanceArn")
	SearchCarrier      = temporal.NewSearchAttributeKeyKeywordList("Carrier")
	SearchPhoneNumbers = temporal.NewSearchAttributeKeyKeywordList("PhoneNumbers")
	SearchPortDate     = temporal.NewSearchAttributeKeyTime("PortDate")
	// SearchRequestId is the request's request_id (DESIGN §8), set on the request's workflow and on
	// every order workflow it runs: RequestId = "<request_id>" lists them all.
	SearchRequestId = temporal.NewSearchAttributeKeyKeyword("RequestId")
)

// MaxIndexedNumbers bounds the PhoneNumbers search attribute: the server refuses a value over 2 KB.
// A request of more numbers is a bulk request whose orders hold at most this many each
// (porting.OrderSize), so every number is in the PhoneNumbers of the order that handles it; the
// request's own workflow indexes its first ones.
const MaxIndexedNumbers = 100

// IndexedNumbers is what a port publishes in PhoneNumbers: at most MaxIndexedNumbers numbers.
func IndexedNumbers(numbers []string) []string {
	if len(numbers) > MaxIndexedNumbers {
		return numbers[:MaxIndexedNumbers]
	}
	return numbers
}

// SearchAttributesToRegister is every custom search attribute with a zero value, the form a dev
// server's options (testsuite.DevServerOptions.SearchAttributes) register them in.
func SearchAttributesToRegister() temporal.SearchAttributes {
	return temporal.NewSearchAttributes(
		SearchPortKind.ValueSet(""),
		SearchPortState.ValueSet(""),
		SearchInstanceArn.ValueSet(""),
		SearchCarrier.ValueSet(nil),
		SearchPhoneNumbers.ValueSet(nil),
		SearchPortDate.ValueSet(time.Time{}),
		SearchRequestId.ValueSet(""),
	)
}

// SearchAttributeTypes lists the custom search attributes with the type names the Temporal CLI's
// `--search-attribute Name=Type` flag and the dev-server options take.
var SearchAttributeTypes = [][2]string{
	{"PortKind", "Keyword"},
	{"PortState", "Keyword"},
	{"InstanceArn", "Keyword"},
	{"Carrier", "KeywordList"},
	{"PhoneNumbers", "KeywordList"},
	{"PortDate", "Datetime"},
	{"RequestId", "Keyword"},
}
