"""Every analytic on hand-made data whose answer is known by construction, on both engines.

The edge cases are the ones that break sky and time matching: RA wrapping at
0/360, a burst near the pole, follow-ups just outside the window or the error
circle, a low-significance burst, name variants. Rows are compared in the
order each query defines; floats to a relative 1e-9.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from devtools.toolchain import PROJECT_DIR
from devtools.trino_data import trino_with
from runner.catalog import Catalog
from runner.engines import DuckDBEngine, Engine
from runner.query import Query
from tests.support.compare import assert_same_rows
from tests.support.dataset import T0, local_database, write_parquet

ANALYTICS = PROJECT_DIR / "queries" / "analytics"
V404 = (306.0159, 33.8672)


def h(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def offset(ra: float, dec: float, arcsec: float) -> tuple[float, float]:
    """A point ``arcsec`` north of (ra, dec)."""
    return ra, dec + arcsec / 3600


DATA: dict[str, list[dict[str, Any]]] = {
    "swift.bursts": [
        {"trigger_id": 1, "grb_name": "GRB 150615A", "trigger_time": h(0), "ra": 10.0, "dec": 20.0, "err_radius_arcsec": 120.0, "significance": 0.95},
        {"trigger_id": 2, "grb_name": "GRB 150616A", "trigger_time": h(24), "ra": 359.995, "dec": -10.0, "err_radius_arcsec": 60.0, "significance": 0.99},
        {"trigger_id": 3, "grb_name": "GRB 150617A", "trigger_time": h(48), "ra": 45.0, "dec": 89.95, "err_radius_arcsec": 300.0, "significance": 0.97},
        {"trigger_id": 4, "grb_name": "GRB 150617B", "trigger_time": h(50), "ra": 200.0, "dec": 5.0, "err_radius_arcsec": 100.0, "significance": 0.5},
        {"trigger_id": 5, "grb_name": "GRB 150618A", "trigger_time": h(72), "ra": 120.0, "dec": -40.0, "err_radius_arcsec": 90.0, "significance": 0.92},
    ],
    "chandra.observations": [
        {"obsid": 101, "target_name": "GRB 150615A", "ra": offset(10.0, 20.0, 30)[0], "dec": offset(10.0, 20.0, 30)[1], "start_time": h(48)},
        {"obsid": 102, "target_name": "GRB 150615A", "ra": 10.0, "dec": 20.0, "start_time": h(169)},  # outside the window
        {"obsid": 103, "target_name": "FIELD", "ra": 10.0, "dec": 20.0 + 300 / 3600, "start_time": h(24)},  # outside the circle
        {"obsid": 104, "target_name": "GRB 150616A", "ra": 0.003, "dec": -10.0, "start_time": h(36)},  # across RA 0/360
        {"obsid": 105, "target_name": "GRB 150617A", "ra": 165.0, "dec": 89.98, "start_time": h(60)},  # near the pole
        {"obsid": 106, "target_name": "GRB 150617B", "ra": 200.0, "dec": 5.0, "start_time": h(52)},  # low-significance burst
        {"obsid": 16703, "target_name": "V404 Cyg", "ra": V404[0], "dec": V404[1], "start_time": h(5)},
        {"obsid": 107, "target_name": "GRB 150615A", "ra": 10.0, "dec": 20.0, "start_time": None, "status": "scheduled"},
    ],
    "swift.measurements": [
        {"obs_id": "00031403001", "target_name": "V404CYG", "mid_time": h(1), "ra": V404[0], "dec": V404[1], "snr": 10.0},
        {"obs_id": "00031403002", "target_name": "V404_CYG", "mid_time": h(2), "ra": V404[0] + 0.4 / 3600, "dec": V404[1], "snr": 12.0, "quality": "incbad"},
        {"obs_id": "00031403003", "target_name": "V404 CYG", "mid_time": h(3), "ra": V404[0], "dec": V404[1] - 0.5 / 3600, "snr": 14.0},
        {"obs_id": "00033861001", "target_name": "SWIFT J2025.5+3340", "instrument": "UVOT", "band": "UVW1", "mid_time": h(4), "ra": V404[0], "dec": V404[1], "err_radius_arcsec": 0.8},
        {"obs_id": "00031403001", "target_name": "V404CYG", "instrument": "BAT", "band": "15-150keV", "mid_time": h(1), "ra": V404[0] + 0.02, "dec": V404[1], "err_radius_arcsec": 90.0},
        {"obs_id": "00099999001", "target_name": "CRAB", "mid_time": h(1), "ra": 83.6331, "dec": 22.0145},
        # one target whose points straddle RA 0/360: its mean position is near 0, not 180
        {"obs_id": "00044444001", "target_name": "PSR J0000+10", "mid_time": h(200), "ra": 359.9999, "dec": 10.0},
        {"obs_id": "00044444002", "target_name": "PSR J0000+10", "mid_time": h(201), "ra": 0.0001, "dec": 10.0},
    ],
    "chandra.detections": [
        {"obsid": 16703, "source_number": 1, "source_name": "2CXO J202403.8+335201", "target_name": "V404 Cyg", "mid_time": h(10), "ra": V404[0], "dec": V404[1], "significance": 30.0},
        {"obsid": 16703, "source_number": 2, "source_name": "2CXO J202403.8+335201", "target_name": "V404 Cyg", "mid_time": h(30), "ra": V404[0], "dec": V404[1], "significance": 40.0, "pileup_flag": True},
        {"obsid": 101, "source_number": 1, "source_name": "2CXO J004000.0+200030", "mid_time": h(49), "ra": 10.0, "dec": 20.0 + 30 / 3600},
        {"obsid": 108, "source_number": 1, "source_name": "2CXO J000000.0+100000", "mid_time": h(500), "ra": 0.0002, "dec": 10.0},
        {"obsid": 109, "source_number": 1, "source_name": "2CXO J000000.0+100000", "mid_time": h(600), "ra": 359.9999, "dec": 10.0},
    ],
    "swift.observations": [
        {"obs_id": "00031403001", "target_name": "V404CYG", "ra": V404[0], "dec": V404[1]},
        {"obs_id": "00031403002", "target_name": "V404_CYG", "ra": V404[0], "dec": V404[1]},
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_parquet(tmp_path_factory.mktemp("data"), DATA)


@pytest.fixture(scope="module")
def duck(files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> DuckDBEngine:
    database = local_database(tmp_path_factory.mktemp("root"), files)
    return DuckDBEngine.for_file(database, Catalog.load(PROJECT_DIR))


def rows(engine: Engine, name: str, **params: Any) -> list[dict[str, Any]]:
    return engine.run(Query.load(ANALYTICS / f"{name}.sql"), params).table.to_pylist()


FOLLOWUP = {"window_hours": 168.0, "min_significance": 0.9}


def test_burst_followups_respect_window_circle_wrap_and_pole(duck: DuckDBEngine) -> None:
    found = [
        (r["trigger_observatory"], r["trigger_id"], r["followup_observatory"], r["observation_id"])
        for r in rows(duck, "burst_followup_sequences", **FOLLOWUP)
    ]
    assert found == [
        ("swift", 1, "chandra", "101"),
        ("swift", 2, "chandra", "104"),
        ("swift", 3, "chandra", "105"),
        ("swift", 5, None, None),
    ]
    first = rows(duck, "burst_followup_sequences", **FOLLOWUP)[0]
    assert first["delay_hours"] == 48.0
    assert first["separation_arcsec"] == pytest.approx(30.0, abs=1e-3)
    wider = rows(duck, "burst_followup_sequences", window_hours=170.0, min_significance=0.4)
    assert [(r["trigger_id"], r["observation_id"]) for r in wider] == [
        (1, "101"),
        (1, "102"),
        (2, "104"),
        (3, "105"),
        (4, "106"),
        (5, None),
    ]
    assert {r["trigger_name"] for r in wider} >= {"GRB 150615A", "GRB 150618A"}


def test_bursts_awaiting_followup(duck: DuckDBEngine) -> None:
    # as of the newest trigger (h72): replayed data names its clock; the default is now
    waiting = rows(duck, "bursts_awaiting_followup", min_significance=0.9, as_of=h(72))
    assert [(r["trigger_id"], r["hours_since_trigger"]) for r in waiting] == [(5, 0.0)]
    # At h30 burst 2 (h24) counts as answered by observation 104 though that starts at h36:
    # a scheduled ToO is an answer, the duty scientist need not act.
    assert (
        rows(
            duck, "bursts_awaiting_followup", min_significance=0.9, as_of=h(30), lookback_hours=12.0
        )
        == []
    )
    # Burst 4 is below 0.9; with the threshold lowered it is answered by 106.
    assert (
        rows(
            duck, "bursts_awaiting_followup", min_significance=0.4, as_of=h(51), lookback_hours=2.0
        )
        == []
    )
    assert [
        r["trigger_id"]
        for r in rows(duck, "bursts_awaiting_followup", min_significance=0.9, as_of=h(80))
    ] == [5]


def test_cross_observatory_objects_collect_every_name(duck: DuckDBEngine) -> None:
    found = rows(duck, "cross_observatory_objects", match_factor=1.0, min_radius_arcsec=2.0)
    v404 = next(r for r in found if r["source_name"] == "2CXO J202403.8+335201")
    assert v404["matched_names"] == "SWIFT J2025.5+3340 | V404 CYG | V404CYG | V404_CYG"
    assert (v404["observatory"], v404["matched_observatories"]) == ("chandra", "swift")
    assert v404["target_name"] == "V404 Cyg"
    assert all("CRAB" not in r["matched_names"] for r in found)
    wrapped = next(r for r in found if r["source_name"] == "2CXO J000000.0+100000")
    assert wrapped["matched_names"] == "PSR J0000+10"
    assert wrapped["ra"] == pytest.approx(0.00005, abs=1e-6)


def test_data_quality_correlation_pairs_within_the_window(duck: DuckDBEngine) -> None:
    found = rows(duck, "data_quality_correlation", window_hours=24.0, radius_arcsec=5.0)
    assert len(found) == 1
    r = found[0]
    # XRT at h1, h2, h3 each pair with the detection at h10; the one at h30 is 27 h after h3.
    assert (r["source_name"], r["simultaneous_pairs"]) == ("2CXO J202403.8+335201", 3)
    assert (r["observatory"], r["measured_by"]) == ("chandra", "swift")
    assert r["measured_good_fraction"] == pytest.approx(0.6667)  # the h2 point is incbad
    assert r["snr_significance_correlation"] is None  # constant significance: no correlation


def test_cone_search_and_light_curve(duck: DuckDBEngine) -> None:
    def around_v404(radius_arcsec: float) -> list[dict[str, Any]]:
        return rows(
            duck,
            "cone_search",
            ra=V404[0],
            dec=V404[1],
            radius_arcsec=radius_arcsec,
            start_time=h(0),
            end_time=h(100),
        )

    cone = around_v404(5.0)
    assert [(r["observatory"], r["instrument"]) for r in cone] == [
        ("swift", "XRT"),
        ("swift", "XRT"),
        ("swift", "XRT"),
        ("swift", "UVOT"),
        ("chandra", "CXO"),
        ("chandra", "CXO"),
    ]
    assert max(r["separation_arcsec"] for r in cone) <= 5.0
    wide = around_v404(120.0)
    assert len(wide) == len(cone) + 1  # the BAT point, 60 arcsec away


def test_observatory_summary_counts_every_table(duck: DuckDBEngine) -> None:
    counts = {
        (r["observatory"], r["kind"]): r["row_count"] for r in rows(duck, "observatory_summary")
    }
    tables = Catalog.load(PROJECT_DIR).tables
    assert counts == {
        (observatory, tables[observatory, table].kind): len(DATA[f"{observatory}.{table}"])
        for observatory, table in tables
        if DATA.get(f"{observatory}.{table}")
    }


def test_bursts_awaiting_followup_looks_from_the_real_clock(duck: DuckDBEngine) -> None:
    """With no as_of the clock is now: the hand-made bursts of 2015 are long past."""
    assert rows(duck, "bursts_awaiting_followup", min_significance=0.9) == []
    ages = rows(duck, "bursts_awaiting_followup", min_significance=0.9, lookback_hours=876000.0)
    assert [r["trigger_id"] for r in ages] == [5]
    assert ages[0]["hours_since_trigger"] > 24 * 365 * 10  # counted from today, not from 2015


@pytest.mark.trino
def test_every_analytic_gives_the_same_rows_on_trino(trino_server, files, duck, tmp_path) -> None:
    trino = trino_with(trino_server, "handmade", files, tmp_path)
    for path in sorted(ANALYTICS.glob("*.sql")):
        query = Query.load(path)
        params = {k: v for k, v in FOLLOWUP.items() if k in query.params}
        if "as_of" in query.params:  # the clock is now by default: pin one moment for both
            params.update(as_of="2016-01-01T00:00:00", lookback_hours=876000.0)
        if "window_hours" in query.params and query.name == "data_quality_correlation":
            params["window_hours"] = 24.0
        assert_same_rows(
            rows(trino, query.name, **params), rows(duck, query.name, **params), query.name
        )
