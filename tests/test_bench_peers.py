"""bench/peers.py: astropy and LSDB, in their own venv, give the project's answers on a
small dataset (the same pairs, the same rows), and the comparison catches a difference.

The peers test is marked ``peers`` (not in ``make test-fast``); in ``make test`` it
installs the peers venv itself (tools/setup-peers.sh: seconds once uv's cache has the
wheels) and fails, never skips, when it cannot.
"""

from __future__ import annotations

import collections
from pathlib import Path

import pyarrow as pa
import pytest

from bench import peers, synth
from bench import scenarios as sc
from bench.report import peer_verdict


def test_compare_counts_each_sides_extras() -> None:
    mine = collections.Counter([("C1", "S1"), ("C2", "S2"), ("C2", "S2")])
    theirs = collections.Counter([("C1", "S1"), ("C2", "S2"), ("C3", "S3")])
    got = peers.compare(mine, theirs)
    assert got["same"] is False
    assert (got["only_project"], got["only_peer"]) == (1, 1)
    assert peers.compare(mine, collections.Counter(mine))["same"] is True


def test_project_pairs_split_matched_names() -> None:
    table = pa.table({"source_name": ["C1", "C2"], "matched_names": ["S1", "S2 | S9"]})
    assert peers.project_pairs(table) == collections.Counter(
        [("C1", "S1"), ("C2", "S2"), ("C2", "S9")]
    )


def _scenario(name: str, mine: float, peers_ms: dict[str, float], floor: float = 0.0) -> dict:
    same = {"same": True, "only_project": 0, "only_peer": 0, "examples": []}
    return {
        "scenario": name, "rows": 1_000_000, "project": {"timing": {"median_ms": mine}},
        "floor": {"timing": {"median_ms": floor}},
        "peers": {t: {"timing": {"median_ms": ms}, "agreement": same} for t, ms in peers_ms.items()},
    }  # fmt: skip


def testpeer_verdicts_name_what_missed() -> None:
    met = peer_verdict(_scenario("cross_match", 100.0, {"astropy": 900.0, "lsdb": 500.0}))
    assert met.endswith(": met.")
    slow = peer_verdict(_scenario("cross_match", 200.0, {"astropy": 900.0, "lsdb": 500.0}))
    assert slow.endswith("**missed**: 2.5x lsdb.")
    cone = peer_verdict(_scenario("cone_search", 9.0, {"lsdb": 110.0}, floor=5.0))
    assert cone.endswith("**missed**: 4.0 ms over the floor.")
    differs = _scenario("cone_search", 9.0, {"lsdb": 110.0}, floor=8.0)
    differs["peers"]["lsdb"]["agreement"]["same"] = False
    assert peer_verdict(differs).endswith("**missed**: answers differ.")
    # The load average shows beside the margin, and a busy machine is named, verdict unchanged.
    quiet = _scenario("cone_search", 9.0, {"lsdb": 110.0}, floor=8.0)
    quiet["floor"]["load"] = {"before": 0.8, "after": 1.2, "cores": 2}
    assert peer_verdict(quiet).endswith("(+1.0 ms; load average 0.8 to 1.2 on 2 cores): met.")
    quiet["floor"]["load"]["after"] = 3.5
    busy = peer_verdict(quiet)
    assert busy.endswith(
        "(+1.0 ms; load average 0.8 to 3.5 on 2 cores, busier than its cores): met."
    )


@pytest.fixture(scope="module")
def peer_python() -> Path:
    return peers.peer_python()  # installs on first use; a failure fails the test


@pytest.mark.peers
def test_peers_answer_as_the_project_does(
    peer_python: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(peers, "CONE_ROUNDS", 1)  # the answers, not the timing
    monkeypatch.setattr(peers, "CONE_WARMUP", 0)
    n = 2_000
    made = synth.sources(sc.TABLES["swift.measurements"], sc.TABLES["chandra.detections"], n,
                         _dir(tmp_path / "xfiles"))  # fmt: skip
    crossed = sc.build(tmp_path / "x" / "root", {"swift.measurements": made[0], "chandra.detections": made[1]})  # fmt: skip
    cross = peers.crossmatch_peers(crossed, 1, peer_python, _dir(tmp_path / "xwork"))
    assert cross["project"]["answer_rows"] >= n // 10  # the planted pairs, at least
    for tool, got in cross["peers"].items():
        assert got["agreement"]["same"], (tool, got["agreement"])
        assert got["answer_rows"] == cross["project"]["answer_rows"]
        assert got["capped"] == 0

    files = synth.points(sc.TABLES["swift.measurements"], sc.TABLES["chandra.detections"], 5_000,
                         _dir(tmp_path / "cfiles"))  # fmt: skip
    points = sc.build(tmp_path / "c" / "root", files)
    cone = peers.cone_peers(points, 1, peer_python, _dir(tmp_path / "cwork"))
    assert cone["project"]["answer_rows"] > 0  # planted V404 Cyg points in the ten years
    assert cone["floor"]["answer_rows"] > 0
    for tool, got in cone["peers"].items():
        assert got["agreement"]["same"], (tool, got["agreement"])
        assert got["answer_rows"] == cone["project"]["answer_rows"]


def _dir(path: Path) -> Path:
    path.mkdir(parents=True)
    return path
