# The two commands of the README. Each does all of its own set-up; a second
# run reuses the per-user cache (~/.cache/vastobs) and the .venv.
.PHONY: setup demo alerts vms test test-fast trino lint bench clean

setup:
	@tools/setup.sh

demo: setup
	@tools/demo.sh

# The duty scientist's view: a local Kafka broker, the listener, the demo's bursts replayed
# as GCN notices at ALERT_RATE per second (default 2); Ctrl-C stops everything.
alerts: setup
	@tools/fetch-kafka.sh >/dev/null
	@.venv/bin/python -m devtools.toolchain java >/dev/null
	@tools/alerts.sh

# The VMS stand-in on 127.0.0.1:18443, for trying the vast backend (Pulumi.standin.yaml)
# without a cluster; Ctrl-C stops it.
vms: setup
	@.venv/bin/python -m devtools.vms_standin serve

# Every test, with the real Pulumi engine and Trino (a skip for a missing one fails).
test: setup
	@tools/fetch-trino.sh >/dev/null
	@.venv/bin/python -m devtools.toolchain java >/dev/null
	@VASTOBS_REQUIRE_ENGINES=1 .venv/bin/python -m pytest $(PYTEST_ARGS)

# Every test that needs no Pulumi engine, Trino, other server or the peers' venv: the edit-run loop.
test-fast:
	@tools/setup.sh --python-only
	@.venv/bin/python -m pytest -m "not pulumi and not trino and not kafka and not peers" $(PYTEST_ARGS)

# A local Trino serving the local stack's tables and data (Ctrl-C stops it).
trino: setup
	@tools/fetch-trino.sh >/dev/null
	@.venv/bin/python -m devtools.toolchain java >/dev/null
	@.venv/bin/python tools/trino_local.py $(TRINO_ARGS)

lint: setup
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

clean:
	rm -rf .venv .vastobs

bench: setup
	@.venv/bin/python -m bench.run $(BENCH_ARGS)
