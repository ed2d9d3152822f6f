"""Lint findings as a user sees them: path:line:col CODE message, collected, non-zero exit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devtools.toolchain import PROJECT_DIR
from runner.cli import main
from runner.lint import lint, write_lock
from runner.query import Query

HEADER = (
    "-- name: {name}\n-- version: 1\n-- params:\n"
    "--   since: {{type: timestamp, default: '2020-01-01T00:00:00'}}\n"
    "--   src: {{type: observatories, kinds: [triggers]}}\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("Pulumi.yaml", "Pulumi.local.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    shutil.copytree(PROJECT_DIR / "queries", tmp_path / "queries")
    return tmp_path


def _findings(project: Path, name: str, body: str) -> list[str]:
    path = project / "queries" / "analytics" / f"{name}.sql"
    path.write_text(HEADER.format(name=name) + body)
    write_lock(project)
    return [f"{f.line}:{f.col} {f.code} {f.message}" for f in lint([path], project)]


def test_the_committed_queries_are_clean() -> None:
    assert [str(f) for f in lint([PROJECT_DIR / "queries"], PROJECT_DIR)] == []


def test_unknown_kinds_tables_and_columns(project: Path) -> None:
    found = _findings(
        project,
        "q",
        "SELECT b.trigger_name FROM src.triggers AS b\nJOIN src.nope AS n ON n.x = b.trigger_id\n"
        "JOIN swift.bursts AS s ON s.trigger_id = b.trigger_id\nWHERE b.trigger_time > :since",
    )
    assert "7:13 Q002 src.nope AS n: src selects observatories for triggers" in found
    assert any(
        f.startswith("8:") and "Q002 swift.bursts AS s names an observatory's table" in f
        for f in found
    )
    # grb_name is Swift's own column: the triggers kind has trigger_name
    found = _findings(
        project, "q", "SELECT b.grb_name FROM src.triggers AS b WHERE b.trigger_time > :since"
    )
    assert any("Q003" in f and "grb_name" in f for f in found)
    path = project / "queries" / "analytics" / "q.sql"
    path.write_text(path.read_text().replace("kinds: [triggers]", "kinds: [triggers, alerts]"))
    write_lock(project)
    found = [f"{f.line}:{f.col} {f.code} {f.message}" for f in lint([path], project)]
    assert any("Q002 param src: unknown kind alerts (kinds: detections," in f for f in found)


def test_parameters_must_match_the_header(project: Path) -> None:
    found = _findings(
        project,
        "q",
        "SELECT b.trigger_name\nFROM src.triggers AS b\nWHERE b.ra > 0 AND b.dec < :min_dec",
    )
    assert "4:6 Q004 parameter since is declared but never used" in found  # its header line
    # the header is 5 lines: the body's third line is the file's eighth, ':min_dec' at column 28
    assert "8:28 Q004 parameter :min_dec is used but not declared" in found
    found = _findings(
        project, "q", "\n\n  SELECT b.trigger_name FROM src.triggers AS b WHERE b.ra > :x"
    )
    assert "8:61 Q004 parameter :x is used but not declared" in found  # after two blank lines


def test_writes_and_unnamed_outputs(project: Path) -> None:
    found = _findings(project, "q", "DELETE FROM src.triggers WHERE trigger_time < :since")
    assert any("Q001 statement is DELETE" in f for f in found)
    found = _findings(project, "q", "SELECT count(*) FROM src.triggers WHERE trigger_time > :since")
    assert any("Q005 output 'COUNT(*)' has no alias" in f for f in found)


def test_not_runnable_on_duckdb(project: Path) -> None:
    found = _findings(
        project,
        "q",
        "SELECT trigger_time + parse_duration('1h') AS y FROM src.triggers WHERE trigger_time > :since",
    )
    assert any("Q006 does not run on duckdb" in f for f in found), found


def test_syntax_error_points_at_its_line(project: Path) -> None:
    found = _findings(
        project, "q", "SELECT trigger_name\nFROM src.triggers\nWHERE (trigger_time > :since"
    )
    assert len(found) == 1 and found[0].startswith("8:") and " Q000 " in found[0]


def test_changed_file_needs_a_new_version(project: Path) -> None:
    path = project / "queries" / "analytics" / "cone_search.sql"
    version = Query.load(path).version
    path.write_text(
        path.read_text().replace(
            "radius_arcsec: {type: double, default: 300",
            "radius_arcsec: {type: double, default: 600",
        )
    )
    found = [str(f) for f in lint([path], project)]
    assert found == [
        f"{path}:2:1 Q007 the file changed but its version did not (still {version}): raise the version, then run `python -m runner lock`"
    ]
    path.write_text(
        path.read_text().replace(f"-- version: {version}", f"-- version: {version + 1}")
    )
    assert "is not locked" in str(lint([path], project)[0])
    write_lock(project)
    assert lint([path], project) == []


def test_cli_prints_findings_and_exits_1(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``python -m runner lint`` in this process: ``main(argv)``, whose result the process
    exits with (tests/test_cli.py keeps one run through ``python -m runner``)."""
    bad = project / "queries" / "analytics" / "bad.sql"
    bad.write_text(HEADER.format(name="bad") + "SELECT x AS y FROM src.triggers")
    monkeypatch.chdir(project)
    assert main(["lint"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(line.startswith(f"{bad}:") for line in lines)
    assert any(" Q007 bad is not in queries/analytics.lock" in line for line in lines)


def test_a_default_outside_its_domain(project: Path) -> None:
    path = project / "queries" / "analytics" / "q.sql"
    path.write_text(
        "-- name: q\n-- version: 1\n-- params:\n"
        "--   dec: {type: double, default: 95, min: -90, max: 90}\n"
        "--   src: {type: observatories, kinds: [triggers]}\n"
        "SELECT b.trigger_name FROM src.triggers AS b WHERE b.dec < :dec"
    )
    write_lock(project)
    found = [str(f) for f in lint([path], project)]
    assert found == [
        f"{path}:4:26 Q009 param dec: default 95.0 must be a finite number in [-90, 90]"
    ]
