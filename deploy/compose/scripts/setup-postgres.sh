#!/bin/sh
# Creates and migrates Temporal's own databases (temporal, temporal_visibility) in the compose Postgres.
set -eu

echo 'Waiting for PostgreSQL...'
nc -z -w 10 postgresql 5432

temporal-sql-tool --plugin postgres12 --ep postgresql -u temporal -p 5432 --db temporal create || echo "database exists"
temporal-sql-tool --plugin postgres12 --ep postgresql -u temporal -p 5432 --db temporal setup-schema -v 0.0 || echo "schema already set up"
temporal-sql-tool --plugin postgres12 --ep postgresql -u temporal -p 5432 --db temporal update-schema -d /etc/temporal/schema/postgresql/v12/temporal/versioned

temporal-sql-tool --plugin postgres12 --ep postgresql -u temporal -p 5432 --db temporal_visibility create || echo "database exists"
temporal-sql-tool --plugin postgres12 --ep postgresql -u temporal -p 5432 --db temporal_visibility setup-schema -v 0.0 || echo "schema already set up"
temporal-sql-tool --plugin postgres12 --ep postgresql -u temporal -p 5432 --db temporal_visibility update-schema -d /etc/temporal/schema/postgresql/v12/visibility/versioned

echo 'PostgreSQL schema setup complete'
