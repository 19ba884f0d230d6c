# Number porting on Temporal — build, run and test.
#
#   make run    Temporal dev server (with UI on :8233) + migrations + the worker, in one terminal
#   make cluster  the same on the real engine: a Postgres-backed Temporal server and its UI (:8080)
#   make test   go vet + every test (unit, Postgres, end-to-end against the dev server)
#   eval "$(make -s dev-env)"   in another terminal: the payload key (and address) for bin/starter
#
# Only Go and a Postgres are needed: the Temporal CLI is built from the Go module proxy into ./bin.

SHELL := /bin/bash

TEMPORAL_CLI_VERSION := v1.5.1
TEMPORAL             := $(CURDIR)/bin/temporal
TEMPORAL_ADDRESS     ?= 127.0.0.1:7233
TEMPORAL_UI_PORT     ?= 8233
DATABASE_URL         ?= postgres://postgres@127.0.0.1:5432/porting?sslmode=disable
GO                   ?= go
# The worker's Prometheus endpoint under `make run` (empty: none).
METRICS_ADDR         ?= 127.0.0.1:9090
# The development payload encryption key (DESIGN §5), made once and kept: the dev server's history
# (.temporal-dev.db) is encrypted with it. Gitignored. An exported PORTING_PAYLOAD_KEY wins.
DEV_PAYLOAD_KEY      := .dev-payload-key

# The contract's custom search attributes (porting.SearchAttributeTypes).
SEARCH_ATTRIBUTES := PortKind=Keyword PortState=Keyword InstanceArn=Keyword \
                     Carrier=KeywordList PhoneNumbers=KeywordList PortDate=Datetime \
                     RequestId=Keyword

export DATABASE_URL

.PHONY: all build migrate run dev-env test lint vet fmt fuzz clean help cluster cluster-bin cluster-down

all: build

help:
	@echo "make build    bin/worker and bin/starter"
	@echo "make run      dev server + UI (http://localhost:$(TEMPORAL_UI_PORT)) + migrations + worker"
	@echo "make cluster  Postgres-backed Temporal server + UI (http://localhost:$(CLUSTER_UI_PORT)) + migrations + worker (scripts/cluster.sh)"
	@echo "make cluster-down  stops what scripts/cluster.sh up started (make cluster does it when the worker stops)"
	@echo "make dev-env  prints the exports bin/starter needs next to make run or make cluster: eval \"\$$(make -s dev-env)\""
	@echo "make demo     dev server + UI + worker + carrier simulator; three ports driven to completed (DEMO_KEEP=1 leaves the UI up)"
	@echo "make migrate  create/migrate the database in DATABASE_URL"
	@echo "make test     go vet + all tests (needs Postgres; builds bin/temporal if missing)"
	@echo "make test-reliability  worker SIGKILLs (one of two workers too), a Postgres outage, Temporal restarts, the upgrade drill, concurrent starts (~15 min)"
	@echo "make lint     gofmt check + go vet + workflowcheck (determinism of workflow code)"
	@echo "make fuzz     each fuzz target for FUZZTIME (default 60s)"
	@echo "make check-deploy  promtool on deploy/prometheus (config, rules, rule tests) + the deploy/ tests; make bin/promtool gets promtool"

# The Temporal CLI (dev server), pinned. Later versions carry a replace directive and do not
# `go install`. Takes a few minutes the first time.
bin/temporal:
	GOBIN=$(CURDIR)/bin $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)

build: bin/worker bin/starter

# Always rebuilt; go's build cache makes that cheap.
.PHONY: bin/worker bin/starter
bin/worker:
	$(GO) build -o bin/worker ./worker
bin/starter:
	$(GO) build -o bin/starter ./starter

migrate: bin/worker
	bin/worker -migrate-only

# 32 random bytes, base64: the same form as `openssl rand -base64 32`.
$(DEV_PAYLOAD_KEY):
	@umask 077; head -c 32 /dev/urandom | base64 > $@.tmp && mv $@.tmp $@
	@echo "Generated a development payload key in $@ (gitignored; keep it: the dev server's history is encrypted with it)"

# What bin/starter needs in another terminal to talk to `make run`'s worker.
dev-env: $(DEV_PAYLOAD_KEY)
	@echo "export TEMPORAL_ADDRESS=$(TEMPORAL_ADDRESS)"
	@echo "export PORTING_PAYLOAD_KEY=$$(cat $(DEV_PAYLOAD_KEY))"

# Dev server in the background (stopped when the worker exits), worker in the foreground.
# If something already answers on TEMPORAL_ADDRESS it is used as is.
run: build bin/temporal $(DEV_PAYLOAD_KEY)
	@set -euo pipefail; \
	if [ -z "$${PORTING_PAYLOAD_KEY:-}" ]; then \
		PORTING_PAYLOAD_KEY=$$(cat $(DEV_PAYLOAD_KEY)); export PORTING_PAYLOAD_KEY; \
		echo "Payloads encrypted with the development key in $(DEV_PAYLOAD_KEY); for bin/starter elsewhere: eval \"\$$(make -s dev-env)\""; \
	else \
		echo "Payloads encrypted with PORTING_PAYLOAD_KEY from the environment"; \
	fi; \
	addr=$(TEMPORAL_ADDRESS); host=$${addr%:*}; port=$${addr##*:}; \
	if $(TEMPORAL) operator cluster health --address $(TEMPORAL_ADDRESS) >/dev/null 2>&1; then \
		echo "Temporal already answers at $(TEMPORAL_ADDRESS); using it (search attributes must be registered)"; \
	else \
		echo "Starting Temporal dev server on $(TEMPORAL_ADDRESS) (log: .temporal-dev.log)"; \
		$(TEMPORAL) server start-dev --ip $$host --port $$port --ui-port $(TEMPORAL_UI_PORT) \
			--db-filename .temporal-dev.db --log-level warn \
			$(foreach sa,$(SEARCH_ATTRIBUTES),--search-attribute $(sa)) \
			>.temporal-dev.log 2>&1 & \
		devpid=$$!; \
		trap 'echo "Stopping Temporal dev server"; kill $$devpid 2>/dev/null || true; wait $$devpid 2>/dev/null || true' EXIT; \
		for i in $$(seq 1 60); do \
			if $(TEMPORAL) operator cluster health --address $(TEMPORAL_ADDRESS) >/dev/null 2>&1; then break; fi; \
			if ! kill -0 $$devpid 2>/dev/null; then echo "dev server exited; see .temporal-dev.log" >&2; tail -20 .temporal-dev.log >&2; exit 1; fi; \
			sleep 1; \
		done; \
		$(TEMPORAL) operator cluster health --address $(TEMPORAL_ADDRESS) >/dev/null; \
	fi; \
	bin/worker -migrate-only; \
	echo "Temporal UI: http://localhost:$(TEMPORAL_UI_PORT)"; \
	if [ -n "$(METRICS_ADDR)" ]; then echo "Metrics: http://$(METRICS_ADDR)/metrics"; fi; \
	echo "Worker on task queue number-porting (Ctrl-C stops it and the dev server)"; \
	TEMPORAL_ADDRESS=$(TEMPORAL_ADDRESS) METRICS_ADDR=$(METRICS_ADDR) bin/worker

# The real engine (DESIGN §8, README "The real engine"): the Temporal server, its SQL schema tool and
# the UI server, pinned, built from the Go module proxy into bin/cluster/ when missing (a few minutes
# each the first time). Both upstream commands are named `server`: each is installed into a GOBIN of
# its own and renamed. A changed pin rebuilds (the stamp in bin/cluster/pins/).
TEMPORAL_SERVER_VERSION    := v1.30.4
TEMPORAL_UI_SERVER_VERSION := v2.49.1
CLUSTER_UI_PORT            ?= 8080
CLUSTER_BINS := bin/cluster/temporal-server bin/cluster/temporal-sql-tool bin/cluster/temporal-ui-server

# $(call go_install_as,<package>@<version>): go install it, then rename its binary to the target.
define go_install_as
	@mkdir -p $@.gobin
	GOBIN=$(CURDIR)/$@.gobin $(GO) install $(1)
	mv $@.gobin/$(notdir $(firstword $(subst @, ,$(1)))) $@
	@rmdir $@.gobin
endef
bin/cluster/pins/%:
	@mkdir -p $(dir $@) && touch $@
bin/cluster/temporal-server: bin/cluster/pins/server-$(TEMPORAL_SERVER_VERSION)
	$(call go_install_as,go.temporal.io/server/cmd/server@$(TEMPORAL_SERVER_VERSION))
bin/cluster/temporal-sql-tool: bin/cluster/pins/server-$(TEMPORAL_SERVER_VERSION)
	$(call go_install_as,go.temporal.io/server/cmd/tools/sql@$(TEMPORAL_SERVER_VERSION))
bin/cluster/temporal-ui-server: bin/cluster/pins/ui-server-$(TEMPORAL_UI_SERVER_VERSION)
	$(call go_install_as,github.com/temporalio/ui-server/v2/cmd/server@$(TEMPORAL_UI_SERVER_VERSION))

cluster-bin: $(CLUSTER_BINS) bin/temporal

# scripts/cluster.sh up (idempotent: role, databases, schema, server, namespace and search
# attributes, UI), migrations, then the worker in the foreground. When the worker stops (Ctrl-C),
# the cluster is stopped too, unless it was already running before (or CLUSTER_KEEP=1).
# The cluster listens where TEMPORAL_ADDRESS says (its port moves the others: deploy/cluster/temporal.yaml).
cluster: cluster-bin build $(DEV_PAYLOAD_KEY)
	@set -euo pipefail; \
	if [ -z "$${PORTING_PAYLOAD_KEY:-}" ]; then \
		PORTING_PAYLOAD_KEY=$$(cat $(DEV_PAYLOAD_KEY)); export PORTING_PAYLOAD_KEY; \
		echo "Payloads encrypted with the development key in $(DEV_PAYLOAD_KEY); for bin/starter elsewhere: eval \"\$$(make -s dev-env)\""; \
	else \
		echo "Payloads encrypted with PORTING_PAYLOAD_KEY from the environment"; \
	fi; \
	export CLUSTER_HOST=$${CLUSTER_HOST:-$(firstword $(subst :, ,$(TEMPORAL_ADDRESS)))}; \
	export CLUSTER_FRONTEND_PORT=$${CLUSTER_FRONTEND_PORT:-$(lastword $(subst :, ,$(TEMPORAL_ADDRESS)))}; \
	export CLUSTER_UI_PORT=$(CLUSTER_UI_PORT) TEMPORAL=$(TEMPORAL); \
	if scripts/cluster.sh status >/dev/null 2>&1 || [ "$${CLUSTER_KEEP:-0}" = 1 ]; then \
		echo "The cluster stays up when the worker stops (scripts/cluster.sh down stops it)"; \
	else \
		trap 'scripts/cluster.sh down' EXIT; \
	fi; \
	scripts/cluster.sh up; \
	bin/worker -migrate-only; \
	if [ "$${CLUSTER_UI:-on}" != off ]; then echo "Temporal UI: http://localhost:$(CLUSTER_UI_PORT)"; fi; \
	if [ -n "$(METRICS_ADDR)" ]; then echo "Metrics: http://$(METRICS_ADDR)/metrics"; fi; \
	echo "Worker on task queue number-porting (Ctrl-C stops it and the cluster)"; \
	TEMPORAL_ADDRESS=$(TEMPORAL_ADDRESS) METRICS_ADDR=$(METRICS_ADDR) bin/worker

cluster-down:
	@scripts/cluster.sh down

# The end-to-end tests and the drills against the real engine (scripts/test-cluster.sh): a cluster
# of its own (frontend 127.0.0.1:17233, databases temporal_ci*, no UI), one server process then the
# four services apart; the server killed -9, Postgres restarted, two workers, the upgrade drill.
.PHONY: test-cluster
test-cluster: bin/cluster/temporal-server bin/cluster/temporal-sql-tool bin/temporal
	TEMPORAL_CLI=$(TEMPORAL) TEMPORAL=$(TEMPORAL) GO=$(GO) scripts/test-cluster.sh

# The demo (scripts/demo.sh): dev server with its UI, worker, carrier simulator; one port-in, one
# international port-in and one port-out driven to completed in a few minutes; UI links, progress,
# product metrics. DEMO_KEEP=1 leaves the dev server, UI and worker running (scripts/demo.sh stop).
.PHONY: demo
demo: build bin/temporal $(DEV_PAYLOAD_KEY)
	@PORTING_PAYLOAD_KEY=$${PORTING_PAYLOAD_KEY:-$$(cat $(DEV_PAYLOAD_KEY))} TEMPORAL=$(TEMPORAL) \
		TEMPORAL_ADDRESS=$(TEMPORAL_ADDRESS) TEMPORAL_UI_PORT=$(TEMPORAL_UI_PORT) METRICS_ADDR=$(METRICS_ADDR) \
		scripts/demo.sh

test: bin/temporal
	$(GO) vet ./...
	TEMPORAL_CLI=$(TEMPORAL) $(GO) test -race -timeout 15m ./...
	# The upgrade drill's build B (-tags upgradedrill) replays every committed history of every version.
	$(GO) test -tags upgradedrill -count=1 -run Replay ./workflows/

# Reliability tests (e2e/reliability_test.go, build tag `reliability`, so make test skips them):
# ports of every kind while the worker is SIGKILLed and restarted, Postgres refuses connections,
# the Temporal dev server restarts, one of two workers is killed again and again; the upgrade drill
# (build B deployed over 20 ports in flight); plus the concurrent-start test (also part of make test). Each
# test is bounded; -v shows the counts they check. RELIABILITY_SEED=<n> repeats a run's random choices.
.PHONY: test-reliability
test-reliability: bin/temporal
	TEMPORAL_CLI=$(TEMPORAL) $(GO) test -race -tags reliability -timeout 20m -count=1 -v -run 'Reliability|Concurrent|UpgradeDrill' ./e2e/

# Measurements (issue 7): time-skipping speed, engine throughput against a baseline workflow, history
# sizes, provisioning, worker memory, scale-out; one table with each target and PASS/FAIL (README,
# Performance). Not part of make test: it takes 35-50 minutes (item 5 opens 20,000 ports).
# BENCH_FLAGS="-runs 1 -n 100 -open 2000" is quicker.
.PHONY: bench
BENCH_FLAGS ?=
bench: bin/temporal
	$(GO) build -o bin/bench ./bench
	TEMPORAL_CLI=$(TEMPORAL) bin/bench $(BENCH_FLAGS)

# Items 2 and 6 of make bench on the real engine: a cluster of its own (frontend 127.0.0.1:17333,
# databases temporal_bench*, no UI; CLUSTER_SERVICES=split for four processes), stopped afterwards.
.PHONY: bench-cluster
bench-cluster: bin/temporal bin/cluster/temporal-server bin/cluster/temporal-sql-tool
	$(GO) build -o bin/bench ./bench
	@set -euo pipefail; \
	export CLUSTER_FRONTEND_PORT=17333 CLUSTER_DB_NAME=temporal_bench CLUSTER_RUN_DIR=$(CURDIR)/bin/cluster/run-bench CLUSTER_UI=off TEMPORAL=$(TEMPORAL); \
	trap 'scripts/cluster.sh down' EXIT; \
	scripts/cluster.sh up; \
	TEMPORAL_CLI=$(TEMPORAL) bin/bench -engine cluster -items load -cluster-address 127.0.0.1:17333 $(BENCH_FLAGS)

# The deploy files (README, Dashboard and alerts): promtool checks the scrape config, the alert rules
# and their unit tests; the Go tests of deploy/ check every metric and label they and the dashboard
# name against what the worker exports (those run in make test as well, with promtool when found).
# promtool: PROMTOOL, else one on PATH, else bin/promtool; without any, its checks are skipped, said so.
.PHONY: check-deploy
check-deploy:
	@set -euo pipefail; \
	promtool="$${PROMTOOL:-$$(command -v promtool || true)}"; \
	if [ -z "$$promtool" ] && [ -x bin/promtool ]; then promtool=$(CURDIR)/bin/promtool; fi; \
	if [ -z "$$promtool" ]; then \
		echo "check-deploy: no promtool (make bin/promtool, or PROMTOOL=path): skipping promtool check config/rules/test"; \
	else \
		cd deploy/prometheus; \
		"$$promtool" check config prometheus.yml; \
		"$$promtool" check rules porting-alerts.yml; \
		"$$promtool" test rules porting-alerts.test.yml; \
	fi
	$(GO) test -count=1 ./deploy/

# promtool alone, taken out of Debian's prometheus package (downloaded, not installed: no Prometheus
# server or service comes with it). Needs apt (and its lists: apt-get update).
bin/promtool:
	@set -euo pipefail; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	(cd "$$tmp" && apt-get download prometheus 2>&1 | grep -v unsandboxed) || true; \
	deb=$$(ls "$$tmp"/prometheus_*.deb 2>/dev/null || true); \
	if [ -z "$$deb" ]; then echo "bin/promtool: apt-get download prometheus failed (apt-get update first?)" >&2; exit 1; fi; \
	dpkg-deb -x "$$deb" "$$tmp/x"; \
	mkdir -p bin; cp "$$tmp/x/usr/bin/promtool" $@; \
	$@ --version | head -1

vet:
	$(GO) vet ./...

# Determinism lint for workflow code (go.temporal.io/sdk/contrib/tools/workflowcheck), pinned.
WORKFLOWCHECK_VERSION := v0.6.0
bin/workflowcheck:
	GOBIN=$(CURDIR)/bin $(GO) install go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION)

lint: bin/workflowcheck
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	bin/workflowcheck ./...

# Fuzz targets (request, LOA and signal-payload validation), each for FUZZTIME; the committed seed
# corpus (porting/testdata/fuzz) also runs in make test as ordinary test cases.
FUZZTIME ?= 60s
FUZZ_TARGETS := FuzzValidatePortIn FuzzValidateInternationalPortIn FuzzValidateSubmitLOA FuzzValidatePortOut FuzzSignalPayloads
fuzz:
	@set -e; for f in $(FUZZ_TARGETS); do \
		echo "== $$f ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) ./porting; \
	done

fmt:
	gofmt -w .

clean:
	rm -f bin/worker bin/starter .temporal-dev.log
