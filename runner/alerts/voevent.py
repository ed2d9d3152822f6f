"""VOEvent 2.0 notices: GCN classic (``gcn.classic.voevent.*``) and SVOM's.

The trigger is the ``TrigID`` param; the position, time and 90% radius are in
``WhereWhen`` (``Position2D`` ``C1``/``C2``/``Error2Radius`` in degrees,
``ISOTime`` in UTC). No external XML library: a notice with a DOCTYPE is
refused before ElementTree sees it, so no entity (external or expanding,
the "billion laughs") is ever declared, let alone resolved.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.parsers import expat

from runner.alerts.model import (
    Facts,
    NoticeError,
    check_radius,
    integer_id,
    number,
    tjd_sod,
    utc_time,
)

TRIGGER_PARAMS = ("TrigID", "Trigger_ID", "Burst_Id")
SNR_PARAMS = ("Image_Signif", "Rate_Signif", "Trig_Signif", "Data_Signif")
TRUE = {"true", "yes", "1"}


def _refuse_dtd(*_: object) -> None:
    raise NoticeError("XML with a DOCTYPE (DTD, entities) is not accepted in a notice")


def load(data: bytes) -> ET.Element:
    """The parsed VOEvent root, once a DTD-free pass over the same bytes succeeded."""
    guard = expat.ParserCreate()
    guard.StartDoctypeDeclHandler = _refuse_dtd
    guard.EntityDeclHandler = _refuse_dtd
    guard.ExternalEntityRefHandler = _refuse_dtd
    try:
        guard.Parse(data, True)
        return ET.fromstring(data)
    except (expat.ExpatError, ET.ParseError) as exc:
        raise NoticeError(f"not XML: {exc}") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _first(root: ET.Element, name: str) -> ET.Element | None:
    return next((e for e in root.iter() if _local(e.tag) == name), None)


def _text(root: ET.Element | None, name: str) -> str | None:
    element = None if root is None else _first(root, name)
    text = None if element is None else (element.text or "").strip()
    return text or None


def parse(data: bytes) -> Facts:
    root = load(data)
    if _local(root.tag) != "VOEvent":
        raise NoticeError(f"XML root is <{_local(root.tag)}>, not <VOEvent>")
    role = root.get("role", "observation")
    if role == "test":
        raise NoticeError("a test notice (VOEvent role 'test')")
    params: dict[str, str] = {}
    for element in root.iter():
        if _local(element.tag) == "Param" and element.get("name"):
            params.setdefault(element.get("name", ""), element.get("value", "").strip())

    trigger = next((params[p] for p in TRIGGER_PARAMS if p in params), None)
    if trigger is None:
        raise NoticeError(f"missing Param {TRIGGER_PARAMS[0]}")
    trigger_id = integer_id(trigger, TRIGGER_PARAMS[0])

    retraction = params.get("Retraction", "").lower() in TRUE or any(
        _local(e.tag) == "EventIVORN" and e.get("cite") == "retraction" for e in root.iter()
    )
    where = _first(root, "WhereWhen")
    iso = _text(where, "ISOTime")
    if iso is not None:
        trigger_time = utc_time(iso, "ISOTime")
    elif "Burst_TJD" in params and "Burst_SOD" in params:
        tjd = number(params["Burst_TJD"], "Burst_TJD")
        sod = number(params["Burst_SOD"], "Burst_SOD")
        trigger_time = tjd_sod(tjd, sod, "Burst_TJD/Burst_SOD")
    else:
        trigger_time = None

    ra = dec = radius = None
    position = None if where is None else _first(where, "Position2D")
    if position is not None:
        unit = position.get("unit", "deg")
        if unit != "deg":
            raise NoticeError(f"Position2D unit {unit!r} is not 'deg'")
        c1, c2 = _text(position, "C1"), _text(position, "C2")
        ra = None if c1 is None else number(c1, "C1 (ra)")
        dec = None if c2 is None else number(c2, "C2 (dec)")
        error = _text(position, "Error2Radius")
        if error is not None:
            radius = check_radius(number(error, "Error2Radius") * 3600.0, "Error2Radius")
    if not retraction:
        needed = {"ISOTime": trigger_time, "C1": ra, "C2": dec, "Error2Radius": radius}
        for name, value in needed.items():
            if value is None:
                raise NoticeError(f"missing {name} in WhereWhen")

    snr_name = next((p for p in SNR_PARAMS if p in params), None)
    date = _text(_first(root, "Who"), "Date")
    serial = params.get("Pkt_Ser_Num")
    return Facts(
        trigger_id=trigger_id,
        kind="retraction" if retraction else "position",
        trigger_time=trigger_time,
        ra=ra,
        dec=dec,
        err_radius_arcsec=radius,
        snr=None if snr_name is None else number(params[snr_name], snr_name),
        notice_time=None if date is None else utc_time(date, "Who/Date"),
        record_number=None if serial is None else integer_id(serial, "Pkt_Ser_Num"),
    )
