#!/usr/bin/env bash
# Runs shellcheck on every shell script of the project, and on the instances' boot script as
# CloudFormation will hand it to them (Fn::Sub placeholders filled with sample values).
set -euo pipefail
cd "$(dirname "$0")/../.."
mapfile -t scripts < <(git ls-files scripts .ci | sort -u | while read -r f; do
  [ -f "$f" ] && head -n 1 "$f" | grep -q '^#!.*\(bash\|sh\)' && echo "$f"; done)
shellcheck -x "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts clean"

boot=$(mktemp)
trap 'rm -f "$boot"' EXIT
# shellcheck disable=SC2016 # the dollar-brace placeholders are meant literally
sed -e 's/\${AWS::Region}/us-east-1/g' -e 's/\${AWS::StackName}/techchallenge-dev-application/g' \
    -e 's/\${\([A-Za-z0-9]*\)}/sample-\1/g' -e 's/\${!\([^}]*\)}/${\1}/g' \
    crates/stacks/assets/boot.sh > "$boot"
shellcheck "$boot"
echo "shellcheck: the boot script is clean"
