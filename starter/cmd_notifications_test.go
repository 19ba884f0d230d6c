package main

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

const (
	subARN    = "arn:aws:connect:us-east-1:123456789012:instance/sub-1"
	subSecret = "whsec-0123456789abcdef"
)

func TestSubscriptionCommands(t *testing.T) {
	dbURL := pgtest.NewURL(t)
	cli := func(stdin string, args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, stdin, append([]string{"--database-url", dbURL}, args...)...)
	}
	code, _, stderr := cli("", "instance", "add", "--arn", subARN)
	require.Equal(t, 0, code, stderr)

	// Bad input: exit 2, the field and the rule named, never the secret.
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--webhook", "ftp://hooks.example.com/x", "--secret", subSecret}, `webhook: must be an http or https URL, got scheme "ftp"`},
		{[]string{"--webhook", "https://hooks.example.com/x"}, "secret: is required with --webhook"},
		{[]string{"--webhook", "https://hooks.example.com/x", "--secret", "tooshort"}, "secret: must be 16 to 256 characters long, got 8"},
		{[]string{"--email", "ops(at)example.com"}, "email: must be one email address"},
		{[]string{"--email", "ops@example.com", "--secret", subSecret}, "secret: goes with --webhook only"},
		{[]string{}, "webhook: give exactly one of --webhook URL (with --secret) or --email ADDR"},
	} {
		code, stdout, stderr := cli("", append([]string{"subscription", "add", "--instance", subARN}, tc.args...)...)
		require.Equal(t, 2, code, "%v: %s", tc.args, stderr)
		require.Contains(t, stderr, tc.msg)
		require.NotContains(t, stdout+stderr, "tooshort")
	}
	code, _, stderr = cli("", "subscription", "add", "--instance", subARN+"-gone", "--email", "ops@example.com")
	require.Equal(t, 4, code, stderr)
	require.Contains(t, stderr, "instance: instance "+subARN+"-gone does not exist")

	code, stdout, stderr := cli("", "subscription", "add", "--instance", subARN, "--webhook", "https://hooks.example.com/porting", "--secret", subSecret)
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "subscription 1 of "+subARN+": webhook https://hooks.example.com/porting added\n", stdout)
	// The secret from standard input, replacing the first (rotation).
	code, stdout, stderr = cli(subSecret+"-v2\n", "subscription", "add", "--instance", subARN, "--webhook", "https://hooks.example.com/porting", "--secret", "-")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "already there; its secret replaced")
	code, _, stderr = cli("", "subscription", "add", "--instance", subARN, "--email", "pat@example.com")
	require.Equal(t, 0, code, stderr)

	code, stdout, stderr = cli("", "subscription", "list", "--instance", subARN)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "webhook  https://hooks.example.com/porting  set")
	require.Contains(t, stdout, "email    pat@example.com")
	require.NotContains(t, stdout, subSecret)
	code, stdout, stderr = cli("", "subscription", "list", "--instance", subARN, "--json")
	require.Equal(t, 0, code, stderr)
	require.NotContains(t, stdout, subSecret)
	var subs []store.Subscription
	require.NoError(t, json.Unmarshal([]byte(stdout), &subs))
	require.Len(t, subs, 2)
	require.True(t, subs[0].HasSecret)

	db, err := sqlx.Open("postgres", dbURL)
	require.NoError(t, err)
	defer db.Close()
	var stored string
	require.NoError(t, db.Get(&stored, `SELECT secret FROM notification_subscriptions WHERE channel = 'webhook'`))
	require.Equal(t, subSecret+"-v2", stored, "read from standard input without its newline")

	code, _, stderr = cli("", "subscription", "remove", "--instance", subARN, "--email", "nobody@example.com")
	require.Equal(t, 4, code, stderr)
	emailID := strconv.FormatInt(subs[1].ID, 10)
	code, stdout, stderr = cli("", "subscription", "remove", "--instance", subARN, "--id", emailID)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "subscription "+emailID+" of "+subARN+" (email pat@example.com) removed; 0 pending deliveries to it failed")
}

func TestNotificationsCommand(t *testing.T) {
	dbURL := pgtest.NewURL(t)
	db, err := sqlx.Open("postgres", dbURL)
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()
	_, err = store.AddInstance(ctx, db, store.Instance{ARN: subARN})
	require.NoError(t, err)
	require.NoError(t, store.AddContactFlow(ctx, db, subARN, "Main", true))
	_, err = store.AddSubscription(ctx, db, store.SubscriptionInput{InstanceARN: subARN, Webhook: "https://u:pw@hooks.example.com/p", Secret: subSecret})
	require.NoError(t, err)
	const wf = "port-in-NOTE-1"
	_, err = store.RecordPortIn(ctx, db, wf, porting.KindPortIn, porting.PortInRequest{
		RequestID: "NOTE-1", InstanceARN: subARN, ContactFlow: "Main",
		Numbers:           []porting.PortNumber{{E164: "+14155550177", Type: porting.NumberTypeDID, Carrier: "Acme"}},
		AuthorizedContact: porting.Contact{Name: "Pat", Email: "pat@example.com"},
	})
	require.NoError(t, err)
	for _, n := range []store.Notification{
		{WorkflowID: wf, Key: "loa-requested/Acme/did", Kind: "loa_requested", Recipient: "customer", Subject: "LOA needed", Body: "b"},
		{WorkflowID: wf, Key: "failed/Acme/did", Kind: "port_failed", Recipient: "operations", Subject: "failed", Body: "b"},
		{WorkflowID: wf, Key: "approved-carrier/1", Kind: "port_out_approved", Recipient: "carrier", Subject: "c", Body: "b"},
	} {
		require.NoError(t, store.QueueNotification(ctx, db, n))
	}
	_, err = store.PlanDeliveries(ctx, db, nil, 0)
	require.NoError(t, err)
	claimed, err := store.ClaimDeliveries(ctx, db, "t", "tok", time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	_, err = store.CompleteDelivery(ctx, db, claimed[0].ID, "tok", store.Outcome{Error: "HTTP 503 Service Unavailable: down\nfor maintenance", RetryIn: time.Minute, RetryFor: time.Hour})
	require.NoError(t, err)

	code, stdout, stderr := runCLI(t, "", "--database-url", dbURL, "notifications", "--workflow", wf)
	require.Equal(t, 0, code, stderr)
	id := store.NotificationIdentity(wf, "loa-requested/Acme/did")
	require.Contains(t, stdout, "loa_requested")
	require.Contains(t, stdout, id)
	require.Contains(t, stdout, `loa_requested to customer  `+id+`  "LOA needed": 1 pending`)
	require.Contains(t, stdout, "    webhook  https://u:xxxxx@hooks.example.com/p  pending  attempts 1  next attempt ")
	require.Contains(t, stdout, "last error: HTTP 503 Service Unavailable: down for maintenance")
	require.Contains(t, stdout, "none (no operations target set)")
	require.Contains(t, stdout, "port_out_approved to carrier  "+store.NotificationIdentity(wf, "approved-carrier/1")+`  "c": left to the carrier gateway`)
	require.NotContains(t, stdout, ":pw@")

	code, stdout, stderr = runCLI(t, "", "--database-url", dbURL, "notifications", "--workflow", wf, "--json")
	require.Equal(t, 0, code, stderr)
	var notes []struct {
		ID         string `json:"id"`
		Kind       string `json:"kind"`
		Recipient  string `json:"recipient"`
		TakenAt    string `json:"taken_at"`
		Deliveries []struct {
			State     string `json:"state"`
			LastError string `json:"last_error"`
			Attempts  int    `json:"attempts"`
		} `json:"deliveries"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &notes), stdout)
	require.Len(t, notes, 3)
	require.Equal(t, id, notes[0].ID)
	require.Len(t, notes[0].Deliveries, 1)
	require.Equal(t, "pending", notes[0].Deliveries[0].State)
	require.Equal(t, 1, notes[0].Deliveries[0].Attempts)
	require.Contains(t, notes[0].Deliveries[0].LastError, "HTTP 503")
	require.Empty(t, notes[2].TakenAt, "the carrier's is not taken")

	code, _, stderr = runCLI(t, "", "--database-url", dbURL, "notifications", "--workflow", "port-in-NOPE")
	require.Equal(t, 4, code, stderr)
	require.Contains(t, stderr, "no port port-in-NOPE")
	code, _, stderr = runCLI(t, "", "--database-url", dbURL, "notifications", "--workflow", "port-in-BULK-1.order-3")
	require.Equal(t, 4, code, stderr)
	require.Contains(t, stderr, "starter notifications --workflow port-in-BULK-1")
	code, _, stderr = runCLI(t, "", "--database-url", dbURL, "notifications")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, `"workflow" not set`)
}
