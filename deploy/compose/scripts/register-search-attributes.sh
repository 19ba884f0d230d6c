#!/bin/sh
# Registers the porting service's custom search attributes (DESIGN §3); safe to run again.
set -eu
NAMESPACE=${DEFAULT_NAMESPACE:-default}
ADDRESS=${TEMPORAL_ADDRESS:-temporal:7233}

existing=$(temporal operator search-attribute list -n "$NAMESPACE" --address "$ADDRESS")
for spec in PortKind:Keyword PortState:Keyword InstanceArn:Keyword Carrier:KeywordList PhoneNumbers:KeywordList PortDate:Datetime RequestId:Keyword; do
  name=${spec%%:*}
  type=${spec#*:}
  if echo "$existing" | grep -qw "$name"; then
    echo "search attribute $name already registered"
  else
    temporal operator search-attribute create -n "$NAMESPACE" --address "$ADDRESS" --name "$name" --type "$type"
    echo "search attribute $name ($type) registered"
  fi
done
