package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/spf13/cobra"

	"github.com/contactcenter/numberporting/internal/dbconn"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// openDB opens (creating and migrating when needed) the inventory database of --database-url.
func (a *app) openDB(ctx context.Context) (*sqlx.DB, error) {
	db, err := dbconn.Open(ctx, a.databaseURL)
	if err != nil {
		return nil, failure(err, "database: %v", err)
	}
	return db, nil
}

// withDB runs fn on the inventory database. Inventory errors keep their exit code (2, 3, 4); any
// other database error is exit 1, prefixed with what was being done.
func (a *app) withDB(what string, fn func(ctx context.Context, db *sqlx.DB) error) func(*cobra.Command, []string) error {
	return a.runE(func(ctx context.Context, _ []string) error {
		db, err := a.openDB(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		err = fn(ctx, db)
		var (
			inv *store.InventoryError
			ce  *cliError
		)
		if err == nil || errors.As(err, &inv) || errors.As(err, &ce) {
			return err
		}
		return failure(err, "%s (database %s): %v", what, dbconn.Redact(a.databaseURL), err)
	})
}

func (a *app) instanceCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "instance", Short: "Manage contact-center instances in the inventory"}
	var in store.Instance
	add := &cobra.Command{
		Use:   "add --arn A [--phone-number-limit N] [--owner-name N --address A --billing-contact C]",
		Short: "Register an instance and its ownership records (idempotent)",
		Args:  cobra.NoArgs,
		RunE: a.withDB("instance add", func(ctx context.Context, db *sqlx.DB) error {
			if ref, err := porting.ParseInstanceARN(in.ARN); err == nil {
				in.Region = ref.Region
			}
			got, err := store.AddInstance(ctx, db, in)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "instance %s (region %s, phone-number limit %d) registered\n", got.ARN, got.Region, got.PhoneNumberLimit)
			return nil
		}),
	}
	f := add.Flags()
	f.StringVar(&in.ARN, "arn", "", "instance ARN, arn:aws:connect:<region>:<account>:instance/<id>")
	f.IntVar(&in.PhoneNumberLimit, "phone-number-limit", 0,
		"how many numbers the instance may hold (0: 10 for a new instance, unchanged for an existing one)")
	f.StringVar(&in.OwnerName, "owner-name", "", "owner of the numbers, as on the ownership records")
	f.StringVar(&in.Address, "address", "", "the owner's address, as on the ownership records")
	f.StringVar(&in.BillingContact, "billing-contact", "", "the owner's billing contact, as on the ownership records")
	_ = add.MarkFlagRequired("arn")
	cmd.AddCommand(add)
	return cmd
}

func (a *app) flowCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "flow", Short: "Manage an instance's contact flows"}
	var instance, name string
	var unpublished bool
	add := &cobra.Command{
		Use:   "add --instance A --name N [--unpublished]",
		Short: "Register a contact flow (published unless --unpublished)",
		Args:  cobra.NoArgs,
		RunE: a.withDB("flow add", func(ctx context.Context, db *sqlx.DB) error {
			if err := store.AddContactFlow(ctx, db, instance, name, !unpublished); err != nil {
				return err
			}
			state := "published"
			if unpublished {
				state = "unpublished"
			}
			fmt.Fprintf(a.stdout, "contact flow %q of %s registered (%s)\n", name, instance, state)
			return nil
		}),
	}
	add.Flags().StringVar(&instance, "instance", "", "instance ARN")
	add.Flags().StringVar(&name, "name", "", "the contact flow's exact name")
	add.Flags().BoolVar(&unpublished, "unpublished", false, "register the flow as not yet published")
	_ = add.MarkFlagRequired("instance")
	_ = add.MarkFlagRequired("name")

	var pInstance, pName string
	publish := &cobra.Command{
		Use:   "publish --instance A --name N",
		Short: "Publish a contact flow (numbers can only be mapped to published flows)",
		Args:  cobra.NoArgs,
		RunE: a.withDB("flow publish", func(ctx context.Context, db *sqlx.DB) error {
			if err := store.PublishContactFlow(ctx, db, pInstance, pName); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "contact flow %q of %s published\n", pName, pInstance)
			return nil
		}),
	}
	publish.Flags().StringVar(&pInstance, "instance", "", "instance ARN")
	publish.Flags().StringVar(&pName, "name", "", "the contact flow's exact name")
	_ = publish.MarkFlagRequired("instance")
	_ = publish.MarkFlagRequired("name")
	cmd.AddCommand(add, publish)
	return cmd
}

func (a *app) numberCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "number", Short: "Manage an instance's phone numbers"}
	var instance, e164, numberType, flow string
	claim := &cobra.Command{
		Use:   "claim --instance A --e164 N [--type did|toll_free] [--flow NAME]",
		Short: "Claim a number for the instance (the phone-number limit applies)",
		Args:  cobra.NoArgs,
		RunE: a.withDB("number claim", func(ctx context.Context, db *sqlx.DB) error {
			if numberType != porting.NumberTypeDID && numberType != porting.NumberTypeTollFree {
				return badInput("--type: must be %q or %q, got %q", porting.NumberTypeDID, porting.NumberTypeTollFree, numberType)
			}
			if err := store.ClaimNumber(ctx, db, instance, e164, numberType, flow); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "number %s claimed for %s\n", e164, instance)
			return nil
		}),
	}
	claim.Flags().StringVar(&instance, "instance", "", "instance ARN")
	claim.Flags().StringVar(&e164, "e164", "", "the number in E.164, e.g. +14155550100")
	claim.Flags().StringVar(&numberType, "type", porting.NumberTypeDID, "did or toll_free")
	claim.Flags().StringVar(&flow, "flow", "", "contact flow to map the number to")
	_ = claim.MarkFlagRequired("instance")
	_ = claim.MarkFlagRequired("e164")
	cmd.AddCommand(claim)
	return cmd
}

func (a *app) numbersCmd() *cobra.Command {
	var instance string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "numbers --instance A [--json]",
		Short: "The instance's numbers with their state (provisioned, active, releasing, released) and flow",
		Args:  cobra.NoArgs,
		RunE: a.withDB("numbers", func(ctx context.Context, db *sqlx.DB) error {
			nums, err := store.ListNumbers(ctx, db, instance)
			if err != nil {
				return err
			}
			if nums == nil {
				nums = []store.PhoneNumber{}
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(nums)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "E164\tTYPE\tSTATE\tCONTACT FLOW\tPORT REQUEST\tUPDATED")
			for _, r := range nums {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.E164, r.Type, r.State, dash(r.ContactFlow), dash(r.PortRequest), r.UpdatedAt.Format(time.RFC3339))
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().StringVar(&instance, "instance", "", "instance ARN")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("instance")
	return cmd
}
