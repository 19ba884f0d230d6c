package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/spf13/cobra"

	"github.com/contactcenter/numberporting/internal/dbconn"
	"github.com/contactcenter/numberporting/store"
)

// Notifications delivered (DESIGN §8): an instance's subscriptions, and what became of a port's
// notifications. Both read and write Postgres only (no Temporal, no payload key).

func (a *app) subscriptionCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "subscription", Short: "Manage where an instance's customer notifications are delivered (webhooks, email)"}
	cmd.AddCommand(a.subscriptionAddCmd(), a.subscriptionListCmd(), a.subscriptionRemoveCmd())
	return cmd
}

func (a *app) subscriptionAddCmd() *cobra.Command {
	var in store.SubscriptionInput
	cmd := &cobra.Command{
		Use:   "add --instance A (--webhook URL --secret S | --email ADDR)",
		Short: "Deliver the instance's customer notifications to a webhook or an email address (idempotent)",
		Long: "Subscribes a webhook (an http or https URL; every request is signed with --secret, 16 to 256\n" +
			"characters, in the Porting-Signature header) or an email address to the customer notifications of\n" +
			"the instance's ports, from now on. Again with the same target: the same subscription, its secret\n" +
			"replaced by the one given (rotation). The secret is never printed. An unknown instance is exit 4.",
		Args: cobra.NoArgs,
		RunE: a.withDB("subscription add", func(ctx context.Context, db *sqlx.DB) error {
			if in.Secret == "-" {
				// From standard input: a secret on the command line is seen by ps and kept by shells.
				b, err := io.ReadAll(io.LimitReader(a.stdin, store.MaxWebhookSecretLength+3))
				if err != nil {
					return failure(err, "secret: reading standard input: %v", err)
				}
				in.Secret = strings.TrimRight(string(b), "\r\n")
			}
			out, err := store.AddSubscription(ctx, db, in)
			if err != nil {
				return err
			}
			what := "added"
			switch {
			case !out.Created && out.SecretChanged:
				what = "already there; its secret replaced"
			case !out.Created:
				what = "already there; unchanged"
			}
			fmt.Fprintf(a.stdout, "subscription %d of %s: %s %s %s\n", out.ID, out.InstanceARN, out.Channel, store.RedactTarget(out.Target), what)
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&in.InstanceARN, "instance", "", "instance ARN")
	f.StringVar(&in.Webhook, "webhook", "", "the webhook's http(s) URL")
	f.StringVar(&in.Secret, "secret", "", "the webhook's signing secret, shared with the receiver (16 to 256 characters; never printed); - reads it from standard input")
	f.StringVar(&in.Email, "email", "", "an email address")
	_ = cmd.MarkFlagRequired("instance")
	return cmd
}

func (a *app) subscriptionListCmd() *cobra.Command {
	var arn string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list --instance A [--json]",
		Short: "The instance's subscriptions (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: a.withDB("subscription list", func(ctx context.Context, db *sqlx.DB) error {
			subs, err := store.Subscriptions(ctx, db, arn)
			if err != nil {
				return err
			}
			for i := range subs {
				subs[i].Target = store.RedactTarget(subs[i].Target)
			}
			if asJSON {
				return writeJSONTo(a, subs)
			}
			if len(subs) == 0 {
				fmt.Fprintf(a.stdout, "no subscriptions: %s's customer notifications are not delivered (starter subscription add)\n", arn)
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tCHANNEL\tTARGET\tSECRET\tSINCE")
			for _, s := range subs {
				secret := "-"
				if s.HasSecret {
					secret = "set"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", s.ID, s.Channel, s.Target, secret, s.CreatedAt.Format(time.RFC3339))
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().StringVar(&arn, "instance", "", "instance ARN")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("instance")
	return cmd
}

func (a *app) subscriptionRemoveCmd() *cobra.Command {
	var r store.SubscriptionRemoval
	cmd := &cobra.Command{
		Use:   "remove --instance A (--id N | --webhook URL | --email ADDR)",
		Short: "Stop delivering to a subscription; its pending deliveries fail",
		Long: "Removes one of the instance's subscriptions. Deliveries to it still pending fail (\"subscription\n" +
			"removed\"); delivered ones stay in `starter notifications`. No such subscription is exit 4.",
		Args: cobra.NoArgs,
		RunE: a.withDB("subscription remove", func(ctx context.Context, db *sqlx.DB) error {
			out, err := store.RemoveSubscription(ctx, db, r)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "subscription %d of %s (%s %s) removed; %d pending deliveries to it failed\n",
				out.ID, out.InstanceARN, out.Channel, store.RedactTarget(out.Target), out.Abandoned)
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&r.InstanceARN, "instance", "", "instance ARN")
	f.Int64Var(&r.ID, "id", 0, "the subscription's ID (subscription list)")
	f.StringVar(&r.Webhook, "webhook", "", "the subscribed webhook URL")
	f.StringVar(&r.Email, "email", "", "the subscribed email address")
	_ = cmd.MarkFlagRequired("instance")
	return cmd
}

// orderWorkflowID is an order workflow of a bulk request: its notifications are the request's.
var orderWorkflowID = regexp.MustCompile(`^(.+)\.order-[0-9]+$`)

func (a *app) notificationsCmd() *cobra.Command {
	var workflowID string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "notifications --workflow ID [--json]",
		Short: "A port's notifications, each with its deliveries (state, attempts, last error)",
		Long: "Lists the notifications a port queued, oldest first, each with its id (the webhook's id and\n" +
			"Idempotency-Key) and its deliveries: channel, target, state (pending, delivered, failed), attempts,\n" +
			"the last error and the next attempt. Carrier notifications are the carrier gateway's: they show no\n" +
			"deliveries. Order workflows of a bulk request keep theirs under the request's ID. An unknown\n" +
			"workflow is exit 4.",
		Args: cobra.NoArgs,
		RunE: a.withDB("notifications", func(ctx context.Context, db *sqlx.DB) error {
			if strings.TrimSpace(workflowID) == "" {
				return badInput("--workflow: is required: the port's workflow ID, e.g. port-in-REQ-1")
			}
			notes, found, err := store.NotificationsOf(ctx, db, workflowID)
			if err != nil {
				return err
			}
			if !found {
				if m := orderWorkflowID.FindStringSubmatch(workflowID); m != nil {
					return notFound("%s is an order of a bulk request: its notifications are kept under the request's ID; "+
						"try starter notifications --workflow %s", workflowID, m[1])
				}
				return notFound("no port %s in the database (%s), and no notification of it", workflowID, dbconn.Redact(a.databaseURL))
			}
			if asJSON {
				return writeJSONTo(a, notes)
			}
			if len(notes) == 0 {
				fmt.Fprintf(a.stdout, "%s has queued no notification yet\n", workflowID)
				return nil
			}
			writeNotifications(a, notes)
			return nil
		}),
	}
	cmd.Flags().StringVar(&workflowID, "workflow", "", "the port's workflow ID")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("workflow")
	return cmd
}

// writeNotifications prints each notification on a line of its own, its deliveries aligned under it.
func writeNotifications(a *app, notes []store.NotificationDeliveries) {
	for i, n := range notes {
		if i > 0 {
			fmt.Fprintln(a.stdout)
		}
		fmt.Fprintf(a.stdout, "%s  %s to %s  %s  %q: %s\n", n.CreatedAt.Format(time.RFC3339), n.Kind, n.Recipient, n.ID,
			oneLineText(n.Subject), deliverySummary(n))
		if len(n.Deliveries) == 0 {
			continue
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		for _, d := range n.Deliveries {
			when := ""
			switch {
			case d.DeliveredAt != nil:
				when = "delivered " + d.DeliveredAt.Format(time.RFC3339)
			case d.NextAttemptAt != nil:
				when = "next attempt " + d.NextAttemptAt.Format(time.RFC3339)
			case d.State == store.DeliveryFailed:
				when = "gave up " + d.UpdatedAt.Format(time.RFC3339)
			}
			lastError := ""
			if d.LastError != "" {
				lastError = "last error: " + oneLineText(d.LastError)
			}
			fmt.Fprintf(tw, "    %s\t%s\t%s\tattempts %d\t%s\t%s\n", d.Channel, d.Target, d.State, d.Attempts, when, lastError)
		}
		_ = tw.Flush()
	}
}

func deliverySummary(n store.NotificationDeliveries) string {
	switch {
	case n.Recipient == store.RecipientCarrier:
		return "left to the carrier gateway (not delivered by the notifier)"
	case n.TakenAt == nil:
		return "not yet taken by a notifier"
	case len(n.Deliveries) == 0:
		if n.Recipient == store.RecipientCustomer {
			return "none (no subscription when it was sent)"
		}
		return "none (no operations target set)"
	}
	counts := map[string]int{}
	for _, d := range n.Deliveries {
		counts[d.State]++
	}
	var parts []string
	for _, s := range []string{store.DeliveryDelivered, store.DeliveryPending, store.DeliveryFailed} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	return strings.Join(parts, ", ")
}

func oneLineText(s string) string { return strings.Join(strings.Fields(s), " ") }

func writeJSONTo(a *app, v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
