#!/usr/bin/env bash
# The README's screenshots of the Temporal UI, taken by headless Chromium from the ports of the last
# `DEMO_KEEP=1 make demo` (its dev server, UI, worker and codec proxy still running):
#   docs/ui-workflows-by-number.png  the workflow list filtered by a phone number
#   docs/ui-workflow-detail.png      the port-in's detail page (input decoded through the codec endpoint)
#   docs/ui-query-status.png         its Queries tab with the `status` query run
#   docs/ui-current-details.png      a port-in whose LOA the carrier rejected (started here, answered by
#                                    hand): its summary, details and current details
# Needs Debian's chromium (apt-get install -y chromium): a developer step, not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -s bin/demo/last-run.env ] || { echo "no bin/demo/last-run.env: run DEMO_KEEP=1 make demo first" >&2; exit 1; }
# shellcheck disable=SC1091
. bin/demo/last-run.env
CHROMIUM=${CHROMIUM:-chromium}
command -v "$CHROMIUM" >/dev/null || { echo "$CHROMIUM not found (apt-get install -y chromium)" >&2; exit 1; }
BUDGET=${BUDGET:-10000}
mkdir -p docs

urlenc() {
	local s=$1 out="" c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in [a-zA-Z0-9._~-]) out+=$c ;; *) out+=$(printf '%%%02X' "'$c") ;; esac
	done
	printf '%s' "$out"
}
# file URL: Chromium's own screenshot, retried with a longer virtual time budget while it is too
# small to be a rendered page (a blank page or a spinner is a few kB).
shot() {
	local out=$1 url=$2 budget=$BUDGET
	for _ in 1 2 3; do
		"$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run \
			--window-size=1400,900 --virtual-time-budget="$budget" --screenshot="$out" "$url" >/dev/null 2>&1 || true
		if [ "$(stat -c %s "$out" 2>/dev/null || echo 0)" -gt 30000 ]; then echo "$out"; return 0; fi
		budget=$((budget * 2))
	done
	echo "$out looks blank after 3 tries; look at it" >&2
	return 1
}

shot docs/ui-workflows-by-number.png "$UI/namespaces/$NS/workflows?query=$(urlenc "PhoneNumbers=\"$NUMBER\"")"
shot docs/ui-workflow-detail.png "$UI/namespaces/$NS/workflows/$WF_IN"

# The Queries tab runs `status` only on a click: bin/uishot drives Chromium over the DevTools protocol.
go build -o bin/uishot ./scripts/uishot
RUN_ID=$(bin/temporal workflow describe --address "${TEMPORAL_ADDRESS:-127.0.0.1:7233}" -w "$WF_IN" -o json 2>/dev/null | sed -n 's/^ *"runId": "\(.*\)",*$/\1/p' | head -1)
[ -n "$RUN_ID" ] || { echo "cannot find the run of $WF_IN (is the demo's dev server still running?)" >&2; exit 1; }
bin/uishot -chromium "$CHROMIUM" -url "$UI/namespaces/$NS/workflows/$WF_IN/$RUN_ID/query" \
	-click "Run Query" -wait '"request_id"' -out docs/ui-query-status.png

# A port whose story is worth reading: a port-in started here (the demo's simulator has stopped), its
# LOA sent and rejected by hand, so its current details show the reason and the customer's action.
[ -n "${US_ARN:-}" ] || { echo "bin/demo/last-run.env has no US_ARN: rerun DEMO_KEEP=1 make demo" >&2; exit 1; }
eval "$(make -s dev-env)"
ID=DETAILS-$(date +%s)
D=$(printf '%04d' $(($(date +%s) % 10000)))
WF_DETAILS=port-in-$ID
cat >bin/demo/details-port-in.json <<EOF
{
  "request_id": "$ID",
  "instance_arn": "$US_ARN",
  "contact_flow": "Main IVR",
  "numbers": [
    {"e164": "+1628555$D", "type": "did", "carrier": "Acme Telecom"},
    {"e164": "+1628556$D", "type": "did", "carrier": "Acme Telecom"},
    {"e164": "+1888555$D", "type": "toll_free", "carrier": "Acme Telecom"}
  ],
  "authorized_contact": {"name": "Ada Lovelace", "email": "ada@lovelace.example", "phone": "+14155550199"}
}
EOF
cat >bin/demo/details-loa.json <<EOF
{"authorized_name": "Ada Lovelace", "address": "1 Main St, Springfield", "account_number": "ACME-123456",
 "pin": "1234", "signed_at": "$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)", "document_ref": "s3://loas/$ID-v1.pdf"}
EOF
bin/starter port-in --file bin/demo/details-port-in.json >/dev/null
for _ in $(seq 1 30); do # its LOA groups exist once the portability check is done
	bin/starter status --workflow "$WF_DETAILS" --json >bin/demo/details-status.json
	grep -q '"state": "awaiting_loa"' bin/demo/details-status.json && break
	sleep 1
done
bin/starter submit-loa --workflow "$WF_DETAILS" --group "Acme Telecom/did" --file bin/demo/details-loa.json >/dev/null
bin/starter carrier-response --workflow "$WF_DETAILS" --group "Acme Telecom/did" --reject \
	--reason-code PIN_MISMATCH --reason "the PIN on the LOA does not match the account" >/dev/null
for _ in $(seq 1 30); do # the group is rejected (the request stays awaiting_loa: its toll-free group is)
	bin/starter status --workflow "$WF_DETAILS" --json >bin/demo/details-status.json
	grep -q '"state": "loa_rejected"' bin/demo/details-status.json && break
	sleep 1
done
bin/uishot -chromium "$CHROMIUM" -url "$UI/namespaces/$NS/workflows/$WF_DETAILS" -click "User Metadata" \
	-wait "Current Details" -settle 5s -height 1100 -out docs/ui-current-details.png
