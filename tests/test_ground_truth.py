"""Ground truth: the project's follow-up and cross-match analytics on generated data equal
(a) what the generator planted (answers.json) and (b) a brute-force computation here.

The brute force compares every burst with every Chandra observation and every
Swift target with every Chandra source (all pairs, great-circle distance by
the haversine formula in NumPy). It is written in this file and imports
nothing from runner/ or infra/ for the math: it reads the generated Parquet
files with pyarrow and aggregates with NumPy and pandas, so a mistake in the
project's sky cells, macros or SQL cannot hide in both.

How rows are compared: in the order each query defines (burst_followup_sequences
by trigger time, trigger id, follow-up start, observation; cross_observatory_objects
by catalogue source name), the brute force sorted the same way, row for row.
Positions of objects seen several times are the mean direction (unit vectors),
as the query's: the plain mean of RA is wrong across RA 0/360.
Identifiers, names and counts must be equal; rounded floats (delay hours,
separations, to 3 decimals) agree within 2e-3, positions (rounded to 6
decimals) within 2e-6 degrees: the engine rounds half away from zero, which
this file does not try to copy. The planted answers are compared as sets of
exact tuples (they carry no query rounding), delays within 1e-3 hours.

On the real Trino, a smaller generated dataset: the planted answers again, and
every analytic with the local stack's defaults gives the same rows on both
engines (tests/support/compare.py says how rows are compared).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from devtools.toolchain import PROJECT_DIR
from devtools.trino_data import trino_with
from runner.analytics import with_stack_defaults
from runner.catalog import Catalog
from runner.datagen import GeneratorConfig, generate
from runner.engines import DuckDBEngine
from runner.query import Query
from tests.support.compare import assert_same_rows
from tests.support.dataset import local_database
from vastobs.config import load_stack

ANALYTICS = PROJECT_DIR / "queries" / "analytics"
# A third of the default burst rate: still over 100 bursts followed up and over 100
# planted cross-observatory objects, at half the generation time.
# The query's default: points with a larger position error (BAT's arcminutes) place no target.
MAX_ERROR_ARCSEC = 20.0
CONFIG = GeneratorConfig(rows=30_000, seed=2024, followup_fraction=0.2, burst_rate_multiplier=0.3)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("groundtruth")
    summary = generate(CONFIG, out / "data", PROJECT_DIR)
    database = local_database(out / "root", dict(summary.files))
    return {
        "files": summary.files,
        "answers": json.loads(summary.answers.read_text()),
        "engine": DuckDBEngine.for_file(database, Catalog.load(PROJECT_DIR)),
    }


def _run(engine: DuckDBEngine, name: str, **params: Any) -> list[dict[str, Any]]:
    return engine.run(Query.load(ANALYTICS / f"{name}.sql"), params).table.to_pylist()


def _frame(path: Path) -> pd.DataFrame:
    return pq.read_table(path).to_pandas()


# --- brute force: independent of the project ------------------------------------------


def haversine_arcsec(
    ra1: np.ndarray, dec1: np.ndarray, ra2: np.ndarray, dec2: np.ndarray
) -> np.ndarray:
    """Great-circle distance between (broadcast) positions in degrees, in arcsec."""
    a1, d1, a2, d2 = (np.radians(np.asarray(x, dtype=float)) for x in (ra1, dec1, ra2, dec2))
    h = np.sin((d2 - d1) / 2) ** 2 + np.cos(d1) * np.cos(d2) * np.sin((a2 - a1) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))) * 3600


def _us(times: pd.Series) -> np.ndarray:
    return times.to_numpy("datetime64[us]").astype(np.int64)


def followup_hits(
    triggers: pd.DataFrame, ra: pd.Series, dec: pd.Series, start_us: np.ndarray, window: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every trigger x every pointing (at ``ra``, ``dec``, from ``start_us``): the delay in
    microseconds, the separation in arcsec, and whether the pointing follows the trigger
    up: 0 <= delay <= ``window`` hours and separation <= sqrt(err_radius^2 + 1 arcsec^2)."""
    delay = start_us[None, :] - _us(triggers["trigger_time"])[:, None]
    sep = haversine_arcsec(
        triggers["ra"].to_numpy()[:, None], triggers["dec"].to_numpy()[:, None],
        ra.to_numpy()[None, :], dec.to_numpy()[None, :],
    )  # fmt: skip
    radius = np.sqrt(triggers["err_radius_arcsec"].to_numpy() ** 2 + 1.0)[:, None]
    return delay, sep, (delay >= 0) & (delay <= window * 3_600_000_000) & (sep <= radius)


def brute_followups(
    files: dict[str, Path], window_hours: float, min_significance: float
) -> list[dict[str, Any]]:
    bursts = _frame(files["swift.bursts"])
    bursts = bursts[bursts["significance"] >= min_significance].reset_index(drop=True)
    chandra = _frame(files["chandra.observations"])
    chandra = chandra[chandra["start_time"].notna()].reset_index(drop=True)
    b_t = _us(bursts["trigger_time"])
    c_t = _us(chandra["start_time"])
    delay_us, sep, hit = followup_hits(bursts, chandra["ra"], chandra["dec"], c_t, window_hours)
    rows = []
    for i in range(len(bursts)):
        found = np.flatnonzero(hit[i])
        base = {"trigger_id": int(bursts["trigger_id"][i]), "trigger_time": int(b_t[i])}
        if not found.size:
            rows.append({**base, "observation_id": None, "start": None, "delay_hours": None, "separation_arcsec": None})  # fmt: skip
        for j in found:
            rows.append({**base, "observation_id": str(chandra["obsid"][j]), "start": int(c_t[j]),
                         "delay_hours": delay_us[i, j] / 3.6e9, "separation_arcsec": float(sep[i, j])})  # fmt: skip
    rows.sort(key=lambda r: (r["trigger_time"], r["trigger_id"], r["start"] or 0,
                             r["observation_id"] or ""))  # fmt: skip
    return rows


def mean_direction(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per ``key``, the mean of the unit vectors as (ra, dec): no seam at RA 0/360."""
    ra, dec = np.radians(frame["ra"].to_numpy()), np.radians(frame["dec"].to_numpy())
    v = pd.DataFrame({
        key: frame[key].to_numpy(),
        "x": np.cos(dec) * np.cos(ra), "y": np.cos(dec) * np.sin(ra), "z": np.sin(dec),
    }).groupby(key).mean()  # fmt: skip
    return pd.DataFrame({
        "ra": np.degrees(np.arctan2(v["y"], v["x"])) % 360,
        "dec": np.degrees(np.arctan2(v["z"], np.hypot(v["x"], v["y"]))),
    })  # fmt: skip


def brute_cross(files: dict[str, Path]) -> list[dict[str, Any]]:
    m = _frame(files["swift.measurements"])
    m = m[m["err_radius_arcsec"] <= MAX_ERROR_ARCSEC]
    swift = m.groupby("target_name").agg(
        err=("err_radius_arcsec", "min"), points=("ra", "size"),
    ).join(mean_direction(m, "target_name"))  # fmt: skip
    d = _frame(files["chandra.detections"])
    chandra = d.groupby("source_name").agg(
        err=("err_radius_arcsec", "min"), detections=("ra", "size"), target=("target_name", "min"),
    ).join(mean_direction(d, "source_name"))  # fmt: skip
    pairs: dict[str, list[tuple[str, int, float]]] = {}
    s_ra, s_dec, s_err = (swift[c].to_numpy() for c in ("ra", "dec", "err"))
    for start in range(0, len(chandra), 512):  # all pairs, in blocks to bound memory
        block = chandra.iloc[start : start + 512]
        sep = haversine_arcsec(
            block["ra"].to_numpy()[:, None], block["dec"].to_numpy()[:, None],
            s_ra[None, :], s_dec[None, :],
        )  # fmt: skip
        radius = np.maximum(
            2.0, np.sqrt(block["err"].to_numpy()[:, None] ** 2 + s_err[None, :] ** 2)
        )
        for i, j in zip(*np.nonzero(sep <= radius), strict=True):
            name = block.index[i]
            pairs.setdefault(name, []).append((swift.index[j], int(swift["points"].iloc[j]), float(sep[i, j])))  # fmt: skip
    rows = []
    for name in sorted(pairs):
        matched, c = pairs[name], chandra.loc[name]
        rows.append({
            "source_name": name,
            "target_name": None if pd.isna(c["target"]) else c["target"],
            "ra": float(c["ra"]), "dec": float(c["dec"]),
            "matched_names": " | ".join(sorted(n for n, _, _ in matched)),
            "matched_targets": len(matched), "matched_points": sum(p for _, p, _ in matched),
            "detections": int(c["detections"]),
            "max_separation_arcsec": max(s for _, _, s in matched),
        })  # fmt: skip
    return rows


# --- the planted answers ---------------------------------------------------------------


def planted_followups(
    answers: dict[str, Any], window_hours: float, min_significance: float
) -> set[tuple[int, str | None, float | None]]:
    expected: set[tuple[int, str | None, float | None]] = set()
    for burst in answers["bursts"]:
        if burst["significance"] < min_significance:
            continue
        inside = [f for f in burst["followups"] if f["delay_hours"] <= window_hours]
        for f in inside:
            assert f["in_window"]
            expected.add((burst["trigger_id"], str(f["obsid"]), round(f["delay_hours"], 3)))
        if not inside:
            expected.add((burst["trigger_id"], None, None))
    return expected


CASES = [(168.0, 0.9), (24.0, 0.0), (192.0, 0.5)]


@pytest.fixture(params=CASES, ids=lambda case: f"{case[0]}-{case[1]}")
def followups(
    request: pytest.FixtureRequest, generated: dict[str, Any]
) -> tuple[list[dict[str, Any]], float, float]:
    """burst_followup_sequences (followers: chandra) at one of CASES' window and
    significance: its rows, the window, the significance."""
    window_hours, min_significance = request.param
    rows = _run(generated["engine"], "burst_followup_sequences", followers="chandra",
                window_hours=window_hours, min_significance=min_significance)  # fmt: skip
    return rows, window_hours, min_significance


def test_burst_followups_equal_the_planted_ones(
    generated: dict[str, Any], followups: tuple[list[dict[str, Any]], float, float]
) -> None:
    rows, window_hours, min_significance = followups
    got = {(r["trigger_id"], r["observation_id"], r["delay_hours"]) for r in rows}
    expected = planted_followups(generated["answers"], window_hours, min_significance)
    assert len(rows) == len(got)  # no row twice
    assert {(t, o) for t, o, _ in got} == {(t, o) for t, o, _ in expected}
    delays = {(t, o): d for t, o, d in expected}
    for t, o, d in got:
        if o is not None:
            assert d == pytest.approx(delays[(t, o)], abs=1e-3)
    with_followup = {t for t, o, _ in got if o is not None}
    assert len(with_followup) > 20  # the comparison is not vacuous


def test_burst_followups_equal_brute_force(
    generated: dict[str, Any], followups: tuple[list[dict[str, Any]], float, float]
) -> None:
    rows, window_hours, min_significance = followups
    expected = brute_followups(generated["files"], window_hours, min_significance)
    assert [(r["trigger_id"], r["observation_id"]) for r in rows] == [
        (e["trigger_id"], e["observation_id"]) for e in expected
    ]
    for r, e in zip(rows, expected, strict=True):
        if e["observation_id"] is None:
            assert r["delay_hours"] is None and r["separation_arcsec"] is None
            continue
        assert r["delay_hours"] == pytest.approx(e["delay_hours"], abs=2e-3)
        assert r["separation_arcsec"] == pytest.approx(e["separation_arcsec"], abs=2e-3)


def test_cross_observatory_objects_equal_the_planted_ones(generated: dict[str, Any]) -> None:
    rows = _run(generated["engine"], "cross_observatory_objects")
    got = {
        (r["source_name"], r["target_name"], r["matched_names"], r["matched_targets"],
         r["matched_points"], r["detections"])
        for r in rows
    }  # fmt: skip
    planted = generated["answers"]["cross_observatory_objects"]
    expected = {
        (o["chandra_source"], o["chandra_target"], " | ".join(sorted(o["swift_names"])),
         len(o["swift_names"]), o["swift_points"], o["chandra_detections"])
        for o in planted
    }  # fmt: skip
    assert got == expected
    kinds = {o["kind"] for o in planted}
    assert kinds == {"persistent", "afterglow", "shared_background"}
    v404 = next(r for r in rows if r["source_name"] == "2CXO J202403.8+335201")
    assert v404["target_name"] == "V404 Cyg"
    assert v404["matched_names"] == "SWIFT J2025.5+3340 | V404 CYG | V404CYG | V404_CYG"


def test_cross_observatory_objects_equal_brute_force(generated: dict[str, Any]) -> None:
    rows = _run(generated["engine"], "cross_observatory_objects")
    expected = brute_cross(generated["files"])
    assert [r["source_name"] for r in rows] == [e["source_name"] for e in expected]
    for r, e in zip(rows, expected, strict=True):
        for key in ("target_name", "matched_names", "matched_targets", "matched_points",
                    "detections"):  # fmt: skip
            assert r[key] == e[key], (r["source_name"], key)
        assert r["ra"] == pytest.approx(e["ra"], abs=2e-6)
        assert r["dec"] == pytest.approx(e["dec"], abs=2e-6)
        assert r["max_separation_arcsec"] == pytest.approx(e["max_separation_arcsec"], abs=2e-3)
    assert len(rows) > 50


def test_only_planted_objects_come_close(generated: dict[str, Any]) -> None:
    """The planted truth is unambiguous: no pair outside the planted ones comes
    anywhere near a match radius (objects in different slots are about 60 arcsec apart)."""
    files = generated["files"]
    d = mean_direction(_frame(files["chandra.detections"]), "source_name")
    m = _frame(files["swift.measurements"])
    s = mean_direction(m[m["err_radius_arcsec"] <= MAX_ERROR_ARCSEC], "target_name")
    planted = {
        (o["chandra_source"], name)
        for o in generated["answers"]["cross_observatory_objects"]
        for name in o["swift_names"]
    }
    close = set()
    for start in range(0, len(d), 512):
        block = d.iloc[start : start + 512]
        sep = haversine_arcsec(
            block["ra"].to_numpy()[:, None], block["dec"].to_numpy()[:, None],
            s["ra"].to_numpy()[None, :], s["dec"].to_numpy()[None, :],
        )  # fmt: skip
        close |= {
            (block.index[i], s.index[j]) for i, j in zip(*np.nonzero(sep < 40.0), strict=True)
        }
    assert close == planted


# --- the same generated data on the real Trino --------------------------------------------

SMALL = GeneratorConfig(rows=2000, seed=99, burst_rate_multiplier=0.15, followup_fraction=0.5)


@pytest.fixture(scope="module")
def on_both_engines(trino_server, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A smaller dataset: it keeps the fixture short, and Trino's memory catalog holds 128 MB."""
    out = tmp_path_factory.mktemp("groundtruth-trino")
    summary = generate(SMALL, out / "data", PROJECT_DIR)
    files = dict(summary.files)
    return {
        "answers": json.loads(summary.answers.read_text()),
        "trino": trino_with(trino_server, "groundtruth", files, out),
        "duck": DuckDBEngine.for_file(
            local_database(out / "root", files), Catalog.load(PROJECT_DIR)
        ),
    }


@pytest.mark.trino
def test_trino_finds_the_planted_answers_too(on_both_engines: dict[str, Any]) -> None:
    trino, answers = on_both_engines["trino"], on_both_engines["answers"]
    rows = _run(trino, "burst_followup_sequences", window_hours=168.0, min_significance=0.9,
                followers="chandra")  # fmt: skip
    got = {(r["trigger_id"], r["observation_id"]) for r in rows}
    assert got == {(t, o) for t, o, _ in planted_followups(answers, 168.0, 0.9)}
    assert sum(o is not None for _, o in got) > 10
    cross = _run(trino, "cross_observatory_objects")
    assert {(r["source_name"], r["matched_names"], r["matched_points"]) for r in cross} == {
        (o["chandra_source"], " | ".join(sorted(o["swift_names"])), o["swift_points"])
        for o in answers["cross_observatory_objects"]
    }


# Swift's own XRT answers every generated burst: waiting for Chandra leaves some to compare,
# as of the newest generated trigger (the query's clock is now by default).
NON_EMPTY = {
    "bursts_awaiting_followup": {"followers": "chandra", "as_of": "2025-01-01T00:00:00",
                                 "lookback_hours": 876000.0}
}  # fmt: skip


@pytest.mark.trino
@pytest.mark.parametrize("path", sorted(ANALYTICS.glob("*.sql")), ids=lambda p: p.stem)
def test_every_analytic_gives_the_same_rows_on_both_engines(
    on_both_engines: dict[str, Any], path: Path
) -> None:
    """Every analytic with the local stack's defaults, as `run --all` runs them."""
    query = Query.load(path)
    params = with_stack_defaults(query, load_stack("local", PROJECT_DIR), {})
    params.update(NON_EMPTY.get(query.name, {}))
    trino = _run(on_both_engines["trino"], query.name, **params)
    duck = _run(on_both_engines["duck"], query.name, **params)
    assert duck, f"{query.name} found nothing in the generated data: the comparison would be empty"
    assert_same_rows(trino, duck, query.name)
