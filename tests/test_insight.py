"""The insight a duty scientist gets for a new trigger: what the region held before it
and what is pointed there since, from the project's own analytics (no broker needed)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from devtools.toolchain import PROJECT_DIR
from runner.alerts.insight import InsightMaker, run_command
from runner.alerts.notices import parse_notice
from runner.alerts.store import Change, Received
from runner.catalog import Catalog
from runner.engines import DuckDBEngine
from tests.support.dataset import local_database
from tests.test_analytics import DATA, V404, h


@pytest.fixture(scope="module")
def maker(tmp_path_factory: pytest.TempPathFactory) -> InsightMaker:
    catalog = Catalog.load(PROJECT_DIR)
    database = local_database(tmp_path_factory.mktemp("insight"), DATA, catalog)
    return InsightMaker(DuckDBEngine.for_file(database, catalog), PROJECT_DIR)


def change(outcome: str, at: dt.datetime, error_deg: float = 0.01) -> Change:
    doc = {
        "mission": "SWIFT", "instrument": "BAT-GUANO", "alert_type": "initial", "id": [9999],
        "trigger_time": at.isoformat() + "Z", "ra": V404[0], "dec": V404[1],
        "ra_dec_error": error_deg, "containment_probability": 0.9, "image_snr": 20.0,
    }  # fmt: skip
    value = json.dumps(doc).encode()
    notice = parse_notice("gcn.notices.swift.bat.guano", value)
    return Change(outcome, notice, Received("gcn.notices.swift.bat.guano", 0, 0, value))  # type: ignore[arg-type]


def test_a_new_trigger_on_v404_cyg(maker: InsightMaker) -> None:
    insight = maker(change("new", h(20)))
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


def test_no_insight_for_a_kept_or_retracted_trigger(maker: InsightMaker) -> None:
    assert maker(change("kept", h(20))) is None
    assert maker(change("retracted", h(20))) is None


def test_a_user_command_gets_the_insight_on_stdin(maker: InsightMaker, tmp_path: Path) -> None:
    insight = maker(change("new", h(20)))
    assert insight is not None
    out = tmp_path / "got.json"
    script = tmp_path / "hook.py"
    script.write_text(f"import sys; open({str(out)!r}, 'w').write(sys.stdin.read())\n")
    assert run_command(f"python3 {script}", insight) is None
    assert json.loads(out.read_text())["trigger_id"] == 9999
    assert "exit 3" in (run_command("python3 -c 'raise SystemExit(3)'", insight) or "")
    assert "No such file" in (run_command("/nonexistent/hook", insight) or "")
