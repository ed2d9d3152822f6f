"""The benchmark's scale path at a small size: no timings asserted, only that the
answers are the planted ones (a benchmark that answers wrong measures nothing)."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench import run
from runner.cli import main


@pytest.fixture
def runner_in_process(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """bench.run's CLI leg (``python -m runner --stack bench run ...`` in a scratch project,
    ``check=True``) through ``main(argv)`` in this process: the same command line must
    answer with exit 0 against the bench database, without paying a process's imports
    four times (tests/test_cli.py keeps one run through ``python -m runner``)."""
    started: list[list[str]] = []

    def fake_run(
        argv: list[str], *, cwd: Path, check: bool, capture_output: bool
    ) -> subprocess.CompletedProcess[bytes]:
        assert argv[:3] == [sys.executable, "-m", "runner"], argv
        assert check and capture_output
        started.append(argv[3:])
        out, err = io.StringIO(), io.StringIO()
        with monkeypatch.context() as m, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):  # fmt: skip
            m.chdir(cwd)
            code = main(argv[3:])
        if code:
            raise subprocess.CalledProcessError(code, argv, out.getvalue(), err.getvalue())
        return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())

    monkeypatch.setattr(run, "subprocess", SimpleNamespace(run=fake_run))
    return started


def test_bench_smoke_answers_are_right(
    capsys: pytest.CaptureFixture[str], runner_in_process: list[list[str]]
) -> None:
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
    assert len(runner_in_process) == len(doc["scenarios"])  # each scenario's CLI run answered
