"""GCN's unified JSON notices (nasa-gcn/gcn-schema): the flat layout and the older nested one.

Schema v4 notices carry flat fields (``id``, ``trigger_time``, ``ra``,
``dec``, ``ra_dec_error`` in degrees, ``containment_probability``,
``rate_snr``, ``image_snr``, ``alert_type``, ...); earlier versions nested
them (``localization.ra``, ``localization.semi_major``,
``event_info.event_id``, ...). Each field is looked up through its flat
name first, then its nested spellings, so both parse the same way.
"""

from __future__ import annotations

import json
from typing import Any

from runner.alerts.model import (
    Facts,
    NoticeError,
    integer_id,
    number,
    radius_90_arcsec,
    utc_time,
)

# Field -> where it may be, flat name first (docs/alerts.md lists them).
PATHS: dict[str, tuple[str, ...]] = {
    "id": ("id", "event_info.event_id", "event_info.id", "event.id"),
    "trigger_time": ("trigger_time", "event_info.trigger_time", "event.trigger_time"),
    "ra": ("ra", "localization.ra"),
    "dec": ("dec", "localization.dec"),
    "ra_dec_error": ("ra_dec_error", "localization.ra_dec_error", "localization.semi_major"),
    "containment_probability": (
        "containment_probability",
        "localization.containment_probability",
    ),
    "image_snr": ("image_snr", "statistics.image_snr", "event_info.image_snr"),
    "rate_snr": ("rate_snr", "statistics.rate_snr", "event_info.rate_snr"),
    "alert_type": ("alert_type", "alert.alert_type"),
    "alert_datetime": ("alert_datetime", "alert.alert_datetime"),
    "record_number": ("record_number", "alert.record_number"),
    "event_name": ("event_name", "event_info.event_name"),
}
ALERT_TYPES = {"initial": "position", "update": "position", "retraction": "retraction"}
DEFAULT_CONTAINMENT = 0.9


def _refuse_constant(name: str) -> float:
    raise NoticeError(f"{name} is not a JSON number")


def load(text: str) -> dict[str, Any]:
    """The notice's JSON object; strict JSON (no NaN or Infinity)."""
    try:
        doc = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise NoticeError("not JSON: nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise NoticeError(f"not JSON: {exc.msg}: line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:  # e.g. an integer beyond Python's 4300-digit limit
        raise NoticeError(f"not JSON: {str(exc).splitlines()[0].split(';')[0]}") from None
    if not isinstance(doc, dict):
        raise NoticeError(f"not a JSON object but a {type(doc).__name__}")
    return doc


def _find(doc: dict[str, Any], field: str) -> Any:
    for path in PATHS[field]:
        node: Any = doc
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None:
            return node
    return None


def _required(doc: dict[str, Any], field: str) -> Any:
    value = _find(doc, field)
    if value is None:
        raise NoticeError(f"missing field {field}")
    return value


def parse(text: str) -> Facts:
    doc = load(text)
    alert_type = _find(doc, "alert_type")
    if alert_type is not None and alert_type not in ALERT_TYPES:
        allowed = ", ".join(ALERT_TYPES)
        raise NoticeError(f"alert_type {alert_type!r} is not one of {allowed}")
    kind = ALERT_TYPES[alert_type] if alert_type is not None else "position"

    ids = _required(doc, "id")
    if isinstance(ids, list):
        if not ids:
            raise NoticeError("id is an empty list: no trigger id")
        ids = ids[0]
    trigger_id = integer_id(ids, "id")

    position = kind == "position"
    get = _required if position else _find
    trigger_time = get(doc, "trigger_time")
    ra, dec, error = get(doc, "ra"), get(doc, "dec"), get(doc, "ra_dec_error")
    containment = _find(doc, "containment_probability")
    radius = None
    if error is not None:
        p = DEFAULT_CONTAINMENT
        if containment is not None:
            p = number(containment, "containment_probability")
        radius = radius_90_arcsec(number(error, "ra_dec_error"), p, "ra_dec_error")
    snr = _find(doc, "image_snr")
    snr_name = "image_snr"
    if snr is None:
        snr, snr_name = _find(doc, "rate_snr"), "rate_snr"
    alert_datetime = _find(doc, "alert_datetime")
    record_number = _find(doc, "record_number")
    name = _find(doc, "event_name")
    if name is not None and (not isinstance(name, str) or not 0 < len(name.strip()) <= 64):
        raise NoticeError("event_name is not a name of 1 to 64 characters")
    return Facts(
        trigger_id=trigger_id,
        kind=kind,
        trigger_time=None if trigger_time is None else utc_time(trigger_time, "trigger_time"),
        ra=None if ra is None else number(ra, "ra"),
        dec=None if dec is None else number(dec, "dec"),
        err_radius_arcsec=radius,
        snr=None if snr is None else number(snr, snr_name),
        notice_time=None if alert_datetime is None else utc_time(alert_datetime, "alert_datetime"),
        record_number=None if record_number is None else integer_id(record_number, "record_number"),
        trigger_name=None if name is None else name.strip(),
    )
