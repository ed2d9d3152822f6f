"""The insight a duty scientist gets for a new trigger: what the region held before it
and what is pointed there since, from the project's own analytics (no broker needed).

Insights are made a batch of triggers at a time by one analytic, trigger_context;
each must be exactly what the two per-trigger analytics, cone_search and
pointings_in_circle, give for that trigger's region, whatever the batch.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import random
import threading
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest

from devtools.toolchain import PROJECT_DIR
from runner.alerts.insight import (
    TRIGGERS_PER_QUERY,
    Insight,
    InsightMaker,
    InsightWorker,
    _iso,
    _summary,
    run_command,
)
from runner.alerts.store import Change, Received, TriggerStore
from runner.catalog import Catalog
from runner.engines import DuckDBEngine, Engine
from runner.query import Query
from tests.support.dataset import local_database
from tests.test_analytics import ANALYTICS, DATA, V404, h
from tests.test_listener import with_alert_tables
from tests.test_sky_matching import UNKEYED_JOINS

TOPIC = "gcn.notices.swift.bat.guano"
CONE = Query.load(ANALYTICS / "cone_search.sql")
POINTED = Query.load(ANALYTICS / "pointings_in_circle.sql")
MAX_RADIUS_ARCSEC = 36000.0  # the cones' largest radius, 10 degrees
# Crowded fields: around V404 Cyg, across RA 0/360 and at the north pole, out to 12 degrees.
CLUSTERS = [V404, (0.0, 10.0), (45.0, 88.0)]


def _near(rng: random.Random, ra: float, dec: float, degrees: float) -> tuple[float, float]:
    """A position up to ``degrees`` from (ra, dec), RA wrapped, Dec kept on the sphere."""
    d = max(-90.0, min(90.0, dec + rng.uniform(-degrees, degrees)))
    spread = degrees / max(math.cos(math.radians(d)), 0.05)
    return (ra + rng.uniform(-spread, spread)) % 360.0, d


def _crowds(seed: int = 7) -> dict[str, list[dict[str, Any]]]:
    """The hand-made data of test_analytics plus a few hundred points and pointings in the
    clusters, at times either side of the triggers'."""
    rng = random.Random(seed)
    data = {name: list(rows) for name, rows in DATA.items()}

    def place() -> tuple[float, float]:
        return _near(rng, *rng.choice(CLUSTERS), 12.0)

    def when() -> dt.datetime:
        return h(rng.uniform(-200, 800))

    for i in range(600):
        ra, dec = place()
        band = rng.choice([("XRT", "0.3-10keV"), ("UVOT", "UVW1"), ("UVOT", "U")])
        data["swift.measurements"].append(
            {"obs_id": f"0008{i:07d}", "target_name": f"SRC{i % 40}", "instrument": band[0],
             "band": band[1], "mid_time": when(), "ra": ra, "dec": dec,
             "rate": round(rng.uniform(0.01, 5.0), 4)}
        )  # fmt: skip
    for i in range(150):
        ra, dec = place()
        data["chandra.detections"].append(
            {"obsid": 20000 + i, "source_number": 1, "source_name": f"2CXO J{i:06d}",
             "mid_time": when(), "ra": ra, "dec": dec, "rate": rng.uniform(0.001, 1.0)}
        )  # fmt: skip
    for i in range(200):
        ra, dec = place()
        scheduled = i % 10 == 0
        data["chandra.observations"].append(
            {"obsid": 30000 + i, "target_name": f"FIELD {i}", "ra": ra, "dec": dec,
             "start_time": None if scheduled else when(),
             "status": "scheduled" if scheduled else "archived"}
        )  # fmt: skip
    for i in range(100):
        ra, dec = place()
        data["swift.observations"].append(
            {"obs_id": f"0009{i:07d}", "target_name": f"TOO {i}", "ra": ra, "dec": dec,
             "start_time": when()}
        )  # fmt: skip
    return data


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A local VAST DB with the crowds and the alerts tables, its store and engine."""
    catalog = Catalog.load(PROJECT_DIR)
    database = with_alert_tables(
        local_database(tmp_path_factory.mktemp("insight"), _crowds(), catalog)
    )
    return {
        "database": database,
        "catalog": catalog,
        "store": TriggerStore(database, catalog),
        "engine": DuckDBEngine.for_file(database, catalog),
        "maker": InsightMaker(DuckDBEngine.for_file(database, catalog), PROJECT_DIR),
        "offsets": itertools.count(),
    }


def notice(trigger_id: int, at: dt.datetime, ra: float, dec: float, error_deg: float) -> bytes:
    doc = {
        "mission": "SWIFT", "instrument": "BAT-GUANO", "alert_type": "initial",
        "id": [trigger_id], "trigger_time": at.isoformat() + "Z", "ra": ra, "dec": dec,
        "ra_dec_error": error_deg, "containment_probability": 0.9, "image_snr": 20.0,
    }  # fmt: skip
    return json.dumps(doc).encode()


def write(world: dict[str, Any], values: list[bytes]) -> list[Change]:
    """Notices through the store, as the listener writes a batch: the changes it reports."""
    received = [Received(TOPIC, 0, next(world["offsets"]), v) for v in values]
    return list(world["store"].write(received).changes)


def per_trigger(engine: Engine, change: Change) -> Insight:
    """The insight as it was made before batching: cone_search and pointings_in_circle for
    the one trigger's region, from its notice."""
    n = change.notice
    assert n.trigger_time is not None and n.err_radius_arcsec is not None
    assert n.ra is not None and n.dec is not None
    radius = min(n.err_radius_arcsec, MAX_RADIUS_ARCSEC)
    where = {"ra": n.ra, "dec": n.dec, "radius_arcsec": radius}
    points = engine.run(CONE, {**where, "end_time": n.trigger_time}).table
    pointed = engine.run(POINTED, {**where, "since": n.trigger_time}).table
    return Insight(
        outcome=change.outcome,
        observatory=n.observatory,
        trigger_id=n.trigger_id,
        trigger_name=n.trigger_name,
        trigger_time=_iso(n.trigger_time),
        ra=n.ra,
        dec=n.dec,
        err_radius_arcsec=n.err_radius_arcsec,
        searched_arcsec=radius,
        seen_before=_summary(points.to_pylist()),
        pointings=[{k: _iso(v) for k, v in row.items()} for row in pointed.to_pylist()],
    )


def batched(maker: InsightMaker, changes: list[Change]) -> list[Insight]:
    asked = maker.asked(changes)
    return [replace(i, elapsed_seconds=0.0) for i in maker.insights(asked, maker.read(asked))]


@pytest.fixture(scope="module")
def special(world: dict[str, Any]) -> dict[str, Change]:
    """Triggers whose regions test an edge: V404 Cyg's 36 arcsec, a wide one (8 degrees),
    one wider than the cones allow (15 degrees, searched to 10), one across RA 0/360, one
    at the pole, and one with nothing around it."""
    cases = {
        "v404": (9999, h(20), *V404, 0.01),
        "wide": (9001, h(300), V404[0] + 1.0, V404[1] - 2.0, 8.0),
        "widest": (9002, h(400), 2.0, 12.0, 15.0),
        "across_ra0": (9003, h(300), 359.5, 10.0, 3.0),
        "pole": (9004, h(250), 200.0, 89.5, 5.0),
        "empty": (9005, h(300), 180.0, -60.0, 0.5),
    }
    changes = write(world, [notice(*args) for args in cases.values()])
    return dict(zip(cases, changes, strict=True))


def test_a_new_trigger_on_v404_cyg(world: dict[str, Any], special: dict[str, Change]) -> None:
    insight = world["maker"](special["v404"])
    assert insight is not None
    seen = {(s.observatory, s.instrument): s.points for s in insight.seen_before}
    # Before h20 within 36 arcsec: Swift's XRT points at h1-h3, UVOT, the BAT point;
    # Chandra's detection at h10 (the one at h30 is after the trigger).
    assert seen[("chandra", "CXO")] == 1
    assert seen[("swift", "XRT")] == 3
    assert all(s.last_utc < h(20).isoformat() for s in insight.seen_before)
    pointed = [(p["observatory"], p["observation_id"]) for p in insight.pointings]
    assert ("chandra", "16703") not in pointed  # observed at h5, before the trigger
    json.loads(insight.as_json())  # the JSON line parses


def test_each_region_answers_as_the_per_trigger_analytics(
    world: dict[str, Any], special: dict[str, Change]
) -> None:
    """In one batch and one by one, every edge case is what cone_search and
    pointings_in_circle give for it alone."""
    expected = {name: per_trigger(world["engine"], c) for name, c in special.items()}
    # the comparison is not empty where it matters, and empty where nothing is around
    assert sum(s.points for s in expected["wide"].seen_before) > 20
    assert len(expected["wide"].pointings) > 5
    assert expected["widest"].searched_arcsec == MAX_RADIUS_ARCSEC
    assert expected["widest"].seen_before and expected["widest"].pointings
    assert expected["across_ra0"].seen_before and expected["pole"].seen_before
    assert not expected["empty"].seen_before and not expected["empty"].pointings
    together = batched(world["maker"], list(special.values()))
    assert together == list(expected.values())
    for name, change in special.items():
        assert batched(world["maker"], [change]) == [expected[name]], name


def test_the_batch_query_pairs_regions_by_cell_keys_only(
    world: dict[str, Any], special: dict[str, Change]
) -> None:
    """Regions up to 10 degrees and points or pointings meet in hash joins on cell keys:
    no Cartesian product of a batch's triggers with the tables."""
    keys = ",".join(f"swift:{c.notice.trigger_id}" for c in special.values())
    plan = world["engine"].explain(world["maker"].context, {"triggers": keys})
    assert "join" in plan.lower()
    assert not UNKEYED_JOINS.findall(plan), UNKEYED_JOINS.findall(plan)


def test_a_batch_of_200_answers_as_the_per_trigger_analytics(world: dict[str, Any]) -> None:
    """200 triggers in the crowded fields and elsewhere, radii from 10 arcsec to 15 degrees:
    one query gives each trigger exactly its per-trigger insight."""
    rng = random.Random(11)
    values = []
    for i in range(200):
        ra, dec = (
            _near(rng, *rng.choice(CLUSTERS), 10.0)
            if i % 8
            else (rng.uniform(0, 360), rng.uniform(-90, 90))
        )
        error_deg = math.exp(rng.uniform(math.log(10 / 3600), math.log(15.0)))
        values.append(notice(50_000 + i, h(rng.uniform(-100, 700)), ra, dec, error_deg))
    changes = write(world, values)
    assert [c.outcome for c in changes] == ["new"] * 200
    assert TRIGGERS_PER_QUERY >= 200  # one query for all of them
    got = batched(world["maker"], changes)
    # One connection for the 400 reference queries, not one each (no batch is written now).
    with closing(duckdb.connect(str(world["database"]), read_only=True)) as con:
        engine = DuckDBEngine(con.cursor, world["catalog"])
        expected = [per_trigger(engine, c) for c in changes]
    assert got == expected
    assert sum(1 for i in expected if i.seen_before) > 50  # most have something to compare
    assert sum(1 for i in expected if i.pointings) > 50


def test_no_insight_for_a_kept_or_retracted_trigger(world: dict[str, Any]) -> None:
    first = write(world, [notice(9100, h(20), *V404, 0.01)])
    kept = write(world, [notice(9100, h(20), *V404, 0.05)])  # a worse position: kept
    assert [c.outcome for c in kept] == ["kept"]
    assert world["maker"](kept[0]) is None
    retraction = {"mission": "SWIFT", "instrument": "BAT-GUANO", "alert_type": "retraction",
                  "id": [9100], "trigger_time": h(20).isoformat() + "Z"}  # fmt: skip
    retracted = write(world, [json.dumps(retraction).encode()])
    assert [c.outcome for c in retracted] == ["retracted"]
    assert world["maker"](retracted[0]) is None
    # the new trigger's insight, made after the retraction, has nothing left to say
    assert world["maker"](first[0]) is None


class Counting(InsightMaker):
    """The maker, noting how many triggers each query asked about."""

    reads: list[int]

    def read(self, asked: list[Change]) -> Any:
        self.reads.append(len(asked))
        return super().read(asked)


class Gate:
    """The store's guard, held by the test; says when the worker waits for it."""

    def __init__(self) -> None:
        self.lock, self.waiting = threading.Lock(), threading.Event()

    def __enter__(self) -> None:
        self.waiting.set()
        self.lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


def test_the_worker_answers_a_backlog_in_one_query(world: dict[str, Any]) -> None:
    """Changes arriving while an insight is being read wait, and are answered together: one
    insight per trigger, for its latest new or refined change (a kept one says nothing new),
    each as the per-trigger analytics give it."""
    coarse = [notice(9200 + i, h(300), V404[0] + i * 0.5, V404[1], 2.0) for i in range(5)]
    changes = write(world, coarse)
    refined = write(world, [notice(9202, h(300), V404[0] + 1.0, V404[1], 0.5)])
    kept = write(world, [notice(9203, h(300), V404[0] + 1.5, V404[1], 3.0)])
    assert [c.outcome for c in refined + kept] == ["refined", "kept"]
    maker = Counting(world["engine"], PROJECT_DIR)
    maker.reads = []
    emitted: list[Insight] = []
    gate = Gate()
    with gate.lock:  # the worker reads the first change once the test lets it
        worker = InsightWorker(maker, emitted.append, gate)  # type: ignore[arg-type]
        worker.submit(changes[0])
        assert gate.waiting.wait(30)
        for change in changes[1:] + refined + kept:
            worker.submit(change)
    worker.close()
    assert maker.reads == [1, 4]
    latest = [changes[0], changes[1], changes[3], changes[4], refined[0]]
    assert [(i.trigger_id, i.outcome) for i in emitted] == [
        (c.notice.trigger_id, c.outcome) for c in latest
    ]
    assert [replace(i, elapsed_seconds=0.0) for i in emitted] == [
        per_trigger(world["engine"], c) for c in latest
    ]


def test_ctrl_c_stops_the_worker_after_the_query_under_way(world: dict[str, Any]) -> None:
    """On Ctrl-C the listener stops its worker without the insights still waiting, but only
    once the query under way is done: a thread left inside DuckDB aborts the process."""
    changes = write(
        world, [notice(9300 + i, h(300), V404[0] + i * 0.5, V404[1], 2.0) for i in range(3)]
    )
    maker = Counting(world["engine"], PROJECT_DIR)
    maker.reads = []
    emitted: list[Insight] = []
    gate = Gate()
    with gate.lock:  # the worker is inside its first query's guard
        worker = InsightWorker(maker, emitted.append, gate)  # type: ignore[arg-type]
        worker.submit(changes[0])
        assert gate.waiting.wait(30)
        for change in changes[1:]:
            worker.submit(change)
        closing = threading.Thread(target=worker.close, kwargs={"finish": False})
        closing.start()
        assert worker.dropping.wait(30)
    closing.join(30)
    assert not closing.is_alive() and not worker.thread.is_alive()
    assert maker.reads == [1]
    assert [i.trigger_id for i in emitted] == [changes[0].notice.trigger_id]


def test_a_user_command_gets_the_insight_on_stdin(
    world: dict[str, Any], special: dict[str, Change], tmp_path: Path
) -> None:
    insight = world["maker"](special["v404"])
    assert insight is not None
    out = tmp_path / "got.json"
    script = tmp_path / "hook.py"
    script.write_text(f"import sys; open({str(out)!r}, 'w').write(sys.stdin.read())\n")
    assert run_command(f"python3 {script}", insight) is None
    assert json.loads(out.read_text())["trigger_id"] == 9999
    assert "exit 3" in (run_command("python3 -c 'raise SystemExit(3)'", insight) or "")
    assert "No such file" in (run_command("/nonexistent/hook", insight) or "")
