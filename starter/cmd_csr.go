package main

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/spf13/cobra"

	"github.com/contactcenter/numberporting/store"
)

// csrCmd manages the simulated losing carriers' customer service records, which the CSR pre-check
// compares LOAs with before they go to the carrier (DESIGN §8).
func (a *app) csrCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "csr", Short: "Manage the simulated losing carriers' customer service records (CSR pre-check)"}
	var in store.CSRInput
	add := &cobra.Command{
		Use:   "add --carrier C --e164 N --name NAME --address ADDR [--account A] [--btn B]",
		Short: "Record a carrier's customer service record of a number (idempotent: a second call replaces it)",
		Args:  cobra.NoArgs,
		RunE: a.withDB("csr add", func(ctx context.Context, db *sqlx.DB) error {
			if err := store.AddCustomerServiceRecord(ctx, db, in); err != nil {
				return err
			}
			// Never the account number: it is only kept hashed.
			fmt.Fprintf(a.stdout, "customer service record of %s at %s registered\n", in.E164, in.Carrier)
			return nil
		}),
	}
	f := add.Flags()
	f.StringVar(&in.Carrier, "carrier", "", "the losing carrier holding the record")
	f.StringVar(&in.E164, "e164", "", "the number in E.164, e.g. +14155550100")
	f.StringVar(&in.Name, "name", "", "the account holder's name on the record")
	f.StringVar(&in.Address, "address", "", "the service address on the record")
	f.StringVar(&in.AccountNumber, "account", "", "the carrier account number (stored only as a hash; none: not compared)")
	f.StringVar(&in.BillingTelephoneNumber, "btn", "", "the billing telephone number in E.164 (none: not compared)")
	for _, name := range []string{"carrier", "e164", "name", "address"} {
		_ = add.MarkFlagRequired(name)
	}
	cmd.AddCommand(add)
	return cmd
}
