#!/bin/sh
# Creates and migrates Temporal's own databases (temporal, temporal_visibility) in the compose Postgres,
# from the schema embedded in temporal-sql-tool (as scripts/cluster.sh does for `make cluster`).
set -eu

echo 'Waiting for PostgreSQL...'
nc -z -w 10 postgresql 5432

temporal-sql-tool --plugin postgres12 --ep postgresql -u temporal -p 5432 --db temporal create || echo "database exists"
temporal-sql-tool --plugin postgres12 --ep postgresql -u temporal -p 5432 --db temporal setup-schema -v 0.0 || echo "schema already set up"
temporal-sql-tool --plugin postgres12 --ep postgresql -u temporal -p 5432 --db temporal update-schema --schema-name postgresql/v12/temporal

temporal-sql-tool --plugin postgres12 --ep postgresql -u temporal -p 5432 --db temporal_visibility create || echo "database exists"
temporal-sql-tool --plugin postgres12 --ep postgresql -u temporal -p 5432 --db temporal_visibility setup-schema -v 0.0 || echo "schema already set up"
temporal-sql-tool --plugin postgres12 --ep postgresql -u temporal -p 5432 --db temporal_visibility update-schema --schema-name postgresql/v12/visibility

echo 'PostgreSQL schema setup complete'
