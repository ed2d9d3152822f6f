"""A Kafka message (topic, value) -> a ``Notice`` or a ``Rejected`` with its one-line reason.

The topic says whose notice it is and in which format (``ROUTES``, the one
table of topics); the format module reads the facts; ``make_notice`` checks
them. Nothing here talks to Kafka or a database, and no exception escapes
``parse_notice``: a listener quarantines whatever is ``Rejected``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runner.alerts import gcn_json, gcn_text, voevent
from runner.alerts.model import (
    Facts,
    Notice,
    NoticeError,
    Rejected,
    SourceFormat,
    make_notice,
)

# GCN's own notices are a few KB; its Kafka brokers take messages up to a few MB.
MAX_VALUE_BYTES = 1 << 20


@dataclass(frozen=True)
class Route:
    """Topics (one, or a prefix ending in ``*``) -> the stack's observatory and the format."""

    topics: str
    observatory: str
    source_format: SourceFormat

    def matches(self, topic: str) -> bool:
        if self.topics.endswith("*"):
            return topic.startswith(self.topics[:-1])
        return topic == self.topics


# Classic notice types that carry a position, by the observatory that issues them;
# each is a VOEvent topic and a text topic (gcn.classic.{voevent,text}.<TYPE>).
CLASSIC_TYPES: dict[str, str] = {
    "SWIFT_BAT_GRB_POS_ACK": "swift",
    "SWIFT_BAT_QL_POS": "swift",
    "SWIFT_XRT_POSITION": "swift",
    "SWIFT_UVOT_POS": "swift",
    "FERMI_GBM_FLT_POS": "fermi",
    "FERMI_GBM_GND_POS": "fermi",
    "FERMI_GBM_FIN_POS": "fermi",
}

# The one topic table (docs/alerts.md shows it); the first match wins.
ROUTES: tuple[Route, ...] = (
    Route("gcn.notices.swift.bat.guano", "swift", "gcn_json"),
    Route("gcn.notices.einstein_probe.wxt.alert", "einstein_probe", "gcn_json"),
    Route("gcn.notices.svom.voevent.*", "svom", "voevent"),
    Route("gcn.notices.svom.*", "svom", "gcn_json"),
    *(Route(f"gcn.classic.voevent.{t}", obs, "voevent") for t, obs in CLASSIC_TYPES.items()),
    *(Route(f"gcn.classic.text.{t}", obs, "gcn_text") for t, obs in CLASSIC_TYPES.items()),
)

# How a trigger is named when the notice gives no name: "<label> trigger <id>",
# except Fermi GBM's own bnYYMMDDfff (fff: thousandths of the day).
LABELS: dict[str, str] = {
    "swift": "Swift",
    "einstein_probe": "EP",
    "svom": "SVOM",
    "fermi": "Fermi",
}


def route_of(topic: str) -> Route | None:
    """The route of a topic, or None for a topic we do not read."""
    return next((r for r in ROUTES if r.matches(topic)), None)


def trigger_name(observatory: str, facts: Facts) -> str:
    """The name as issued, or a stable one derived from what every notice of the trigger has."""
    if facts.trigger_name:
        return facts.trigger_name
    if observatory == "fermi" and facts.trigger_time is not None:
        t = facts.trigger_time
        seconds = t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6
        return f"bn{t:%y%m%d}{min(round(seconds / 86.4), 999):03d}"
    return f"{LABELS.get(observatory, observatory)} trigger {facts.trigger_id}"


def _text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NoticeError(f"not UTF-8 text (byte {exc.start})") from None


def _facts(source_format: SourceFormat, value: bytes) -> Facts:
    if source_format == "gcn_json":
        return gcn_json.parse(_text(value))
    if source_format == "voevent":
        return voevent.parse(value)
    return gcn_text.parse(_text(value))


def parse_notice(topic: str, value: bytes | str | None) -> Notice | Rejected:
    """The notice in a Kafka message, or why it is none; never raises."""
    try:
        route = route_of(topic)
        if route is None:
            return Rejected(f"unknown topic {topic[:120]!r}: no notice format is known for it")
        if value is None or len(value) == 0 or not value.strip():
            return Rejected("empty value")
        data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        if len(data) > MAX_VALUE_BYTES:
            return Rejected(f"value of {len(data)} bytes is over the {MAX_VALUE_BYTES} allowed")
        facts = _facts(route.source_format, data)
        return make_notice(
            facts,
            topic=topic,
            observatory=route.observatory,
            source_format=route.source_format,
            trigger_name=trigger_name(route.observatory, facts),
        )
    except NoticeError as exc:
        return Rejected(str(exc))
    except Exception as exc:  # a parser bug must not stop the stream: quarantine it
        return Rejected(f"unexpected {type(exc).__name__} while parsing: {str(exc)[:200]}")


def to_trigger_row(notice: Notice) -> dict[str, Any]:
    """The ``triggers`` kind's columns (queries/kinds/triggers.sql) for a position notice.

    ``significance`` stays None when the notice gives no SNR (an XRT
    position, say): the column is NOT NULL, and what an unknown counts as is
    the writer's policy, not the parser's. ``hpx`` is the nested HEALPix
    index at order 14 (vastobs.sky).
    """
    if notice.kind != "position":
        raise ValueError(f"a {notice.kind} notice has no trigger row (trigger {notice.trigger_id})")
    from vastobs.sky import healpix14  # loads astropy: only when a row is made

    if notice.ra is None or notice.dec is None:  # make_notice guarantees both
        raise ValueError(f"position notice without a position (trigger {notice.trigger_id})")
    return {
        "trigger_id": notice.trigger_id,
        "trigger_name": notice.trigger_name,
        "trigger_time": notice.trigger_time,
        "ra": notice.ra,
        "dec": notice.dec,
        "err_radius_arcsec": notice.err_radius_arcsec,
        "hpx": healpix14(notice.ra, notice.dec),
        "significance": notice.significance,
    }
