// Command starter is the support-tooling CLI of the number-porting service (DESIGN §7): it starts
// ports, delivers customer and carrier messages as workflow updates, shows a port's status, lists
// ports by their search attributes, and manages the instance inventory in Postgres. It is a thin
// layer over store (inventory), porting (wire types, validation), simulator (simulate-carrier) and the
// Temporal client; it imports neither activities nor workflows.
//
// Exit codes: 0 done; 2 bad input; 3 refused by the workflow; 4 not found; 1 anything else.
package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"time"
	_ "time/tzdata" // status shows deadlines in the port's time zone

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"

	"github.com/contactcenter/numberporting/internal/dbconn"
	"github.com/contactcenter/numberporting/internal/temporalconn"
	"github.com/contactcenter/numberporting/internal/tracing"
)

func main() {
	os.Exit(execute(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// app holds the global flags and the process's streams.
type app struct {
	address     string
	namespace   string
	databaseURL string
	timeout     time.Duration
	dialTimeout time.Duration
	// updateWait bounds how long an accepted update's result is awaited (--update-wait).
	updateWait time.Duration
	// insecurePlaintext lets the starter run without PORTING_PAYLOAD_KEY (plain payloads).
	insecurePlaintext bool

	stdin          io.Reader
	stdout, stderr io.Writer

	// tracing is on with OTEL_EXPORTER_OTLP_ENDPOINT (tracing.go); nil or off: no spans.
	tracing      *tracing.Tracing
	interceptors []interceptor.ClientInterceptor

	// ran is set once a command's own code runs: errors before that are cobra's usage errors.
	ran bool
}

// execute runs the CLI and returns the process exit code.
func execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	a.setupTracing(ctx)
	err := root.ExecuteContext(ctx)
	if err != nil && !a.ran {
		// Unknown command or flag, missing required flag, wrong arguments.
		err = usageError(err)
	}
	code := exitCode(err)
	if err != nil {
		writeError(stderr, err)
	}
	a.flushTracing()
	return code
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "starter",
		Short: "Support tooling for number porting on Temporal",
		Long: "starter starts and drives number-porting workflows, shows their status, lists them, and manages\n" +
			"the instance inventory (instances, contact flows, numbers) in Postgres.\n\n" +
			"Exit codes: 0 done; 2 bad input; 3 refused by the workflow; 4 not found; 1 anything else.",
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError(err) })
	pf := root.PersistentFlags()
	pf.StringVar(&a.address, "address", temporalconn.Getenv(temporalconn.EnvAddress, temporalconn.DefaultAddress),
		"Temporal frontend host:port (env TEMPORAL_ADDRESS)")
	pf.StringVar(&a.namespace, "namespace", temporalconn.Getenv(temporalconn.EnvNamespace, temporalconn.DefaultNamespace),
		"Temporal namespace (env TEMPORAL_NAMESPACE)")
	pf.StringVar(&a.databaseURL, "database-url", temporalconn.Getenv(dbconn.EnvURL, dbconn.DefaultURL),
		"Postgres URL for the inventory commands (env DATABASE_URL)")
	pf.DurationVar(&a.timeout, "timeout", time.Minute, "how long a command may take in all")
	pf.DurationVar(&a.dialTimeout, "dial-timeout", 5*time.Second, "how long to wait for Temporal to answer when connecting")
	pf.DurationVar(&a.updateWait, "update-wait", 20*time.Second,
		"how long to wait for the result of an update the workflow has accepted; after that the command says it is still being applied and exits 0")
	pf.BoolVar(&a.insecurePlaintext, temporalconn.FlagInsecurePlaintext, temporalconn.EnvBool(temporalconn.EnvInsecurePlaintext),
		"run without "+temporalconn.EnvPayloadKey+": payloads (PINs, account numbers) reach Temporal unencrypted (env "+
			temporalconn.EnvInsecurePlaintext+")")

	root.AddCommand(
		a.portInCmd(),
		a.intlPortInCmd(),
		a.portabilityResultCmd(),
		a.approveCostCmd(),
		a.portOutCmd(),
		a.winningCarrierRequestCmd(),
		a.submitLOACmd(),
		a.carrierResponseCmd(),
		a.requestPortDateCmd(),
		a.removeNumbersCmd(),
		a.cancelCmd(),
		a.unfreezeCmd(),
		a.statusCmd(),
		a.listCmd(),
		a.instanceCmd(),
		a.flowCmd(),
		a.numberCmd(),
		a.numbersCmd(),
		a.csrCmd(),
		a.subscriptionCmd(),
		a.notificationsCmd(),
		a.simulateCarrierCmd(),
	)
	return root
}

// runE adapts a command body: it marks that the command's own code ran (so its errors are not taken
// for usage errors), bounds it by --timeout and, with tracing on, runs it in the command's span.
func (a *app) runE(fn func(ctx context.Context, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a.ran = true
		ctx := cmd.Context()
		if a.timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, a.timeout)
			defer cancel()
		}
		ctx, endSpan := a.commandSpan(ctx, cmd)
		err := fn(ctx, args)
		endSpan(err)
		return err
	}
}

// dial connects to Temporal with the global flags and the TLS settings and payload key of the
// environment (PORTING_PAYLOAD_KEY: the worker's key, so that what the starter sends and reads is
// encrypted like the rest). Without a key it refuses (exit 2) unless --insecure-plaintext-payloads.
func (a *app) dial(ctx context.Context) (client.Client, error) {
	cfg := temporalconn.FromEnv()
	cfg.Address = a.address
	cfg.Namespace = a.namespace
	cfg.InsecurePlaintextPayloads = cfg.InsecurePlaintextPayloads || a.insecurePlaintext
	cfg.Interceptors = a.interceptors
	if _, err := cfg.Codec(); err != nil {
		return nil, &cliError{code: exitBadInput, msg: err.Error(), err: err}
	}
	// The SDK's own logging goes to stderr and only when something is wrong; stdout stays for results.
	logger := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	return temporalconn.Dial(ctx, cfg, logger, a.dialTimeout)
}
