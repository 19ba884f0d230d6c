package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// Request data: valid NANP numbers, unique within a bench run, and instances with a published flow.

const (
	benchFlow    = "Main IVR"
	benchCarrier = "Acme Telecom"
)

// areaCodes are geographic NANP area codes (never toll-free or premium rate).
var areaCodes = []string{"415", "212", "312", "617", "206", "303", "404", "512", "615", "702", "213", "305"}

var (
	numberMu   sync.Mutex
	numberNext int
)

// nextNumbers returns n fresh numbers (never the same twice in one process).
func nextNumbers(n int) []string {
	numberMu.Lock()
	defer numberMu.Unlock()
	out := make([]string, n)
	for i := range out {
		k := numberNext
		numberNext++
		// subscriber 200-0000 … 999-9999 within each area code
		area := areaCodes[(k/8_000_000)%len(areaCodes)]
		out[i] = fmt.Sprintf("+1%s%07d", area, 2_000_000+k%8_000_000)
	}
	return out
}

func instanceARN(prefix string, i int) string {
	return fmt.Sprintf("arn:aws:connect:us-east-1:123456789012:instance/bench-%s-%06d", prefix, i)
}

// addInstances registers n instances (with the ownership records and a published flow), concurrently.
func addInstances(ctx context.Context, db *sqlx.DB, prefix string, n, limit int) ([]string, error) {
	arns := make([]string, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range arns {
		arns[i] = instanceARN(prefix, i)
		wg.Add(1)
		sem <- struct{}{}
		go func(arn string) {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := store.AddInstance(ctx, db, store.Instance{
				ARN: arn, PhoneNumberLimit: limit,
				OwnerName: "Ada Admin", Address: "1 Main St, Springfield", BillingContact: "billing@example.com",
			}); err != nil {
				errs <- fmt.Errorf("instance %s: %w", arn, err)
				return
			}
			if err := store.AddContactFlow(ctx, db, arn, benchFlow, true); err != nil {
				errs <- fmt.Errorf("flow of %s: %w", arn, err)
			}
		}(arns[i])
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return nil, err
	}
	return arns, nil
}

// portInRequest is a port of the given numbers from one carrier each (groups = carriers).
func portInRequest(id, arn string, numbers []string, carriers int) porting.PortInRequest {
	req := porting.PortInRequest{
		RequestID:   id,
		InstanceARN: arn,
		ContactFlow: benchFlow,
		AuthorizedContact: porting.Contact{
			Name: "Ada Admin", Email: "ada@example.com", Phone: "+14155550199",
		},
		// Port dates seconds ahead, whatever the hour of the run.
		Deadlines: &porting.Deadlines{PortDateRule: porting.PortDateAny},
	}
	per := (len(numbers) + carriers - 1) / carriers
	for i, e := range numbers {
		carrier := benchCarrier
		if carriers > 1 {
			carrier = fmt.Sprintf("Carrier %02d", i/per)
		}
		req.Numbers = append(req.Numbers, porting.PortNumber{E164: e, Type: porting.NumberTypeDID, Carrier: carrier})
	}
	return req
}

// groups lists the request's LOA groups in order.
func groups(req porting.PortInRequest) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range req.Numbers {
		g := porting.GroupName(n.Carrier, n.Type)
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}

func benchLOA(group string) porting.SubmitLOA {
	return porting.SubmitLOA{Group: group, LOA: porting.LOA{
		AuthorizedName: "Ada Admin", Company: "Example Corp", Address: "1 Main St, Springfield",
		AccountNumber: "ACCT-123456", PIN: "4321", SignedAt: time.Now().Add(-time.Hour).Truncate(time.Second),
		DocumentRef: "s3://loas/bench.pdf",
	}}
}
