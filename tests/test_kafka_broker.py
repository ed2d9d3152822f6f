"""The real Kafka broker the alert tests and demo run against: messages go in and come
back out, a consumer group resumes from its commit, and a stopped broker leaves no
process behind."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    Message,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, NewTopic

from devtools.kafka_server import KafkaBroker, cluster_id

N = 100


def _topic(broker: KafkaBroker) -> str:
    """A new topic of one partition, created and waited for."""
    name = f"test-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)])[name].result(
        timeout=30
    )
    return name


def _produce(broker: KafkaBroker, topic: str, values: list[str]) -> None:
    producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all"})
    failures: list[KafkaError] = []
    for value in values:
        producer.produce(
            topic, value=value.encode(), on_delivery=lambda e, _m: e and failures.append(e)
        )
    assert producer.flush(30) == 0 and not failures, failures


def _consumer(broker: KafkaBroker, group: str, topic: str) -> Consumer:
    consumer = Consumer(
        {
            "bootstrap.servers": broker.bootstrap,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    return consumer


def _take(consumer: Consumer, count: int, timeout: float = 30.0) -> list[Message]:
    """The next ``count`` messages (fewer only if the timeout passes first)."""
    taken: list[Message] = []
    deadline = time.monotonic() + timeout
    while len(taken) < count and time.monotonic() < deadline:
        for message in consumer.consume(count - len(taken), timeout=1):
            assert message.error() is None, message.error()
            taken.append(message)
    return taken


def test_a_group_consumes_what_was_produced_and_resumes_from_its_commit(
    kafka_broker: KafkaBroker,
) -> None:
    topic = _topic(kafka_broker)
    values = [f"notice-{i}" for i in range(N)]
    _produce(kafka_broker, topic, values)

    first = _consumer(kafka_broker, "duty", topic)
    head = _take(first, 60)
    assert [m.value().decode() for m in head] == values[:60]
    first.commit(message=head[-1], asynchronous=False)
    first.close()

    again = _consumer(kafka_broker, "duty", topic)
    committed = again.committed([TopicPartition(topic, 0)], timeout=10)
    assert committed[0].offset == 60
    rest = _take(again, N - 60)
    again.close()
    assert [m.offset() for m in rest] == list(range(60, N))
    assert [m.value().decode() for m in rest] == values[60:]


def _alive(pid: int) -> bool:
    """True while a process of the group led by ``pid`` exists."""
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_broker_killed_and_started_again_keeps_its_messages_and_stopped_leaves_no_process(
    kafka_broker: KafkaBroker, tmp_path: Path
) -> None:
    broker = KafkaBroker(kafka_broker.home, kafka_broker.java_home, tmp_path)
    broker.start()
    try:
        first_pid = broker.process.pid
        topic = _topic(broker)
        _produce(broker, topic, ["acknowledged before the crash"])
        broker.kill()
        assert not _alive(first_pid)

        broker.start()  # same ports, same data
        reader = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "unused"})
        reader.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        kept = _take(reader, 1)
        reader.close()
        assert [m.value() for m in kept] == [b"acknowledged before the crash"]
    finally:
        broker.stop()
    assert broker.process.returncode is not None
    assert not _alive(broker.process.pid)


def test_the_session_broker_runs_in_its_own_process_group(kafka_broker: KafkaBroker) -> None:
    # What lets the fixture stop the broker with everything it started, and only that.
    pid = kafka_broker.process.pid
    assert os.getpgid(pid) == pid != os.getpgid(0)
    print(f"Kafka broker started in {kafka_broker.start_seconds:.1f} s")


def test_a_cluster_id_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    """The storage tool reads ``--cluster-id -x...`` as an option and refuses to format:
    1 broker start in 64 failed so before (seen once in make test)."""
    drawn = iter([uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=bytes(16))])
    monkeypatch.setattr(uuid, "uuid4", lambda: next(drawn))
    assert cluster_id() == "AAAAAAAAAAAAAAAAAAAAAA"  # the first draw, "-AAA...", was skipped
