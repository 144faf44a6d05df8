#!/usr/bin/env bash
# Starts the moto AWS emulator on loopback for the tests and exports the variables the SDK reads.
# Sourced by scripts/test and scripts/demo. MOTO_PORT overrides the port (default 5000).
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MOTO_PORT=${MOTO_PORT:-5000}
if ! curl -sf -o /dev/null -X POST "http://127.0.0.1:${MOTO_PORT}/moto-api/reset"; then
  mkdir -p "$repo_root/target"
  # Our launcher: moto plus the CloudFormation resource types it lacks (see the file). Its
  # request recorder (off until a test starts it) writes under target/.
  MOTO_RECORDER_FILEPATH="$repo_root/target/moto-recording.jsonl" \
    "$repo_root/.venv/bin/python" "$repo_root/scripts/lib/moto_server.py" -H 127.0.0.1 -p "$MOTO_PORT" >"$repo_root/target/moto.log" 2>&1 &
  MOTO_PID=$!
  export MOTO_PID
  for _ in $(seq 1 100); do
    curl -sf -o /dev/null -X POST "http://127.0.0.1:${MOTO_PORT}/moto-api/reset" && break
    sleep 0.1
  done
fi
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:${MOTO_PORT}"
export TEST_MOTO_URL="$AWS_ENDPOINT_URL"
echo "moto is up at $AWS_ENDPOINT_URL"
