"""GCN notice parsers (runner/alerts): every fixture in tests/fixtures/notices/ against its record.

Each input ``<name>`` has ``<name>.expected.json`` beside it: the Kafka topic
it arrives on and either the ``notice`` it becomes (times ISO UTC, radii in
arcsec, significance in [0, 1]) or the one-line ``rejected`` reason. The
examples are hand-written in GCN's layouts; the expected values were worked
out by hand (0.0833 deg = 299.88 arcsec; TJD 17188 + 66660 s = 2015-06-15
18:31:00; 1 - exp(-11.63 / 4) = 0.945388; ...).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from pathlib import Path

import pytest

from runner.alerts import ROUTES, Notice, Rejected, parse_notice, route_of, to_trigger_row
from runner.alerts.notices import MAX_VALUE_BYTES
from vastobs.kinds import load_kind
from vastobs.sky import healpix14

FIXTURES = Path(__file__).parent / "fixtures" / "notices"
PROJECT_DIR = Path(__file__).resolve().parents[1]
INPUTS = sorted(p for p in FIXTURES.iterdir() if not p.name.endswith(".expected.json"))


def _expected(path: Path) -> dict:
    return json.loads(path.with_name(path.name + ".expected.json").read_text(encoding="utf-8"))


def _parse(name: str) -> Notice:
    path = FIXTURES / name
    notice = parse_notice(_expected(path)["topic"], path.read_bytes())
    assert isinstance(notice, Notice), notice
    return notice


def test_every_fixture_has_its_expected_record() -> None:
    expected = {p.name.removesuffix(".expected.json") for p in FIXTURES.glob("*.expected.json")}
    assert expected == {p.name for p in INPUTS}


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name)
def test_fixture(path: Path) -> None:
    expected = _expected(path)
    result = parse_notice(expected["topic"], path.read_bytes())
    if "rejected" in expected:
        assert result == Rejected(expected["rejected"])
        return
    assert isinstance(result, Notice), result
    got = dataclasses.asdict(result)
    assert got.pop("topic") == expected["topic"]
    for name, want in expected["notice"].items():
        value = got.pop(name)
        if isinstance(value, dt.datetime):
            assert value.tzinfo is None, name  # naive UTC
            value = value.isoformat()
        if isinstance(want, float):
            assert value == pytest.approx(want, abs=1e-4), name
        else:
            assert value == want, name
    assert not got, f"fields not in the expected record: {sorted(got)}"


def test_the_three_formats_of_one_burst_agree() -> None:
    """The BAT position as VOEvent (degrees) and as text (arcmin, TJD/SOD) is the same fact."""
    xml, text = _parse("swift_bat_pos.xml"), _parse("swift_bat_pos.txt")
    fields = ("trigger_id", "trigger_name", "trigger_time", "ra", "dec", "err_radius_arcsec")
    assert [getattr(xml, f) for f in fields] == [getattr(text, f) for f in fields]
    assert xml.err_radius_arcsec == 180.0  # 0.05 deg and 3.00 arcmin


def test_a_refined_notice_names_the_same_trigger_with_a_smaller_circle() -> None:
    initial, update = _parse("swift_guano_initial.json"), _parse("swift_guano_update.json")
    assert (initial.observatory, initial.trigger_id, initial.trigger_name) == (
        update.observatory,
        update.trigger_id,
        update.trigger_name,
    )
    # 0.035 deg at 68% is 126 arcsec; at 90% it is sqrt(ln 10 / -ln 0.32) times that.
    assert update.err_radius_arcsec == pytest.approx(126.0 * 1.4215535, rel=1e-6)
    assert update.err_radius_arcsec < initial.err_radius_arcsec


def test_trigger_row_has_the_triggers_kind_columns() -> None:
    notice = _parse("swift_guano_update.json")
    row = to_trigger_row(notice)
    columns = [c.name for c in load_kind(PROJECT_DIR, "triggers").columns]
    assert list(row) == columns
    assert row["trigger_time"] == dt.datetime(2024, 5, 12, 7, 41, 23, 456000)
    assert row["hpx"] == healpix14(201.3902, -43.0078)
    assert 0 <= row["hpx"] < 12 * 4**14
    assert row["significance"] == pytest.approx(1 - math.exp(-11.2 / 4))


def test_trigger_row_without_snr_leaves_significance_to_the_writer() -> None:
    notice = dataclasses.replace(_parse("swift_bat_pos.xml"), significance=None)
    assert to_trigger_row(notice)["significance"] is None


def test_a_retraction_has_no_trigger_row() -> None:
    with pytest.raises(ValueError, match="retraction notice has no trigger row"):
        to_trigger_row(_parse("swift_guano_retraction.json"))


def test_oversized_value_is_rejected_before_parsing() -> None:
    value = b'{"id": [1], "pad": "' + b"x" * MAX_VALUE_BYTES + b'"}'
    result = parse_notice("gcn.notices.swift.bat.guano", value)
    assert result == Rejected(f"value of {len(value)} bytes is over the {MAX_VALUE_BYTES} allowed")


@pytest.mark.parametrize(
    ("topic", "value"),
    [
        ("gcn.notices.swift.bat.guano", None),
        ("gcn.notices.swift.bat.guano", b"   \n"),
        ("gcn.notices.swift.bat.guano", b"\x00" * 64),
        ("gcn.notices.swift.bat.guano", b'{"id": [1], "trigger_time": 20240512}'),
        ("gcn.notices.swift.bat.guano", b'{"id": {"a": 1}}'),
        ("gcn.notices.swift.bat.guano", b'{"id": [1], "localization": [1, 2]}'),
        ("gcn.notices.svom.voevent.eclairs", b"<VOEvent/>"),
        ("gcn.classic.voevent.FERMI_GBM_FLT_POS", b"<notes><VOEvent/></notes>"),
        ("gcn.classic.text.SWIFT_XRT_POSITION", b"TRIGGER_NUM: -5\n"),
        (
            "gcn.classic.text.SWIFT_XRT_POSITION",
            "TRIGGER_NUM: 1\nGRB_RA: 1e400d\n",
        ),  # str values are accepted too
        ("gcn.notices.swift.bat.guano", '{"id": [' + "9" * 5000 + "]}"),
        ("gcn.notices.swift.bat.guano", '{"id": [1], "ra": 1, "dec": 2, "ra_dec_error": 0}'),
    ],
)
def test_odd_values_are_rejected_not_raised(topic: str, value: bytes | str | None) -> None:
    result = parse_notice(topic, value)
    assert isinstance(result, Rejected)
    assert result.reason and "\n" not in result.reason and len(result.reason) < 200
    assert not result.reason.startswith("unexpected"), result.reason  # handled, not caught


def test_a_parser_bug_is_rejected_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a format module raises, the stream goes on: the message is quarantined."""

    def broken(text: str) -> None:
        raise KeyError("ra")

    monkeypatch.setattr("runner.alerts.gcn_json.parse", broken)
    result = parse_notice("gcn.notices.swift.bat.guano", b"{}")
    assert result == Rejected("unexpected KeyError while parsing: 'ra'")


def test_topic_table() -> None:
    """Each topic family the docs list maps to the stack's observatory and its format."""
    cases = {
        "gcn.notices.swift.bat.guano": ("swift", "gcn_json"),
        "gcn.classic.voevent.SWIFT_BAT_GRB_POS_ACK": ("swift", "voevent"),
        "gcn.classic.text.SWIFT_BAT_GRB_POS_ACK": ("swift", "gcn_text"),
        "gcn.classic.text.SWIFT_XRT_POSITION": ("swift", "gcn_text"),
        "gcn.notices.einstein_probe.wxt.alert": ("einstein_probe", "gcn_json"),
        "gcn.notices.svom.voevent.eclairs": ("svom", "voevent"),
        "gcn.classic.voevent.FERMI_GBM_GND_POS": ("fermi", "voevent"),
    }
    for topic, want in cases.items():
        route = route_of(topic)
        assert route is not None and (route.observatory, route.source_format) == want, topic
    assert route_of("gcn.classic.text.FERMI_GBM_ALERT") is None  # no position in it
    assert route_of("gcn.notices.swift.bat.guano.extra") is None
    assert len({r.topics for r in ROUTES}) == len(ROUTES)


def test_docs_list_every_route() -> None:
    docs = (PROJECT_DIR / "docs" / "alerts.md").read_text(encoding="utf-8")
    missing = [r.topics for r in ROUTES if f"`{r.topics}`" not in docs]
    classic = [t for t in missing if t.startswith("gcn.classic.")]
    types = {t.rsplit(".", 1)[1] for t in classic}
    assert all(f"`{t}`" in docs for t in types), sorted(types)
    assert [t for t in missing if not t.startswith("gcn.classic.")] == []
