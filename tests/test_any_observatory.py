"""Acceptance of "any observatory": fermi (triggers) and nustar (observations, measurements)
added to the local stack by config only, data generated for all four observatories, and
every analytic answers with the new observatories where its kinds apply.

Answers are compared with (a) what the generator planted (answers.json) and (b) a brute
force here, over the Parquet files, with NumPy and pandas: every trigger against every
pointing, every measured target against every catalogue source (no project SQL, no sky
cells). On the real Trino, a smaller dataset: the planted follow-ups again, and every
analytic gives DuckDB's rows.
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
from runner.engines import DuckDBEngine, Engine
from runner.query import Query
from tests.support.compare import assert_same_rows
from tests.support.dataset import local_database
from tests.support.stacks import FERMI_AND_NUSTAR, stack_with
from tests.test_ground_truth import followup_hits, haversine_arcsec, mean_direction

ANALYTICS = PROJECT_DIR / "queries" / "analytics"
STACK = stack_with(FERMI_AND_NUSTAR)
CONFIG = GeneratorConfig(rows=20_000, seed=7, followup_fraction=0.3, burst_rate_multiplier=0.3)
MAX_ERROR_ARCSEC = 20.0  # cross_observatory_objects' default
# Where the seed's tables spell a kind's observation id otherwise (their as_kind headers).
OBSERVATION_ID = {"swift.observations": "obs_id", "chandra.observations": "obsid"}


def _generated(config: GeneratorConfig, out: Path) -> tuple[dict[str, Path], dict[str, Any]]:
    summary = generate(config, out / "data", PROJECT_DIR, observatories=STACK.observatories)
    return dict(summary.files), json.loads(summary.answers.read_text())


@pytest.fixture(scope="module")
def four() -> Catalog:
    return Catalog.for_stack(STACK)


@pytest.fixture(scope="module")
def generated(four: Catalog, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("four")
    files, answers = _generated(CONFIG, out)
    engine = DuckDBEngine.for_file(local_database(out / "root", files, four), four)
    return {"files": files, "answers": answers, "engine": engine}


def _run(engine: Engine, name: str, **params: Any) -> list[dict[str, Any]]:
    return engine.run(Query.load(ANALYTICS / f"{name}.sql"), params).table.to_pylist()


def _frame(path: Path) -> pd.DataFrame:
    return pq.read_table(path).to_pandas()


def _of_kind(four: Catalog, files: dict[str, Path], kind: str) -> dict[str, Path]:
    """observatory -> its file of ``kind``."""
    return {t.observatory: files[t.logical_name] for t in four.tables.values() if t.kind == kind}


Pair = tuple[str, int, str | None, str | None]


def planted_followups(answers: dict[str, Any], window: float, significance: float) -> set[Pair]:
    expected: set[Pair] = set()
    for t in answers["triggers"]:
        if t["significance"] < significance:
            continue
        inside = [f for f in t["followups"] if f["delay_hours"] <= window]
        key = (t["observatory"], t["trigger_id"])
        expected |= {(*key, f["observatory"], f["observation_id"]) for f in inside}
        expected |= set() if inside else {(*key, None, None)}
    return expected


def brute_followups(
    four: Catalog, files: dict[str, Path], window: float, significance: float
) -> set[Pair]:
    pointings = []
    for observatory, path in _of_kind(four, files, "observations").items():
        frame = _frame(path)
        frame = frame[frame["start_time"].notna()]
        name = OBSERVATION_ID.get(f"{observatory}.observations", "observation_id")
        pointings.append(pd.DataFrame({
            "observatory": observatory, "id": frame[name].astype(str),
            "ra": frame["ra"], "dec": frame["dec"],
            "start": frame["start_time"].to_numpy("datetime64[us]").astype(np.int64),
        }))  # fmt: skip
    p = pd.concat(pointings, ignore_index=True)
    expected: set[Pair] = set()
    for observatory, path in _of_kind(four, files, "triggers").items():
        t = _frame(path)
        t = t[t["significance"] >= significance].reset_index(drop=True)
        _, _, hit = followup_hits(t, p["ra"], p["dec"], p["start"].to_numpy(), window)
        for i, trigger_id in enumerate(t["trigger_id"]):
            found = np.flatnonzero(hit[i])
            key = (observatory, int(trigger_id))
            expected |= {(*key, p["observatory"][j], p["id"][j]) for j in found}
            expected |= set() if found.size else {(*key, None, None)}
    return expected


def _followups(engine: Engine, window: float, significance: float) -> list[Pair]:
    rows = _run(engine, "burst_followup_sequences", window_hours=window,
                min_significance=significance)  # fmt: skip
    return [
        (r["trigger_observatory"], r["trigger_id"], r["followup_observatory"], r["observation_id"])
        for r in rows
    ]


CASES = [(168.0, 0.9), (24.0, 0.0)]


@pytest.mark.parametrize(("window", "significance"), CASES)
def test_followups_from_two_trigger_sources_equal_planted_and_brute_force(
    four: Catalog, generated: dict[str, Any], window: float, significance: float
) -> None:
    got = _followups(generated["engine"], window, significance)
    assert len(got) == len(set(got))  # no pair twice
    assert set(got) == planted_followups(generated["answers"], window, significance)
    assert set(got) == brute_followups(four, generated["files"], window, significance)
    sources = {o for o, _, f, _ in got if f is not None}
    followers = {f for _, _, f, _ in got if f is not None}
    assert sources == {"swift", "fermi"} and followers == {"swift", "chandra", "nustar"}


def test_bursts_followed_up_by_three_observatories(generated: dict[str, Any]) -> None:
    got = _followups(generated["engine"], 192.0, 0.0)
    by_burst: dict[int, set[str]] = {}
    for observatory, trigger_id, follower, _ in got:
        if observatory == "swift" and follower:
            by_burst.setdefault(trigger_id, set()).add(follower)
    planted = generated["answers"]["three_observatory_bursts"]
    assert planted
    for burst in planted:
        assert by_burst[burst["trigger_id"]] == {"swift", "chandra", "nustar"}


def brute_cross(four: Catalog, files: dict[str, Path]) -> set[tuple[str, str, str, int]]:
    """(catalogue, source, matched observatories, matched points): every catalogue source
    against every target another observatory measured with arcsecond points."""
    targets = []
    for observatory, path in _of_kind(four, files, "measurements").items():
        m = _frame(path)
        m = m[m["err_radius_arcsec"] <= MAX_ERROR_ARCSEC]
        stats = m.groupby("target_name").agg(
            err=("err_radius_arcsec", "min"), points=("ra", "size")
        )
        targets.append(stats.join(mean_direction(m, "target_name")).assign(observatory=observatory))
    s = pd.concat(targets)
    found = set()
    for catalogue, path in _of_kind(four, files, "detections").items():
        d = _frame(path)
        sources = d.groupby("source_name").agg(err=("err_radius_arcsec", "min"))
        sources = sources.join(mean_direction(d, "source_name"))
        sep = haversine_arcsec(
            sources["ra"].to_numpy()[:, None], sources["dec"].to_numpy()[:, None],
            s["ra"].to_numpy()[None, :], s["dec"].to_numpy()[None, :],
        )  # fmt: skip
        radius = np.maximum(
            2.0,
            np.sqrt(sources["err"].to_numpy()[:, None] ** 2 + s["err"].to_numpy()[None, :] ** 2),
        )
        hit = (sep <= radius) & (s["observatory"].to_numpy()[None, :] != catalogue)
        for i in np.flatnonzero(hit.any(axis=1)):
            matched = s.iloc[np.flatnonzero(hit[i])]
            observatories = " | ".join(sorted(set(matched["observatory"])))
            found.add((catalogue, sources.index[i], observatories, int(matched["points"].sum())))
    return found


def test_cross_observatory_objects_equal_planted_and_brute_force(
    four: Catalog, generated: dict[str, Any]
) -> None:
    rows = _run(generated["engine"], "cross_observatory_objects")
    got = {
        (r["observatory"], r["source_name"], r["matched_observatories"], r["matched_points"])
        for r in rows
    }
    planted = {
        (o["catalogue"], o["source_name"], " | ".join(o["matched_observatories"]),
         o["matched_points"])
        for o in generated["answers"]["cross_observatory_matches"]
    }  # fmt: skip
    assert got == planted
    assert got == brute_cross(four, generated["files"])
    assert any("nustar" in observatories for _, _, observatories, _ in got)


def test_one_object_seen_by_four(generated: dict[str, Any]) -> None:
    engine, seen = generated["engine"], generated["answers"]["seen_by_four"]
    assert seen["observatories"] == ["chandra", "fermi", "nustar", "swift"]
    where = {"ra": seen["ra"], "dec": seen["dec"], "radius_arcsec": 10.0}
    for name in ("cone_search", "multi_wavelength_light_curve"):
        observatories = {r["observatory"] for r in _run(engine, name, **where)}
        assert sorted(observatories) == seen["seen_by"][name], name
    cross = [r for r in _run(engine, "cross_observatory_objects")
             if r["source_name"] == seen["detected"]["chandra"]["source_name"]]  # fmt: skip
    assert [r["matched_observatories"] for r in cross] == ["nustar | swift"]
    followed = {(o, t) for o, t, f, _ in _followups(engine, 168.0, 0.0) if f is not None}
    for trigger in seen["seen_by"]["burst_followup_sequences"]:
        assert (trigger["observatory"], trigger["trigger_id"]) in followed
    position = _run(engine, "target_position", target="V404 Cygni")
    assert position[0]["observatories"] == " | ".join(seen["seen_by"]["target_position"])


# --- the same on the real Trino ----------------------------------------------------------

SMALL = GeneratorConfig(rows=3000, seed=11, followup_fraction=0.5, burst_rate_multiplier=0.15)


@pytest.fixture(scope="module")
def on_both_engines(trino_server, four: Catalog, tmp_path_factory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("four-trino")
    files, answers = _generated(SMALL, out)
    return {
        "answers": answers,
        "trino": trino_with(trino_server, "generated4", files, out, four),
        "duck": DuckDBEngine.for_file(local_database(out / "root", files, four), four),
    }


@pytest.mark.trino
def test_trino_finds_the_planted_followups_of_both_trigger_sources(on_both_engines) -> None:
    got = set(_followups(on_both_engines["trino"], 168.0, 0.9))
    assert got == planted_followups(on_both_engines["answers"], 168.0, 0.9)
    assert {o for o, *_ in got} == {"swift", "fermi"}


@pytest.mark.trino
@pytest.mark.parametrize("path", sorted(ANALYTICS.glob("*.sql")), ids=lambda p: p.stem)
def test_every_analytic_gives_the_same_rows_on_both_engines(on_both_engines, path: Path) -> None:
    query = Query.load(path)
    params = with_stack_defaults(query, STACK, {})
    if "as_of" in query.params:  # the clock is now by default: both engines get one moment
        params.update(as_of="2025-01-01T00:00:00", lookback_hours=876000.0)
    duck = _run(on_both_engines["duck"], query.name, **params)
    trino = _run(on_both_engines["trino"], query.name, **params)
    assert duck, f"{query.name} found nothing in the generated data: the comparison would be empty"
    assert_same_rows(trino, duck, query.name)
