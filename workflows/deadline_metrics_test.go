package workflows

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/internal/metrics"
	"github.com/contactcenter/numberporting/porting"
)

// A customer who never sends the LOA: each reminder and the expiry is a deadline passed, counted for
// the "waiting past their deadlines" alert; answered waits are not.
func TestDeadlinesPassedAreCounted(t *testing.T) {
	p := metrics.New(metrics.Options{})
	h := newHarnessWithMetrics(t, monday, p.Handler)
	res := h.run(portInRequest())
	require.Equal(t, porting.StateCancelled, res.State)
	require.NoError(t, p.Close())

	srv := httptest.NewServer(p.HTTPHandler)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var lines []string
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, metrics.DeadlinesPassed+"{") {
			lines = append(lines, l)
		}
	}
	// 6 LOA reminders and the 30-day expiry (TestPortInLOARemindersThenExpiry has the instants).
	require.Len(t, lines, 1, string(body))
	require.Contains(t, lines[0], `kind="port_in"`)
	require.Contains(t, lines[0], `wait="customer_loa"`)
	require.True(t, strings.HasSuffix(lines[0], " 7"), lines[0])
}
