#!/usr/bin/env bash
# The duty scientist's view (`make alerts`): a local Kafka broker, the listener, and the
# demo dataset's Swift bursts replayed as GCN BAT-GUANO notices, each new trigger shown
# as it arrives. Ctrl-C stops everything (broker, listener, replay), leaving no process.
#
#   ALERT_RATE=2        notices per second (default 2)
#   ALERT_COUNT=N       only the first N bursts, oldest first (default all, ~1,900)
#   ALERT_UPDATES=1     also a refined notice (a 10x smaller radius) after each burst's first
#   ALERTS_STACK=alerts the stack file (Pulumi.alerts.yaml: its own database under
#                       .vastobs/alerts, the broker's port in vastobs:alerts.brokers)
#
# Each run starts from empty triggers and alerts tables (the broker is new, so its offsets
# start again at 0, and every replayed burst arrives as new); the other tables hold the
# demo data, which the insights read.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

export PATH="$root/.venv/bin:$PATH"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$root/.vastobs/state}"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"  # the stack holds no secrets
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
stack="${ALERTS_STACK:-alerts}"
rate="${ALERT_RATE:-2}"
if [[ "$PULUMI_BACKEND_URL" == file://* ]]; then mkdir -p "${PULUMI_BACKEND_URL#file://}"; fi

step() { printf '\n==> %s\n' "$*" >&2; }

# Every child we start, stopped on exit, Ctrl-C or TERM. Background jobs of a script ignore
# SIGINT, so the trap is what stops them: TERM, then wait (the broker's own process group
# is stopped by devtools.kafka_server on its TERM).
children=()
cleanup() {
    trap - EXIT INT TERM
    if ((${#children[@]})); then
        step "Stopping the replay, the listener and the broker"
        kill -TERM "${children[@]}" 2>/dev/null || true
        wait "${children[@]}" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "Provisioning stack '$stack' (pulumi up: its tables and the alerts schema)"
pulumi stack select "$stack" --create --non-interactive
pulumi up --yes --stack "$stack" --non-interactive --suppress-progress

data="$root/.vastobs/demo-data/$stack"
if [[ ! -f "$data/answers.json" ]]; then
    step "Demo data: ${DEMO_ROWS:-200000} rows, seed 42 (python -m runner demo-data)"
    python -m runner --stack "$stack" demo-data --rows "${DEMO_ROWS:-200000}" --seed 42 --out "$data"
fi

step "Emptying the triggers and alerts tables (the replay fills them)"
python - "$stack" <<'PY'
import sys
from contextlib import closing

from runner.catalog import Catalog
from runner.connect import database_file
from vastobs.backends.filelock import exclusive, open_duckdb
from vastobs.config import load_stack

stack = load_stack(sys.argv[1])
database = database_file(stack)
tables = [f'"{t.observatory}"."{t.name}"' for t in Catalog.for_stack(stack).tables.values()
          if t.kind == "triggers"] + ['"alerts"."notices"', '"alerts"."quarantine"']
with exclusive(database), closing(open_duckdb(database)) as con:
    for table in tables:
        con.execute(f"DELETE FROM {table}")
print(", ".join(t.replace('"', "") for t in tables), file=sys.stderr)
PY

step "Loading the other tables (python -m runner load; a second run adds nothing)"
python -m runner --stack "$stack" tables | while IFS=$'\t' read -r table kind; do
    [[ "$kind" == triggers ]] && continue
    python -m runner --stack "$stack" load "$table" "$data/${table%%.*}/${table#*.}.parquet"
done

port=$(python - "$stack" <<'PY'
import socket, sys
from vastobs.config import load_stack

brokers = load_stack(sys.argv[1]).alerts.brokers.split(",")[0]
port = int(brokers.rsplit(":", 1)[1])
with socket.socket() as sock:
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sys.exit(f"alerts: port {port} is in use: stop what holds it, or change "
                 f"vastobs:alerts.brokers in Pulumi.{sys.argv[1]}.yaml")
print(port)
PY
)

step "Starting Kafka on 127.0.0.1:$port (python -m devtools.kafka_server)"
log=$(mktemp -t vastobs-alerts-kafka.XXXXXX)
python -m devtools.kafka_server --port "$port" >"$log" 2>&1 &
children+=("$!")
for _ in $(seq 1 600); do
    grep -q "ready at" "$log" && break
    if ! kill -0 "${children[0]}" 2>/dev/null; then
        cat "$log" >&2
        echo "alerts: the broker did not start" >&2
        exit 1
    fi
    sleep 0.2
done
grep -q "ready at" "$log" || { cat "$log" >&2; echo "alerts: the broker is not ready after 120 s" >&2; exit 1; }
cat "$log" >&2
# The topics before the listener subscribes: a consumer told a topic is unknown looks again
# only at its next metadata refresh.
python - "$stack" <<'PY'
import sys
from confluent_kafka.admin import AdminClient, NewTopic
from vastobs.config import load_stack

alerts = load_stack(sys.argv[1]).alerts
admin = AdminClient({"bootstrap.servers": alerts.brokers, "socket.timeout.ms": 10000})
created = admin.create_topics([NewTopic(t, 1, 1) for t in alerts.topics], request_timeout=30)
for future in created.values():
    future.result(timeout=30)
PY

step "Listening (python -m runner listen); replaying at $rate notices/s (python -m runner replay)"
# The replay starts once the listener holds its partitions (it says "listening to ..."), so
# each insight is timed from a notice it was there to read, not from its own start-up.
listen_log="$root/.vastobs/alerts-listen.log"
: >"$listen_log"
python -m runner --stack "$stack" listen 2> >(tee "$listen_log" >&2) &
children+=("$!")
listener=$!
for _ in $(seq 1 300); do
    grep -q "^listening to" "$listen_log" 2>/dev/null && break
    kill -0 "$listener" 2>/dev/null || { echo "alerts: the listener stopped" >&2; exit 1; }
    sleep 0.2
done
grep -q "^listening to" "$listen_log" || { echo "alerts: the listener has no partitions after 60 s" >&2; exit 1; }
replay=(python -m runner --stack "$stack" replay --rate "$rate" --from "$data")
if [[ -n "${ALERT_COUNT:-}" ]]; then replay+=(--count "$ALERT_COUNT"); fi
if [[ -n "${ALERT_UPDATES:-}" ]]; then replay+=(--updates); fi
"${replay[@]}" &
children+=("$!")
replayer=$!
wait -n "$replayer" "$listener" || true
if kill -0 "$listener" 2>/dev/null; then
    echo "alerts: the replay is done; the listener keeps listening (Ctrl-C stops it)" >&2
    wait "$listener"
else
    echo "alerts: the listener stopped" >&2
    exit 1
fi
