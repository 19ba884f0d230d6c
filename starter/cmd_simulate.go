package main

import (
	"context"
	"fmt"
	"log/slog"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/contactcenter/numberporting/internal/dbconn"
	"github.com/contactcenter/numberporting/simulator"
)

func (a *app) simulateCarrierCmd() *cobra.Command {
	cfg := simulator.DefaultConfig()
	var (
		cost      string
		poll      time.Duration
		once      bool
		duration  time.Duration
		jsonLog   bool
		noPortOut bool
	)
	cmd := &cobra.Command{
		Use:   "simulate-carrier [--accept-after D] [--reject-first N] [--port-in D]",
		Short: "Play the carriers (and, if asked, the customer) for demos and load tests",
		Long: "simulate-carrier runs until interrupted (SIGINT/SIGTERM), a pass every --poll:\n" +
			"  - the losing carrier: every port request in the carrier outbox (carrier_submissions) is answered\n" +
			"    --accept-after after it was submitted — LOA versions 1..--reject-first of each group rejected\n" +
			"    with a reason, later ones accepted with a port date --port-in ahead (--reject-number-first: the\n" +
			"    first acceptance of a group rejects its last number alone, split off by the workflow); a\n" +
			"    cancellation sent to the carrier is confirmed while the port waits for that (cancel_requested);\n" +
			"    another port date asked for (a supp) is accepted while the group still asks for it\n" +
			"    (--refuse-supps: refused), and a supp removing numbers is only taken note of; with --fill-csr\n" +
			"    it has a customer service record of every number waiting for an LOA (the details the\n" +
			"    --submit-loas LOAs carry; existing records kept), and with --check-csr it rejects the numbers\n" +
			"    whose record does not match the LOA it receives (CSR_MISMATCH);\n" +
			"  - the partner carriers: every international portability check (portability_checks) is answered\n" +
			"    portable, with the --cost quote if given;\n" +
			"  - the winning carrier of every port-out awaiting one: a request with the owner's name, address and\n" +
			"    billing contact as on the instance's ownership records, release --port-in ahead\n" +
			"    (--mismatch-first: the first request misspells the owner's name and is rejected);\n" +
			"  - with --submit-loas, the customer: an LOA for every group awaiting one (or a new one after a\n" +
			"    rejection); with --approve-costs, the customer's approval of every quoted cost.\n" +
			"Before acting it reads the port's status and acts only if the port still waits for that answer;\n" +
			"an update the workflow refuses anyway is logged and left. Outbox rows are marked consumed once\n" +
			"answered or found stale; rows of workflows this Temporal does not know are left alone. A port whose\n" +
			"handling fails (e.g. its status query) is retried with a backoff of up to a minute. One log line per action. Needs Temporal (--address) and the database\n" +
			"(--database-url); --timeout bounds a --once pass only.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a.ran = true
			var err error
			if cfg.Cost, err = simulator.ParseCost(cost); err != nil {
				return badInput("--cost: %v", err)
			}
			switch {
			case cfg.RejectFirst < 0:
				return badInput("--reject-first: must not be negative, got %d", cfg.RejectFirst)
			case cfg.PortIn <= 0:
				return badInput("--port-in: must be positive, got %s", cfg.PortIn)
			case poll <= 0:
				return badInput("--poll: must be positive, got %s", poll)
			case cfg.AcceptAfter < 0 || cfg.PortabilityAfter < 0 || cfg.CustomerAfter < 0:
				return badInput("--accept-after, --portability-after, --customer-after: must not be negative")
			case cfg.Concurrency <= 0:
				return badInput("--concurrency: must be positive, got %d", cfg.Concurrency)
			}
			cfg.PortOuts = !noPortOut

			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			if once && a.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, a.timeout)
				defer cancel()
			}
			if duration > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, duration)
				defer cancel()
			}

			db, err := a.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			c, err := a.dial(ctx)
			if err != nil {
				return err
			}
			defer c.Close()

			var h slog.Handler = slog.NewTextHandler(a.stdout, nil)
			if jsonLog {
				h = slog.NewJSONHandler(a.stdout, nil)
			}
			sim := &simulator.Simulator{
				Config:   cfg,
				DB:       db,
				Temporal: simulator.Client{C: c, Namespace: a.namespace},
				Log:      slog.New(h),
			}
			if once {
				st, err := sim.Step(ctx)
				if err != nil {
					return failure(err, "simulate-carrier (database %s, Temporal at %s): %v", dbconn.Redact(a.databaseURL), a.address, err)
				}
				fmt.Fprintf(a.stderr, "answered %d, refused %d, stale %d, not yet due %d, unknown workflows %d, errors %d\n",
					st.Answered, st.Refused, st.Stale, st.Waiting, st.Unknown, st.Errors)
				return nil
			}
			return sim.Run(ctx, poll)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&cfg.AcceptAfter, "accept-after", cfg.AcceptAfter,
		"how long the carrier takes to answer a port request or cancellation (and the winning carrier to send its port-out request)")
	f.IntVar(&cfg.RejectFirst, "reject-first", 0, "reject LOA versions 1..N of every group, then accept")
	f.StringVar(&cfg.RejectReasonCode, "reject-reason-code", cfg.RejectReasonCode, "the carrier's rejection reason code")
	f.StringVar(&cfg.RejectReason, "reject-reason", cfg.RejectReason, "the carrier's rejection reason")
	f.BoolVar(&cfg.RejectNumberFirst, "reject-number-first", false,
		"when the carrier accepts a group of 2+ numbers (not a split, never split), it rejects the group's last number alone "+
			"(ADDRESS_MISMATCH, \"the service address differs for this line\"): the workflow splits it off as <group>#2, accepted later")
	f.BoolVar(&cfg.CheckCSR, "check-csr", false,
		"the carrier compares each LOA it receives with its customer service records (name, address, billing telephone number) "+
			"and rejects the numbers whose record differs (CSR_MISMATCH, fields named): the whole group when all do")
	f.BoolVar(&cfg.RefuseSupps, "refuse-supps", false,
		"the carrier refuses every other port date asked for (a request-port-date supp: OTHER, the old date stands) instead of accepting it")
	f.DurationVar(&cfg.PortIn, "port-in", cfg.PortIn, "port date (and port-out release time) this far ahead of the answer")
	f.DurationVar(&cfg.PortabilityAfter, "portability-after", cfg.PortabilityAfter, "how long the partner carriers take to answer a portability check")
	f.StringVar(&cost, "cost", "", `quote this cost with every portability answer, e.g. "49.00 GBP" (default: none)`)
	f.BoolVar(&cfg.SubmitLOAs, "submit-loas", false, "play the customer: send an LOA for every group awaiting one")
	f.BoolVar(&cfg.FillCSR, "fill-csr", false,
		"the losing carrier has a customer service record of every number of a port-in waiting for an LOA, with the details --submit-loas's LOAs carry "+
			"(the request's authorized contact, the instance's address); a record that exists is left alone")
	f.BoolVar(&cfg.ApproveCosts, "approve-costs", false, "play the customer: approve every quoted cost")
	f.DurationVar(&cfg.CustomerAfter, "customer-after", cfg.CustomerAfter, "how long the customer takes to act")
	f.BoolVar(&noPortOut, "no-port-outs", false, "do not play the winning carrier of port-outs")
	f.BoolVar(&cfg.MismatchFirst, "mismatch-first", false, "the winning carrier's first request misspells the owner's name")
	f.StringVar(&cfg.PortOutPasscode, "port-out-passcode", "", "the winning carrier sends this port-out passcode with its requests (instances with one refuse requests without it)")
	f.DurationVar(&poll, "poll", time.Second, "how often to look for work")
	f.BoolVar(&once, "once", false, "run one pass and exit (prints what it did on stderr)")
	f.DurationVar(&duration, "duration", 0, "stop after this long (default: run until interrupted)")
	f.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "ports handled at once in a pass")
	f.DurationVar(&cfg.CallTimeout, "call-timeout", cfg.CallTimeout, "bound on each query and update")
	f.BoolVar(&jsonLog, "json-log", false, "log JSON lines instead of key=value text")
	return cmd
}
