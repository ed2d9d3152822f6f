"""pytest plugin: with VASTOBS_REQUIRE_ENGINES=1, a skipped engine test fails the run.

``make test`` sets it, so a green run means the real Pulumi engine, Trino and
Kafka ran; a bare ``pytest`` still skips with a reason where a tool is missing.
No engine skip is allowed.
"""

from __future__ import annotations

import os

import pytest

ENGINE_MARKERS = ("pulumi", "trino", "kafka")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("VASTOBS_REQUIRE_ENGINES") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = [
        r for r in reporter.stats.get("skipped", []) if any(m in r.keywords for m in ENGINE_MARKERS)
    ]
    if not skipped:
        return
    reporter.write_line("")
    reporter.write_line(
        "FAILED: tests that need the real Pulumi engine, Trino or Kafka were skipped:", red=True
    )
    for report in skipped:
        reporter.write_line(f"  {report.nodeid}: {_reason(report)}")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _reason(report: pytest.TestReport) -> str:
    return str(report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr)
