"""Alerts end to end: from a notice's publish to its trigger row queryable and its change emitted.

    python -m bench.alerts_bench                       # 10, 100 and 1,000 notices/s, 10 s each
    python -m bench.alerts_bench --rates 100 --seconds 5 --insight-rates ''
    python -m bench.alerts_bench --report   # into bench/results.json and docs/benchmarks.md

A real broker (devtools.kafka_server) and a fresh local database with the alerts
tables (as `pulumi up` declares them: the stack's tables plus ``alerts.notices``
and ``alerts.quarantine``). The listener runs in this process, as `runner listen`
does, on a stack naming the broker, warmed up by one notice; ``python -m runner
replay`` publishes synthetic Swift bursts (distinct trigger ids) from another
process at each rate, every notice stamped with its publish time (the
``vastobs-published-ns`` header). Per notice we record when its batch's
transaction committed (the row is queryable: ``TriggerStore.write`` returned) and
when the listener's callback for it returned (emitted). Two passes: the rows
alone (``--rates``), then an insight per trigger made as `listen` makes them, on a
thread of their own beside the writes, one ``trigger_context`` query answering every
trigger waiting (``--insight-rates``, when runner/alerts/insight.py is there; over the
demo dataset loaded beside the triggers; each phase also says how many queries, with
how many triggers each, and their p50 and p99 seconds). Reported per rate: p50 and p99 of publish ->
queryable and publish -> emitted, the sustained throughput (notices written per
second, first publish to last commit), and whether anything was lost or doubled
(rows in ``alerts.notices`` and distinct triggers against sent; a backlog left
when the phase stops waiting is reported as such, not as a loss).
Targets (issue #17): p99 <= 1 s at 100 notices/s; at 1,000 notices/s it keeps up and
loses or doubles nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from bench.report import alerts_lines
from bench.scenarios import ROOT
from devtools.kafka_server import running
from devtools.toolchain import KAFKA_MIN_JAVA, find_java, kafka_home
from runner.alerts.consumer import consumer_config
from runner.alerts.listener import Listener
from runner.alerts.replay import PUBLISHED_HEADER, TOPIC, notices, publish
from runner.alerts.store import Change, Received, TriggerStore
from runner.catalog import Catalog
from vastobs.backends.filelock import open_duckdb
from vastobs.backends.local import LocalBackend
from vastobs.config import NAMESPACE, StackConfig, from_mapping
from vastobs.ddl import load_table

CACHE = ROOT / ".vastobs" / "bench"
DATABASE = {"bucket": "alertsdb", "path": "/alertsdb"}
FIRST_ID = 1_000_000_000  # far from the demo's trigger ids
TARGET_P99_S = 1.0  # at 100 notices/s
KEEPS_UP = 0.95  # sustained throughput at least this share of the offered rate
DRAIN_S = 30.0  # how long a phase waits, once published, for the listener to catch up


def _stack(root: Path, bootstrap: str) -> StackConfig:
    """The local stack's observatories, a database under ``root``, alerts from the broker."""
    local = yaml.safe_load((ROOT / "Pulumi.local.yaml").read_text())["config"]
    raw = {k.removeprefix(f"{NAMESPACE}:"): v for k, v in local.items()}
    raw.update(
        local_root=str(root),
        database=DATABASE,
        alerts={"topics": [TOPIC], "brokers": bootstrap, "group": "bench-listener"},
    )
    return from_mapping(raw, ROOT, "alerts bench stack")


def _database(stack: StackConfig, catalog: Catalog) -> Path:
    """What `pulumi up` makes for the stack: its tables, and the alerts schema's two."""
    backend = LocalBackend(stack.local_root)
    backend.collection("views").create(
        {"path": DATABASE["path"], "bucket": DATABASE["bucket"], "policy_id": 1}
    )
    schemas = backend.catalog()
    bucket = DATABASE["bucket"]
    tables = [(t.observatory, t.name, t.vms_arrow_schema()) for t in catalog.tables.values()]
    for name in ("notices", "quarantine"):
        tables.append(("alerts", name, load_table(ROOT, "alerts", name).vms_arrow_schema()))
    for schema, name, columns in tables:
        if not schemas.schema_exists(bucket, schema):
            schemas.create_schema(bucket, schema)
        schemas.create_table(bucket, schema, name, columns)
    return backend.database_file(bucket)


def _load_demo(database: Path, catalog: Catalog, rows: int) -> int:
    """The demo dataset's tables but the triggers (the listener fills those): what an insight
    reads. Generated once per size under .vastobs/bench."""
    from runner.loader import load
    from runner.loader.sinks import DuckDBSink

    out = CACHE / f"alerts-demo-{rows}"
    if not (out / "answers.json").is_file():
        subprocess.run(
            [sys.executable, "-m", "runner", "--stack", "local", "demo-data", "--rows", str(rows),
             "--seed", "42", "--out", str(out)],
            cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
    loaded = 0
    for table in catalog.tables.values():
        path = out / table.observatory / f"{table.name}.parquet"
        if table.kind != "triggers" and path.is_file():
            summary = load(
                table, [path], DuckDBSink(database), batch_rows=100_000, quarantine_dir=out / "q"
            )
            loaded += summary.loaded
    return loaded


def _bursts(first: int, n: int, seed: int) -> pa.Table:
    """``n`` Swift-like bursts with ids from ``first``: uniform on the sky, 1-5 arcmin."""
    rng = random.Random(seed)
    t0 = dt.datetime(2024, 1, 1)
    rows = [
        {
            "trigger_id": first + i,
            "trigger_time": t0 + dt.timedelta(seconds=137 * i),
            "ra": rng.uniform(0, 360),
            "dec": math.degrees(math.asin(rng.uniform(-1, 1))),
            "err_radius_arcsec": rng.uniform(60, 300),
            "significance": rng.uniform(0.85, 0.999),
        }
        for i in range(n)
    ]
    return pa.Table.from_pylist(rows)


class StampedConsumer:
    """The listener's consumer, keeping each message's publish time from its header."""

    def __init__(self, consumer: Any) -> None:
        self.consumer = consumer
        self.published: dict[tuple[str, int, int], int] = {}

    def subscribe(self, *args: Any, **kwargs: Any) -> None:
        self.consumer.subscribe(*args, **kwargs)

    def consume(self, *args: Any, **kwargs: Any) -> list[Any]:
        messages = self.consumer.consume(*args, **kwargs)
        for m in messages:
            if m.error() is None:
                for name, value in m.headers() or ():
                    if name == PUBLISHED_HEADER:
                        self.published[(m.topic(), m.partition(), m.offset())] = int(value)
        return messages

    def store_offsets(self, *args: Any, **kwargs: Any) -> Any:
        return self.consumer.store_offsets(*args, **kwargs)

    def close(self) -> None:
        self.consumer.close()


class TimedStore(TriggerStore):
    """The store, noting when each batch's transaction had committed (its rows queryable)."""

    queryable: dict[tuple[str, int, int], tuple[int, int]]  # key -> trigger id, commit ns

    def write(self, messages: Iterable[Received]) -> Any:
        result = super().write(messages)
        now = time.time_ns()
        for change in result.changes:
            self.queryable[change.received.key] = (change.notice.trigger_id, now)
        return result


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else float("nan")


def _publish(bootstrap: str, source: Path, rate: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "runner", "replay", "--rate", str(rate), "--from", str(source),
         "--brokers", bootstrap],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _phase(
    rate: float,
    seconds: float,
    first: int,
    tmp: Path,
    bootstrap: str,
    emitted: dict[tuple[str, int, int], tuple[int, int]],
    stamped: StampedConsumer,
    store: TimedStore,
) -> dict[str, Any]:
    n = int(rate * seconds)
    source = tmp / f"bursts-{int(rate)}.parquet"
    pq.write_table(_bursts(first, n, seed=int(rate)), source)
    publisher = _publish(bootstrap, source, rate)
    _, err = publisher.communicate(timeout=seconds * 4 + 120)
    if publisher.returncode:
        raise RuntimeError(f"runner replay failed: {err.strip()}")
    sent = re.search(r"sent (\d+) notices in ([\d.]+) s \(([\d.]+)/s\)", err)
    assert sent, err
    ids = range(first, first + n)
    deadline = time.monotonic() + max(DRAIN_S, seconds * 3)  # after the publisher is done
    mine: list[tuple[tuple[str, int, int], int]] = []
    while time.monotonic() < deadline:
        mine = [(k, tid) for k, (tid, _) in list(emitted.items()) if tid in ids]
        if len(mine) >= n:
            break
        time.sleep(0.1)
    written = [(k, t) for k, (tid, t) in list(store.queryable.items()) if tid in ids]
    to_row = [(t - stamped.published[k]) / 1e9 for k, t in written]
    to_emit = [(emitted[k][1] - stamped.published[k]) / 1e9 for k, _ in mine]
    first_publish = min((stamped.published[k] for k, _ in written), default=0)
    span = (max((t for _, t in written), default=0) - first_publish) / 1e9
    return {
        "rate": rate,
        "seconds": seconds,
        "sent": int(sent.group(1)),
        "publish_rate": float(sent.group(3)),
        "written": len(written),
        "emitted": len(mine),
        "throughput": round(len(written) / span, 1) if span > 0 else 0.0,
        "queryable_p50_s": round(_quantile(to_row, 0.5), 3),
        "queryable_p99_s": round(_quantile(to_row, 0.99), 3),
        "emitted_p50_s": round(_quantile(to_emit, 0.5), 3),
        "emitted_p99_s": round(_quantile(to_emit, 0.99), 3),
        "first_id": first,
        "backlog": n - len(mine),  # not yet emitted when the phase stopped waiting
        "drain_s": max(DRAIN_S, seconds * 3),
    }


def _counts(database: Path, phases: list[dict[str, Any]]) -> None:
    """Each phase's rows in the tables: notices, keys, distinct triggers."""
    with open_duckdb(database, read_only=True) as con:
        for p in phases:
            lo, hi = p["first_id"], p["first_id"] + p["sent"] - 1
            notices, keys = con.execute(
                "SELECT count(*), count(DISTINCT (topic, kafka_partition, kafka_offset))"
                " FROM alerts.notices WHERE trigger_id BETWEEN ? AND ?",
                [lo, hi],
            ).fetchone()  # type: ignore[misc]
            rows, distinct = con.execute(
                "SELECT count(*), count(DISTINCT trigger_id) FROM swift.bursts"
                " WHERE trigger_id BETWEEN ? AND ?",
                [lo, hi],
            ).fetchone()  # type: ignore[misc]
            p.update(notice_rows=notices, trigger_rows=rows, distinct_triggers=distinct)
            # Lost only if the listener had caught up; a backlog is what it had not reached.
            p["lost"] = p["sent"] - distinct if not p["backlog"] else None
            # a notice row more than sent, or a trigger row more than its trigger
            p["doubled"] = max(0, notices - p["sent"], notices - keys) + (rows - distinct)


def verdict(p: dict[str, Any]) -> str:
    """``met``, or what missed: p99 <= 1 s at 100/s; at 1,000/s, keeping up, nothing lost or
    doubled (every rate is checked for loss and doubles)."""
    missed = []
    if p["backlog"]:
        missed.append(f"fell behind: {p['backlog']:,} not emitted {p['drain_s']:.0f} s after")
    if p["lost"] or p["doubled"]:
        missed.append(f"{p['lost']} lost, {p['doubled']} doubled")
    if p["rate"] == 100:
        worst = max(p["queryable_p99_s"], p["emitted_p99_s"])
        if not worst <= TARGET_P99_S:
            missed.append(f"p99 {worst:.2f} s")
    if p["rate"] >= 1000 and p["throughput"] < KEEPS_UP * p["rate"]:
        missed.append(f"{p['throughput']:,.0f}/s sustained")
    return "met" if not missed else "**missed**: " + ", ".join(missed)


def measure(
    rates: list[float], seconds: float, insights: bool, demo_rows: int = 200_000
) -> dict[str, Any]:
    """Every rate in turn through one broker, one database and one listener."""
    home, java = kafka_home(), find_java(KAFKA_MIN_JAVA)
    if home is None or java is None:
        return {"skipped": "no Kafka in the cache or no Java (tools/fetch-kafka.sh)"}
    maker_class = _insight_maker() if insights else None
    CACHE.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(dir=CACHE, prefix="alerts-") as work,
        running(home, java, Path(work) / "kafka") as broker,
    ):
        tmp = Path(work)
        stack = _stack(tmp / "root", broker.bootstrap)
        _create_topic(broker.bootstrap)
        catalog = Catalog.for_stack(stack)
        database = _database(stack, catalog)
        loaded = _load_demo(database, catalog, demo_rows) if maker_class else 0
        make = None
        if maker_class is not None:
            from runner.engines import DuckDBEngine

            make = _timed(maker_class)(DuckDBEngine.for_file(database, catalog), ROOT)
        emitted: dict[tuple[str, int, int], tuple[int, int]] = {}
        from confluent_kafka import Consumer

        stamped = StampedConsumer(Consumer(consumer_config(stack.alerts, ROOT)))
        store = TimedStore(database, catalog)
        store.queryable = {}
        worker = None
        received_of: dict[tuple[str, int], tuple[str, int, int]] = {}
        if make is not None:  # as `listen` makes them: on a thread of their own
            from runner.alerts.insight import InsightWorker

            def emit_insight(insight: Any) -> None:
                key = received_of[(insight.observatory, insight.trigger_id)]
                emitted[key] = (insight.trigger_id, time.time_ns())

            worker = InsightWorker(make, emit_insight, store.guard)

        def on_change(change: Change) -> None:
            if worker is not None:
                received_of[(change.notice.observatory, change.notice.trigger_id)] = (
                    change.received.key
                )
                worker.submit(change)
            else:
                emitted[change.received.key] = (change.notice.trigger_id, time.time_ns())

        listener = Listener(stamped, store, stack.alerts, on_change)
        stop = threading.Event()
        outcome: dict[str, Any] = {}
        thread = threading.Thread(target=_run, args=(listener, stop, outcome), daemon=True)
        thread.start()
        _warm_up(broker.bootstrap, emitted)
        phases = []
        try:
            for i, rate in enumerate(rates):
                queried = len(make.reads) if make is not None else 0
                phases.append(
                    _phase(rate, seconds, FIRST_ID + i * 10_000_000, tmp, broker.bootstrap,
                           emitted, stamped, store)
                )  # fmt: skip
                if make is not None:
                    phases[-1].update(_queries(make.reads[queried:]))
                print(json.dumps(phases[-1]), file=sys.stderr)
        finally:
            stop.set()
            thread.join(60)
            if worker is not None:
                worker.close()
        if "error" in outcome:
            raise RuntimeError(f"the listener failed: {outcome['error']}")
        _counts(database, phases)
        summary = outcome["summary"]
        for p in phases:
            p["verdict"] = verdict(p)
        return {
            "phases": phases,
            "insights": make is not None,
            "demo_rows_loaded": loaded,
            "batch_max_messages": stack.alerts.batch_max_messages,
            "batch_max_seconds": stack.alerts.batch_max_seconds,
            "batches": summary.batches,
            "longest_hold_s": round(summary.longest_hold_seconds, 3),
            "broker_start_s": round(broker.start_seconds or 0.0, 1),
        }


def _create_topic(bootstrap: str) -> None:
    """The topic before the listener subscribes (else its first metadata says it is unknown)."""
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(TOPIC, 1, 1)], request_timeout=30).values():
        future.result(timeout=30)


def _warm_up(bootstrap: str, emitted: dict[tuple[str, int, int], tuple[int, int]]) -> None:
    """One notice through before measuring: a running listener has loaded its libraries
    (astropy for the HEALPix index) and opened its caches already."""
    burst = _bursts(FIRST_ID - 1, 1, seed=0).to_pylist()
    publish(bootstrap, notices(burst), rate=1.0)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not emitted:
        time.sleep(0.05)
    if not emitted:
        raise RuntimeError("the warm-up notice never came through the listener")


def _run(listener: Listener, stop: threading.Event, outcome: dict[str, Any]) -> None:
    try:
        outcome["summary"] = listener.run(stop=stop)
    except Exception as exc:  # reported by the main thread
        outcome["error"] = f"{type(exc).__name__}: {exc}"


def _timed(maker_class: Callable[..., Any]) -> Callable[..., Any]:
    """The insight maker, noting each query's triggers and seconds (the guard held)."""

    class Timed(maker_class):  # type: ignore[misc,valid-type]
        reads: list[tuple[int, float]]

        def read(self, asked: list[Any]) -> Any:
            began = time.perf_counter()
            result = super().read(asked)
            self.reads.append((len(asked), time.perf_counter() - began))
            return result

    def make(*args: Any) -> Any:
        maker = Timed(*args)
        maker.reads = []
        return maker

    return make


def _queries(reads: list[tuple[int, float]]) -> dict[str, Any]:
    """What the phase's insight queries cost: how many, triggers each, seconds each."""
    seconds = [s for _, s in reads]
    return {
        "insight_queries": len(reads),
        "triggers_per_query": round(sum(n for n, _ in reads) / len(reads), 1) if reads else 0.0,
        "query_p50_s": round(_quantile(seconds, 0.5), 3),
        "query_p99_s": round(_quantile(seconds, 0.99), 3),
    }


def _insight_maker() -> Callable[..., Any] | None:
    try:
        from runner.alerts.insight import InsightMaker
    except ImportError:
        return None
    return InsightMaker


def scenario(
    rates: list[float], insight_rates: list[float], seconds: float, demo_rows: int = 200_000
) -> dict[str, Any]:
    """Two passes: the rows alone at every rate, then with an insight per trigger."""
    out = {"rows": measure(rates, seconds, insights=False) if rates else {}}
    if insight_rates:
        if _insight_maker() is None:
            out["insights"] = {"skipped": "no runner/alerts/insight.py"}
        else:
            out["insights"] = measure(insight_rates, seconds, True, demo_rows)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.alerts_bench", description=__doc__)
    parser.add_argument("--rates", default="10,100,1000", help="notices per second, in turn")
    parser.add_argument(
        "--insight-rates", default="10,100", help="the same with an insight per trigger ('' skips)"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="publishing time per rate")
    parser.add_argument("--demo-rows", type=int, default=200_000, help="the insights' dataset")
    parser.add_argument(
        "--report", action="store_true", help="also into bench/results.json and docs/benchmarks.md"
    )
    args = parser.parse_args(argv)
    result = scenario(_rates(args.rates), _rates(args.insight_rates), args.seconds, args.demo_rows)
    print("\n".join(alerts_lines(result)))
    if args.report:
        from bench.report import merge_section

        merge_section("alerts", result)
    return 0


def _rates(text: str) -> list[float]:
    return [float(r) for r in text.split(",") if r.strip()]


if __name__ == "__main__":
    raise SystemExit(main())
