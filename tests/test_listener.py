"""The alert listener against the real Kafka broker: GCN notices become trigger rows.

A stream as real ones are: several notices per trigger (a refined position),
duplicate deliveries, a retraction, malformed messages and notices of an
observatory the stack has no trigger table for. Counts in the tables equal the
distinct triggers sent; every bad message is in the quarantine with its reason;
a kill -9 of the listener mid-stream and a restart lose nothing and double nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from confluent_kafka import Consumer, Producer, TopicPartition
from sqlglot import exp

from devtools.kafka_server import KafkaBroker
from devtools.toolchain import PROJECT_DIR
from runner.alerts.consumer import consumer_config
from runner.alerts.listener import Listener
from runner.alerts.store import TriggerStore
from runner.catalog import Catalog
from tests.support.dataset import local_database
from tests.support.stacks import stack_raw, stack_with
from vastobs.backends.filelock import open_duckdb
from vastobs.ddl import load_table
from vastobs.local_paths import database_file

GUANO = "gcn.notices.swift.bat.guano"
EP = "gcn.notices.einstein_probe.wxt.alert"
T0 = dt.datetime(2026, 12, 2, 10, 0)
TRIGGERS = 40


def notice(trigger_id: int, error_deg: float, alert_type: str = "initial") -> bytes:
    """A Swift BAT-GUANO notice in GCN's unified JSON schema (``ra_dec_error`` in degrees)."""
    doc = {
        "mission": "SWIFT", "instrument": "BAT-GUANO", "alert_type": alert_type,
        "id": [trigger_id], "trigger_time": (T0 + dt.timedelta(minutes=trigger_id)).isoformat() + "Z",
        "ra": (trigger_id * 7.3) % 360, "dec": -30.0 + trigger_id % 60, "ra_dec_error": error_deg,
        "containment_probability": 0.9, "image_snr": 9.0, "record_number": 1,
    }  # fmt: skip
    return json.dumps(doc).encode()


def stream(triggers: int = TRIGGERS, first_id: int = 1000) -> list[tuple[str, bytes]]:
    """Per trigger: the first position, a refined one, the first delivered twice; then the
    bad ones, and a retraction of the first trigger."""
    messages = []
    for i in range(first_id, first_id + triggers):
        first = notice(i, 0.05)
        messages += [(GUANO, first), (GUANO, notice(i, 0.001, "update")), (GUANO, first)]
    messages += [
        (GUANO, b"{not json"),
        (GUANO, json.dumps({"mission": "SWIFT", "id": [5], "ra": 1.0, "dec": 2.0}).encode()),
        (GUANO, b""),
        (EP, notice(77, 0.05)),  # no einstein_probe triggers table in the stack
        (GUANO, notice(first_id, 0.05, "retraction")),
    ]
    return messages


QUARANTINED = 4
APPLIED = 3 * TRIGGERS + 1


def produce(bootstrap: str, messages: list[tuple[str, bytes]]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for topic, value in messages:
        producer.produce(topic, value=value)
    assert producer.flush(30) == 0


def alerts(broker: KafkaBroker) -> dict[str, Any]:
    """A new consumer group that starts where the topics end now: the broker lives for the
    session and its topics hold other tests' messages."""
    group = f"test-{uuid.uuid4().hex[:8]}"
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group})
    ends = []
    for topic in (GUANO, EP):
        metadata = consumer.list_topics(topic, timeout=30).topics[topic]
        for partition in metadata.partitions:
            _, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=30)
            if high > 0:  # else the group's "earliest" is the end already
                ends.append(TopicPartition(topic, partition, high))
    if ends:
        consumer.commit(offsets=ends, asynchronous=False)
    consumer.close()
    return {
        "topics": [GUANO, EP],
        "brokers": broker.bootstrap,
        "group": group,
        "batch_max_messages": 7,
        "batch_max_seconds": 0.05,
    }


def with_alert_tables(database: Path) -> Path:
    """The tables infra/alerts.py declares when the stack names topics."""
    with open_duckdb(database) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS alerts")
        for name in ("notices", "quarantine"):
            table = load_table(PROJECT_DIR, "alerts", name)
            con.execute(table.create_sql("duckdb", exp.table_(name, db="alerts", quoted=True)))
    return database


def counts(database: Path) -> dict[str, Any]:
    with open_duckdb(database, read_only=True) as con:

        def one(sql: str) -> Any:
            return con.execute(sql).fetchone()[0]  # type: ignore[index]

        return {
            "triggers": one("SELECT count(*) FROM swift.bursts"),
            "distinct": one("SELECT count(DISTINCT trigger_id) FROM swift.bursts"),
            "refined": one("SELECT count(*) FROM swift.bursts WHERE err_radius_arcsec < 4"),
            "notices": one("SELECT count(*) FROM alerts.notices"),
            "notice_keys": one(
                "SELECT count(DISTINCT (topic, kafka_partition, kafka_offset)) FROM alerts.notices"
            ),
            "quarantine": one("SELECT count(*) FROM alerts.quarantine"),
            "reasons": sorted(
                r for (r,) in con.execute("SELECT reason FROM alerts.quarantine").fetchall()
            ),
        }


def test_a_stream_becomes_one_row_per_trigger(kafka_broker: KafkaBroker, tmp_path: Path) -> None:
    stack = stack_with({}, alerts=alerts(kafka_broker))
    catalog = Catalog.for_stack(stack)
    database = with_alert_tables(local_database(tmp_path, {}, catalog))
    produce(kafka_broker.bootstrap, stream())
    consumer = Consumer(consumer_config(stack.alerts, PROJECT_DIR))
    changes = []
    summary = Listener(consumer, TriggerStore(database, catalog), stack.alerts, changes.append).run(
        max_messages=APPLIED + QUARANTINED, idle_seconds=30
    )
    found = counts(database)
    assert (found["triggers"], found["distinct"]) == (TRIGGERS - 1, TRIGGERS - 1)  # one retracted
    assert found["refined"] == TRIGGERS - 1  # the update's 3.6 arcsec, not the first 180
    assert (found["notices"], found["quarantine"]) == (APPLIED, QUARANTINED)
    assert summary.outcomes == {
        "new": TRIGGERS,
        "refined": TRIGGERS,
        "kept": TRIGGERS,
        "retracted": 1,
    }
    assert any("not JSON" in r for r in found["reasons"])
    assert any("einstein_probe has no triggers table" in r for r in found["reasons"])
    assert changes[0].notice.trigger_id == 1000 and changes[0].outcome == "new"


def _project(tmp: Path, broker: KafkaBroker, database_root: Path) -> Path:
    """A project directory whose stack ``alerts`` holds the test database and names the broker."""
    project = tmp / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: vastobs\n")
    (project / "queries").symlink_to(PROJECT_DIR / "queries")
    raw = stack_raw({})
    raw.update(local_root=str(database_root), alerts=alerts(broker))
    config = {f"vastobs:{k}": v for k, v in raw.items()}
    (project / "Pulumi.alerts.yaml").write_text(yaml.safe_dump({"config": config}))
    return project


def _listen(project: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "runner", "--stack", "alerts", "listen", *args],
        cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)},
    )  # fmt: skip


def _project_database(tmp: Path) -> Path:
    """The database of ``_project``'s stack: its tables, empty, and the alerts tables."""
    stack = stack_with({})
    database = database_file(tmp / "root", stack.database.path)
    database.parent.mkdir(parents=True)
    local_database(tmp / "build", {}, Catalog.for_stack(stack)).rename(database)
    return with_alert_tables(database)


def test_listen_prints_each_trigger_then_its_insight_timed_from_its_notice(
    kafka_broker: KafkaBroker, tmp_path: Path
) -> None:
    """What a duty scientist reads: a line per change, then an insight for each trigger
    with how long after its notice (the Kafka timestamp) it was made."""
    project = _project(tmp_path, kafka_broker, tmp_path / "root")
    _project_database(tmp_path)
    produce(kafka_broker.bootstrap, stream())
    listen = _listen(project, "--json", "--idle-seconds", "3")
    out, err = listen.communicate(timeout=120)
    assert listen.returncode == 0, err
    assert f"listening to {GUANO}, {EP} (group " in err  # what make alerts waits for
    records = [json.loads(line) for line in out.splitlines()]
    insights = [r for r in records if "seen_before" in r]
    retracted = 1000  # its insight depends on whether the retraction came first: either is right
    asked = {r["trigger_id"] for r in records if r["outcome"] in ("new", "refined")}
    assert {i["trigger_id"] for i in insights} - {retracted} == asked - {retracted}
    for insight in insights:
        first_line = next(
            n for n, r in enumerate(records) if r["trigger_id"] == insight["trigger_id"]
        )
        assert records.index(insight) > first_line  # the trigger is shown before its insight
        assert insight["after_notice_seconds"] > 0  # from the notice's timestamp, not unknown
    last = {i["trigger_id"]: i for i in insights}  # a trigger's last insight: its refined position
    last.pop(retracted, None)
    assert [i["err_radius_arcsec"] for i in last.values()] == [pytest.approx(3.6)] * len(last)


def test_kill_9_mid_stream_loses_and_doubles_nothing(
    kafka_broker: KafkaBroker, tmp_path: Path
) -> None:
    project = _project(tmp_path, kafka_broker, tmp_path / "root")
    database = _project_database(tmp_path)
    messages = stream()
    half = len(messages) // 2
    produce(kafka_broker.bootstrap, messages[:half])
    first = _listen(project)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and counts(database)["notices"] < half // 2:
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)  # no chance to close, commit or roll back
    first.wait(10)
    assert counts(database)["notices"] < APPLIED, "the kill came mid-stream"
    produce(kafka_broker.bootstrap, messages[half:])
    again = _listen(project, "--idle-seconds", "3")
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    found = counts(database)
    assert (found["triggers"], found["distinct"], found["refined"]) == (TRIGGERS - 1,) * 3
    assert found["notices"] == found["notice_keys"] == APPLIED
    assert found["quarantine"] == QUARANTINED


def test_gcn_configuration_uses_oidc_and_the_environment(tmp_path: Path) -> None:
    stack = stack_with({}, alerts={"topics": [GUANO], "gcn_domain": "gcn.nasa.gov"})
    environ = {"VASTOBS_GCN_CLIENT_ID": "the-id", "VASTOBS_GCN_CLIENT_SECRET": "the-secret"}
    config = consumer_config(stack.alerts, PROJECT_DIR, environ)
    assert config["bootstrap.servers"] == "kafka.gcn.nasa.gov"
    assert config["security.protocol"] == "sasl_ssl"
    assert config["sasl.mechanisms"] == "OAUTHBEARER"
    assert config["sasl.oauthbearer.method"] == "oidc"
    assert config["sasl.oauthbearer.client.id"] == "the-id"
    assert config["sasl.oauthbearer.client.secret"] == "the-secret"
    assert config["sasl.oauthbearer.token.endpoint.url"] == "https://auth.gcn.nasa.gov/oauth2/token"
    assert config["enable.auto.offset.store"] is False  # offsets only after the rows are durable
    (tmp_path / "id").write_text("file-id\n")
    (tmp_path / "secret").write_text("file-secret\n")
    from_files = stack_with(
        {}, alerts={"topics": [GUANO], "gcn_domain": "test.gcn.nasa.gov",
                    "client_id_file": str(tmp_path / "id"), "client_secret_file": str(tmp_path / "secret")},
    )  # fmt: skip
    config = consumer_config(from_files.alerts, PROJECT_DIR, {})
    assert config["sasl.oauthbearer.client.secret"] == "file-secret"
    assert config["bootstrap.servers"] == "kafka.test.gcn.nasa.gov"
    with pytest.raises(Exception, match="VASTOBS_GCN_CLIENT_ID and VASTOBS_GCN_CLIENT_SECRET"):
        consumer_config(stack.alerts, PROJECT_DIR, {})
