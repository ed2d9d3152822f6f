"""The benchmark's scale path at a small size: no timings asserted, only that the
answers are the planted ones (a benchmark that answers wrong measures nothing)."""

from __future__ import annotations

import json

import pytest

from bench import run


def test_bench_smoke_answers_are_right(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run.main(
            [
                "--sizes",
                "20000",
                "--repeats",
                "1",
                "--budget",  # naive baselines cut short: no answer of theirs is checked
                "0.5",
                "--smoke",
                "--no-preview",
                "--trino-sizes",
                "",
            ]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    by = {r["scenario"]: r for r in doc["scenarios"]}
    assert by["cross_match"]["answer_rows"] == by["cross_match"]["expected_matches"]
    assert by["light_curve"]["answer_rows"] == 220  # the planted 200 Swift + 20 Chandra points
    assert (
        by["burst_followup"]["answer_rows"] >= by["burst_followup"]["bursts"]
    )  # each has a planted follow-up
    for r in doc["scenarios"]:
        assert r["project"]["median_ms"] > 0 and r["cli_seconds"] > 0
