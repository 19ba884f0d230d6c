//go:build reliability

package e2e

// The reliability harness: a Temporal dev server that can be stopped and started again on the same
// port (and database file), a worker process that can be SIGKILLed and restarted, a Temporal client
// with the payload codec, and a fleet of ports (port-in, international port-in, port-out; a few
// cancelled after provisioning) each driven by its own goroutine through updates, with the
// verification of what the database holds once every port has ended.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/internal/temporalconn"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// relSeed is the seed of a reliability test's random choices: RELIABILITY_SEED, else the clock.
// It is logged so a run can be repeated.
func relSeed(t *testing.T) uint64 {
	t.Helper()
	if v := os.Getenv("RELIABILITY_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, "RELIABILITY_SEED")
		return s
	}
	return uint64(time.Now().UnixNano())
}

func quietLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// ---------------------------------------------------------------------------------------------
// Temporal dev server that survives a restart.

type devServer struct {
	cli, hostPort, dbFile string
	log                   *os.File
	logPath               string
	srv                   *testsuite.DevServer
}

// startRestartableDevServer runs the dev server on a fixed port, with a database file when dbFile
// is not empty (its state then survives a stop and start).
func startRestartableDevServer(ctx context.Context, t *testing.T, cli, dbFile string) *devServer {
	t.Helper()
	d := &devServer{cli: cli, hostPort: freeHostPort(t), dbFile: dbFile, logPath: filepath.Join(t.TempDir(), "temporal-dev.log")}
	var err error
	d.log, err = os.OpenFile(d.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	require.NoError(t, err)
	require.NoError(t, d.start(ctx), "starting the dev server")
	t.Cleanup(func() {
		if d.srv != nil {
			if err := d.stop(); err != nil {
				t.Logf("stopping the dev server: %v", err)
			}
		}
		if t.Failed() {
			t.Logf("dev server log (tail):\n%s", tail(d.logPath, 40))
		}
		d.log.Close()
	})
	return d
}

func (d *devServer) start(ctx context.Context) error {
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  d.cli,
		ClientOptions: &client.Options{HostPort: d.hostPort, Namespace: "default", Logger: quietLogger()},
		DBFilename:    d.dbFile,
		SearchAttributes: temporal.NewSearchAttributes(
			porting.SearchPortKind.ValueSet(""),
			porting.SearchPortState.ValueSet(""),
			porting.SearchInstanceArn.ValueSet(""),
			porting.SearchCarrier.ValueSet(nil),
			porting.SearchPhoneNumbers.ValueSet(nil),
			porting.SearchPortDate.ValueSet(time.Time{}),
		),
		LogLevel: "error",
		Stdout:   d.log,
		Stderr:   d.log,
	})
	if err != nil {
		return fmt.Errorf("dev server on %s: %w\n%s", d.hostPort, err, tail(d.logPath, 40))
	}
	d.srv = srv
	return nil
}

// stop interrupts the dev server and waits for it to exit.
func (d *devServer) stop() error {
	d.srv.Client().Close()
	err := d.srv.Stop()
	d.srv = nil
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return nil // it exits on the signal; that is the point
	}
	return err
}

// codecClient is a Temporal client that encrypts and decrypts payloads with the key the worker and
// starter subprocesses get, as the starter builds its own (internal/temporalconn).
func codecClient(ctx context.Context, t *testing.T, hostPort string) client.Client {
	t.Helper()
	cfg := temporalconn.Config{Address: hostPort, Namespace: "default", PayloadKey: payloadKey()}
	c, err := temporalconn.Dial(ctx, cfg, quietLogger(), 30*time.Second)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// ---------------------------------------------------------------------------------------------
// The worker process, killed and restarted at will.

type workerProc struct {
	t       *testing.T
	bin     string
	env     []string
	logPath string
	log     *os.File

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan error
	starts int
	kills  int
}

func newWorkerProc(t *testing.T, bin string, env []string) *workerProc {
	t.Helper()
	w := &workerProc{t: t, bin: bin, env: env, logPath: filepath.Join(t.TempDir(), "worker.log")}
	var err error
	w.log, err = os.OpenFile(w.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	require.NoError(t, err)
	t.Cleanup(func() {
		w.stop()
		if t.Failed() {
			t.Logf("worker log (tail):\n%s", tail(w.logPath, 60))
		}
		w.log.Close()
	})
	return w
}

// start runs a new worker process and waits until this very process (by its poller identity,
// "<pid>@host@…") polls both the workflow and the activity task queue.
func (w *workerProc) start(ctx context.Context, c client.Client) time.Duration {
	w.t.Helper()
	began := time.Now()
	w.mu.Lock()
	fmt.Fprintf(w.log, "=== start %d at %s\n", w.starts+1, began.Format(time.RFC3339Nano))
	cmd := exec.Command(w.bin)
	cmd.Env = binaryEnv(w.env)
	cmd.Stdout, cmd.Stderr = w.log, w.log
	if err := cmd.Start(); err != nil {
		w.mu.Unlock()
		w.t.Fatalf("starting the worker: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	w.cmd, w.done = cmd, done
	w.starts++
	w.mu.Unlock()
	w.awaitPolling(ctx, c, cmd.Process.Pid, done)
	return time.Since(began)
}

// awaitPolling waits until the worker with pid polls both task queues; it fails the test if the
// worker exits first.
func (w *workerProc) awaitPolling(ctx context.Context, c client.Client, pid int, done chan error) {
	w.t.Helper()
	prefix := strconv.Itoa(pid) + "@"
	polls := func(tq enumspb.TaskQueueType) bool {
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		resp, err := c.DescribeTaskQueue(dctx, porting.TaskQueue, tq)
		if err != nil {
			return false
		}
		for _, p := range resp.GetPollers() {
			if strings.HasPrefix(p.GetIdentity(), prefix) {
				return true
			}
		}
		return false
	}
	require.Eventually(w.t, func() bool {
		select {
		case err := <-done:
			done <- err
			w.t.Fatalf("the worker (pid %d) exited before polling: %v\n%s", pid, err, tail(w.logPath, 40))
		default:
		}
		return polls(enumspb.TASK_QUEUE_TYPE_WORKFLOW) && polls(enumspb.TASK_QUEUE_TYPE_ACTIVITY)
	}, 90*time.Second, 100*time.Millisecond, "worker pid %d does not poll task queue %s", pid, porting.TaskQueue)
}

// awaitReconnect waits until the running worker polls again (after the server came back).
func (w *workerProc) awaitReconnect(ctx context.Context, c client.Client) {
	w.t.Helper()
	w.mu.Lock()
	cmd, done := w.cmd, w.done
	w.mu.Unlock()
	require.NotNil(w.t, cmd, "no worker is running")
	w.awaitPolling(ctx, c, cmd.Process.Pid, done)
}

// kill SIGKILLs the worker and waits for it to be gone.
func (w *workerProc) kill() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cmd == nil {
		return
	}
	fmt.Fprintf(w.log, "=== SIGKILL pid %d at %s\n", w.cmd.Process.Pid, time.Now().Format(time.RFC3339Nano))
	_ = w.cmd.Process.Signal(syscall.SIGKILL)
	<-w.done
	w.cmd, w.done = nil, nil
	w.kills++
}

// alive reports whether the current worker process is still running.
func (w *workerProc) alive() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cmd == nil {
		return false
	}
	select {
	case err := <-w.done:
		w.done <- err
		return false
	default:
		return true
	}
}

func (w *workerProc) pid() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cmd == nil {
		return 0
	}
	return w.cmd.Process.Pid
}

// stop ends the worker gracefully (SIGTERM), or kills it after 30 s.
func (w *workerProc) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cmd == nil {
		return
	}
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.done
	}
	w.cmd, w.done = nil, nil
}

// ---------------------------------------------------------------------------------------------
// The fleet of ports.

const (
	relInARN   = "arn:aws:connect:us-east-1:123456789012:instance/rel-in"
	relUKARN   = "arn:aws:connect:eu-west-2:123456789012:instance/rel-uk"
	relOutARN  = "arn:aws:connect:us-east-1:123456789012:instance/rel-out"
	relFlow    = "Main IVR"
	relUKFlow  = "UK Support"
	relDID     = "Acme Telecom"
	relTF      = "Beta Networks"
	relIntlCar = "Albion Telecom"
	relBase    = 10 // the port-in instances' base phone-number limit
	relOutBase = 200
)

// fleetSpec says how many ports of each kind a scenario runs.
type fleetSpec struct {
	portIn       int // port-ins of one group (3 DID numbers) that complete
	portInTwo    int // port-ins of two groups (3 DID + 2 toll-free numbers, two carriers) that complete
	portInCancel int // port-ins cancelled once provisioned (numbers released)
	intl         int // international port-ins (2 numbers) that complete
	intlCancel   int // international port-ins cancelled once provisioned (the carrier confirms)
	portOut      int // port-outs (2 numbers) released to the winning carrier
	// The port dates (and port-out release times) are set this far after the carrier's answer,
	// uniformly at random in [minDelay, maxDelay).
	minDelay, maxDelay time.Duration
}

func (s fleetSpec) total() int {
	return s.portIn + s.portInTwo + s.portInCancel + s.intl + s.intlCancel + s.portOut
}

// portPlan is one port of the fleet: its request, what the driver does and the expected end.
type portPlan struct {
	kind       string
	requestID  string
	workflowID string
	instance   string
	numbers    []string
	groups     []string
	cancel     bool
	delay      time.Duration // port date / release time after the carrier's answer
	want       porting.State
	input      any

	// Set by the driver.
	attempts  map[string]int // update step → attempt (a new update ID after each refusal); fleet.mu
	refusals  atomic.Int64   // updates refused (state not ready yet, a date passed during an outage…)
	transient atomic.Int64   // queries/updates/results that failed for want of a worker or a server
	cancelAt  time.Time      // fleet.mu
	releaseAt time.Time      // fleet.mu
	result    porting.PortResult
	err       error
}

// expectedNotifications are the outbox keys a port of this plan writes, exactly.
func (p *portPlan) expectedNotifications() []string {
	var keys []string
	switch p.kind {
	case porting.KindPortIn, porting.KindInternationalPortIn:
		for _, g := range p.groups {
			keys = append(keys, "loa-requested/"+g, "scheduled/"+g+"/1")
			if p.kind == porting.KindInternationalPortIn {
				// The preferred window starts hours after every port date the fleet uses.
				keys = append(keys, "outside-window/"+g+"/1")
				if p.cancel {
					keys = append(keys, "cancel-requested/"+g+"/1")
				}
			}
		}
	case porting.KindPortOut:
		keys = append(keys, "start-with-winning-carrier", "approved/1", "approved-carrier/1", "released-carrier")
	}
	return append(keys, "finished")
}

// fleet is a scenario's world: server, worker, database, client and ports.
type fleet struct {
	t      *testing.T
	seed   uint64
	rng    *rand.Rand // the test goroutine's only
	bins   binaries
	dbURL  string
	dbName string
	db     *sqlx.DB
	server *devServer
	c      client.Client
	worker *workerProc
	env    []string
	plans  []*portPlan

	// cancelGate holds cancels back until the test lets them go (to time kills); closed: free.
	cancelGate chan struct{}
	// cancelSent and releaseSet report the moment a driver sent a cancel, or got a release time.
	cancelSent chan time.Time
	mu         sync.Mutex
	releases   []time.Time
}

type fleetOptions struct {
	dbFile     bool // the dev server keeps its state in a file (it can then be restarted)
	batchSize  int  // PORTING_PROVISION_BATCH_SIZE of the worker
	gateCancel bool // cancels wait for the test's go (fleet.cancelGate)
}

// newFleet starts the dev server, a fresh database, the worker and the inventory.
func newFleet(ctx context.Context, t *testing.T, seed uint64, opts fleetOptions) *fleet {
	t.Helper()
	root := moduleRoot(t)
	cli := temporalCLI(t, root)
	f := &fleet{t: t, seed: seed, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	f.bins = buildBinaries(ctx, t, root)
	f.dbURL = pgtest.NewURL(t)
	u, err := url.Parse(f.dbURL)
	require.NoError(t, err)
	f.dbName = strings.TrimPrefix(u.Path, "/")
	f.db, err = sqlx.Open("postgres", f.dbURL)
	require.NoError(t, err)
	f.db.SetMaxOpenConns(4)
	t.Cleanup(func() { _ = f.db.Close() })

	dbFile := ""
	if opts.dbFile {
		dbFile = filepath.Join(t.TempDir(), "temporal.db")
	}
	f.server = startRestartableDevServer(ctx, t, cli, dbFile)
	f.c = codecClient(ctx, t, f.server.hostPort)
	f.env = []string{
		"TEMPORAL_ADDRESS=" + f.server.hostPort,
		"TEMPORAL_NAMESPACE=default",
		"DATABASE_URL=" + f.dbURL,
		"LOG_LEVEL=warn",
	}
	if opts.batchSize > 0 {
		f.env = append(f.env, "PORTING_PROVISION_BATCH_SIZE="+strconv.Itoa(opts.batchSize))
	}
	f.worker = newWorkerProc(t, f.bins.worker, f.env)
	f.worker.start(ctx, f.c)

	f.cancelGate = make(chan struct{}, 64)
	if !opts.gateCancel {
		close(f.cancelGate)
	}
	f.cancelSent = make(chan time.Time, 64)
	return f
}

// plan builds the fleet's ports and the inventory they need (instances, flows, the port-out numbers).
func (f *fleet) plan(ctx context.Context, spec fleetSpec) {
	t := f.t
	t.Helper()
	_, err := store.AddInstance(ctx, f.db, store.Instance{ARN: relInARN, PhoneNumberLimit: relBase})
	require.NoError(t, err)
	_, err = store.AddInstance(ctx, f.db, store.Instance{ARN: relUKARN, PhoneNumberLimit: relBase})
	require.NoError(t, err)
	_, err = store.AddInstance(ctx, f.db, store.Instance{ARN: relOutARN, PhoneNumberLimit: relOutBase,
		OwnerName: outOwner, Address: outAddress, BillingContact: outBilling})
	require.NoError(t, err)
	require.NoError(t, store.AddContactFlow(ctx, f.db, relInARN, relFlow, true))
	require.NoError(t, store.AddContactFlow(ctx, f.db, relUKARN, relUKFlow, true))

	did, tf, uk, out := 0, 0, 0, 0
	nextDID := func() string { did++; return fmt.Sprintf("+1415%07d", 2000000+did) }
	nextTF := func() string { tf++; return fmt.Sprintf("+1800%07d", 2000000+tf) }
	nextUK := func() string { uk++; return fmt.Sprintf("+442079460%03d", uk) }
	nextOut := func() string { out++; return fmt.Sprintf("+1212%07d", 3000000+out) }
	delay := func() time.Duration {
		return spec.minDelay + time.Duration(f.rng.Int64N(int64(spec.maxDelay-spec.minDelay)))
	}
	contact := porting.Contact{Name: "Ada Lovelace", Email: "ada@example.com", Phone: "+14155550199"}

	addPortIn := func(i int, twoGroups, cancel bool) {
		id := fmt.Sprintf("REL-IN-%02d", i)
		req := porting.PortInRequest{RequestID: id, InstanceARN: relInARN, ContactFlow: relFlow, AuthorizedContact: contact}
		groups := []string{porting.GroupName(relDID, porting.NumberTypeDID)}
		for range 3 {
			req.Numbers = append(req.Numbers, porting.PortNumber{E164: nextDID(), Type: porting.NumberTypeDID, Carrier: relDID})
		}
		if twoGroups {
			groups = append(groups, porting.GroupName(relTF, porting.NumberTypeTollFree))
			for range 2 {
				req.Numbers = append(req.Numbers, porting.PortNumber{E164: nextTF(), Type: porting.NumberTypeTollFree, Carrier: relTF})
			}
		}
		require.NoError(t, porting.ValidatePortIn(req))
		p := &portPlan{kind: porting.KindPortIn, requestID: id, workflowID: porting.PortInWorkflowID(id), instance: relInARN,
			groups: groups, cancel: cancel, delay: delay(), want: porting.StateCompleted, input: req}
		for _, n := range req.Numbers {
			p.numbers = append(p.numbers, n.E164)
		}
		if cancel {
			p.delay, p.want = 2*time.Hour, porting.StateCancelled // provisioned, never activated
		}
		f.plans = append(f.plans, p)
	}
	addIntl := func(i int, cancel bool) {
		id := fmt.Sprintf("REL-INTL-%02d", i)
		req := porting.InternationalPortInRequest{
			RequestID: id, InstanceARN: relUKARN, ContactFlow: relUKFlow, Country: "GB", Carrier: relIntlCar,
			CarrierAccountNumber: "ACC-55667788", PIN: "1357", InvoiceRef: "s3://invoices/" + id + "-redacted.pdf",
			// Starts after every port date the fleet uses: each port notes (and tells) it once.
			PreferredWindow:   porting.Window{Start: time.Now().Add(3 * time.Hour).Truncate(time.Second), End: time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)},
			AuthorizedContact: porting.Contact{Name: "Bea Boss", Email: "bea@example.co.uk"},
		}
		for range 2 {
			req.Numbers = append(req.Numbers, porting.IntlNumber{E164: nextUK(), Type: porting.IntlTypeLocal})
		}
		_, err := porting.ValidateInternationalPortIn(req, time.Now())
		require.NoError(t, err)
		p := &portPlan{kind: porting.KindInternationalPortIn, requestID: id, workflowID: porting.IntlPortInWorkflowID(id),
			instance: relUKARN, groups: []string{porting.IntlGroup}, cancel: cancel, delay: delay(), want: porting.StateCompleted, input: req}
		for _, n := range req.Numbers {
			p.numbers = append(p.numbers, n.E164)
		}
		if cancel {
			p.delay, p.want = 2*time.Hour, porting.StateCancelled
		}
		f.plans = append(f.plans, p)
	}
	addPortOut := func(i int) {
		id := fmt.Sprintf("REL-OUT-%02d", i)
		numbers := []string{nextOut(), nextOut()}
		for _, n := range numbers {
			require.NoError(t, store.ClaimNumber(ctx, f.db, relOutARN, n, porting.NumberTypeDID, ""))
		}
		req := portOutRequest(id, relOutARN, numbers...)
		require.NoError(t, porting.ValidatePortOut(req))
		f.plans = append(f.plans, &portPlan{kind: porting.KindPortOut, requestID: id, workflowID: porting.PortOutWorkflowID(id),
			instance: relOutARN, numbers: numbers, delay: delay(), want: porting.StateCompleted, input: req})
	}

	// Interleaved, so that every kind is in flight at every moment.
	n := 0
	for i := 0; n < spec.total(); i++ {
		if i < spec.portIn {
			addPortIn(len(f.plans), false, false)
		}
		if i < spec.portInTwo {
			addPortIn(len(f.plans), true, false)
		}
		if i < spec.portInCancel {
			addPortIn(len(f.plans), i%2 == 1, true)
		}
		if i < spec.intl {
			addIntl(len(f.plans), false)
		}
		if i < spec.intlCancel {
			addIntl(len(f.plans), true)
		}
		if i < spec.portOut {
			addPortOut(len(f.plans))
		}
		n = len(f.plans)
	}
	for _, p := range f.plans {
		p.attempts = map[string]int{}
	}
}

// kinds summarizes the fleet: how many ports of each kind and expected end.
func (f *fleet) kinds() string {
	count := map[string]int{}
	for _, p := range f.plans {
		k := p.kind
		if len(p.groups) > 1 {
			k += "(2 groups)"
		}
		if p.cancel {
			k += "→cancelled"
		}
		count[k]++
	}
	keys := make([]string, 0, len(count))
	for k := range count {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, count[k])
	}
	return fmt.Sprintf("%d ports: %s", len(f.plans), strings.Join(parts, " "))
}

// run drives every port in its own goroutine; the returned channel closes when all have ended.
func (f *fleet) run(ctx context.Context) <-chan struct{} {
	var wg sync.WaitGroup
	for _, p := range f.plans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.err = f.drive(ctx, p)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	return done
}

const pollEvery = time.Second

// drive starts one port and gives it what it waits for — through updates, as the starter does —
// until nothing is left to give; then it waits for the port's result.
func (f *fleet) drive(ctx context.Context, p *portPlan) error {
	if err := f.startPort(ctx, p); err != nil {
		return err
	}
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		st, err := f.status(ctx, p.workflowID)
		if err == nil {
			if st.State.IsEnd() {
				break
			}
			if f.act(ctx, p, st) {
				break
			}
		} else {
			p.transient.Add(1)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: gave up waiting (last state %s): %w", p.workflowID, st.State, ctx.Err())
		case <-tick.C:
		}
	}
	return f.awaitResult(ctx, p)
}

// act sends what the port's current state waits for; it reports whether nothing is left to send.
// Updates it sends are answered by the workflow once they took effect (or refused with the reason);
// a refused or lost update is sent again at the next poll if the state still asks for it.
func (f *fleet) act(ctx context.Context, p *portPlan, st porting.Status) (finished bool) {
	now := time.Now()
	if p.kind == porting.KindPortOut {
		if st.State != porting.StateAwaitingWinningCarrier {
			return st.State == porting.StateApproved || st.State == porting.StateReleasing
		}
		at := now.Add(p.delay).Truncate(time.Second)
		err := f.update(ctx, p, "winning-carrier-request", porting.SignalWinningCarrierRequest, carrierRequest(at, p.numbers...), nil)
		if err != nil {
			return false
		}
		f.mu.Lock()
		p.releaseAt = at
		f.releases = append(f.releases, at)
		f.mu.Unlock()
		return true
	}

	if st.State == porting.StateAwaitingPortability {
		_ = f.update(ctx, p, "portability-result", porting.SignalPortabilityResult, porting.PortabilityResult{Portable: true}, nil)
		return false
	}
	if len(st.Groups) == 0 {
		return false
	}
	settled := true // every group has its port date
	for _, g := range st.Groups {
		switch g.State {
		case porting.StateAwaitingLOA, porting.StateLOARejected:
			settled = false
			_ = f.update(ctx, p, "submit-loa/"+g.Group, porting.SignalSubmitLOA,
				porting.SubmitLOA{Group: g.Group, LOA: loa(p.requestID + ".pdf")}, nil)
		case porting.StateAwaitingCarrier:
			settled = false
			date := now.Add(p.delay).Truncate(time.Second)
			_ = f.update(ctx, p, "carrier-response/"+g.Group, porting.SignalCarrierResponse,
				porting.CarrierResponse{Group: g.Group, Accepted: true, PortDate: &date}, nil)
		case porting.StateCancelRequested:
			// The carrier confirms the cancellation (international: it holds the request).
			settled = false
			_ = f.update(ctx, p, "confirm-cancel/"+g.Group, porting.SignalCarrierResponse,
				porting.CarrierResponse{Group: g.Group, Accepted: true}, nil)
		case porting.StateValidating, porting.StateCheckingPortability:
			settled = false
		}
	}
	if !p.cancel {
		return settled
	}
	// The cancel goes once every group is provisioned: the numbers are then released.
	f.mu.Lock()
	cancelled := !p.cancelAt.IsZero()
	f.mu.Unlock()
	if cancelled {
		return false // until the port ends (international: after the carrier confirmed)
	}
	for _, g := range st.Groups {
		if g.State != porting.StateProvisioned {
			return false
		}
	}
	select {
	case <-f.cancelGate:
	case <-ctx.Done():
		return false
	}
	f.mu.Lock()
	p.cancelAt = time.Now()
	f.mu.Unlock()
	f.cancelSent <- time.Now()
	go f.sendCancel(ctx, p)
	return false
}

// sendCancel sends the cancel update until the workflow took it. The update's answer waits for the
// release (or the carrier's confirmation), so it runs beside the driver's polling.
func (f *fleet) sendCancel(ctx context.Context, p *portPlan) {
	for ctx.Err() == nil {
		err := f.update(ctx, p, "cancel", porting.SignalCancel, porting.Cancel{Reason: "customer stays", By: "reliability"}, nil)
		if err == nil {
			return
		}
		var app *temporal.ApplicationError
		if errors.As(err, &app) && strings.Contains(app.Error(), "already being cancelled") {
			return // an earlier attempt took
		}
		if st, err := f.status(ctx, p.workflowID); err == nil && (st.State.IsEnd() || st.State == porting.StateCancelRequested) {
			return
		}
		retryPause(ctx)
	}
}

// startPort starts the port's workflow (a retry finds it started) and waits for its validation.
func (f *fleet) startPort(ctx context.Context, p *portPlan) error {
	workflowType := map[string]string{
		porting.KindPortIn: porting.WorkflowPortIn, porting.KindInternationalPortIn: porting.WorkflowInternationalPortIn,
		porting.KindPortOut: porting.WorkflowPortOut,
	}[p.kind]
	for {
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		_, err := f.c.ExecuteWorkflow(sctx, client.StartWorkflowOptions{
			ID: p.workflowID, TaskQueue: porting.TaskQueue,
			WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
			WorkflowExecutionErrorWhenAlreadyStarted: true,
		}, workflowType, p.input)
		cancel()
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if err == nil || errors.As(err, &started) {
			break
		}
		p.transient.Add(1)
		if ctx.Err() != nil {
			return fmt.Errorf("%s: start: %w", p.workflowID, err)
		}
		retryPause(ctx)
	}
	for {
		var v porting.ValidationOutcome
		err := f.update(ctx, p, porting.UpdateAwaitValidation, porting.UpdateAwaitValidation, nil, &v)
		if err == nil {
			if !v.Accepted {
				return fmt.Errorf("%s: refused at validation (%s): %s", p.workflowID, v.State, v.Reason)
			}
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: await-validation: %w", p.workflowID, err)
		}
		retryPause(ctx)
	}
}

// retryPause spaces the retries of a call that failed (no worker or server to answer).
func retryPause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(pollEvery):
	}
}

// update sends one update and waits for its outcome, decoded into out (nil: ignored). Every step
// has a stable update ID, so a retry after a lost answer (worker or server gone) is the same update;
// a refusal (the workflow's own answer, an *temporal.ApplicationError) moves the step to a new ID for
// the next try.
func (f *fleet) update(ctx context.Context, p *portPlan, step, name string, arg, out any) error {
	f.mu.Lock()
	id := fmt.Sprintf("%s#%d", step, p.attempts[step])
	f.mu.Unlock()
	uctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	opts := client.UpdateWorkflowOptions{
		WorkflowID: p.workflowID, UpdateID: id, UpdateName: name, WaitForStage: client.WorkflowUpdateStageCompleted,
	}
	if arg != nil {
		opts.Args = []any{arg}
	}
	h, err := f.c.UpdateWorkflow(uctx, opts)
	if err == nil {
		err = h.Get(uctx, out)
	}
	var app *temporal.ApplicationError
	switch {
	case err == nil:
	case errors.As(err, &app):
		f.mu.Lock()
		p.attempts[step]++
		f.mu.Unlock()
		p.refusals.Add(1)
	default:
		p.transient.Add(1)
	}
	return err
}

// status queries the port's status; it fails while no worker answers.
func (f *fleet) status(ctx context.Context, workflowID string) (porting.Status, error) {
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := f.c.QueryWorkflow(qctx, workflowID, "", porting.QueryStatus)
	if err != nil {
		return porting.Status{}, err
	}
	var st porting.Status
	err = v.Get(&st)
	return st, err
}

// awaitResult waits for the workflow's result (across server restarts).
func (f *fleet) awaitResult(ctx context.Context, p *portPlan) error {
	for {
		err := f.c.GetWorkflow(ctx, p.workflowID, "").Get(ctx, &p.result)
		if err == nil {
			return nil
		}
		p.transient.Add(1)
		if ctx.Err() != nil {
			return fmt.Errorf("%s: waiting for the result: %w", p.workflowID, err)
		}
		retryPause(ctx)
	}
}

// releasesAfter is the earliest port-out release time after t, if any is known.
func (f *fleet) releasesAfter(t time.Time) (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var best time.Time
	for _, r := range f.releases {
		if r.After(t) && (best.IsZero() || r.Before(best)) {
			best = r
		}
	}
	return best, !best.IsZero()
}

// ---------------------------------------------------------------------------------------------
// What the database says at a moment, and at the end.

// snapshot is the progress at one moment, as the database shows it.
type snapshot struct {
	provisioningGroups int // groups whose ProvisionNumbers started and has not finished
	numbersAdded       int // of those groups, numbers already on the instance
	releasesDue        int // port-outs past their release time, or cancels sent, not yet finished
	releasesCommitted  int // of those, the ones whose release is already committed
	finished           int // ports ended
}

func (s snapshot) String() string {
	return fmt.Sprintf("provisioning in flight: %d group(s) (%d number(s) added so far); releases due: %d (%d committed, port not finished yet); ports ended: %d",
		s.provisioningGroups, s.numbersAdded, s.releasesDue, s.releasesCommitted, s.finished)
}

func (f *fleet) snapshot(ctx context.Context) (snapshot, error) {
	var s snapshot
	err := f.db.GetContext(ctx, &s.provisioningGroups, `
		SELECT count(*) FROM limit_increases l
		WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.idempotency_key = l.workflow_id || '/provision/' || l."group")`)
	if err != nil {
		return s, err
	}
	err = f.db.GetContext(ctx, &s.numbersAdded, `
		SELECT count(*) FROM phone_numbers p JOIN port_request_numbers n ON n.workflow_id = p.port_request AND n.e164 = p.e164
		JOIN limit_increases l ON l.workflow_id = n.workflow_id AND l."group" = n."group"
		WHERE p.state = 'provisioned'
		  AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.idempotency_key = l.workflow_id || '/provision/' || l."group")`)
	if err != nil {
		return s, err
	}
	if err := f.db.GetContext(ctx, &s.finished, `SELECT count(*) FROM port_requests WHERE finished_at IS NOT NULL`); err != nil {
		return s, err
	}
	var due []string
	now := time.Now()
	f.mu.Lock()
	for _, p := range f.plans {
		if (!p.releaseAt.IsZero() && !p.releaseAt.After(now)) || !p.cancelAt.IsZero() {
			due = append(due, p.workflowID)
		}
	}
	f.mu.Unlock()
	var rows []struct {
		Committed bool `db:"committed"`
	}
	err = f.db.SelectContext(ctx, &rows, `
		SELECT EXISTS (SELECT 1 FROM audit_log a WHERE a.workflow_id = r.workflow_id
		               AND a.action IN ('numbers_released', 'numbers_released_port_out')) AS committed
		FROM port_requests r WHERE r.workflow_id = ANY($1) AND r.finished_at IS NULL`, pq.Array(due))
	if err != nil {
		return s, err
	}
	s.releasesDue = len(rows)
	for _, r := range rows {
		if r.Committed {
			s.releasesCommitted++
		}
	}
	return s, nil
}

// awaitProvisioning waits until numbers are being added to an instance right now: a ProvisionNumbers
// is unfinished and the count of numbers ports have added grew between two looks 50 ms apart (a
// live attempt, not one a killed worker left behind, waiting for its heartbeat timeout).
func (f *fleet) awaitProvisioning(ctx context.Context, within time.Duration) bool {
	prev := -1
	return poll(ctx, within, 50*time.Millisecond, func() bool {
		var added int
		if err := f.db.GetContext(ctx, &added, `SELECT count(*) FROM phone_numbers WHERE port_request IS NOT NULL`); err != nil {
			return false
		}
		grew := prev >= 0 && added > prev
		prev = added
		if !grew {
			return false
		}
		s, err := f.snapshot(ctx)
		return err == nil && s.provisioningGroups > 0
	})
}

// poll checks cond every interval until it holds (true) or within has passed (false): a
// require.Eventually that does not fail the test, for conditions a test only prefers.
func poll(ctx context.Context, within, every time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

// verify checks every port's end and what the database holds, and logs the counts.
func (f *fleet) verify(ctx context.Context) {
	t := f.t
	t.Helper()
	ok := true
	for _, p := range f.plans {
		if p.err != nil {
			ok = false
			t.Errorf("%s: %v", p.workflowID, p.err)
			continue
		}
		if !assert.Equal(t, p.want, p.result.State, "%s ended %s (%s)", p.workflowID, p.result.State, p.result.Reason) {
			ok = false
		}
	}

	// Ports in the database.
	var ports []struct {
		WorkflowID string `db:"workflow_id"`
		State      string `db:"state"`
		Finished   bool   `db:"finished"`
	}
	require.NoError(t, f.db.SelectContext(ctx, &ports, `SELECT workflow_id, state, finished_at IS NOT NULL AS finished FROM port_requests`))
	byID := map[string]string{}
	for _, r := range ports {
		assert.True(t, r.Finished, "%s is not finished in port_requests", r.WorkflowID)
		byID[r.WorkflowID] = r.State
	}
	assert.Len(t, ports, len(f.plans), "one port_requests row per port")
	for _, p := range f.plans {
		assert.Equal(t, string(p.want), byID[p.workflowID], "port_requests.state of %s", p.workflowID)
	}
	var locked int
	require.NoError(t, f.db.GetContext(ctx, &locked, `SELECT count(*) FROM port_request_numbers WHERE active`))
	assert.Zero(t, locked, "numbers still locked by a port")

	// Every number: one phone_numbers row in the expected state; one audit row per step it went through.
	type numberRow struct {
		E164   string `db:"e164"`
		Rows   int    `db:"rows"`
		States string `db:"states"`
	}
	var numberRows []numberRow
	require.NoError(t, f.db.SelectContext(ctx, &numberRows, `
		SELECT e164, count(*) AS rows, string_agg(state, ',' ORDER BY id) AS states FROM phone_numbers GROUP BY e164`))
	phone := map[string]numberRow{}
	for _, r := range numberRows {
		phone[r.E164] = r
	}
	var auditRows []struct {
		E164   string `db:"e164"`
		Action string `db:"action"`
		Count  int    `db:"count"`
	}
	require.NoError(t, f.db.SelectContext(ctx, &auditRows, `
		SELECT n AS e164, action, count(*) AS count FROM audit_log, jsonb_array_elements_text(detail->'numbers') AS n
		WHERE action IN ('numbers_provisioned', 'numbers_activated', 'numbers_released', 'numbers_released_port_out')
		GROUP BY n, action`))
	audits := map[string]map[string]int{}
	for _, r := range auditRows {
		if audits[r.E164] == nil {
			audits[r.E164] = map[string]int{}
		}
		audits[r.E164][r.Action] = r.Count
	}
	want := map[string]int{} // action → numbers expected
	var completedIn, completedUK int
	for _, p := range f.plans {
		for _, n := range p.numbers {
			a := audits[n]
			var wantState string
			var wantAudit map[string]int
			switch {
			case p.kind == porting.KindPortOut:
				wantState, wantAudit = "released", map[string]int{"numbers_released_port_out": 1}
			case p.cancel:
				wantState, wantAudit = "released", map[string]int{"numbers_provisioned": 1, "numbers_released": 1}
			default:
				wantState, wantAudit = "active", map[string]int{"numbers_provisioned": 1, "numbers_activated": 1}
				if p.instance == relInARN {
					completedIn++
				} else {
					completedUK++
				}
			}
			for k, v := range wantAudit {
				want[k] += v
			}
			if !assert.Equal(t, numberRow{E164: n, Rows: 1, States: wantState}, phone[n], "phone_numbers rows of %s (%s)", n, p.workflowID) {
				ok = false
			}
			if !assert.Equal(t, wantAudit, a, "audit rows naming %s (%s)", n, p.workflowID) {
				ok = false
			}
		}
	}
	got := map[string]int{}
	for _, r := range auditRows {
		got[r.Action] += r.Count
	}
	var auditTotals []struct {
		Action string `db:"action"`
		Count  int    `db:"count"`
	}
	require.NoError(t, f.db.SelectContext(ctx, &auditTotals, `SELECT action, count(*) AS count FROM audit_log GROUP BY action ORDER BY action`))

	// The limit increases: applied once per provisioned group, reversed once per release.
	var limits []struct {
		ARN   string `db:"arn"`
		Limit int    `db:"phone_number_limit"`
	}
	require.NoError(t, f.db.SelectContext(ctx, &limits, `SELECT arn, phone_number_limit FROM instances`))
	for _, l := range limits {
		switch l.ARN {
		case relInARN:
			assert.Equal(t, relBase+completedIn, l.Limit, "phone-number limit of %s", l.ARN)
		case relUKARN:
			assert.Equal(t, relBase+completedUK, l.Limit, "phone-number limit of %s", l.ARN)
		case relOutARN:
			assert.Equal(t, relOutBase, l.Limit, "phone-number limit of %s", l.ARN)
		}
	}

	// Notifications: exactly the expected keys, each once.
	var notes []struct {
		WorkflowID string `db:"workflow_id"`
		Key        string `db:"key"`
	}
	require.NoError(t, f.db.SelectContext(ctx, &notes, `SELECT workflow_id, key FROM notifications ORDER BY workflow_id, key`))
	gotNotes := map[string][]string{}
	for _, n := range notes {
		gotNotes[n.WorkflowID] = append(gotNotes[n.WorkflowID], n.Key)
	}
	wantNotes := 0
	for _, p := range f.plans {
		exp := p.expectedNotifications()
		wantNotes += len(exp)
		if !assert.ElementsMatch(t, exp, gotNotes[p.workflowID], "notifications of %s", p.workflowID) {
			ok = false
		}
	}
	var queued int
	require.NoError(t, f.db.GetContext(ctx, &queued, `SELECT count(*) FROM audit_log WHERE action = 'notification_queued'`))
	assert.Equal(t, len(notes), queued, "one notification_queued audit row per notification")

	// Carrier submissions: one port request per group, one cancel per cancelled group.
	var subs []struct {
		Kind  string `db:"kind"`
		Count int    `db:"count"`
	}
	require.NoError(t, f.db.SelectContext(ctx, &subs, `SELECT kind, count(*) AS count FROM carrier_submissions WHERE kind IN ('port_request', 'cancel') GROUP BY kind`))
	wantSubs := map[string]int{}
	for _, p := range f.plans {
		if p.kind == porting.KindPortOut {
			continue
		}
		wantSubs["port_request"] += len(p.groups)
		if p.cancel {
			wantSubs["cancel"] += len(p.groups)
		}
	}
	gotSubs := map[string]int{}
	for _, s := range subs {
		gotSubs[s.Kind] = s.Count
	}
	assert.Equal(t, wantSubs, gotSubs, "carrier submissions by kind")

	var phoneRows int
	for _, r := range numberRows {
		phoneRows += r.Rows
	}
	wantNumbers := 0
	for _, p := range f.plans {
		wantNumbers += len(p.numbers)
	}
	totals := make([]string, len(auditTotals))
	for i, a := range auditTotals {
		totals[i] = fmt.Sprintf("%s=%d", a.Action, a.Count)
	}
	t.Logf("counts: %s", f.kinds())
	t.Logf("counts: numbers %d, phone_numbers rows %d (expected %d, one per number)", wantNumbers, phoneRows, wantNumbers)
	t.Logf("counts: per-number audit rows provisioned=%d activated=%d released=%d released_port_out=%d (expected %d/%d/%d/%d)",
		got["numbers_provisioned"], got["numbers_activated"], got["numbers_released"], got["numbers_released_port_out"],
		want["numbers_provisioned"], want["numbers_activated"], want["numbers_released"], want["numbers_released_port_out"])
	t.Logf("counts: notifications %d (expected %d, %d distinct (workflow, key)); carrier submissions %v (expected %v)",
		len(notes), wantNotes, len(notes), gotSubs, wantSubs)
	t.Logf("counts: audit_log by action: %s", strings.Join(totals, " "))
	if !ok {
		t.Errorf("the end state is wrong (seed %d)", f.seed)
	}
}

// historyCounts are, over every port's history, the activities that needed more than one attempt
// (by type) and the workflow tasks that timed out or failed: the traces kills and outages leave.
type historyCounts struct {
	retried                  map[string]int
	extraAttempts            int
	wftTimeouts, wftFailures int
	failureCauses            map[string]int // workflow task failures by cause
}

func (h historyCounts) retriedTotal() int {
	n := 0
	for _, v := range h.retried {
		n += v
	}
	return n
}

func (h historyCounts) String() string {
	names := make([]string, 0, len(h.retried))
	for k := range h.retried {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s=%d", k, h.retried[k])
	}
	causes := make([]string, 0, len(h.failureCauses))
	for k, v := range h.failureCauses {
		causes = append(causes, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(causes)
	return fmt.Sprintf("activities that needed more than one attempt: %d (%d extra attempts) [%s]; workflow tasks timed out: %d, failed: %d [%s]",
		h.retriedTotal(), h.extraAttempts, strings.Join(parts, " "), h.wftTimeouts, h.wftFailures, strings.Join(causes, " "))
}

func (f *fleet) historyStats(ctx context.Context) historyCounts {
	h := historyCounts{retried: map[string]int{}, failureCauses: map[string]int{}}
	for _, p := range f.plans {
		types := map[int64]string{}
		it := f.c.GetWorkflowHistory(ctx, p.workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				f.t.Logf("history of %s: %v", p.workflowID, err)
				break
			}
			switch e.GetEventType() {
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
				types[e.GetEventId()] = e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
				a := e.GetActivityTaskStartedEventAttributes()
				if a.GetAttempt() > 1 {
					h.retried[types[a.GetScheduledEventId()]]++
					h.extraAttempts += int(a.GetAttempt()) - 1
				}
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
				h.wftTimeouts++
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
				h.wftFailures++
				a := e.GetWorkflowTaskFailedEventAttributes()
				cause := strings.TrimPrefix(a.GetCause().String(), "WORKFLOW_TASK_FAILED_CAUSE_")
				h.failureCauses[cause]++
				if a.GetCause() != enumspb.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND && a.GetCause() != enumspb.WORKFLOW_TASK_FAILED_CAUSE_RESET_STICKY_TASK_QUEUE {
					f.t.Logf("workflow task failed in %s (event %d): %s: %s", p.workflowID, e.GetEventId(), cause, a.GetFailure().GetMessage())
				}
			}
		}
	}
	return h
}

// driverStats sums the drivers' refused and transient update/query attempts.
func (f *fleet) driverStats() string {
	var refusals, transient int64
	for _, p := range f.plans {
		refusals += p.refusals.Load()
		transient += p.transient.Load()
	}
	return fmt.Sprintf("driver: %d update(s) refused and retried, %d query/update/result call(s) failed for want of a worker or server and retried", refusals, transient)
}

// ---------------------------------------------------------------------------------------------
// Postgres, from the server's side.

// pgAdmin is a connection to the server's "postgres" database (not the test database).
func pgAdmin(t *testing.T) *sql.DB {
	t.Helper()
	admin, err := sql.Open("postgres", pgtest.AdminURL())
	require.NoError(t, err)
	admin.SetMaxOpenConns(2)
	t.Cleanup(func() { _ = admin.Close() })
	return admin
}
