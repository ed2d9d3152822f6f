"""``monitor`` reads the alert stream from the real broker: the listener group's lag and
the age of each topic's newest message, with their levels and exit codes.

The monitor never opens the database and never joins the listener's group.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from devtools.kafka_server import KafkaBroker, free_port
from devtools.toolchain import PROJECT_DIR
from runner.alerts.consumer import consumer_config
from runner.alerts.listener import Listener
from runner.alerts.store import TriggerStore
from runner.catalog import Catalog
from runner.cli import main
from runner.monitor import Level, Status, StreamStatus, TopicStatus
from runner.render import changes
from tests.support.dataset import local_database
from tests.support.stacks import stack_with
from tests.test_listener import GUANO, alerts, notice, produce, with_alert_tables
from vastobs.backends.local import LocalBackend
from vastobs.config import from_mapping
from vastobs.errors import ConfigError

PUBLISHED_AGO = dt.timedelta(hours=2)  # the Kafka timestamp the producer gives the messages
MESSAGES = 5


def _project(root: Path, alerts_config: dict[str, Any], monitor: dict[str, Any]) -> Path:
    """A stack of the database alone (its quota empty: storage is OK) that names topics."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text("name: vastobs\nruntime: python\n")
    config = {
        "backend": "local",
        "local_root": "root",
        "database": {"bucket": "mondb", "path": "/db", "quota": "1MB"},
        "alerts": alerts_config,
        "monitor": monitor,
    }
    (root / "Pulumi.mon.yaml").write_text(
        json.dumps({"config": {f"vastobs:{k}": v for k, v in config.items()}})
    )
    backend = LocalBackend(root / "root")
    backend.collection("views").create({"path": "/db", "policy_id": 1})
    backend.collection("quotas").create({"name": "/db", "path": "/db", "hard_limit": 1_000_000})
    return root


Monitor = Callable[..., SimpleNamespace]


@pytest.fixture
def monitor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Monitor:
    """``monitor --json`` in this process for a stack with these alerts and thresholds."""
    monkeypatch.setenv("PULUMI_STACK", "mon")

    def run(alerts_config: dict[str, Any], *args: str, **thresholds: Any) -> SimpleNamespace:
        project = _project(tmp_path / uuid.uuid4().hex[:8], alerts_config, thresholds)
        monkeypatch.chdir(project)
        capsys.readouterr()
        code = main(["monitor", "--no-bursts", *args])
        out, err = capsys.readouterr()
        doc = json.loads(out) if "--json" in args else None
        return SimpleNamespace(returncode=code, stdout=out, stderr=err, doc=doc)

    return run


@pytest.fixture(scope="module")
def quiet_topic(kafka_broker: KafkaBroker) -> str:
    """A topic of its own holding MESSAGES messages published PUBLISHED_AGO."""
    topic = f"vastobs.test.monitor-{uuid.uuid4().hex[:8]}"
    stamp = int((dt.datetime.now(dt.UTC) - PUBLISHED_AGO).timestamp() * 1000)
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap, "acks": "all"})
    for i in range(MESSAGES):
        producer.produce(topic, value=b"notice %d" % i, timestamp=stamp)
    assert producer.flush(30) == 0
    return topic


def _stream(doc: dict[str, Any]) -> dict[str, Any]:
    (topic,) = doc["stream"]["topics"]
    return topic


def test_lag_is_what_the_group_has_not_committed(
    kafka_broker: KafkaBroker, quiet_topic: str, monitor: Monitor
) -> None:
    group = f"test-{uuid.uuid4().hex[:8]}"
    config = {"topics": [quiet_topic], "brokers": kafka_broker.bootstrap, "group": group}
    never = monitor(config, "--json")
    topic = _stream(never.doc)
    assert never.returncode == 0, never.stderr
    assert (topic["lag"], topic["partitions"][0]["committed"]) == (MESSAGES, None)
    assert never.doc["stream"]["level"] == never.doc["level"] == "OK"
    age = dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(topic["newest_message_at"])
    assert PUBLISHED_AGO <= age < PUBLISHED_AGO + dt.timedelta(minutes=10)
    assert topic["age_seconds"] >= PUBLISHED_AGO.total_seconds()
    # The listener commits the next offset to read: 2 read, 3 to go.
    committer = Consumer({"bootstrap.servers": kafka_broker.bootstrap, "group.id": group})
    committer.commit(offsets=[TopicPartition(quiet_topic, 0, 2)], asynchronous=False)
    committer.close()
    assert _stream(monitor(config, "--json").doc)["lag"] == MESSAGES - 2
    # Reading the stream took no member into the group (nor any partition from a listener).
    admin = AdminClient({"bootstrap.servers": kafka_broker.bootstrap})
    described = admin.describe_consumer_groups([group])[group].result(timeout=30)
    assert described.members == []


def test_the_listener_committing_brings_the_lag_to_zero(
    kafka_broker: KafkaBroker, tmp_path: Path, monitor: Monitor
) -> None:
    config = {**alerts(kafka_broker), "topics": [GUANO]}  # a new group at the topic's end
    produce(kafka_broker.bootstrap, [(GUANO, notice(9000 + i, 0.05)) for i in range(MESSAGES)])
    behind = monitor(config, "--json")
    assert _stream(behind.doc)["lag"] == MESSAGES
    stack = stack_with({}, alerts=config)
    catalog = Catalog.for_stack(stack)
    database = with_alert_tables(local_database(tmp_path / "db", {}, catalog))
    consumer = Consumer(consumer_config(stack.alerts, PROJECT_DIR))
    Listener(consumer, TriggerStore(database, catalog), stack.alerts).run(
        max_messages=MESSAGES, idle_seconds=30
    )
    caught_up = monitor(config)  # the table, as a person reads it
    assert caught_up.returncode == 0, caught_up.stderr
    assert "alert stream on" in caught_up.stdout and GUANO in caught_up.stdout
    topic = _stream(monitor(config, "--json").doc)
    assert (topic["lag"], topic["level"]) == (0, "OK")
    assert topic["age_seconds"] is not None


@pytest.mark.parametrize(
    ("thresholds", "level", "line"),
    [
        ({}, "OK", None),
        ({"lag_warn_messages": 3, "lag_critical_messages": 10}, "WARN",
         "lag 5 messages (warn at 3)"),
        ({"lag_warn_messages": 3, "lag_critical_messages": 5}, "CRITICAL",
         "lag 5 messages (critical at 5)"),
        ({"stream_warn_seconds": 3600}, "WARN", "newest message 2.0 h old (warn at 1.0 h)"),
        ({"stream_warn_seconds": 600, "stream_critical_seconds": 3600}, "CRITICAL",
         "newest message 2.0 h old (critical at 1.0 h)"),
        ({"stream_warn_seconds": 86400}, "OK", None),
    ],
)  # fmt: skip
def test_thresholds_set_the_level_and_the_exit_code(
    kafka_broker: KafkaBroker,
    quiet_topic: str,
    monitor: Monitor,
    thresholds: dict[str, Any],
    level: str,
    line: str | None,
) -> None:
    group = f"test-{uuid.uuid4().hex[:8]}"  # never committed: the lag is every message
    config = {"topics": [quiet_topic], "brokers": kafka_broker.bootstrap, "group": group}
    checked = monitor(config, "--json", **thresholds)
    assert (checked.doc["level"], _stream(checked.doc)["level"]) == (level, level)
    assert checked.returncode == {"OK": 0, "WARN": 1, "CRITICAL": 2}[level]
    if line is None:
        assert checked.stderr == ""
    else:
        assert checked.stderr == f"{level}: alert stream {quiet_topic}: {line}\n"


def test_a_topic_missing_on_the_broker_is_unknown(
    kafka_broker: KafkaBroker, monitor: Monitor
) -> None:
    topic = f"vastobs.test.absent-{uuid.uuid4().hex[:8]}"
    checked = monitor({"topics": [topic], "brokers": kafka_broker.bootstrap}, "--json")
    assert checked.returncode == 3
    assert "not on the broker" in checked.stderr


@pytest.mark.kafka
def test_an_unreachable_broker_is_one_unknown_line(tmp_path: Path) -> None:
    """As cron starts it, so that librdkafka's own stderr would show too: none of it."""
    port = free_port()  # nothing listens there
    project = _project(
        tmp_path / "p",
        {"topics": [GUANO], "brokers": f"127.0.0.1:{port}"},
        {"stream_timeout_seconds": 1},
    )
    began = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "runner", "monitor", "--no-bursts"],
        cwd=project, env={**os.environ, "PULUMI_STACK": "mon", "PYTHONPATH": str(PROJECT_DIR)},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    print(f"unreachable broker: exit {proc.returncode} after {time.monotonic() - began:.2f} s")
    assert proc.returncode == 3
    assert proc.stderr.startswith(
        f"UNKNOWN: alert stream: broker 127.0.0.1:{port} not reachable within 1 s"
    )
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "storage on local" in proc.stdout  # storage is still shown (and OK)


def test_continuous_mode_tells_a_topic_changing_level() -> None:
    def status(level: Level, lag: int | None, error: str | None = None) -> Status:
        topics = [] if error else [TopicStatus("t", [], lag, None, None, level)]
        stream = StreamStatus("127.0.0.1:9092", "g", topics, level, error)
        return Status(dt.datetime.now(dt.UTC), "local", [], None, level, stream=stream)

    ok, warn = status(Level.OK, 0), status(Level.WARN, 150)
    unreadable = status(Level.UNKNOWN, None, "broker 127.0.0.1:9092 not reachable within 5 s")
    assert changes(ok, warn) == ["alert stream t: OK -> WARN (lag 150)"]
    assert changes(warn, unreadable) == ["alert stream: unreadable"]
    assert changes(unreadable, ok) == ["alert stream: readable again"]
    assert changes(ok, status(Level.OK, 3)) == []  # the lag moves all the time


def test_thresholds_are_checked_against_each_other(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"monitor\.lag_warn_messages"):
        from_mapping(
            {"monitor": {"lag_warn_messages": 500, "lag_critical_messages": 100}}, tmp_path
        )
    with pytest.raises(ConfigError, match=r"monitor\.stream_warn_seconds"):
        from_mapping(
            {"monitor": {"stream_warn_seconds": 7200, "stream_critical_seconds": 3600}}, tmp_path
        )
    only_warn = from_mapping({"monitor": {"stream_warn_seconds": 7200}}, tmp_path)
    assert (only_warn.monitor.stream_warn_seconds, only_warn.monitor.stream_critical_seconds) == (
        7200,
        0,
    )
