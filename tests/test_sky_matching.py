"""Sky matching against brute force: the cone cover (derived HEALPix ranges) misses
no point of the cone, and the cell joins of the follow-up and cross-match analytics
find exactly the pairs an all-pairs haversine finds, near the poles, across RA
0/360 and for radii larger than a cell included; the same rows on Trino."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from devtools.toolchain import PROJECT_DIR
from devtools.trino_data import trino_with
from runner.catalog import Catalog
from runner.derived import CONE_RANGES, EMPTY_RANGE, FUNCTIONS, cone_ranges
from runner.engines import DuckDBEngine, Engine
from runner.query import Query
from tests.support.compare import assert_same_rows
from tests.support.dataset import T0, local_database, write_parquet
from vastobs.errors import SqlFileError
from vastobs.sky import healpix14_array

ANALYTICS = PROJECT_DIR / "queries" / "analytics"
FOLLOWUP = {"window_hours": 168.0, "min_significance": 0.9}
CROSSMATCH = {"match_factor": 3.0, "min_radius_arcsec": 5.0, "max_error_arcsec": 60.0}
# Within the pairs sky.matches keeps (30 arcsec, targets from errors up to 20): read from it.
KEPT_CROSSMATCH = {"match_factor": 1.0, "min_radius_arcsec": 29.0, "max_error_arcsec": 20.0}


def haversine_arcsec(ra1: Any, dec1: Any, ra2: Any, dec2: Any) -> Any:
    r1, d1, r2, d2 = (np.radians(x) for x in (ra1, dec1, ra2, dec2))
    a = np.sin((d2 - d1) / 2) ** 2 + np.cos(d1) * np.cos(d2) * np.sin((r2 - r1) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(np.minimum(1.0, a)))) * 3600


def around(
    rng: np.random.Generator, ra: float, dec: float, arcsec: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Points at exactly ``arcsec`` from (ra, dec), in random directions (great circles)."""
    theta = np.radians(arcsec / 3600)
    bearing = rng.uniform(0, 2 * np.pi, len(arcsec))
    d0, r0 = math.radians(dec), math.radians(ra)
    dec2 = np.arcsin(np.sin(d0) * np.cos(theta) + np.cos(d0) * np.sin(theta) * np.cos(bearing))
    ra2 = r0 + np.arctan2(
        np.sin(bearing) * np.sin(theta) * np.cos(d0), np.cos(theta) - np.sin(d0) * np.sin(dec2)
    )
    return np.degrees(ra2) % 360, np.clip(np.degrees(dec2), -90, 90)


def centres(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform on the sky, plus the hard places: the poles and RA 0/360."""
    ra = rng.uniform(0, 360, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    k = n // 5
    dec[:k] = rng.choice([-1, 1], k) * rng.uniform(89.5, 90, k)
    ra[k : 2 * k] = rng.uniform(-0.05, 0.05, k) % 360
    return ra, dec


@pytest.mark.parametrize("radius", [1.0, 10.0, 300.0, 3600.0, 5 * 3600.0])
def test_derived_cone_ranges_cover_every_point_of_the_cone(radius: float) -> None:
    rng = np.random.default_rng(int(radius))
    ras, decs = centres(rng, 60)
    for ra, dec in zip(ras, decs, strict=True):
        ranges = cone_ranges(float(ra), float(dec), radius)
        assert len(ranges) == CONE_RANGES
        real = [r for r in ranges if r != EMPTY_RANGE]
        assert real and all(lo <= hi for lo, hi in real)
        assert all(a[1] < b[0] for a, b in itertools.pairwise(real)), "sorted, disjoint"
        pra, pdec = around(rng, float(ra), float(dec), rng.uniform(0, 0.999, 400) * radius)
        cells = healpix14_array(pra, pdec)
        inside = np.zeros(len(cells), dtype=bool)
        for lo, hi in real:
            inside |= (cells >= lo) & (cells <= hi)
        assert inside.all(), (ra, dec, radius, ranges)
        values = {
            f"{end}{i + 1}": FUNCTIONS[f"cone_hpx_{end}{i + 1}"].compute(ra, dec, radius)
            for i in range(CONE_RANGES)
            for end in ("lo", "hi")
        }
        assert [(values[f"lo{i + 1}"], values[f"hi{i + 1}"]) for i in range(4)] == list(ranges)


def test_derived_cone_cover_stays_close_to_the_cone() -> None:
    """A single min..max range can span half the sky; the ranges stay near the cone."""
    rng = np.random.default_rng(5)
    ras, decs = centres(rng, 200)
    cone_cells = math.pi * (300 / 3600) ** 2 / (41252.96 / (12 * 4**14))
    for ra, dec in zip(ras, decs, strict=True):
        covered = sum(hi - lo + 1 for lo, hi in cone_ranges(float(ra), float(dec), 300.0))
        assert covered < 40 * cone_cells, (ra, dec)


CONE_PARAMS = (
    "-- name: q\n-- version: 1\n-- params:\n--   ra: {type: double}\n"
    "--   dec: {type: double}\n--   radius_arcsec: {type: double}\n"
)


def test_in_cone_cover_binds_the_cover_as_ranges(tmp_path: Path) -> None:
    """The macro's ranges are the derived ones, bound as values (never in the SQL text)."""
    cone = {"ra": 359.99, "dec": 41.8, "radius_arcsec": 30.0}  # across RA 0: two ranges
    (lo1, hi1), (lo2, hi2), *empty = cone_ranges(*cone.values())
    assert empty == [EMPTY_RANGE] * (CONE_RANGES - 2)
    cells = [0, lo1 - 1, lo1, hi1, hi1 + 1, lo2 - 1, lo2, hi2, hi2 + 1]
    path = tmp_path / "q.sql"
    path.write_text(
        f"{CONE_PARAMS}SELECT h FROM UNNEST(ARRAY{cells}) AS t(h)"
        " WHERE in_cone_cover(h, :ra, :dec, :radius_arcsec) ORDER BY h"
    )
    q, engine = Query.load(path), DuckDBEngine.for_file(None)
    sql, order = engine.compile(q)
    where = sql.split(" WHERE ")[1]
    assert str(lo1) not in where and where.count("BETWEEN CAST(? AS BIGINT)") == CONE_RANGES
    bound = q.values_for(order, q.bind(cone))
    assert list(zip(bound[::2], bound[1::2], strict=True)) == list(cone_ranges(*cone.values()))
    assert engine.run(q, cone).table.column("h").to_pylist() == [lo1, hi1, lo2, hi2]


def test_in_cone_cover_takes_the_cone_as_params(tmp_path: Path) -> None:
    path = tmp_path / "q.sql"
    path.write_text(
        f"{CONE_PARAMS}SELECT 1 AS one WHERE in_cone_cover(5, 306e0, :dec, :radius_arcsec)"
        " AND :ra > 0"
    )
    with pytest.raises(SqlFileError, match="in_cone_cover: the cone's ra, dec and radius"):
        DuckDBEngine.for_file(None).compile(Query.load(path))


def _one_row(tmp_path: Path, select: str) -> dict[str, Any]:
    path = tmp_path / "q.sql"
    path.write_text(f"-- name: q\n-- version: 1\nSELECT {select}")
    return DuckDBEngine.for_file(None).run(Query.load(path)).table.to_pylist()[0]


def test_macro_two_step_distance_is_the_same_arithmetic(tmp_path: Path) -> None:
    pairs = [(306.0159, 33.8672, 299.5903, 35.2016), (10.0, 89.99, 190.0, 89.99),
             (0.001, -10.0, 359.999, -10.0), (0.0, 0.0, 180.0, 0.0),
             (12.3, 0.74, 192.3, -0.74)]  # fmt: skip
    select = ", ".join(
        f"sky_distance_arcsec({a}e0, {b}e0, {c}e0, {d}e0) AS one{i},"
        f" haversine_arcsec(sky_haversine({a}e0, {b}e0, {c}e0, {d}e0)) AS two{i}"
        for i, (a, b, c, d) in enumerate(pairs)
    )
    row = _one_row(tmp_path, select)
    for i in range(len(pairs)):
        assert row[f"one{i}"] == row[f"two{i}"]  # bit for bit
    # antipodes, the second with a haversine that rounds one ulp above 1: asin stays
    # in range, 0.04 arcsec short of 180 degrees (the macro's scale)
    for i in (3, 4):
        assert row[f"one{i}"] == pytest.approx(180 * 3600, abs=0.05)


def test_macro_ra_reach_is_the_circle_half_width(tmp_path: Path) -> None:
    cases = [(0.0, 1.0), (60.0, 0.1), (-80.0, 2.0), (89.0, 0.5), (89.5, 0.6), (-90.0, 1e-6),
             (0.0, 89.9899), (-89.985, 0.001)]  # fmt: skip
    select = ", ".join(
        f"ra_reach_deg(CAST({d!r} AS double), CAST({r!r} AS double)) AS w{i}"
        for i, (d, r) in enumerate(cases)
    )
    row = _one_row(tmp_path, select)
    for i, (dec, radius) in enumerate(cases):
        if abs(dec) + radius >= 89.99:
            assert row[f"w{i}"] == 180.0  # the circle holds or nears a pole: every RA
        else:
            want = math.degrees(
                math.asin(math.sin(math.radians(radius)) / math.cos(math.radians(dec)))
            )
            assert row[f"w{i}"] == pytest.approx(want, rel=1e-12)


@pytest.fixture(scope="module")
def sky(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    rng = np.random.default_rng(2024)
    bursts, pointings = [], []
    bra, bdec = centres(rng, 60)
    # 1500 arcsec is more than a cell; from 1 degree (3600 arcsec, the combined radius a
    # hair above it) circles go to coarse cells; 36000 is a Fermi GBM-sized 10 degrees
    errs = rng.choice([30.0, 100.0, 400.0, 1500.0, 3599.0, 3600.0, 7200.0, 36000.0], 60)
    for i, (ra, dec, err) in enumerate(zip(bra, bdec, errs, strict=True)):
        t0 = T0 + dt.timedelta(days=int(i) * 20)  # windows never overlap
        bursts.append({"trigger_id": i + 1, "grb_name": f"GRB {i}", "trigger_time": t0,
                       "ra": float(ra), "dec": float(dec), "err_radius_arcsec": float(err),
                       "significance": float(rng.choice([0.5, 0.95]))})  # fmt: skip
        radius = math.hypot(err, 1)
        seps = rng.uniform(0, 2, 8) * radius
        seps = seps[np.abs(seps - radius) > 1e-3 * radius]  # nothing on the edge
        pra, pdec = around(rng, float(ra), float(dec), seps)
        hours = rng.uniform(-24, 8 * 24, len(seps))
        for r, d, h in zip(pra, pdec, hours, strict=True):
            if abs(h - 168) > 1e-3:
                pointings.append({"obsid": len(pointings) + 1, "ra": float(r), "dec": float(d),
                                  "start_time": t0 + dt.timedelta(hours=float(h))})  # fmt: skip
    swift, chandra = [], []
    sra, sdec = centres(rng, 60)
    for i, (ra, dec) in enumerate(zip(sra, sdec, strict=True)):
        err = float(rng.choice([1.0, 3.5, 30.0]))
        near = around(rng, float(ra), float(dec), rng.uniform(0, 1, 2))
        for k, (r, d) in enumerate(zip(*near, strict=True)):
            swift.append({"obs_id": f"{i:05d}{k}", "target_name": f"T{i}", "ra": float(r),
                          "dec": float(d), "err_radius_arcsec": err, "mid_time": T0,
                          "instrument": "XRT" if k == 0 else "UVOT"})  # fmt: skip
        swift.append({"obs_id": f"{i:05d}9", "target_name": f"T{i}", "ra": float(ra),
                      "dec": float(dec), "err_radius_arcsec": 600.0, "mid_time": T0,
                      "instrument": "BAT", "band": "15-150keV"})  # fmt: skip
        seps = rng.uniform(0, 150, 3)
        for j, (r, d) in enumerate(zip(*around(rng, float(ra), float(dec), seps), strict=True)):
            chandra.append({"obsid": 1000 + i, "source_number": j + 1, "source_name": f"C{i}-{j}",
                            "target_name": f"T{i}", "ra": float(r), "dec": float(d),
                            "err_radius_arcsec": float(rng.choice([0.5, 2.0]))})  # fmt: skip
    return {"swift.bursts": bursts, "chandra.observations": pointings,
            "swift.measurements": swift, "chandra.detections": chandra}  # fmt: skip


@pytest.fixture(scope="module")
def files(
    sky: dict[str, list[dict[str, Any]]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    return write_parquet(tmp_path_factory.mktemp("sky"), sky)


@pytest.fixture(scope="module")
def duck(files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> DuckDBEngine:
    database = local_database(tmp_path_factory.mktemp("root"), files)
    return DuckDBEngine.for_file(database, Catalog.load(PROJECT_DIR))


def rows(engine: Engine, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    return engine.run(Query.load(ANALYTICS / f"{name}.sql"), params).table.to_pylist()


def brute_force_followups(
    bursts: list[dict[str, Any]], pointings: list[dict[str, Any]]
) -> tuple[set[tuple[int, str | None]], int]:
    """Every (trigger, observation) pair of the follow-up analytic, by all-pairs
    haversine, and how many pairs come from circles wider than a degree."""
    expected: set[tuple[int, str | None]] = set()
    wide = 0
    pra = np.array([p["ra"] for p in pointings])
    pdec = np.array([p["dec"] for p in pointings])
    for b in bursts:
        if b["significance"] < FOLLOWUP["min_significance"]:
            continue
        sep = haversine_arcsec(b["ra"], b["dec"], pra, pdec)
        found = {
            str(p["obsid"])
            for p, s in zip(pointings, sep, strict=True)
            if s <= math.hypot(b["err_radius_arcsec"], 1)
            and b["trigger_time"]
            <= p["start_time"]
            <= b["trigger_time"] + dt.timedelta(hours=FOLLOWUP["window_hours"])
        }
        expected |= {(b["trigger_id"], o) for o in found} or {(b["trigger_id"], None)}
        wide += len(found) if b["err_radius_arcsec"] > 3600 else 0
    return expected, wide


def followup_pairs(engine: Engine) -> set[tuple[int, str | None]]:
    return {
        (r["trigger_id"], r["observation_id"])
        for r in rows(engine, "burst_followup_sequences", FOLLOWUP)
    }


def test_followup_analytic_finds_exactly_the_brute_force_pairs(
    sky: dict[str, list[dict[str, Any]]], duck: DuckDBEngine
) -> None:
    expected, wide = brute_force_followups(sky["swift.bursts"], sky["chandra.observations"])
    assert followup_pairs(duck) == expected
    assert len(expected) > 40, "the data exercise matches"
    assert wide > 10, "the data exercise coarse cells"


def test_followup_without_wide_circles_skips_the_coarse_join(
    sky: dict[str, list[dict[str, Any]]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No circle wider than a degree: DuckDB runs the query without its coarse-cell join
    (its probe says so) and finds exactly the brute-force pairs still."""
    narrow = [b for b in sky["swift.bursts"] if b["err_radius_arcsec"] < 3599]
    files = write_parquet(tmp_path / "files", {**sky, "swift.bursts": narrow})
    engine = DuckDBEngine.for_file(
        local_database(tmp_path / "root", files), Catalog.load(PROJECT_DIR)
    )
    ran: list[str] = []
    parsed = engine._parsed
    monkeypatch.setattr(engine, "_parsed", lambda con, sql: ran.append(sql) or parsed(con, sql))
    expected, wide = brute_force_followups(narrow, sky["chandra.observations"])
    assert followup_pairs(engine) == expected
    assert len(expected) > 20 and wide == 0
    query = Query.load(ANALYTICS / "burst_followup_sequences.sql")
    compiled = engine.compiled(query, engine.selection(query, {}))
    assert compiled.narrow is not None and compiled.probe is not None
    assert ran[-2:] == [compiled.probe[0], compiled.narrow[0]]


@pytest.mark.parametrize("params", [CROSSMATCH, KEPT_CROSSMATCH], ids=["points", "kept"])
def test_cross_match_analytic_finds_exactly_the_brute_force_pairs(
    sky: dict[str, list[dict[str, Any]]], duck: DuckDBEngine, params: dict[str, float]
) -> None:
    targets: dict[str, list[dict[str, Any]]] = {}
    for m in sky["swift.measurements"]:
        if m["err_radius_arcsec"] <= params["max_error_arcsec"]:
            targets.setdefault(m["target_name"], []).append(m)
    sources: dict[str, list[dict[str, Any]]] = {}
    for d in sky["chandra.detections"]:
        sources.setdefault(d["source_name"], []).append(d)

    def position(points: list[dict[str, Any]]) -> tuple[float, float, float]:
        return (float(np.mean([p["ra"] for p in points])),
                float(np.mean([p["dec"] for p in points])),
                min(p["err_radius_arcsec"] for p in points))  # fmt: skip

    expected: dict[str, set[str]] = {}
    for sname, dets in sources.items():
        cra, cdec, cerr = position(dets)
        for tname, points in targets.items():
            sra, sdec, serr = position(points)
            radius = max(
                params["min_radius_arcsec"], params["match_factor"] * math.hypot(cerr, serr)
            )
            if haversine_arcsec(cra, cdec, sra, sdec) <= radius:
                expected.setdefault(sname, set()).add(tname)
    got = {
        r["source_name"]: set(r["matched_names"].split(" | "))
        for r in rows(duck, "cross_observatory_objects", params)
    }
    assert got == expected
    assert len(expected) > 20, "the data exercise matches"


@pytest.mark.trino
def test_sky_matching_parity_on_trino(trino_server, files, duck, tmp_path) -> None:
    trino = trino_with(trino_server, "sky", files, tmp_path)
    awaiting = {"min_significance": 0.9, "lookback_hours": 876000.0, "as_of": "2030-01-01T00:00:00"}
    for name, params in (
        ("burst_followup_sequences", FOLLOWUP),
        ("bursts_awaiting_followup", awaiting),
        ("cross_observatory_objects", CROSSMATCH),
        ("cross_observatory_objects", KEPT_CROSSMATCH),
    ):
        assert_same_rows(rows(trino, name, params), rows(duck, name, params), name)
    plan = trino.explain(Query.load(ANALYTICS / "burst_followup_sequences.sql"), FOLLOWUP)
    assert "join" in plan.lower()
    assert not UNKEYED_JOINS.findall(plan), UNKEYED_JOINS.findall(plan)


# Operators that pair rows without a key: a Cartesian product between triggers and pointings
# (Trino's "CrossJoin Unnest" copies each trigger to its cells: that one is wanted).
UNKEYED_JOINS = re.compile(
    r"cross.?product|cross.?join(?!\s*unnest)|nested.?loop|blockwise|piecewise|\bie.?join",
    re.IGNORECASE,
)


def test_ten_degree_followups_plan_no_unkeyed_join(duck: DuckDBEngine) -> None:
    """The data hold 10-degree circles: the plan still pairs triggers and pointings only
    by hash joins on cell keys (and UNNEST copies triggers to cells)."""
    plan = duck.explain(Query.load(ANALYTICS / "burst_followup_sequences.sql"), FOLLOWUP)
    assert "join" in plan.lower()
    assert not UNKEYED_JOINS.findall(plan), UNKEYED_JOINS.findall(plan)


def test_duckdb_reads_filtering_ctes_in_place(duck: DuckDBEngine) -> None:
    """DuckDB would materialize a CTE read twice (the pointings of the fine and the coarse
    join): every pointing written out, its mapped columns computed, and the coarse join's
    empty side no longer stopping it. Those that aggregate stay DuckDB's to decide."""
    for name, streaming, blocking in (
        ("burst_followup_sequences", {"pointings", "triggered"}, set()),
        ("cross_observatory_objects", set(), {"targets", "sources", "target_error"}),
    ):
        sql, _ = duck.compile(Query.load(ANALYTICS / f"{name}.sql"))
        kept = set(re.findall(r'"(\w+)" AS NOT MATERIALIZED', sql))
        assert streaming <= kept, (name, kept)
        assert not blocking & kept, (name, kept)


def test_awaiting_followup_finds_exactly_the_unanswered_triggers(
    sky: dict[str, list[dict[str, Any]]], duck: DuckDBEngine
) -> None:
    """Every significant trigger no pointing at or after it falls inside, 10-degree
    circles included: the brute force over all pairs."""
    pointings = sky["chandra.observations"]
    pra = np.array([p["ra"] for p in pointings])
    pdec = np.array([p["dec"] for p in pointings])
    expected = set()
    for b in sky["swift.bursts"]:
        if b["significance"] < FOLLOWUP["min_significance"]:
            continue
        sep = haversine_arcsec(b["ra"], b["dec"], pra, pdec)
        if not any(
            s <= math.hypot(b["err_radius_arcsec"], 1) and p["start_time"] >= b["trigger_time"]
            for p, s in zip(pointings, sep, strict=True)
        ):
            expected.add(b["trigger_id"])
    params = {"min_significance": FOLLOWUP["min_significance"], "lookback_hours": 876000.0}
    got = {r["trigger_id"] for r in rows(duck, "bursts_awaiting_followup", params)}
    assert got == expected
    answered = {b["trigger_id"] for b in sky["swift.bursts"] if b["err_radius_arcsec"] > 3600}
    assert answered - expected, "some wide circles are answered: coarse cells are exercised"
