#!/usr/bin/env bash
# Proves scripts/bench-app works end to end (release binary, PostgreSQL, wrk, pgbench) with a
# 2-second run per endpoint; fails if any request failed. The figures of so short a run mean
# nothing: the real benchmark is `scripts/bench-app` (20 s per endpoint), run by hand.
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH_DURATION=2s SKIP_BUILD=1 scripts/bench-app
