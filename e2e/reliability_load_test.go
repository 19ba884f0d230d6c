//go:build reliability

package e2e

// The reliability harness: the load. The fleet of ports (port-in, international port-in, port-out; a
// few cancelled after provisioning), planned from the run's seed, each driven by its own goroutine
// (reliability_drive_test.go).

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

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
	// The upgrade drill's holds: the driver leaves the port waiting at this step ("loa", "carrier",
	// "winning-carrier") until fleet.switched closes; a farDate first answer dates the port that far
	// out (it then waits scheduled, or provisioned when under a business day) and the answer after
	// the switch moves the date to delay from then.
	hold       string
	farDate    time.Duration
	extraNotes []string        // outbox keys the port writes beyond expectedNotifications' (set by the scenario)
	moved      map[string]bool // groups whose far date was moved; fleet.mu

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
		keys = append(keys, "start-with-winning-carrier", "port-out-requested", "approved/1", "approved-carrier/1", "released-carrier")
	}
	keys = append(keys, p.extraNotes...)
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
	server engine
	c      client.Client
	worker *workerProc
	others []*workerProc // more workers on the same task queue (fleetOptions.workers)
	env    []string
	plans  []*portPlan

	// cancelGate holds cancels back until the test lets them go (to time kills); closed: free.
	cancelGate chan struct{}
	// cancelSent and releaseSet report the moment a driver sent a cancel, or got a release time.
	cancelSent chan time.Time
	mu         sync.Mutex
	releases   []time.Time

	numbered struct{ did, tf, uk, out int } // numbers handed out so far, by kind
	// switched closes when the ports' holds (portPlan.hold) are lifted; nil: nothing is held.
	switched chan struct{}
}

type fleetOptions struct {
	dbFile     bool // the dev server keeps its state in a file (it can then be restarted)
	batchSize  int  // PORTING_PROVISION_BATCH_SIZE of the worker
	gateCancel bool // cancels wait for the test's go (fleet.cancelGate)
	workers    int  // worker processes (default 1); fleet.worker is the first, fleet.others the rest
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

	if addr := os.Getenv("PORTING_E2E_CLUSTER"); addr != "" {
		f.server = newClusterEngine(ctx, t, root, addr)
	} else {
		dbFile := ""
		if opts.dbFile {
			dbFile = filepath.Join(t.TempDir(), "temporal.db")
		}
		f.server = startRestartableDevServer(ctx, t, cli, dbFile)
	}
	f.c = codecClient(ctx, t, f.server.address(), f.server.namespace())
	f.env = []string{
		"TEMPORAL_ADDRESS=" + f.server.address(),
		"TEMPORAL_NAMESPACE=" + f.server.namespace(),
		"DATABASE_URL=" + f.dbURL,
		"LOG_LEVEL=warn",
	}
	if opts.batchSize > 0 {
		f.env = append(f.env, "PORTING_PROVISION_BATCH_SIZE="+strconv.Itoa(opts.batchSize))
	}
	f.worker = newWorkerProc(t, f.bins.worker, f.env)
	f.worker.start(ctx, f.c)
	for range opts.workers - 1 {
		w := newWorkerProc(t, f.bins.worker, f.env)
		w.start(ctx, f.c)
		f.others = append(f.others, w)
	}

	f.cancelGate = make(chan struct{}, 64)
	if !opts.gateCancel {
		close(f.cancelGate)
	}
	f.cancelSent = make(chan time.Time, 64)
	return f
}

// plan builds the fleet's ports and the inventory they need (instances, flows, the port-out numbers).
func (f *fleet) plan(ctx context.Context, spec fleetSpec) []*portPlan {
	t := f.t
	t.Helper()
	if len(f.plans) == 0 { // the inventory, once (a scenario may plan more ports later)
		_, err := store.AddInstance(ctx, f.db, store.Instance{ARN: relInARN, PhoneNumberLimit: relBase})
		require.NoError(t, err)
		_, err = store.AddInstance(ctx, f.db, store.Instance{ARN: relUKARN, PhoneNumberLimit: relBase})
		require.NoError(t, err)
		_, err = store.AddInstance(ctx, f.db, store.Instance{ARN: relOutARN, PhoneNumberLimit: relOutBase,
			OwnerName: outOwner, Address: outAddress, BillingContact: outBilling})
		require.NoError(t, err)
		require.NoError(t, store.AddContactFlow(ctx, f.db, relInARN, relFlow, true))
		require.NoError(t, store.AddContactFlow(ctx, f.db, relUKARN, relUKFlow, true))
	}

	c := &f.numbered
	nextDID := func() string { c.did++; return fmt.Sprintf("+1415%07d", 2000000+c.did) }
	nextTF := func() string { c.tf++; return fmt.Sprintf("+1800%07d", 2000000+c.tf) }
	nextUK := func() string { c.uk++; return fmt.Sprintf("+442079460%03d", c.uk) }
	nextOut := func() string { c.out++; return fmt.Sprintf("+1212%07d", 3000000+c.out) }
	delay := func() time.Duration {
		return spec.minDelay + time.Duration(f.rng.Int64N(int64(spec.maxDelay-spec.minDelay)))
	}
	contact := porting.Contact{Name: "Ada Lovelace", Email: "ada@example.com", Phone: "+14155550199"}

	addPortIn := func(i int, twoGroups, cancel bool) {
		id := fmt.Sprintf("REL-IN-%02d", i)
		req := porting.PortInRequest{RequestID: id, InstanceARN: relInARN, ContactFlow: relFlow, AuthorizedContact: contact,
			Deadlines: &porting.Deadlines{PortDateRule: porting.PortDateAny}}
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
			Deadlines:         &porting.IntlDeadlines{Deadlines: porting.Deadlines{PortDateRule: porting.PortDateAny}},
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
	first := len(f.plans)
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
		n = len(f.plans) - first
	}
	for _, p := range f.plans[first:] {
		p.attempts, p.moved = map[string]int{}, map[string]bool{}
	}
	return f.plans[first:]
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
func (f *fleet) run(ctx context.Context) <-chan struct{} { return f.runPlans(ctx, f.plans) }

// runPlans drives these ports, each in its own goroutine; the channel closes when all have ended.
func (f *fleet) runPlans(ctx context.Context, plans []*portPlan) <-chan struct{} {
	var wg sync.WaitGroup
	for _, p := range plans {
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
