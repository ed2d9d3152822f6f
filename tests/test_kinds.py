"""Analytics over kinds: a new observatory by config joins every analytic where its kinds apply.

A stack of four: the seed's swift and chandra, plus fermi (triggers, config
only: no DDL file) and nustar (observations and measurements). Hand-made rows
whose answers are known by construction: one Swift burst followed up by three
observatories, two Fermi triggers with circles of 3 and 10 degrees, one source
seen by three observatories. Roles (which observatories are trigger sources,
which follow up) are parameters, resolved against the stack.
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
from runner.lint import lint
from runner.query import Query
from tests.support.compare import assert_same_rows
from tests.support.dataset import T0, local_database, write_parquet
from tests.support.stacks import FERMI_AND_NUSTAR, stack_with
from vastobs.errors import ParameterError, SqlFileError

ANALYTICS = PROJECT_DIR / "queries" / "analytics"
ADDED = FERMI_AND_NUSTAR


def h(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


ARCSEC = 1 / 3600
DATA: dict[str, list[dict[str, Any]]] = {
    "swift.bursts": [
        {"trigger_id": 1, "grb_name": "GRB 150615A", "trigger_time": h(0), "ra": 100.0, "dec": 10.0, "err_radius_arcsec": 100.0},
    ],
    "fermi.triggers": [
        {"trigger_id": 7001, "trigger_name": "GRB 150615B", "trigger_time": h(1), "ra": 101.0, "dec": 10.5, "err_radius_arcsec": 3 * 3600.0},
        {"trigger_id": 7002, "trigger_name": "bn150615999", "trigger_time": h(2), "ra": 250.0, "dec": -40.0, "err_radius_arcsec": 10 * 3600.0, "significance": 0.99},
    ],
    "swift.observations": [  # Swift's XRT slews to its own burst half an hour later
        {"obs_id": "00000001001", "target_id": "00000001", "target_name": "GRB 150615A", "ra": 100.0, "dec": 10.0, "start_time": h(0.5), "trigger_id": 1},
    ],
    "chandra.observations": [
        {"obsid": 501, "target_name": "GRB 150615A", "ra": 100.0, "dec": 10.0 + 50 * ARCSEC, "start_time": h(30)},
    ],
    "nustar.observations": [
        {"observation_id": "90101001002", "target_name": "GRB150615A", "ra": 100.0, "dec": 10.0, "start_time": h(20)},
        {"observation_id": "90101002002", "target_name": "BN150615999", "ra": 250.0, "dec": -32.0, "start_time": h(10)},  # 8 degrees off F2
    ],
    "swift.measurements": [
        {"obs_id": "00000001001", "target_name": "GRB150615A", "instrument": "XRT", "ra": 100.0, "dec": 10.0, "mid_time": h(1), "err_radius_arcsec": 2.0},
    ],
    "nustar.measurements": [
        {"observation_id": "90101001002", "target_name": "GRB150615A", "ra": 100.0, "dec": 10.0 + 3 * ARCSEC, "mid_time": h(21)},
    ],
    "chandra.detections": [
        {"obsid": 501, "source_name": "2CXO J064000.0+100000", "target_name": "GRB 150615A", "ra": 100.0, "dec": 10.0 + 1 * ARCSEC, "mid_time": h(31)},
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def four() -> Catalog:
    return Catalog.for_stack(stack_with(ADDED))


@pytest.fixture(scope="module")
def files(four: Catalog, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_parquet(tmp_path_factory.mktemp("four"), DATA, four)


@pytest.fixture(scope="module")
def duck(four: Catalog, files: dict[str, Path], tmp_path_factory) -> DuckDBEngine:
    database = local_database(tmp_path_factory.mktemp("root"), files, four)
    return DuckDBEngine.for_file(database, four)


def rows(engine: Engine, name: str, **params: Any) -> list[dict[str, Any]]:
    return engine.run(Query.load(ANALYTICS / f"{name}.sql"), params).table.to_pylist()


FOLLOWUP = {"window_hours": 168.0, "min_significance": 0.9}


def test_the_new_observatories_are_tables_of_their_kinds(four: Catalog) -> None:
    assert four.observatories("triggers") == ("swift", "fermi")
    assert four.observatories("observations") == ("swift", "chandra", "nustar")
    fermi = four.tables["fermi", "triggers"]
    assert [c.name for c in fermi.columns][:3] == ["trigger_id", "trigger_name", "trigger_time"]
    assert fermi.path.parts[-2:] == ("kinds", "triggers.sql")  # no DDL file of its own


def test_followups_come_from_every_trigger_source_and_follower(duck: DuckDBEngine) -> None:
    found = [
        (r["trigger_observatory"], r["trigger_id"], r["followup_observatory"], r["observation_id"])
        for r in rows(duck, "burst_followup_sequences", **FOLLOWUP)
    ]
    assert found == [
        ("swift", 1, "swift", "00000001001"),  # followed up by three observatories
        ("swift", 1, "nustar", "90101001002"),
        ("swift", 1, "chandra", "501"),
        ("fermi", 7001, "nustar", "90101001002"),  # 1.1 degrees off, inside 3
        ("fermi", 7001, "chandra", "501"),
        ("fermi", 7002, "nustar", "90101002002"),  # 8 degrees off, inside 10
    ]


def test_roles_select_observatories_and_the_provenance_names_them(duck: DuckDBEngine) -> None:
    query = Query.load(ANALYTICS / "burst_followup_sequences.sql")
    result = duck.run(query, {**FOLLOWUP, "sources": "fermi", "followers": "nustar"})
    assert [(r["trigger_id"], r["observation_id"]) for r in result.table.to_pylist()] == [
        (7001, "90101001002"),
        (7002, "90101002002"),
    ]
    assert result.provenance.params["sources"] == ("fermi",)
    default = duck.run(query, FOLLOWUP).provenance.params
    assert default["followers"] == ("swift", "chandra", "nustar")  # the stack's order
    with pytest.raises(ParameterError, match=r"^parameter sources=chandra of burst_followup_"
                       r"sequences: chandra has no triggers table in this stack \(observatories "
                       r"with one: swift, fermi\)$"):  # fmt: skip
        duck.run(query, {**FOLLOWUP, "sources": "chandra"})
    with pytest.raises(ParameterError, match="not a valid observatories"):
        duck.run(query, {**FOLLOWUP, "sources": "Swift; DROP"})


def test_awaiting_followup_by_role(duck: DuckDBEngine) -> None:
    params = {"min_significance": 0.9, "as_of": h(3), "lookback_hours": 10.0}
    assert rows(duck, "bursts_awaiting_followup", **params) == []  # nustar has F2 scheduled
    waiting = rows(duck, "bursts_awaiting_followup", **params, followers="chandra")
    assert [(r["observatory"], r["trigger_id"]) for r in waiting] == [("fermi", 7002)]


def test_cone_light_curve_and_cross_match_include_the_new_observatory(duck: DuckDBEngine) -> None:
    cone = rows(duck, "cone_search", ra=100.0, dec=10.0, radius_arcsec=60.0)
    assert [(r["observatory"], r["instrument"]) for r in cone] == [
        ("swift", "XRT"),
        ("nustar", "FPMA"),
        ("chandra", "CXO"),
    ]
    curve = rows(duck, "multi_wavelength_light_curve", ra=100.0, dec=10.0, radius_arcsec=10.0)
    assert sorted({r["observatory"] for r in curve}) == ["chandra", "nustar", "swift"]
    cross = rows(duck, "cross_observatory_objects")
    assert [(r["source_name"], r["matched_observatories"], r["matched_names"]) for r in cross] == [
        ("2CXO J064000.0+100000", "nustar | swift", "GRB150615A | GRB150615A")
    ]


def test_summary_counts_every_kind_of_every_observatory(duck: DuckDBEngine) -> None:
    counts = {
        (r["observatory"], r["kind"]): r["row_count"] for r in rows(duck, "observatory_summary")
    }
    assert counts == {
        ("swift", "triggers"): 1, ("fermi", "triggers"): 2, ("swift", "observations"): 1,
        ("chandra", "observations"): 1, ("nustar", "observations"): 2,
        ("swift", "measurements"): 1, ("nustar", "measurements"): 1, ("chandra", "detections"): 1,
    }  # fmt: skip


def test_removing_an_observatory_drops_it_from_analytics_and_lint(files, tmp_path) -> None:
    three = Catalog.for_stack(stack_with({"fermi": ADDED["fermi"]}, without=("chandra",)))
    kept = {k: v for k, v in files.items() if not k.startswith(("chandra.", "nustar."))}
    engine = DuckDBEngine.for_file(local_database(tmp_path, kept, three), three)
    found = rows(engine, "burst_followup_sequences", **FOLLOWUP)
    assert {(r["trigger_id"], r["followup_observatory"]) for r in found} == {
        (1, "swift"),
        (7001, None),
        (7002, None),
    }
    assert rows(engine, "cross_observatory_objects") == []  # no detections kind left
    assert lint([ANALYTICS], PROJECT_DIR, three) == []


def test_an_observatories_parameter_is_not_a_value(tmp_path: Path, four: Catalog) -> None:
    path = tmp_path / "q.sql"
    path.write_text(
        "-- name: q\n-- version: 1\n-- params:\n"
        "--   src: {type: observatories, kinds: [triggers]}\n"
        "SELECT t.trigger_id FROM src.triggers AS t WHERE t.observatory IN (:src)"
    )
    with pytest.raises(SqlFileError, match=r"q.sql:5:\d+: parameter :src selects observatories"):
        DuckDBEngine.for_file(None, four).compile(Query.load(path))


@pytest.mark.trino
def test_every_analytic_gives_the_same_rows_on_trino(trino_server, four, files, duck, tmp_path):
    trino = trino_with(trino_server, "handmade4", files, tmp_path, four)
    for path in sorted(ANALYTICS.glob("*.sql")):
        query = Query.load(path)
        params = {k: v for k, v in FOLLOWUP.items() if k in query.params}
        if "as_of" in query.params:  # the clock is now by default: pin one moment for both
            params.update(as_of="2016-01-01T00:00:00", lookback_hours=876000.0)
        assert_same_rows(
            rows(trino, query.name, **params), rows(duck, query.name, **params), query.name
        )


def test_pointings_in_a_trigger_circle_since_it(duck: DuckDBEngine) -> None:
    """What a duty scientist asks of a new trigger: pointed there since (Swift's slew at h0.5
    came before the Fermi trigger at h1, so it does not count)."""
    found = rows(duck, "pointings_in_circle", ra=101.0, dec=10.5, radius_arcsec=3 * 3600.0,
                 since=h(1))  # fmt: skip
    assert [(r["observatory"], r["observation_id"]) for r in found] == [
        ("nustar", "90101001002"),
        ("chandra", "501"),
    ]
