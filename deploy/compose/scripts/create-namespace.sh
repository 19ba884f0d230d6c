#!/bin/sh
# Waits for the Temporal server and creates the namespace if it does not exist yet.
set -eu
NAMESPACE=${DEFAULT_NAMESPACE:-default}
ADDRESS=${TEMPORAL_ADDRESS:-temporal:7233}

echo "Waiting for Temporal at $ADDRESS..."
attempt=0
until temporal operator cluster health --address "$ADDRESS" >/dev/null 2>&1; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge 60 ]; then echo "Temporal at $ADDRESS is not healthy" >&2; exit 1; fi
  sleep 2
done

temporal operator namespace describe -n "$NAMESPACE" --address "$ADDRESS" >/dev/null 2>&1 ||
  temporal operator namespace create -n "$NAMESPACE" --address "$ADDRESS"
echo "Namespace '$NAMESPACE' ready"
