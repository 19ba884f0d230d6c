package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/contactcenter/numberporting/porting"
)

// clusterNamespace makes a namespace of the test's own on the cluster at addr (make test-cluster):
// registered, with the contract's search attributes, and usable (the server answers in it) before it
// returns. Its workflows stay there for a day (the retention), for a look after a failure.
func clusterNamespace(ctx context.Context, t *testing.T, addr string) *temporalServer {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := "e2e-" + strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())) + "-" + hex.EncodeToString(b[:])
	if len(name) > 60 {
		name = name[:51] + "-" + hex.EncodeToString(b[:])
	}
	admin, err := client.Dial(client.Options{HostPort: addr, Logger: quietLogger()})
	require.NoError(t, err, "e2e: the cluster at %s (PORTING_E2E_CLUSTER)", addr)
	defer admin.Close()
	_, err = admin.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: name, WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour),
	})
	require.NoError(t, err, "e2e: registering namespace %s", name)
	attrs := map[string]enumspb.IndexedValueType{}
	for _, a := range porting.SearchAttributeTypes {
		attrs[a[0]] = enumspb.IndexedValueType(enumspb.IndexedValueType_value["INDEXED_VALUE_TYPE_"+strings.ToUpper(camelToSnake(a[1]))])
	}
	// A new namespace is usable once every service has it in its cache: keep trying.
	started := time.Now()
	require.Eventually(t, func() bool {
		_, err := admin.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: name, SearchAttributes: attrs})
		if err != nil && !strings.Contains(err.Error(), "already exists") {
			return false
		}
		_, err = admin.WorkflowService().ListWorkflowExecutions(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: name, Query: `PhoneNumbers = "+10000000000" AND RequestId = "x"`,
		})
		return err == nil
	}, 2*time.Minute, 500*time.Millisecond, "e2e: namespace %s on %s never became usable", name, addr)
	t.Logf("e2e: namespace %s on the cluster %s (usable after %s)", name, addr, time.Since(started).Round(100*time.Millisecond))
	c, err := client.Dial(client.Options{HostPort: addr, Namespace: name, Logger: quietLogger()})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return &temporalServer{hostPort: addr, namespace: name, client: c}
}

// camelToSnake: "KeywordList" → "keyword_list".
func camelToSnake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return b.String()
}
