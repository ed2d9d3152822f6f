#!/usr/bin/env bash
# The main job on the embedded default stack: provision it with Pulumi, load
# generated demo data, run every analytic over it, show storage status. `make demo`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

export PATH="$root/.venv/bin:$PATH"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$root/.vastobs/state}"
# The local stack holds no secrets; its committed encryption salt is for the empty passphrase.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
stack="${DEMO_STACK:-local}"   # another stack file of the project: DEMO_STACK=<name> make demo
if [[ "$PULUMI_BACKEND_URL" == file://* ]]; then mkdir -p "${PULUMI_BACKEND_URL#file://}"; fi

step() { printf '\n==> %s\n' "$*"; }

step "Provisioning stack '$stack' (pulumi up)"
pulumi stack select "$stack" --create --non-interactive
pulumi up --yes --stack "$stack" --non-interactive --suppress-progress

# A stack that kept its tables from before it kept the sky index has an empty index,
# and its loads would refuse it: refill it from the tables (seconds at the demo's size).
step "The sky index from the tables (python -m runner index rebuild)"
python -m runner --stack "$stack" index rebuild --if-kept

# Realistic data to analyse: generated (same seed, same bytes) into a gitignored
# directory, then loaded through the validating loader; a second run adds nothing.
data="$root/.vastobs/demo-data/$stack"
step "Demo data: ${DEMO_ROWS:-200000} rows, seed 42 (python -m runner demo-data)"
python -m runner --stack "$stack" demo-data --rows "${DEMO_ROWS:-200000}" --seed 42 --out "$data"

step "Loading it (python -m runner load), every table of the stack"
python -m runner --stack "$stack" tables | while IFS=$'\t' read -r table _kind; do
    python -m runner --stack "$stack" load "$table" "$data/${table%%.*}/${table#*.}.parquet"
done

step "The analytics (python -m runner run --all)"
python -m runner --stack "$stack" run --all

step "The engines agree (queries/checks/engine_parity.sql on DuckDB)"
python -m runner --stack "$stack" run engine_parity

step "Storage status (python -m runner monitor)"
set +e
python -m runner --stack "$stack" monitor
status=$?
set -e
echo "monitor exit code: $status (0 ok, 1 warn, 2 critical, 3 unknown)"
