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
	db, err := dbconn.OpenWith(ctx, a.databaseURL, a.tracing.SQLOpener())
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
	var (
		in       store.Instance
		passcode string
	)
	add := &cobra.Command{
		Use:   "add --arn A [--phone-number-limit N] [--owner-name N --address A --billing-contact C] [--port-out-passcode P]",
		Short: "Register an instance and its ownership records (idempotent)",
		Long: "Registers an instance and its ownership records; again on an existing instance, the fields given\n" +
			"replace the stored ones. --port-out-passcode (4 to 10 characters) sets the instance's port-out\n" +
			"passcode, kept only as a salted hash: a winning carrier's request must then carry it. Left out, the\n" +
			"stored passcode stays (change or remove it with `instance set`).",
		Args: cobra.NoArgs,
		RunE: a.withDB("instance add", func(ctx context.Context, db *sqlx.DB) error {
			if ref, err := porting.ParseInstanceARN(in.ARN); err == nil {
				in.Region = ref.Region
			}
			in.PortOutPasscode = store.Passcode(passcode)
			got, err := store.AddInstance(ctx, db, in)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "instance %s (region %s, phone-number limit %d, %s) registered\n",
				got.ARN, got.Region, got.PhoneNumberLimit, passcodeState(got.HasPortOutPasscode))
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
	f.StringVar(&passcode, "port-out-passcode", "", "the instance's port-out passcode, 4 to 10 characters (stored only hashed)")
	_ = add.MarkFlagRequired("arn")
	cmd.AddCommand(add, a.instanceSetCmd())
	return cmd
}

func passcodeState(has bool) string {
	if has {
		return "port-out passcode set"
	}
	return "no port-out passcode"
}

func (a *app) instanceSetCmd() *cobra.Command {
	var (
		arn, passcode string
		clearPasscode bool
		cmd           *cobra.Command // the closure asks whether --port-out-passcode was given
	)
	cmd = &cobra.Command{
		Use:   "set --arn A (--port-out-passcode P | --clear-port-out-passcode)",
		Short: "Set or remove an instance's port-out passcode",
		Long: "--port-out-passcode P sets the instance's port-out passcode (4 to 10 characters, no white space\n" +
			"around it), kept only as a salted hash; a winning carrier's port-out request must then carry it, and\n" +
			"three wrong ones freeze the port-out. --clear-port-out-passcode removes it. Both are idempotent and\n" +
			"audited; the passcode is never printed. An unknown instance is exit 4.",
		Args: cobra.NoArgs,
		RunE: a.withDB("instance set", func(ctx context.Context, db *sqlx.DB) error {
			given := cmd.Flags().Changed("port-out-passcode")
			switch {
			case given == clearPasscode:
				return badInput("port_out_passcode: give exactly one of --port-out-passcode P or --clear-port-out-passcode")
			case clearPasscode:
				removed, err := store.ClearPortOutPasscode(ctx, db, arn)
				if err != nil {
					return err
				}
				if removed {
					fmt.Fprintf(a.stdout, "instance %s: port-out passcode removed\n", arn)
				} else {
					fmt.Fprintf(a.stdout, "instance %s had no port-out passcode\n", arn)
				}
				return nil
			}
			if err := store.SetPortOutPasscode(ctx, db, arn, passcode); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "instance %s: port-out passcode set\n", arn)
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&arn, "arn", "", "instance ARN")
	f.StringVar(&passcode, "port-out-passcode", "", "the new port-out passcode, 4 to 10 characters (stored only hashed)")
	f.BoolVar(&clearPasscode, "clear-port-out-passcode", false, "remove the instance's port-out passcode")
	_ = cmd.MarkFlagRequired("arn")
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
	cmd.AddCommand(claim, a.numberLockCmd(), a.numberUnlockCmd())
	return cmd
}

func (a *app) numberLockCmd() *cobra.Command {
	var e164, by, reason string
	cmd := &cobra.Command{
		Use:   "lock --e164 N --by NAME [--reason R]",
		Short: "Lock a number against port-out: a port-out naming it is refused (exit 3, \"locked\")",
		Long: "Locks a number against port-out until `number unlock`: a port-out naming it is refused, naming who\n" +
			"locked it. Idempotent: a number already locked keeps its lock (who, why, when). A port-out recorded\n" +
			"before the lock goes on: the command names it, and cancelling it is up to you.",
		Args: cobra.NoArgs,
		RunE: a.withDB("number lock", func(ctx context.Context, db *sqlx.DB) error {
			out, err := store.LockNumber(ctx, db, e164, by, reason)
			if err != nil {
				return err
			}
			l := out.Lock
			if out.Created {
				fmt.Fprintf(a.stdout, "number %s locked against port-out by %s%s\n", l.E164, l.LockedBy, because(l.Reason))
			} else {
				fmt.Fprintf(a.stdout, "number %s was already locked against port-out by %s since %s%s; that lock stands\n",
					l.E164, l.LockedBy, l.LockedAt.Format(time.RFC3339), because(l.Reason))
			}
			if out.ActivePortOut != "" {
				fmt.Fprintf(a.stderr, "warning: %s is in port-out %s, recorded before the lock, which goes on: the lock refuses new "+
					"port-outs only; to stop it: starter cancel --workflow %s --reason R --by NAME\n", l.E164, out.ActivePortOut, out.ActivePortOut)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&e164, "e164", "", "the number in E.164, e.g. +14155550100")
	cmd.Flags().StringVar(&by, "by", "", "who locks it")
	cmd.Flags().StringVar(&reason, "reason", "", "why")
	_ = cmd.MarkFlagRequired("e164")
	_ = cmd.MarkFlagRequired("by")
	return cmd
}

func because(reason string) string {
	if reason == "" {
		return ""
	}
	return " (" + reason + ")"
}

func (a *app) numberUnlockCmd() *cobra.Command {
	var e164, by string
	cmd := &cobra.Command{
		Use:   "unlock --e164 N --by NAME",
		Short: "Remove a number's port-out lock (idempotent)",
		Args:  cobra.NoArgs,
		RunE: a.withDB("number unlock", func(ctx context.Context, db *sqlx.DB) error {
			l, unlocked, err := store.UnlockNumber(ctx, db, e164, by)
			if err != nil {
				return err
			}
			if unlocked {
				fmt.Fprintf(a.stdout, "number %s unlocked (locked by %s since %s%s)\n", e164, l.LockedBy, l.LockedAt.Format(time.RFC3339), because(l.Reason))
			} else {
				fmt.Fprintf(a.stdout, "number %s was not locked\n", e164)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&e164, "e164", "", "the number in E.164, e.g. +14155550100")
	cmd.Flags().StringVar(&by, "by", "", "who unlocks it")
	_ = cmd.MarkFlagRequired("e164")
	_ = cmd.MarkFlagRequired("by")
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
