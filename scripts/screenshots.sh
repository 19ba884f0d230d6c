#!/usr/bin/env bash
# The README's screenshots of the Temporal UI, taken by headless Chromium from the ports of the last
# `DEMO_KEEP=1 make demo` (its dev server, UI, worker and codec proxy still running):
#   docs/ui-workflows-by-number.png  the workflow list filtered by a phone number
#   docs/ui-workflow-detail.png      the port-in's detail page (input decoded through the codec endpoint)
#   docs/ui-query-status.png         its Queries tab with the `status` query run
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
