#!/usr/bin/env bash
# The number-porting demo (`make demo`): from nothing, the Temporal dev server with its UI, the
# worker (with its Prometheus metrics and codec endpoint), and the carrier simulator
# (`starter simulate-carrier`), then one port-in, one international port-in and one port-out,
# driven to `completed` by the simulator in a few minutes. It prints the UI links, follows the three
# ports, checks the worker's product metrics and stops what it started — or, with DEMO_KEEP=1,
# leaves the dev server, its UI, the worker and the codec proxy running (`scripts/demo.sh stop`
# stops them later).
#
# Needs: Go and Postgres (DATABASE_URL). `make demo` builds bin/temporal, bin/worker and bin/starter
# first; this script builds bin/codecproxy.
#
# Settings (environment): TEMPORAL_ADDRESS (127.0.0.1:7233), TEMPORAL_UI_PORT (8233), DATABASE_URL,
# METRICS_ADDR (127.0.0.1:9090), PORTING_PAYLOAD_KEY (make passes the development key),
# DEMO_KEEP (0), DEMO_PORT_IN (port dates this far ahead: 2m), DEMO_TIMEOUT (seconds to wait for
# the ports: 270), DEMO_CODEC_ADDR (127.0.0.1:8081), DEMO_CODEC_PROXY_ADDR (127.0.0.1:8082).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
STATE=$ROOT/bin/demo
PIDS=$STATE/pids
TEMPORAL=${TEMPORAL:-$ROOT/bin/temporal}

if [ "${1:-}" = "stop" ]; then
	# Stops what a DEMO_KEEP=1 run left running: only the processes it recorded.
	if [ ! -s "$PIDS" ]; then echo "nothing to stop ($PIDS is empty)"; exit 0; fi
	while read -r name pid; do
		if kill -0 "$pid" 2>/dev/null; then echo "stopping $name (pid $pid)"; kill "$pid" 2>/dev/null || true; fi
	done <"$PIDS"
	: >"$PIDS"
	exit 0
fi

TEMPORAL_ADDRESS=${TEMPORAL_ADDRESS:-127.0.0.1:7233}
TEMPORAL_UI_PORT=${TEMPORAL_UI_PORT:-8233}
METRICS_ADDR=${METRICS_ADDR:-127.0.0.1:9090}
DEMO_KEEP=${DEMO_KEEP:-0}
DEMO_PORT_IN=${DEMO_PORT_IN:-2m}
DEMO_TIMEOUT=${DEMO_TIMEOUT:-270}
DEMO_CODEC_ADDR=${DEMO_CODEC_ADDR:-127.0.0.1:8081}
DEMO_CODEC_PROXY_ADDR=${DEMO_CODEC_PROXY_ADDR:-127.0.0.1:8082}
export TEMPORAL_ADDRESS DATABASE_URL METRICS_ADDR
export TEMPORAL_NAMESPACE=${TEMPORAL_NAMESPACE:-default}
NS=$TEMPORAL_NAMESPACE
UI=http://localhost:$TEMPORAL_UI_PORT

STARTED=$(date +%s)
say() { printf '%s  %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { say "demo failed: $*" >&2; exit 1; }
elapsed() { echo $(($(date +%s) - STARTED)); }

[ -n "${PORTING_PAYLOAD_KEY:-}" ] || die "PORTING_PAYLOAD_KEY is not set (make demo passes the development key in .dev-payload-key)"
for b in "$TEMPORAL" bin/worker bin/starter; do
	[ -x "$b" ] || die "$b is missing: run it through make demo (it builds bin/temporal, bin/worker, bin/starter)"
done
mkdir -p "$STATE"
go build -o bin/codecproxy ./scripts/codecproxy

# --- processes this run starts, stopped at exit (the simulator always; the rest unless DEMO_KEEP=1)
: >"$PIDS.run"
started() { echo "$1 $2" >>"$PIDS.run"; }
cleanup() {
	local code=$?
	set +e
	while read -r name pid; do
		if [ "$DEMO_KEEP" = 1 ] && [ "$name" != simulator ]; then
			echo "$name $pid" >>"$PIDS"
			continue
		fi
		if kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null
			for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
		fi
	done < <(tac "$PIDS.run")
	rm -f "$PIDS.run"
	if [ "$DEMO_KEEP" = 1 ] && [ -s "$PIDS" ]; then
		say "DEMO_KEEP=1: left running (stop them with scripts/demo.sh stop): $(awk '{printf "%s%s", sep, $1; sep=", "}' "$PIDS")"
		say "Temporal UI: $UI/namespaces/$NS/workflows"
	fi
	exit $code
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { # host:port → true when nothing listens there
	! (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null
}
wait_port() { # host:port seconds pid name
	for _ in $(seq 1 $(($2 * 5))); do
		free_port "$1" || return 0
		kill -0 "$3" 2>/dev/null || die "$4 exited at start; see its log in $STATE"
		sleep 0.2
	done
	die "$4 does not listen on $1 after $2 s; see its log in $STATE"
}
http_get() { # URL → body on stdout (curl if there is one, else bash's /dev/tcp)
	if command -v curl >/dev/null; then curl -fsS --max-time 10 "$1"; return; fi
	local hostport=${1#http://}; local path=/${hostport#*/}; hostport=${hostport%%/*}
	exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}"
	printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$hostport" >&3
	sed '1,/^\r$/d' <&3
	exec 3<&-
}
urlenc() { # string → percent-encoded (for the UI's ?query=)
	local s=$1 out="" c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in [a-zA-Z0-9._~-]) out+=$c ;; *) out+=$(printf '%%%02X' "'$c") ;; esac
	done
	printf '%s' "$out"
}
iso_in() { # seconds → RFC 3339 UTC time that far from now
	date -u -d "@$(($(date +%s) + $1))" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -r "$(($(date +%s) + $1))" +%Y-%m-%dT%H:%M:%SZ
}

for addr in "$METRICS_ADDR" "$DEMO_CODEC_ADDR" "$DEMO_CODEC_PROXY_ADDR"; do
	free_port "$addr" || die "something already listens on $addr (a \`make run\` worker, or a DEMO_KEEP=1 demo: scripts/demo.sh stop); stop it, or move it with METRICS_ADDR / DEMO_CODEC_ADDR / DEMO_CODEC_PROXY_ADDR"
done

# --- 1. Temporal dev server with its UI (reused when one already answers), UI decoding through the codec proxy
host=${TEMPORAL_ADDRESS%:*}; port=${TEMPORAL_ADDRESS##*:}
if "$TEMPORAL" operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; then
	say "Temporal already answers at $TEMPORAL_ADDRESS: using it (its UI decodes payloads only if it was started with --ui-codec-endpoint http://$DEMO_CODEC_PROXY_ADDR)"
else
	# The demo's own history, new for each run (make run keeps its own in .temporal-dev.db).
	rm -f "$STATE/temporal-dev.db"
	say "Starting the Temporal dev server on $TEMPORAL_ADDRESS, UI on $UI (log: bin/demo/temporal-dev.log)"
	"$TEMPORAL" server start-dev --ip "$host" --port "$port" --ui-port "$TEMPORAL_UI_PORT" \
		--ui-codec-endpoint "http://$DEMO_CODEC_PROXY_ADDR" \
		--db-filename "$STATE/temporal-dev.db" --log-level warn \
		--search-attribute PortKind=Keyword --search-attribute PortState=Keyword \
		--search-attribute InstanceArn=Keyword --search-attribute Carrier=KeywordList \
		--search-attribute PhoneNumbers=KeywordList --search-attribute PortDate=Datetime \
		--search-attribute RequestId=Keyword \
		>"$STATE/temporal-dev.log" 2>&1 &
	started temporal $!
	devpid=$!
	for _ in $(seq 1 60); do
		"$TEMPORAL" operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 && break
		kill -0 "$devpid" 2>/dev/null || { tail -20 "$STATE/temporal-dev.log" >&2; die "the dev server exited; see bin/demo/temporal-dev.log"; }
		sleep 1
	done
	"$TEMPORAL" operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null || die "the dev server does not answer on $TEMPORAL_ADDRESS"
fi

# --- 2. database, worker (metrics + codec endpoint), codec proxy, simulator
bin/worker -migrate-only 2>"$STATE/migrate.log" || { cat "$STATE/migrate.log" >&2; die "the database at DATABASE_URL cannot be created/migrated (is Postgres running?)"; }
PORTING_CODEC_TOKEN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
export PORTING_CODEC_TOKEN
PORTING_CODEC_CORS_ORIGIN="http://localhost:$TEMPORAL_UI_PORT,http://127.0.0.1:$TEMPORAL_UI_PORT" \
	bin/worker --metrics-addr "$METRICS_ADDR" --codec-addr "$DEMO_CODEC_ADDR" >"$STATE/worker.log" 2>&1 &
started worker $!
wait_port "$METRICS_ADDR" 30 $! worker
say "Worker running (log: bin/demo/worker.log); metrics: http://$METRICS_ADDR/metrics"
bin/codecproxy -listen "$DEMO_CODEC_PROXY_ADDR" -target "http://$DEMO_CODEC_ADDR" >"$STATE/codecproxy.log" 2>&1 &
started codecproxy $!
wait_port "$DEMO_CODEC_PROXY_ADDR" 10 $! codecproxy
unset PORTING_CODEC_TOKEN

SIM_ARGS=(--accept-after 5s --reject-first 1 --port-in "$DEMO_PORT_IN" --cost "49.00 GBP"
	--submit-loas --approve-costs --mismatch-first --customer-after 3s --poll 1s)
bin/starter simulate-carrier "${SIM_ARGS[@]}" >"$STATE/simulator.log" 2>&1 &
started simulator $!
say "Simulator running: starter simulate-carrier ${SIM_ARGS[*]} (log: bin/demo/simulator.log)"

# --- 3. inventory: one instance in us-east-1, one in eu-west-2, with ownership records and flows
RUN=$(date +%s)
K=$((RUN % 4000000)); X=$((200 + K / 5000)); L=$(((K % 5000) * 2))
num() { printf '%s%03d%04d' "$1" "$2" "$3"; }
US_ARN=arn:aws:connect:us-east-1:123456789012:instance/demo-us-$RUN
UK_ARN=arn:aws:connect:eu-west-2:123456789012:instance/demo-uk-$RUN
DID1=$(num +1415 $X $L); DID2=$(num +1415 $X $((L + 1))); TF1=$(num +1833 $X $L)
OUT1=$(num +1212 $X $L); OUT2=$(num +1212 $X $((L + 1)))
GB1=$(printf '+44207%03d%04d' $((X - 200)) $L); GB2=$(printf '+44207%03d%04d' $((X - 200)) $((L + 1)))

q() { "$@" >>"$STATE/starter.log" 2>&1 || { tail -5 "$STATE/starter.log" >&2; die "$(printf '%q ' "$@")"; }; }
q bin/starter instance add --arn "$US_ARN" --owner-name "Ada Lovelace Ltd" --address "1 Analytical Way, Springfield, IL 62701" --billing-contact "billing@lovelace.example"
q bin/starter flow add --instance "$US_ARN" --name "Main IVR"
q bin/starter number claim --instance "$US_ARN" --e164 "$OUT1" --flow "Main IVR"
q bin/starter number claim --instance "$US_ARN" --e164 "$OUT2" --flow "Main IVR"
q bin/starter instance add --arn "$UK_ARN" --owner-name "Babbage & Co" --address "10 Difference Row, London EC1A 1BB" --billing-contact "accounts@babbage.example"
q bin/starter flow add --instance "$UK_ARN" --name "UK Support"
say "Instances: $US_ARN (owns $OUT1, $OUT2), $UK_ARN"

# --- 4. the three ports
IN_ID=DEMO-$RUN-IN; INTL_ID=DEMO-$RUN-INTL; OUT_ID=DEMO-$RUN-OUT
cat >"$STATE/port-in.json" <<EOF
{
  "request_id": "$IN_ID",
  "instance_arn": "$US_ARN",
  "contact_flow": "Main IVR",
  "numbers": [
    {"e164": "$DID1", "type": "did", "carrier": "Acme Telecom"},
    {"e164": "$DID2", "type": "did", "carrier": "Acme Telecom"},
    {"e164": "$TF1", "type": "toll_free", "carrier": "Acme Telecom"}
  ],
  "authorized_contact": {"name": "Ada Lovelace", "email": "ada@lovelace.example", "phone": "+14155550199"},
  "deadlines": {"port_date_rule": "any"}
}
EOF
cat >"$STATE/intl-port-in.json" <<EOF
{
  "request_id": "$INTL_ID",
  "instance_arn": "$UK_ARN",
  "contact_flow": "UK Support",
  "country": "GB",
  "numbers": [{"e164": "$GB1", "type": "local"}, {"e164": "$GB2", "type": "local"}],
  "carrier": "Albion Telecom",
  "carrier_account_number": "ALB-55667788",
  "pin": "2468",
  "invoice_ref": "s3://invoices/$INTL_ID-redacted.pdf",
  "preferred_window": {"start": "$(iso_in 60)", "end": "$(iso_in $((30 * 86400)))"},
  "authorized_contact": {"name": "Charles Babbage", "email": "charles@babbage.example", "phone": "+442079460999"},
  "deadlines": {"port_date_rule": "any"}
}
EOF
cat >"$STATE/port-out.json" <<EOF
{
  "request_id": "$OUT_ID",
  "instance_arn": "$US_ARN",
  "numbers": ["$OUT1", "$OUT2"],
  "winning_carrier": "Beta Wireless",
  "customer_contact": {"name": "Ada Lovelace", "email": "ada@lovelace.example", "phone": "+14155550199"},
  "deadlines": {"port_date_rule": "any"}
}
EOF
WF_IN=$(bin/starter port-in --file "$STATE/port-in.json") || die "port-in refused"
WF_INTL=$(bin/starter intl-port-in --file "$STATE/intl-port-in.json") || die "intl-port-in refused"
WF_OUT=$(bin/starter port-out --file "$STATE/port-out.json") || die "port-out refused"
WFS=("$WF_IN" "$WF_INTL" "$WF_OUT")
# For scripts/screenshots.sh.
printf 'UI=%s\nNS=%s\nWF_IN=%s\nWF_INTL=%s\nWF_OUT=%s\nNUMBER=%s\nUS_ARN=%s\n' "$UI" "$NS" "$WF_IN" "$WF_INTL" "$WF_OUT" "$DID1" "$US_ARN" >"$STATE/last-run.env"

echo
say "Started three ports. In the Temporal UI:"
for wf in "${WFS[@]}"; do echo "    $UI/namespaces/$NS/workflows/$wf"; done
echo "    all three: $UI/namespaces/$NS/workflows?query=$(urlenc "WorkflowId=\"$WF_IN\" OR WorkflowId=\"$WF_INTL\" OR WorkflowId=\"$WF_OUT\"")"
echo "    by a number: $UI/namespaces/$NS/workflows?query=$(urlenc "PhoneNumbers=\"$DID1\"")"
echo "    In a terminal: bin/starter status --workflow $WF_IN   (eval \"\$(make -s dev-env)\" first)"
echo

# --- 5. follow them until all three are completed (bounded)
state_of() { bin/starter status --workflow "$1" --json --timeout 15s 2>/dev/null | sed -n 's/^  "state": "\(.*\)",*$/\1/p'; }
deadline=$(($(date +%s) + DEMO_TIMEOUT))
last=""; last_print=0
while :; do
	line=""; done_all=1; failed=""
	for wf in "${WFS[@]}"; do
		s=$(state_of "$wf"); s=${s:-?}
		line+=$(printf '%-38s' "${wf%%-DEMO-*}: $s")
		[ "$s" = completed ] || done_all=0
		case $s in cancelled | failed | not_portable | expired) failed+=" $wf ($s)" ;; esac
	done
	now=$(date +%s)
	if [ "$line" != "$last" ] || [ $((now - last_print)) -ge 30 ]; then
		printf '%s  [%3ss] %s\n' "$(date +%H:%M:%S)" "$(elapsed)" "$line"
		last=$line; last_print=$now
	fi
	[ "$done_all" = 1 ] && break
	[ -z "$failed" ] || { tail -20 "$STATE/simulator.log" >&2; die "ended without completing:$failed (bin/starter status --workflow …)"; }
	if [ "$now" -ge "$deadline" ]; then
		tail -20 "$STATE/simulator.log" >&2
		die "not all three completed within ${DEMO_TIMEOUT}s; see bin/demo/simulator.log and bin/demo/worker.log"
	fi
	sleep 3
done
say "All three ports completed in $(elapsed)s."

# --- 6. the product metrics
echo
say "Product metrics (http://$METRICS_ADDR/metrics, non-zero porting_* samples):"
metrics=$(http_get "http://$METRICS_ADDR/metrics" || true)
nonzero=$(printf '%s\n' "$metrics" | grep '^porting_' | awk '$NF != 0' || true)
if [ -z "$nonzero" ]; then
	die "no non-zero porting_* metric at http://$METRICS_ADDR/metrics"
fi
# Without the SDK's labels (namespace, task_queue, workflow_type) and histogram buckets, for reading.
printf '%s\n' "$nonzero" | grep -v '_bucket{' |
	sed -E 's/,?(namespace|task_queue|workflow_type)="[^"]*"//g; s/\{,/{/; s/^/    /'
echo
bin/starter list --instance "$US_ARN"
echo
bin/starter list --instance "$UK_ARN"
echo
bin/starter status --workflow "$WF_IN"
echo
say "Demo done in $(elapsed)s (wall time from the start of the dev server; add the one-time build of bin/temporal on a fresh clone)."
