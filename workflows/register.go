// Package workflows holds the deterministic porting workflows: state machines over signals and
// validated updates, with business-day durable timers. No I/O happens here; activities do it.
package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/porting"
)

// Registry is the part of worker.Worker (and of the test environment) the porting code registers on.
type Registry interface {
	RegisterWorkflowWithOptions(w interface{}, options workflow.RegisterOptions)
}

// Register registers every porting workflow under its contract name.
func Register(r Registry) {
	r.RegisterWorkflowWithOptions(PortIn, workflow.RegisterOptions{Name: porting.WorkflowPortIn})
	r.RegisterWorkflowWithOptions(PortOut, workflow.RegisterOptions{Name: porting.WorkflowPortOut})
	r.RegisterWorkflowWithOptions(InternationalPortIn, workflow.RegisterOptions{Name: porting.WorkflowInternationalPortIn})
	r.RegisterWorkflowWithOptions(PortOrder, workflow.RegisterOptions{Name: porting.WorkflowPortOrder})
}
