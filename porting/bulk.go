package porting

import (
	"strconv"
	"strings"
)

// Bulk requests (DESIGN §8 "Bulk"): a port-in or international port-in of more than OrderSize
// numbers (up to MaxNumbersPerRequest) is handled by order workflows, one per group of at most
// OrderSize numbers, each with the search attributes of its own numbers — so that every number is
// in the PhoneNumbers of the workflow that handles it. A group of more numbers is split into orders
// "<group>~1", "<group>~2", … in request order; one LOA serves every order of a group.
const OrderSize = MaxIndexedNumbers

// WorkflowPortOrder is the workflow type of an order of a bulk request (an extension of §3: started
// by the request's workflow, never by a client).
const WorkflowPortOrder = "PortOrder"

// SignalOrderReport is the signal an order sends the request's workflow when its state changes
// (internal to a bulk request).
const SignalOrderReport = "order-report"

// ErrHandledByOrders is the error type of an update a bulk request refuses because its orders
// take it: the refusal names them, and the starter sends the update there.
const ErrHandledByOrders = "HandledByOrders"

// OrderKind is the PortKind of the orders of a request of kind ("port_in_order", …).
func OrderKind(kind string) string { return kind + "_order" }

// OrderWorkflowID is the workflow ID of the k-th order (from 1) of the request's workflow.
func OrderWorkflowID(requestWorkflowID string, k int) string {
	return requestWorkflowID + ".order-" + strconv.Itoa(k)
}

// RequestOfOrder is the request's workflow ID of an order's workflow ID (OrderWorkflowID), and
// whether id is one.
func RequestOfOrder(id string) (string, bool) {
	i := strings.LastIndex(id, ".order-")
	if i <= 0 {
		return "", false
	}
	if _, err := strconv.Atoi(id[i+len(".order-"):]); err != nil {
		return "", false
	}
	return id[:i], true
}

// OrderName is the name of the k-th order (from 1) of a group split into orders.
func OrderName(group string, k int) string { return group + "~" + strconv.Itoa(k) }

// OrderOf is the group an order belongs to ("Acme Telecom/did" for "Acme Telecom/did~3" and for a
// split of it, "Acme Telecom/did~3#2"); a name that is no order is its own.
func OrderOf(name string) string {
	name = BaseGroupName(name)
	if i := strings.LastIndex(name, "~"); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			return name[:i]
		}
	}
	return name
}

// Orders splits numbers into the orders of a bulk request: per group (groupName), in request order,
// OrderSize numbers each; a group of at most OrderSize numbers is one order named after the group.
// It returns the order names in order of first appearance and each number's order (by index).
func Orders(numbers []PortNumber, groupName func(PortNumber) string) (names []string, orderOf []int) {
	type grp struct{ count, orders int }
	size := map[string]int{}
	for _, n := range numbers {
		size[groupName(n)]++
	}
	groups := map[string]*grp{}
	current := map[string]int{} // group → index in names of its open order
	orderOf = make([]int, len(numbers))
	for i, n := range numbers {
		g := groupName(n)
		st, ok := groups[g]
		if !ok {
			st = &grp{}
			groups[g] = st
		}
		if st.count%OrderSize == 0 {
			st.orders++
			name := g
			if size[g] > OrderSize {
				name = OrderName(g, st.orders)
			}
			names = append(names, name)
			current[g] = len(names) - 1
		}
		st.count++
		orderOf[i] = current[g]
	}
	return names, orderOf
}
