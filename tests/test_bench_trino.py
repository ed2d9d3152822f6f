"""The Trino benchmark path at a small size: the answers, not the timings."""

from __future__ import annotations

import pytest

from bench.trino_bench import trino_scenarios
from devtools.trino_server import TrinoServer

pytestmark = pytest.mark.trino


def test_trino_bench_answers_the_planted_rows(trino_server: TrinoServer) -> None:
    doc = trino_scenarios([20000], repeats=1, server=trino_server)
    by = {r["scenario"]: r for r in doc["scenarios"]}
    assert by["light_curve"]["answer_rows"] == 220  # 200 Swift + 20 Chandra points planted
    assert by["cross_match"]["answer_rows"] == by["cross_match"]["expected_matches"]
    assert by["burst_followup"]["answer_rows"] >= by["burst_followup"]["bursts"]
    assert {r["catalog"] for r in doc["scenarios"]} == {"memory"}
    assert doc["floor_select_1"]["median_ms"] > 0
