"""Replaying a dataset's bursts as GCN notices: the alerts demo and the latency benchmark.

Each row of a ``triggers`` table (the demo's ``swift/bursts.parquet``, made by
``python -m runner demo-data``) becomes the notice Swift's BAT-GUANO would have
sent for it on ``gcn.notices.swift.bat.guano``, in GCN's unified JSON schema as
``runner/alerts/gcn_json.py`` reads it: the trigger's time, position and 90%
radius (in degrees), and an image SNR whose ``1 - exp(-snr / 4)`` is the row's
significance, so the listener writes back the row it came from (the planted
answers pin ``as_of``, so past trigger times check exactly). Optionally each
trigger also gets a refined ``update`` notice (a ten times smaller radius, same
centre), as GUANO's later localisations do.

Notices are published at a steady rate (each one at ``start + i / rate``, a
late one at once) and carry their publish time in the ``vastobs-published-ns``
header (Unix nanoseconds), so a consumer can measure latency end to end.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vastobs.errors import ParameterError

TOPIC = "gcn.notices.swift.bat.guano"
PUBLISHED_HEADER = "vastobs-published-ns"
CONTAINMENT = 0.9  # ra_dec_error is the 90% radius, as the triggers kind keeps it
UPDATE_SHRINK = 10.0  # an update notice's radius: the first one's over this
# 1 - exp(-200 / 4) is 1.0 in a double: the SNR that gives a significance of 1 back.
MAX_SNR = 200.0
NEEDED = ("trigger_id", "trigger_time", "ra", "dec", "err_radius_arcsec", "significance")


def read_triggers(path: Path, count: int | None = None) -> list[dict[str, Any]]:
    """The rows of a triggers table's Parquet file, oldest trigger first (``count``: the first
    so many)."""
    import pyarrow.parquet as pq

    if not path.is_file():
        raise ParameterError(
            f"--from: {path} not found (make it with `python -m runner demo-data`)"
        )
    table = pq.read_table(path)
    missing = [c for c in NEEDED if c not in table.column_names]
    if missing:
        raise ParameterError(f"--from: {path} has no column {', '.join(missing)}")
    rows = sorted(table.to_pylist(), key=lambda r: (r["trigger_time"], r["trigger_id"]))
    return rows if count is None else rows[:count]


def image_snr(significance: float) -> float:
    """The SNR the listener turns back into ``significance`` (docs/alerts.md: 1 - exp(-snr/4))."""
    if not 0 <= significance <= 1:
        raise ParameterError(f"significance {significance} is outside [0, 1]")
    if significance >= 1:
        return MAX_SNR
    return min(MAX_SNR, -4.0 * math.log1p(-significance))


def _iso_z(when: dt.datetime) -> str:
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when.isoformat(timespec="microseconds") + "Z"


def notice(
    row: Mapping[str, Any],
    alert_type: str = "initial",
    record_number: int = 1,
    now: dt.datetime | None = None,
) -> bytes:
    """One BAT-GUANO notice for a triggers row (``update``: the radius ``UPDATE_SHRINK`` times
    smaller)."""
    radius_deg = float(row["err_radius_arcsec"]) / 3600.0
    if alert_type == "update":
        radius_deg /= UPDATE_SHRINK
    doc: dict[str, Any] = {
        "$schema": "https://gcn.nasa.gov/schema/v4.1.0/gcn/notices/swift/bat/guano/alert.schema.json",
        "mission": "SWIFT",
        "instrument": "BAT-GUANO",
        "alert_type": alert_type,
        "alert_datetime": _iso_z(now or dt.datetime.now(dt.UTC)),
        "record_number": record_number,
        "id": [int(row["trigger_id"])],
        "trigger_time": _iso_z(row["trigger_time"]),
        "ra": float(row["ra"]),
        "dec": float(row["dec"]),
        "ra_dec_error": radius_deg,
        "containment_probability": CONTAINMENT,
        "image_snr": image_snr(float(row["significance"])),
    }
    name = row.get("grb_name") or row.get("trigger_name")
    if name:  # the demo's burst names (real notices leave names to the circulars)
        doc["event_name"] = str(name)
    return json.dumps(doc).encode()


def notices(rows: Iterable[Mapping[str, Any]], updates: bool = False) -> Iterator[bytes]:
    """Each row's initial notice, then (``updates``) its refined one."""
    for row in rows:
        yield notice(row)
        if updates:
            yield notice(row, "update", record_number=2)


@dataclass
class ReplaySummary:
    sent: int = 0
    failed: int = 0  # delivery reports with an error
    seconds: float = 0.0  # first publish to the last delivery report

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else 0.0


def producer_config(bootstrap: str) -> dict[str, Any]:
    """A plain broker's producer: acknowledged by the broker, sent within 5 ms, bounded waits."""
    return {
        "bootstrap.servers": bootstrap,
        "acks": "all",
        "linger.ms": 5,  # small batches: latency over throughput
        "message.timeout.ms": 30_000,
        "socket.timeout.ms": 10_000,
        "client.id": "vastobs-replay",
    }


def publish(
    bootstrap: str,
    values: Iterable[bytes],
    rate: float,
    topic: str = TOPIC,
    stop: threading.Event | None = None,
    on_sent: Callable[[int], None] | None = None,
) -> ReplaySummary:
    """Publish ``values`` at ``rate`` notices per second; every one stamped with its publish time
    (``PUBLISHED_HEADER``). Returns once all are acknowledged (or ``stop`` is set)."""
    from confluent_kafka import Producer  # librdkafka: only the commands that publish

    if not rate > 0:
        raise ParameterError(f"--rate {rate} must be above 0")
    producer = Producer(producer_config(bootstrap))
    summary = ReplaySummary()

    def delivered(error: Any, _message: Any) -> None:
        if error is not None:
            summary.failed += 1

    began = time.monotonic()
    for i, value in enumerate(values):
        due = began + i / rate
        while (wait := due - time.monotonic()) > 0:
            if stop is not None and stop.wait(min(wait, 0.5)):
                break
            if stop is None:
                time.sleep(wait)
        if stop is not None and stop.is_set():
            break
        while True:
            try:
                producer.produce(
                    topic,
                    value=value,
                    headers=[(PUBLISHED_HEADER, str(time.time_ns()).encode())],
                    on_delivery=delivered,
                )
                break
            except BufferError:  # the local queue is full: let it drain
                producer.poll(0.05)
        summary.sent += 1
        producer.poll(0)
        if on_sent is not None:
            on_sent(summary.sent)
    left = producer.flush(30)
    summary.failed += left
    summary.seconds = time.monotonic() - began
    return summary
