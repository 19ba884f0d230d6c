//go:build reliability

package e2e

// The reliability harness on the real engine (make test-cluster): a fleet's Temporal is a namespace
// of its own on the cluster that scripts/cluster.sh runs on Postgres, and "stopping Temporal" is a
// kill -9 of the server process — every service of it, or in split mode only the ones
// CLUSTER_KILL_SERVICES names (e.g. "history") — started again by the same script.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

type clusterEngine struct {
	t        *testing.T
	root     string
	addr     string
	ns       string
	services []string // what stop kills; empty: the whole server
}

func newClusterEngine(ctx context.Context, t *testing.T, root, addr string) *clusterEngine {
	t.Helper()
	ns := clusterNamespace(ctx, t, addr)
	e := &clusterEngine{t: t, root: root, addr: addr, ns: ns.namespace}
	if s := strings.TrimSpace(os.Getenv("CLUSTER_KILL_SERVICES")); s != "" {
		e.services = strings.Fields(strings.ReplaceAll(s, ",", " "))
	}
	return e
}

func (e *clusterEngine) address() string   { return e.addr }
func (e *clusterEngine) namespace() string { return e.ns }
func (e *clusterEngine) describe() string {
	what := "the whole server"
	if len(e.services) > 0 {
		what = "its " + strings.Join(e.services, ", ") + " service(s)"
	}
	return fmt.Sprintf("cluster at %s, namespace %s; a stop kills -9 %s", e.addr, e.ns, what)
}

func (e *clusterEngine) script(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(e.root, "scripts", "cluster.sh"), args...)
	cmd.Dir = e.root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("scripts/cluster.sh %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	e.t.Logf("scripts/cluster.sh %s: %s", strings.Join(args, " "), strings.TrimSpace(string(out)))
	return nil
}

// stop kills -9: no graceful shutdown, no flush — what a crashed host does.
func (e *clusterEngine) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return e.script(ctx, append([]string{"kill-server"}, e.services...)...)
}

// start starts what stop killed and returns once the namespace answers again.
func (e *clusterEngine) start(ctx context.Context) error {
	if err := e.script(ctx, append([]string{"start-server"}, e.services...)...); err != nil {
		return err
	}
	c, err := client.Dial(client.Options{HostPort: e.addr, Namespace: e.ns, Logger: quietLogger()})
	if err != nil {
		return err
	}
	defer c.Close()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err = c.WorkflowService().ListWorkflowExecutions(cctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: e.ns, PageSize: 1})
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the cluster at %s did not answer in %s for 3 minutes after the restart: %w", e.addr, e.ns, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
