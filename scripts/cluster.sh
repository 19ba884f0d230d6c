#!/usr/bin/env bash
# The real engine (`make cluster`, DESIGN §8): a Postgres-backed Temporal server (go.temporal.io/server,
# built by the Makefile into bin/cluster/) and its UI server, on this machine, without Docker.
#
#   scripts/cluster.sh up                 role + databases + schema (idempotent), the server, the
#                                         namespaces and search attributes, the UI; returns when a
#                                         workflow can be started. Running it again changes nothing.
#   scripts/cluster.sh down               stops what `up` started: SIGTERM, then SIGKILL after CLUSTER_STOP_TIMEOUT s
#   scripts/cluster.sh status             the processes, the frontend's health, the UI; exit 0 only when all answer
#   scripts/cluster.sh kill-server [svc]  SIGKILL the server (split services: all four, or just `svc`)
#   scripts/cluster.sh start-server [svc] start it again with the same configuration; returns when a
#                                         workflow can be started
#   scripts/cluster.sh namespace NAME…    create namespaces (if missing) with the search attributes;
#                                         returns once a workflow can be started in each (~0.5 s)
#   scripts/cluster.sh env                the settings in effect, as shell assignments
#
# Only processes this script started are signalled: their PIDs are in $CLUSTER_RUN_DIR/*.pid, each
# checked against its command line before a signal is sent. Logs: $CLUSTER_RUN_DIR/*.log.
#
# Settings (environment), defaults in brackets:
#   CLUSTER_SERVICES      [single] one process with frontend, history, matching and worker; `split`:
#                         four processes (frontend, history, matching, worker), each its own log and PID
#   CLUSTER_HOST          [127.0.0.1]   CLUSTER_FRONTEND_PORT [7233] (history +1, matching +2, worker +6,
#                         frontend HTTP +10, membership -300: see deploy/cluster/temporal.yaml)
#   CLUSTER_UI            [on] `off`: no UI server     CLUSTER_UI_PORT [8080]
#   CLUSTER_UI_CODEC_ENDPOINT  [] the UI's codec endpoint (README, "The real engine")
#   CLUSTER_NAMESPACE     [] namespaces registered besides `default` (space- or comma-separated)
#   CLUSTER_DB_HOST [127.0.0.1] CLUSTER_DB_PORT [5432] CLUSTER_DB_USER [temporal] CLUSTER_DB_PASSWORD [temporal]
#   CLUSTER_DB_NAME [temporal]  CLUSTER_VISIBILITY_DB_NAME [<CLUSTER_DB_NAME>_visibility]
#   CLUSTER_PG_ADMIN      [postgres] the superuser psql connects as to create the role (skipped when
#                         psql is missing or the role exists)
#   CLUSTER_LOG_LEVEL     [warn]  CLUSTER_METRICS_PORT [] (set: Prometheus there; split: +0..+3)
#   CLUSTER_HISTORY_SHARDS [4] fixed when a database is first used
#   CLUSTER_RUN_DIR       [bin/cluster/run]  CLUSTER_BIN_DIR [bin/cluster]  TEMPORAL [bin/temporal] (the CLI)
#   CLUSTER_START_TIMEOUT [120] s to wait for the frontend   CLUSTER_STOP_TIMEOUT [30] s before SIGKILL
#   CLUSTER_SEARCH_ATTRIBUTES  [the contract's list, below] Name=Type …
# A second cluster beside the first: another CLUSTER_FRONTEND_PORT, CLUSTER_UI_PORT (or CLUSTER_UI=off),
# CLUSTER_DB_NAME and CLUSTER_RUN_DIR.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

REQUESTED_SERVICES=${CLUSTER_SERVICES:-} # empty: whatever runs (or single)
export CLUSTER_SERVICES=${CLUSTER_SERVICES:-single}
export CLUSTER_HOST=${CLUSTER_HOST:-127.0.0.1}
export CLUSTER_FRONTEND_PORT=${CLUSTER_FRONTEND_PORT:-7233}
export CLUSTER_UI=${CLUSTER_UI:-on}
export CLUSTER_UI_PORT=${CLUSTER_UI_PORT:-8080}
export CLUSTER_UI_CODEC_ENDPOINT=${CLUSTER_UI_CODEC_ENDPOINT:-}
export CLUSTER_NAMESPACE=${CLUSTER_NAMESPACE:-}
export CLUSTER_DB_HOST=${CLUSTER_DB_HOST:-127.0.0.1}
export CLUSTER_DB_PORT=${CLUSTER_DB_PORT:-5432}
export CLUSTER_DB_USER=${CLUSTER_DB_USER:-temporal}
export CLUSTER_DB_PASSWORD=${CLUSTER_DB_PASSWORD:-temporal}
export CLUSTER_DB_NAME=${CLUSTER_DB_NAME:-temporal}
export CLUSTER_VISIBILITY_DB_NAME=${CLUSTER_VISIBILITY_DB_NAME:-${CLUSTER_DB_NAME}_visibility}
export CLUSTER_LOG_LEVEL=${CLUSTER_LOG_LEVEL:-warn}
export CLUSTER_HISTORY_SHARDS=${CLUSTER_HISTORY_SHARDS:-4}
export CLUSTER_DYNAMIC_CONFIG=${CLUSTER_DYNAMIC_CONFIG:-$ROOT/deploy/cluster/dynamicconfig.yaml}
CLUSTER_PG_ADMIN=${CLUSTER_PG_ADMIN:-postgres}
CLUSTER_RUN_DIR=${CLUSTER_RUN_DIR:-$ROOT/bin/cluster/run}
CLUSTER_BIN_DIR=${CLUSTER_BIN_DIR:-$ROOT/bin/cluster}
CLUSTER_START_TIMEOUT=${CLUSTER_START_TIMEOUT:-120}
CLUSTER_STOP_TIMEOUT=${CLUSTER_STOP_TIMEOUT:-30}
TEMPORAL=${TEMPORAL:-$ROOT/bin/temporal}
# The contract's custom search attributes (porting.SearchAttributeTypes; porting/names_test.go checks
# this list against it).
CLUSTER_SEARCH_ATTRIBUTES=${CLUSTER_SEARCH_ATTRIBUTES:-PortKind=Keyword PortState=Keyword InstanceArn=Keyword Carrier=KeywordList PhoneNumbers=KeywordList PortDate=Datetime RequestId=Keyword}

SERVER=$CLUSTER_BIN_DIR/temporal-server
SQLTOOL=$CLUSTER_BIN_DIR/temporal-sql-tool
UISERVER=$CLUSTER_BIN_DIR/temporal-ui-server
SERVER_CONFIG=$ROOT/deploy/cluster/temporal.yaml
ADDRESS=$CLUSTER_HOST:$CLUSTER_FRONTEND_PORT
UI_URL=http://localhost:$CLUSTER_UI_PORT
SPLIT_SERVICES=(frontend history matching worker)
RUN=$CLUSTER_RUN_DIR

say() { printf '%s  cluster: %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { say "$*" >&2; exit 1; }

# --- processes: $RUN/<name>.pid holds the PID, $RUN/<name>.cmd the binary it must be running

# pid_running PID: the process exists and is not a zombie waiting for its parent to reap it.
pid_running() {
	kill -0 "$1" 2>/dev/null || return 1
	local _pid _comm state=""
	[ -r "/proc/$1/stat" ] && read -r _pid _comm state _ <"/proc/$1/stat" 2>/dev/null
	[ "$state" != Z ]
}
pid_of() { [ -s "$RUN/$1.pid" ] && cat "$RUN/$1.pid"; }
# alive NAME: its recorded process exists and still runs the recorded binary (not a reused PID).
alive() {
	local pid bin
	pid=$(pid_of "$1") || return 1
	pid_running "$pid" || return 1
	bin=$(cat "$RUN/$1.cmd" 2>/dev/null) || return 1
	[ -r "/proc/$pid/cmdline" ] || return 0 # no /proc: the PID check alone
	local argv0=""
	IFS= read -r -d '' argv0 <"/proc/$pid/cmdline" || true
	[ "$argv0" = "$bin" ]
}
# start NAME BINARY ARGS…: in its own session (a Ctrl-C in the terminal of `make cluster` reaches
# the worker, not these: `down` stops them in order), output appended to $RUN/NAME.log.
start() {
	local name=$1 bin=$2
	shift 2
	printf '\n==== %s  %s %s\n' "$(date '+%F %T')" "$bin" "$*" >>"$RUN/$name.log"
	if command -v setsid >/dev/null; then
		setsid "$bin" "$@" >>"$RUN/$name.log" 2>&1 </dev/null &
	else
		nohup "$bin" "$@" >>"$RUN/$name.log" 2>&1 </dev/null &
	fi
	echo $! >"$RUN/$name.pid"
	echo "$bin" >"$RUN/$name.cmd"
}
# stop SIGNAL NAME…: signal the live ones, wait for them to exit (SIGKILL after CLUSTER_STOP_TIMEOUT).
stop() {
	local sig=$1 name pids=() names=()
	shift
	for name in "$@"; do
		if alive "$name"; then
			pids+=("$(pid_of "$name")")
			names+=("$name")
		fi
		rm -f "$RUN/$name.pid"
	done
	[ ${#pids[@]} -gt 0 ] || return 0
	say "stopping ${names[*]} (SIG$sig, pid ${pids[*]})"
	kill "-$sig" "${pids[@]}" 2>/dev/null || true
	local deadline=$((SECONDS + CLUSTER_STOP_TIMEOUT)) left
	while :; do
		left=()
		for pid in "${pids[@]}"; do pid_running "$pid" && left+=("$pid"); done
		[ ${#left[@]} -gt 0 ] || return 0
		if [ "$SECONDS" -ge "$deadline" ]; then
			say "still running after ${CLUSTER_STOP_TIMEOUT}s: SIGKILL ${left[*]}"
			kill -KILL "${left[@]}" 2>/dev/null || true
			sleep 0.5
			return 0
		fi
		sleep 0.2
	done
}

mode() { cat "$RUN/mode" 2>/dev/null || echo "$CLUSTER_SERVICES"; }
server_names() { if [ "$(mode)" = split ]; then echo "${SPLIT_SERVICES[*]}"; else echo server; fi; }

listening() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
healthy() { "$TEMPORAL" operator cluster health --address "$ADDRESS" --command-timeout 5s >/dev/null 2>&1; }
ui_answers() {
	if command -v curl >/dev/null; then
		curl -fsS --max-time 5 -o /dev/null "http://$CLUSTER_HOST:$CLUSTER_UI_PORT/" 2>/dev/null
	else
		listening "$CLUSTER_HOST" "$CLUSTER_UI_PORT"
	fi
}

wait_healthy() {
	local deadline=$((SECONDS + CLUSTER_START_TIMEOUT)) name
	until healthy; do
		for name in $(server_names); do
			if [ -s "$RUN/$name.pid" ] && ! alive "$name"; then
				tail -20 "$RUN/$name.log" >&2
				die "the server ($name) exited; see $RUN/$name.log"
			fi
		done
		[ "$SECONDS" -lt "$deadline" ] || die "the frontend does not answer on $ADDRESS after ${CLUSTER_START_TIMEOUT}s; see $RUN/*.log"
		sleep 0.5
	done
}

# wait_ready: the frontend answers and a workflow can be started in `default` (history has its
# shards: after a start, or a restart of history alone, that takes a moment longer than the frontend).
wait_ready() {
	local started=$SECONDS
	wait_healthy
	retry "$CLUSTER_START_TIMEOUT" "workflow start in default" ns_usable default ||
		die "no workflow can be started in the namespace default after ${CLUSTER_START_TIMEOUT}s; see $RUN/namespaces.log and the server's log"
	say "ready: frontend on $ADDRESS answers, workflows start ($((SECONDS - started))s)"
}

# --- Postgres: the role, the two databases, their schema (temporal-sql-tool, embedded schema)

sqltool() {
	SQL_PASSWORD=$CLUSTER_DB_PASSWORD "$SQLTOOL" --plugin postgres12 --ep "$CLUSTER_DB_HOST" -p "$CLUSTER_DB_PORT" \
		-u "$CLUSTER_DB_USER" "$@" >>"$RUN/schema.log" 2>&1
}
setup_db() {
	if command -v psql >/dev/null; then
		local q="SELECT 1 FROM pg_roles WHERE rolname = '$CLUSTER_DB_USER'"
		local has
		if has=$(psql -w -h "$CLUSTER_DB_HOST" -p "$CLUSTER_DB_PORT" -U "$CLUSTER_PG_ADMIN" -d postgres -Atc "$q" 2>/dev/null); then
			if [ "$has" != 1 ]; then
				say "creating the role $CLUSTER_DB_USER (LOGIN CREATEDB) as $CLUSTER_PG_ADMIN"
				psql -w -h "$CLUSTER_DB_HOST" -p "$CLUSTER_DB_PORT" -U "$CLUSTER_PG_ADMIN" -d postgres -v ON_ERROR_STOP=1 -q \
					-c "CREATE ROLE \"$CLUSTER_DB_USER\" LOGIN CREATEDB PASSWORD '$CLUSTER_DB_PASSWORD'" ||
					die "cannot create the role $CLUSTER_DB_USER"
			fi
		else
			say "cannot connect to Postgres as $CLUSTER_PG_ADMIN; assuming the role $CLUSTER_DB_USER exists"
		fi
	fi
	local db schema
	for db in "$CLUSTER_DB_NAME:temporal" "$CLUSTER_VISIBILITY_DB_NAME:visibility"; do
		schema=${db#*:}
		db=${db%%:*}
		# Each step is idempotent: an existing database is kept, the version table is kept when the
		# schema is past 0.0, and update-schema applies only the versions the database lacks.
		sqltool --db "$db" create-database ||
			die "cannot create the database $db as $CLUSTER_DB_USER on $CLUSTER_DB_HOST:$CLUSTER_DB_PORT; see $RUN/schema.log"
		sqltool --db "$db" setup-schema -v 0.0 || die "setup-schema of $db failed; see $RUN/schema.log"
		sqltool --db "$db" update-schema --schema-name "postgresql/v12/$schema" || die "update-schema of $db failed; see $RUN/schema.log"
	done
	say "schema up to date in databases $CLUSTER_DB_NAME, $CLUSTER_VISIBILITY_DB_NAME ($CLUSTER_DB_USER@$CLUSTER_DB_HOST:$CLUSTER_DB_PORT)"
}

# --- the server

# start_server [SERVICE]: the single process, or (split) every service not running, or just SERVICE.
start_server() {
	local only=${1:-} m i name port
	m=$(mode)
	if [ "$m" = split ]; then
		i=0
		for name in "${SPLIT_SERVICES[@]}"; do
			if [ -z "$only" ] || [ "$only" = "$name" ]; then
				if alive "$name"; then
					say "$name already running (pid $(pid_of "$name"))"
				else
					port=${CLUSTER_METRICS_PORT:+$((CLUSTER_METRICS_PORT + i))}
					CLUSTER_METRICS_PORT=$port start "$name" "$SERVER" --config-file "$SERVER_CONFIG" --allow-no-auth start --service "$name"
					say "started $name (pid $(pid_of "$name"), log $RUN/$name.log)"
				fi
			fi
			i=$((i + 1))
		done
	else
		[ -z "$only" ] || [ "$only" = server ] || die "the server runs as one process (CLUSTER_SERVICES=single): no service $only to start alone"
		if alive server; then
			say "server already running (pid $(pid_of server))"
		else
			start server "$SERVER" --config-file "$SERVER_CONFIG" --allow-no-auth start
			say "started the server: frontend, history, matching, worker (pid $(pid_of server), log $RUN/server.log)"
		fi
	fi
}

# --- namespaces and search attributes

ns_exists() { "$TEMPORAL" operator namespace describe --namespace "$1" --address "$ADDRESS" >/dev/null 2>&1; }
# ns_usable NS: a workflow can be started in NS (the start reaches history). The probe workflow
# never runs (nothing polls its task queue) and is deleted at once.
ns_usable() {
	local id="cluster-sh-probe-$$-$RANDOM"
	"$TEMPORAL" workflow start --namespace "$1" --address "$ADDRESS" --command-timeout 10s \
		--type cluster-probe --task-queue cluster-probe --workflow-id "$id" || return 1
	"$TEMPORAL" workflow delete --namespace "$1" --address "$ADDRESS" --workflow-id "$id" >/dev/null 2>&1 || true
}
# retry SECONDS WHAT CMD…: run CMD until it succeeds (its output kept in $RETRY_OUT, failures logged
# to namespaces.log), at most SECONDS; 1 when it never did.
retry() {
	local deadline=$((SECONDS + $1)) what=$2
	shift 2
	until RETRY_OUT=$("$@" 2>&1); do
		printf '%s  %s: %s\n' "$(date +%T)" "$what" "$RETRY_OUT" >>"$RUN/namespaces.log"
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}
# missing_search_attributes NS: the names of CLUSTER_SEARCH_ATTRIBUTES that NS lacks, as Name=Type.
missing_search_attributes() {
	local existing spec
	existing=$("$TEMPORAL" operator search-attribute list --namespace "$1" --address "$ADDRESS" --output json) || return 1
	for spec in $CLUSTER_SEARCH_ATTRIBUTES; do
		grep -qF "\"${spec%%=*}\":" <<<"$existing" || echo "$spec"
	done
}
# ensure_search_attributes NS: register those NS lacks in one call and check they are there (the CLI
# takes pairs: --name A --type T --name B --type T; with a single --type it registers only the
# first name). Prints what it registered.
ensure_search_attributes() {
	local missing spec args=()
	missing=$(missing_search_attributes "$1") || return 1
	[ -n "$missing" ] || return 0
	for spec in $missing; do args+=(--name "${spec%%=*}" --type "${spec#*=}"); done
	"$TEMPORAL" operator search-attribute create --namespace "$1" --address "$ADDRESS" "${args[@]}" >/dev/null || return 1
	local still
	still=$(missing_search_attributes "$1") || return 1
	if [ -n "$still" ]; then
		echo "still missing after create:" $still
		return 1
	fi
	echo $missing
}
# register_namespace NS: create it if missing, register the search attributes it lacks; a new
# namespace is waited for until a workflow can be started in it. A namespace just created is not
# known at once to every API (the search-attribute calls answer "not found" for a moment): each
# step is retried for up to 60 s.
register_namespace() {
	local ns=$1 started=$SECONDS created=0 t=60
	# Create first, look up only when that fails: a lookup of a name not yet registered makes the
	# frontend remember "not found" for 1 s (deploy/cluster/dynamicconfig.yaml, at the end).
	if "$TEMPORAL" operator namespace create --namespace "$ns" --address "$ADDRESS" >>"$RUN/namespaces.log" 2>&1; then
		created=1
	elif ns_exists "$ns"; then
		say "namespace $ns exists"
	else
		die "cannot create the namespace $ns; see $RUN/namespaces.log"
	fi
	retry $t "search attributes in $ns" ensure_search_attributes "$ns" ||
		die "cannot register the search attributes in $ns; see $RUN/namespaces.log"
	[ -z "$RETRY_OUT" ] || say "search attributes registered in $ns: $RETRY_OUT"
	[ "$created" = 1 ] || return 0
	retry $t "workflow start in $ns" ns_usable "$ns" ||
		die "namespace $ns: a workflow cannot be started in it after ${t}s; see $RUN/namespaces.log"
	say "namespace $ns created and usable ($((SECONDS - started))s)"
}

# --- the UI server

start_ui() {
	[ "$CLUSTER_UI" != off ] || return 0
	if alive ui; then
		say "UI already running (pid $(pid_of ui))"
		return 0
	fi
	[ -x "$UISERVER" ] || die "$UISERVER is missing: make bin/cluster/temporal-ui-server (or CLUSTER_UI=off)"
	! listening "$CLUSTER_HOST" "$CLUSTER_UI_PORT" || die "something else listens on $CLUSTER_HOST:$CLUSTER_UI_PORT: stop it, or CLUSTER_UI_PORT=… / CLUSTER_UI=off"
	# The UI server reads <config>/base.yaml (there is none) and <config>/<env>.yaml: deploy/cluster/ui.yaml.
	start ui "$UISERVER" --root "$ROOT" --config deploy/cluster --env ui start
	local deadline=$((SECONDS + 30))
	until ui_answers; do
		alive ui || { tail -20 "$RUN/ui.log" >&2; die "the UI server exited; see $RUN/ui.log"; }
		[ "$SECONDS" -lt "$deadline" ] || die "the UI does not answer on $CLUSTER_UI_PORT after 30s; see $RUN/ui.log"
		sleep 0.2
	done
	say "UI server on $UI_URL (pid $(pid_of ui), log $RUN/ui.log)"
}

# --- commands

cmd_up() {
	local b
	for b in "$SERVER" "$SQLTOOL" "$TEMPORAL"; do
		[ -x "$b" ] || die "$b is missing: make cluster-bin builds it"
	done
	mkdir -p "$RUN"
	local running="" name
	for name in server "${SPLIT_SERVICES[@]}"; do alive "$name" && running+=" $name"; done
	if [ -n "$running" ]; then
		[ -z "$REQUESTED_SERVICES" ] || [ "$(mode)" = "$REQUESTED_SERVICES" ] ||
			die "the server already runs as CLUSTER_SERVICES=$(mode) ($running ); scripts/cluster.sh down first"
	else
		if listening "$CLUSTER_HOST" "$CLUSTER_FRONTEND_PORT"; then
			die "something this script did not start listens on $ADDRESS (make run's dev server?): stop it, or CLUSTER_FRONTEND_PORT=…"
		fi
		echo "$CLUSTER_SERVICES" >"$RUN/mode"
	fi
	setup_db
	start_server
	wait_healthy
	local ns
	for ns in default ${CLUSTER_NAMESPACE//,/ }; do register_namespace "$ns"; done
	wait_ready
	start_ui
	say "up: Temporal on $ADDRESS ($(mode)), UI $([ "$CLUSTER_UI" = off ] && echo off || echo "$UI_URL"), logs in $RUN"
}

cmd_down() {
	[ -d "$RUN" ] || { say "nothing to stop"; return 0; }
	stop TERM ui
	# Frontend first, so clients see it go before the services behind it.
	stop TERM server frontend
	stop TERM matching history worker
	say "down"
}

cmd_status() {
	local ok=0 name any=0
	say "mode $(mode), frontend $ADDRESS, databases $CLUSTER_DB_NAME/$CLUSTER_VISIBILITY_DB_NAME, run dir $RUN"
	for name in $(server_names); do
		any=1
		if alive "$name"; then say "  $name: running (pid $(pid_of "$name"))"; else say "  $name: not running"; ok=1; fi
	done
	if healthy; then say "  frontend: SERVING"; else say "  frontend: not answering"; ok=1; fi
	if [ -s "$RUN/ui.pid" ]; then # the UI, when up started it
		if alive ui && ui_answers; then say "  ui: $UI_URL (pid $(pid_of ui))"; else say "  ui: not running"; ok=1; fi
	fi
	[ "$any" = 1 ] || ok=1
	return $ok
}

cmd_kill_server() {
	local only=${1:-} names=() name
	for name in $(server_names); do
		if [ -z "$only" ] || [ "$only" = "$name" ]; then names+=("$name"); fi
	done
	[ ${#names[@]} -gt 0 ] || die "no server process named $only (mode $(mode): $(server_names))"
	local pids=()
	for name in "${names[@]}"; do
		if alive "$name"; then pids+=("$(pid_of "$name")"); else say "$name is not running"; fi
	done
	[ ${#pids[@]} -gt 0 ] || return 0
	say "SIGKILL ${names[*]} (pid ${pids[*]})"
	kill -KILL "${pids[@]}" 2>/dev/null || true
	local pid
	for pid in "${pids[@]}"; do
		while pid_running "$pid"; do sleep 0.1; done
	done
	for name in "${names[@]}"; do printf '==== %s  SIGKILL by scripts/cluster.sh kill-server\n' "$(date '+%F %T')" >>"$RUN/$name.log"; done
}

cmd_start_server() {
	[ -x "$SERVER" ] || die "$SERVER is missing: make cluster-bin builds it"
	mkdir -p "$RUN"
	start_server "${1:-}"
	wait_ready
}

cmd_namespace() {
	[ $# -gt 0 ] || die "usage: scripts/cluster.sh namespace NAME…"
	mkdir -p "$RUN"
	healthy || die "the frontend does not answer on $ADDRESS (scripts/cluster.sh up)"
	local ns
	for ns in "$@"; do register_namespace "$ns"; done
}

cmd_env() {
	local v
	for v in CLUSTER_SERVICES CLUSTER_HOST CLUSTER_FRONTEND_PORT CLUSTER_UI CLUSTER_UI_PORT CLUSTER_UI_CODEC_ENDPOINT \
		CLUSTER_NAMESPACE CLUSTER_DB_HOST CLUSTER_DB_PORT CLUSTER_DB_USER CLUSTER_DB_NAME CLUSTER_VISIBILITY_DB_NAME \
		CLUSTER_LOG_LEVEL CLUSTER_HISTORY_SHARDS CLUSTER_DYNAMIC_CONFIG CLUSTER_RUN_DIR CLUSTER_BIN_DIR; do
		printf '%s=%q\n' "$v" "${!v}"
	done
	printf 'TEMPORAL_ADDRESS=%q\n' "$ADDRESS"
}

case ${1:-} in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
kill-server) cmd_kill_server "${2:-}" ;;
start-server) cmd_start_server "${2:-}" ;;
namespace) shift; cmd_namespace "$@" ;;
env) cmd_env ;;
*)
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
