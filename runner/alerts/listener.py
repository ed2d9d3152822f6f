"""``Listener``: GCN notices from Kafka into the trigger tables, one micro-batch at a time.

Each turn takes at most ``batch_max_messages`` messages (waiting at most
``batch_max_seconds``), writes them in one transaction (runner/alerts/store.py)
and only then hands their offsets to the client to commit: a crash or kill -9 in
between replays the batch, which the store recognises by its offsets. A message
the parsers refuse is quarantined with its reason and the stream goes on; the
client reconnects by itself when the broker restarts.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from runner.alerts.store import Change, Received, TriggerStore
from vastobs.config import AlertsConfig

CLOSE_SECONDS = 5.0  # the longest a stop waits for the broker to take the final commit


@dataclass
class ListenSummary:
    messages: int = 0
    batches: int = 0
    quarantined: int = 0
    replayed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    longest_hold_seconds: float = 0.0  # the longest one batch held the database


class Listener:
    def __init__(
        self,
        consumer: Any,  # a confluent_kafka.Consumer (or one with its methods)
        store: TriggerStore,
        alerts: AlertsConfig,
        on_change: Callable[[Change], None] | None = None,
        on_assigned: Callable[[], None] | None = None,
    ) -> None:
        self.consumer, self.store, self.alerts = consumer, store, alerts
        self.on_change = on_change or (lambda change: None)
        # Told once, when the group first gives this listener its partitions: from then on a
        # notice published is read within a batch's bound (make alerts waits for it).
        self.on_assigned = on_assigned or (lambda: None)

    def run(
        self,
        max_messages: int | None = None,
        idle_seconds: float | None = None,
        stop: threading.Event | None = None,
    ) -> ListenSummary:
        """Consume until ``stop`` is set, ``max_messages`` were written, or nothing came for
        ``idle_seconds``; the consumer is closed in every case, within
        ``CLOSE_SECONDS``."""
        summary = ListenSummary()
        assigned = threading.Event()  # idle time counts once the partitions are ours

        def on_assign(*_: Any) -> None:
            if not assigned.is_set():
                self.on_assigned()
            assigned.set()

        self.consumer.subscribe(list(self.alerts.topics), on_assign=on_assign)
        last_message = time.monotonic()
        try:
            while not (stop and stop.is_set()):
                if max_messages is not None and summary.messages >= max_messages:
                    break
                received = self._take()
                if not received:
                    if not assigned.is_set():
                        last_message = time.monotonic()
                    elif (
                        idle_seconds is not None and time.monotonic() - last_message > idle_seconds
                    ):
                        break
                    continue
                last_message = time.monotonic()
                self._write(received, summary)
        finally:
            self._close()
        return summary

    def _close(self) -> None:
        """Close the consumer, waiting at most ``CLOSE_SECONDS``. The client's close commits the
        stored offsets and, with no broker to take them (an outage), waits out the whole
        session timeout for one: a Ctrl-C then would hang. The rows are written, so a
        commit given up here is a replay next run, which the store skips."""
        closing = threading.Thread(target=self.consumer.close, name="kafka-close", daemon=True)
        closing.start()
        closing.join(CLOSE_SECONDS)
        if closing.is_alive():
            print(
                f"kafka: no broker took the final commit within {CLOSE_SECONDS:g} s; stopping "
                "without it (the next run reads those notices again and skips them)",
                file=sys.stderr,
            )

    def _take(self) -> list[Received]:
        from confluent_kafka import TIMESTAMP_NOT_AVAILABLE, KafkaError

        messages = self.consumer.consume(
            num_messages=self.alerts.batch_max_messages, timeout=self.alerts.batch_max_seconds
        )
        received = []
        for message in messages:
            error = message.error()
            if error is not None:
                if error.fatal() or error.code() == KafkaError._FATAL:
                    raise RuntimeError(f"kafka: {error.str()}")
                if error.code() != KafkaError._PARTITION_EOF:
                    print(f"kafka: {error.str()} (retrying)", file=sys.stderr)
                continue
            kind, stamp = message.timestamp()
            received.append(
                Received(
                    message.topic(), message.partition(), message.offset(), message.value(),
                    stamp if kind != TIMESTAMP_NOT_AVAILABLE else None,
                )
            )  # fmt: skip
        return received

    def _write(self, received: list[Received], summary: ListenSummary) -> None:
        result = self.store.write(received)
        self._store_offsets(received)  # durable now: the next offsets to read are past these
        summary.messages += len(received)
        summary.batches += 1
        summary.quarantined += result.quarantined
        summary.replayed += result.replayed
        summary.longest_hold_seconds = max(summary.longest_hold_seconds, result.hold_seconds)
        for change in result.changes:
            summary.outcomes[change.outcome] = summary.outcomes.get(change.outcome, 0) + 1
            self.on_change(change)

    def _store_offsets(self, received: list[Received]) -> None:
        """Hand the written offsets to the client, which commits them within
        ``auto.commit.interval.ms``, on a rebalance and on close. A synchronous commit of
        ours could hang for good after a broker restart (confluent-kafka-python #1801:
        make test met it twice, 120 s in ``commit``)."""
        from confluent_kafka import KafkaException, TopicPartition

        ends: dict[tuple[str, int], int] = {}
        for message in received:
            key = (message.topic, message.partition)
            ends[key] = max(ends.get(key, 0), message.offset + 1)
        try:
            self.consumer.store_offsets(
                offsets=[TopicPartition(t, p, o) for (t, p), o in sorted(ends.items())]
            )
        except KafkaException as exc:
            # A partition taken away meanwhile (an outage): whoever reads it next replays
            # the batch, and the store skips what it holds.
            print(f"kafka: {exc.args[0].str()}; the rows are written", file=sys.stderr)
