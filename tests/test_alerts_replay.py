"""The demo's replay: bursts become BAT-GUANO notices that the listener writes back as the same
trigger rows (what `make alerts` and the latency benchmark rely on)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from confluent_kafka import Consumer

from devtools.kafka_server import KafkaBroker
from devtools.toolchain import PROJECT_DIR
from runner.alerts.consumer import consumer_config
from runner.alerts.listener import Listener
from runner.alerts.notices import parse_notice, to_trigger_row
from runner.alerts.replay import TOPIC, notice
from runner.alerts.store import TriggerStore
from runner.catalog import Catalog
from runner.cli import main
from tests.support.dataset import local_database
from tests.support.stacks import stack_with
from tests.test_listener import alerts, with_alert_tables
from vastobs.backends.filelock import open_duckdb

BURSTS = 20


def bursts() -> list[dict[str, Any]]:
    """Demo-like Swift bursts (the columns demo-data writes that the replay reads)."""
    t0 = dt.datetime(2019, 3, 4, 5, 6, 7, 891011)
    return [
        {
            "trigger_id": 880_000 + i,
            "grb_name": f"GRB 1903{i:02d}A",
            "trigger_time": t0 + dt.timedelta(hours=7 * i, microseconds=i),
            "ra": (i * 17.9) % 360,
            "dec": -80.0 + i * 8.1,
            "err_radius_arcsec": 60.0 + 7.5 * i,
            "significance": 0.85 + i * 0.0075,
        }
        for i in range(BURSTS)
    ]


def test_a_notice_parses_back_to_its_row() -> None:
    for row in [*bursts(), {**bursts()[0], "significance": 1.0}]:
        parsed = parse_notice(TOPIC, notice(row))
        kind_row = to_trigger_row(parsed)  # type: ignore[arg-type]
        assert kind_row["trigger_id"] == row["trigger_id"]
        assert kind_row["trigger_name"] == row["grb_name"]
        assert kind_row["trigger_time"] == row["trigger_time"]
        for column in ("ra", "dec", "err_radius_arcsec", "significance"):
            assert kind_row[column] == pytest.approx(row[column], rel=1e-9), column
    refined = parse_notice(TOPIC, notice(bursts()[3], "update", record_number=2))
    assert refined.err_radius_arcsec == pytest.approx(bursts()[3]["err_radius_arcsec"] / 10)  # type: ignore[union-attr]


def test_replayed_bursts_become_trigger_rows(
    kafka_broker: KafkaBroker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = stack_with({}, alerts=alerts(kafka_broker))  # a group at the topics' end
    catalog = Catalog.for_stack(stack)
    database = with_alert_tables(local_database(tmp_path / "db", {}, catalog))
    source = tmp_path / "bursts.parquet"
    pq.write_table(pa.Table.from_pylist(bursts()), source)

    argv = ["replay", "--rate", "1000", "--from", str(source), "--brokers", kafka_broker.bootstrap]
    assert main(argv) == 0
    assert f"sent {BURSTS} notices" in capsys.readouterr().err

    consumer = Consumer(consumer_config(stack.alerts, PROJECT_DIR))
    store = TriggerStore(database, catalog)
    summary = Listener(consumer, store, stack.alerts).run(max_messages=BURSTS, idle_seconds=30)
    assert summary.outcomes == {"new": BURSTS} and summary.quarantined == 0
    with open_duckdb(database, read_only=True) as con:
        found = con.execute(
            "SELECT trigger_id, grb_name, trigger_time, ra, dec, err_radius_arcsec, significance"
            " FROM swift.bursts ORDER BY trigger_id"
        ).fetchall()
    assert [(r[0], r[1], r[2]) for r in found] == [
        (b["trigger_id"], b["grb_name"], b["trigger_time"]) for b in bursts()
    ]
    for got, sent in zip(found, bursts(), strict=True):
        assert got[3:] == pytest.approx(
            (sent["ra"], sent["dec"], sent["err_radius_arcsec"], sent["significance"]), rel=1e-9
        )
