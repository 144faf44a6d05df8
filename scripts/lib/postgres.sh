#!/usr/bin/env bash
# Starts Debian's PostgreSQL cluster for the tests and exports TEST_DATABASE_URL.
# Sourced by scripts/test; safe to source again when the cluster already runs.
set -euo pipefail
pg_version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n | tail -n 1)
if ! pg_lsclusters --no-header | awk '{print $1" "$2}' | grep -qx "$pg_version main"; then
  pg_createcluster "$pg_version" main >/dev/null
fi
if ! pg_lsclusters --no-header | awk -v v="$pg_version" '$1==v && $2=="main" {print $4}' | grep -qx online; then
  pg_ctlcluster "$pg_version" main start
fi
PGPORT=$(pg_lsclusters --no-header | awk -v v="$pg_version" '$1==v && $2=="main" {print $3}')
export PGPORT
# The tests log in with a password over TCP, as the app does against RDS.
runuser -u postgres -- psql -p "$PGPORT" -qAtc "ALTER USER postgres PASSWORD 'postgres'" >/dev/null
export TEST_DATABASE_URL="postgres://postgres:postgres@127.0.0.1:${PGPORT}/postgres"
echo "PostgreSQL $pg_version is up on port $PGPORT"
