#!/usr/bin/env bash
# The deploy-time model's goals hold (scripts/bench-deploy-model, CHECK=1): cold create within
# 0.85x the serial order, a new build within 0.6x one instance at a time, a no-op deploy within
# three CloudFormation calls per stack. Virtual time: it runs in about a second once built.
set -euo pipefail
cd "$(dirname "$0")/../.."
CHECK=1 scripts/bench-deploy-model
echo "deploy model: every goal met"
