#!/usr/bin/env bash
# A real PostgreSQL restart under the release binary (the cargo tests simulate one with a proxy,
# since they share the cluster): while the server is down, /healthcheck/ and the API answer 503
# promptly (no hang) and /livez stays 200; after it is back, the app recovers on its own and the
# data is intact. Runs after the cargo tests, so stopping the cluster disturbs nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${APP_BIN:-$PWD/target/release/TechChallengeApp}
# shellcheck source=scripts/lib/postgres.sh
source scripts/lib/postgres.sh >/dev/null
pg_version=$(pg_lsclusters --no-header | awk '$2=="main" {print $1}' | head -n 1)
db="restart_check_$$"
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
app_pid=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  pg_ctlcluster "$pg_version" main start >/dev/null 2>&1 || true
  if [ -n "$app_pid" ]; then kill -TERM "$app_pid" 2>/dev/null || true; wait "$app_pid" 2>/dev/null || true; fi
  runuser -u postgres -- psql -p "$PGPORT" -qAtc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "51-app-db-restart: $*" >&2; cat "$work/app.log" >&2 || true; exit 1; }

export VTT_DBTYPE=postgres VTT_DBHOST=127.0.0.1 VTT_DBPORT="$PGPORT" VTT_DBUSER=postgres \
  VTT_DBPASSWORD=postgres VTT_DBNAME="$db" VTT_DBSSLMODE=disable VTT_DBTIMEOUTMS=1000 \
  VTT_LISTENPORT="$port" RUST_LOG=warn
(cd "$work" && "$bin" updatedb >/dev/null)
(cd "$work" && exec "$bin" serve >"$work/app.log" 2>&1) &
app_pid=$!
base="http://127.0.0.1:$port"
status() { curl -s -o "$work/body" -w '%{http_code}' --max-time 3 "$base$1" || echo "timeout"; }
for _ in $(seq 1 50); do [ "$(status /healthcheck/)" = 200 ] && break; sleep 0.1; done
[ "$(status /healthcheck/)" = 200 ] || fail "not healthy at start"
[ "$(status /api/task/)" = 200 ] || fail "GET failed at start"

pg_ctlcluster "$pg_version" main stop -m fast
for path in /healthcheck/ /api/task/ /api/task/1/; do
  s=$(status "$path")
  [ "$s" = 503 ] || fail "$path answered $s with the database down (want a prompt 503)"
done
grep -q '"error"' "$work/body" || fail "API error body is not JSON: $(cat "$work/body")"
[ "$(status /livez)" = 200 ] || fail "/livez should not follow the database"

pg_ctlcluster "$pg_version" main start
ok=""
for _ in $(seq 1 100); do
  if [ "$(status /healthcheck/)" = 200 ]; then ok=1; break; fi
  sleep 0.1
done
[ -n "$ok" ] || fail "health did not recover within 10 s of the restart"
[ "$(status /api/task/)" = 200 ] || fail "GET failed after recovery"
grep -q '3rd Task' "$work/body" || fail "data missing after the restart: $(cat "$work/body")"
echo "51-app-db-restart: 503 while PostgreSQL was down, recovered by itself after the restart"
