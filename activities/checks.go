package activities

import (
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// The activities' own input checks: what the workflow should have checked, refused before the store
// is asked (a non-retryable ErrInvalidInput naming the field and the rule).

func invalidInput(field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if field != "" {
		msg = field + ": " + msg
	}
	return temporal.NewNonRetryableApplicationError(msg, ErrInvalidInput, nil)
}

// checkNumbersInput checks what every group-scoped activity needs.
func checkNumbersInput(in NumbersInput, needTypes bool) error {
	switch {
	case in.WorkflowID == "":
		return invalidInput("workflow_id", "is required")
	case in.Group == "":
		return invalidInput("group", "is required")
	case in.InstanceARN == "":
		return invalidInput("instance_arn", "is required")
	case len(in.Numbers) == 0:
		return invalidInput("numbers", "at least one number is required")
	}
	if err := checkNumbers(in.Numbers); err != nil {
		return err
	}
	for i, n := range in.Numbers {
		if needTypes && !slices.Contains(store.NumberTypes, n.Type) {
			return invalidInput(fmt.Sprintf("numbers[%d].type", i), "must be one of %s, got %q", strings.Join(store.NumberTypes, ", "), n.Type)
		}
	}
	return nil
}

// checkNumbers: every number is E.164 and appears once.
func checkNumbers(numbers []porting.PortNumber) error {
	seen := make(map[string]int, len(numbers))
	for i, n := range numbers {
		field := fmt.Sprintf("numbers[%d].e164", i)
		if !store.E164Pattern.MatchString(n.E164) {
			return invalidInput(field, "must be an E.164 number like +14155550100, got %q", n.E164)
		}
		if first, dup := seen[n.E164]; dup {
			return invalidInput(field, "duplicate of numbers[%d] (%s)", first, n.E164)
		}
		seen[n.E164] = i
	}
	return nil
}

// checkPortOutNumbers: at least one number, each E.164 and once (fields as the port-out request's JSON).
func checkPortOutNumbers(numbers []string) error {
	return checkNumberList("numbers", numbers)
}

// checkNumberList: at least one number in the list named field, each E.164 and once (fields
// "field[i]", as the list's JSON).
func checkNumberList(field string, numbers []string) error {
	if len(numbers) == 0 {
		return invalidInput(field, "at least one number is required")
	}
	seen := make(map[string]int, len(numbers))
	for i, n := range numbers {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !store.E164Pattern.MatchString(n) {
			return invalidInput(f, "must be an E.164 number like +14155550100, got %q", n)
		}
		if first, dup := seen[n]; dup {
			return invalidInput(f, "duplicate of %s[%d] (%s)", field, first, n)
		}
		seen[n] = i
	}
	return nil
}

// group is the store's view of a group-scoped input.
func (in NumbersInput) group() store.PortGroup {
	return store.PortGroup{WorkflowID: in.WorkflowID, Group: in.Group, InstanceARN: in.InstanceARN,
		ContactFlow: in.ContactFlow, Numbers: in.Numbers, Reason: in.Reason, Round: in.Round}
}
