#!/usr/bin/env bash
# The main job on the embedded default stack: provision it with Pulumi, then
# run the analytics on embedded DuckDB. Run through `make demo`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

export PATH="$root/.venv/bin:$PATH"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$root/.vastobs/state}"
# The local stack holds no secrets; its committed encryption salt is for the empty passphrase.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
stack=local
if [[ "$PULUMI_BACKEND_URL" == file://* ]]; then mkdir -p "${PULUMI_BACKEND_URL#file://}"; fi

step() { printf '\n==> %s\n' "$*"; }

step "Provisioning stack '$stack' (pulumi up)"
pulumi stack select "$stack" --create --non-interactive
pulumi up --yes --stack "$stack" --non-interactive --suppress-progress

step "Storage declared by the stack"
pulumi stack output --stack "$stack" --json

step "Engine parity check on embedded DuckDB (queries/checks/engine_parity.sql)"
python -m runner --stack "$stack" run engine_parity
