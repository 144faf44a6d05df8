#!/usr/bin/env bash
# Proves scripts/bench-app works end to end (release binary, PostgreSQL, wrk, pgbench) with a
# 2-second run per endpoint; fails if any request failed or the report lacks a figure. The
# figures of so short a run mean nothing: the real benchmark is `scripts/bench-app` (20 s per
# endpoint), run by hand.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(BENCH_DURATION=2s SKIP_BUILD=1 scripts/bench-app)
echo "$out"
number='[0-9]+(\.[0-9]+)?'
for route in "GET /api/task/" "GET /healthcheck/" "POST /api/task/"; do
  grep -Eq "^$route +$number +$number(us|ms|s) +$number(us|ms|s) +$number MB" <<<"$out" ||
    { echo "bench smoke: no complete line for $route" >&2; exit 1; }
done
for ceiling in SELECT INSERT; do
  grep -Eq "^ceiling $ceiling +$number +$number $number " <<<"$out" ||
    { echo "bench smoke: no pgbench ceiling (tps, p99, worst) for $ceiling" >&2; exit 1; }
done
grep -Eq '^verdict: (all targets met|missed)$' <<<"$out" ||
  { echo "bench smoke: no verdict line" >&2; exit 1; }
