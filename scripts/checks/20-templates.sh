#!/usr/bin/env bash
# Renders every template with the defaults, with another region and environment, and with HTTPS,
# then runs the architecture's own rules (`techchallenge validate`), cfn-lint (must report nothing
# at all: no error, warning or informational finding) and checkov (0 failed checks; the only skips
# are in validators/checkov.yaml, each with its reason).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${TECHCHALLENGE_BIN:-target/release/techchallenge}
out=target/rendered
rm -rf "$out"

render() { # name region args...
  local name=$1 region=$2; shift 2
  "$bin" render all --out "$out/$name" --region "$region" "$@" 2>/dev/null
  "$bin" render all --format json --out "$out/$name-json" --region "$region" "$@" 2>/dev/null
  "$bin" validate --region "$region" "$@"
  "$bin" validate --dir "$out/$name"
  # cfn-lint exits non-zero for any finding, informational ones included (-i none ignores nothing).
  .venv/bin/cfn-lint --regions "$region" --include-checks I -- "$out/$name"/*.yaml "$out/$name-json"/*.json
  echo "cfn-lint: $name: no findings"
  .venv/bin/checkov --config-file validators/checkov.yaml -d "$out/$name" | tee "$out/$name.checkov.txt"
  grep -q "Failed checks: 0," "$out/$name.checkov.txt"
}

render default us-east-1
render staging-eu-west-2 eu-west-2 --env staging
render https us-east-1 --env secure --certificate-arn arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789
echo "templates: cfn-lint, checkov and the architecture rules pass for every variant"
