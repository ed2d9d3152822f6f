"""The alert stream as the broker sees it: per partition, the listener group's committed
offset, the watermarks and the timestamp of the newest message, for ``monitor``.

Read through the listener's own consumer configuration (``consumer_config``: the
same brokers, GCN's OIDC and credentials), but as an onlooker: the consumer never
subscribes, so it never joins the group and never takes a partition from the
listener; it never commits; it asks the group's coordinator for the committed
offsets (``committed``), each partition's leader for its watermarks, and reads
the last message of each partition with ``assign`` (no group involved). Every
call shares one deadline, so a broker that does not answer costs at most
``timeout_seconds``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.alerts.consumer import consumer_config
from vastobs.config import AlertsConfig
from vastobs.errors import VastobsError

SECRET_KEYS = ("sasl.oauthbearer.client.secret", "sasl.password")


class StreamUnreadable(VastobsError):
    """The broker did not answer in time, or refused: one line, never a credential."""


@dataclass(frozen=True)
class PartitionOffsets:
    topic: str
    partition: int
    low: int  # the oldest offset the broker still keeps
    high: int  # the next offset to be written: the partition's end
    committed: int | None  # the group's next offset to read; None: never committed here
    newest_timestamp_ms: int | None  # Kafka timestamp of the newest message; None: none read

    @property
    def lag(self) -> int:
        """Messages kept that the group has not committed past (all of them if it never did)."""
        start = self.low if self.committed is None else max(self.committed, self.low)
        return max(0, self.high - start)

    def as_dict(self) -> dict[str, Any]:
        return {
            "partition": self.partition,
            "low": self.low,
            "high": self.high,
            "committed": self.committed,
            "lag": self.lag,
        }


@dataclass(frozen=True)
class StreamReading:
    partitions: tuple[PartitionOffsets, ...]
    missing_topics: tuple[str, ...]  # named in the stack, unknown to (or hidden by) the broker


def bootstrap_of(alerts: AlertsConfig) -> str:
    """Where the stream is read from, for messages (a host list: no credential in it)."""
    return f"kafka.{alerts.gcn_domain}" if alerts.gcn_domain else alerts.brokers


def monitor_config(listener_config: Mapping[str, Any]) -> dict[str, Any]:
    """The listener's settings for an onlooker: no commits, its own client id,
    end-of-partition events, and librdkafka's own log lines off (an unreachable broker
    is one line of ours, not a stream of connection errors)."""
    return {
        **listener_config,
        "client.id": "vastobs-monitor",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
        "log_level": 0,
    }


def read_stream(
    alerts: AlertsConfig,
    project_dir: Path,
    timeout_seconds: float,
    environ: Mapping[str, str] = os.environ,
) -> StreamReading:
    """Offsets and newest timestamps of the stack's topics, within ``timeout_seconds``."""
    from confluent_kafka import Consumer, KafkaError, KafkaException

    config = monitor_config(consumer_config(alerts, project_dir, environ))
    deadline = time.monotonic() + timeout_seconds

    def left() -> float:
        return max(0.01, deadline - time.monotonic())

    unreachable = {
        KafkaError._TRANSPORT,
        KafkaError._TIMED_OUT,
        KafkaError._ALL_BROKERS_DOWN,
        KafkaError._RESOLVE,
    }
    consumer = None
    try:
        consumer = Consumer(config)
        return _read(consumer, alerts.topics, left, deadline)
    except KafkaException as exc:
        error = exc.args[0] if exc.args and isinstance(exc.args[0], KafkaError) else None
        detail = error.str() if error is not None else str(exc)
        where = bootstrap_of(alerts)
        message = (
            f"broker {where} not reachable within {timeout_seconds:g} s ({detail})"
            if error is None or error.code() in unreachable
            else f"broker {where}: {detail}"
        )
        for key in SECRET_KEYS:  # librdkafka's texts hold none; make sure of it
            if config.get(key):
                message = message.replace(str(config[key]), "***")
        raise StreamUnreadable(message) from None
    finally:
        if consumer is not None:
            consumer.close()


def _read(consumer: Any, topics: tuple[str, ...], left: Any, deadline: float) -> StreamReading:
    from confluent_kafka import OFFSET_INVALID, KafkaError, TopicPartition

    metadata = consumer.list_topics(timeout=left())
    missing, wanted = [], []
    for topic in topics:
        found = metadata.topics.get(topic)
        if found is None or found.error is not None or not found.partitions:
            missing.append(topic)
            continue
        wanted += [TopicPartition(topic, p) for p in sorted(found.partitions)]
    committed = {
        (tp.topic, tp.partition): (
            None if tp.offset == OFFSET_INVALID or tp.offset < 0 else tp.offset
        )
        for tp in (consumer.committed(wanted, timeout=left()) if wanted else [])
    }
    marks = {
        (tp.topic, tp.partition): consumer.get_watermark_offsets(tp, timeout=left(), cached=False)
        for tp in wanted
    }
    # The newest message of each partition: assigned (not subscribed) at high - 1, read to
    # the partition's end (a message appended meanwhile is newer still).
    newest: dict[tuple[str, int], tuple[int, int]] = {}  # offset, timestamp ms
    tails = [TopicPartition(t, p, high - 1) for (t, p), (low, high) in marks.items() if high > low]
    pending = {(tp.topic, tp.partition) for tp in tails}
    if tails:
        consumer.assign(tails)
        while pending and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=100, timeout=min(left(), 0.2)):
                key = (message.topic(), message.partition())
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        pending.discard(key)
                    continue
                _, stamp = message.timestamp()
                if stamp > 0 and message.offset() >= newest.get(key, (-1, 0))[0]:
                    newest[key] = (message.offset(), stamp)
    partitions = tuple(
        PartitionOffsets(
            topic=t,
            partition=p,
            low=low,
            high=high,
            committed=committed.get((t, p)),
            newest_timestamp_ms=newest[(t, p)][1] if (t, p) in newest else None,
        )
        for (t, p), (low, high) in marks.items()
    )
    return StreamReading(partitions, tuple(missing))
