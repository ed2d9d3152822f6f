"""The local stack through the real Pulumi CLI and engine.

Every engine run costs seconds, so the tests that only look at a deployed stack,
or change it and put it back, share one (``deployed``, brought up once per
module); a test that leaves the stack changed gets its own. The shared stack is
destroyed by the last test of the file.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import pytest

from devtools.pulumi_project import PulumiProject
from devtools.toolchain import PROJECT_DIR
from tests.support.pulumi import pulumi_project_in
from vastobs.kinds import load_kind

pytestmark = pytest.mark.pulumi

STORAGE = ("policy", "qos", "view", "quota", "schema")


def _stack(**overrides: object) -> dict[str, object]:
    config: dict[str, object] = {
        "backend": "local",
        "local_root": "local-root",
        "database": {"bucket": "obsdb", "path": "/db", "quota": "1GB"},
        "observatories": {
            "swift": {
                "path": "/swift/observations",
                "quota": {"hard": "100TB", "soft": "80TB", "grace": "7d"},
                "access_pattern": "real_time",
                "kinds": {"triggers": "bursts"},  # one table: each costs engine time
            },
            "chandra": {"path": "/chandra/observations", "storage_quota_tb": 200},
        },
    }
    config.update(overrides)
    return config


def _tables(p: PulumiProject) -> set[str]:
    db = p.root / "local-root" / "views" / "db" / "vastobs.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables"
        )
        return {r[0] for r in rows.fetchall()}


def _registry(p: PulumiProject) -> dict:
    return json.loads((p.root / "local-root" / "vms.json").read_text())


@pytest.fixture
def up(pulumi_project: PulumiProject) -> PulumiProject:
    """A stack of the test's own, for a test that leaves it changed."""
    pulumi_project.write_stack(_stack())
    pulumi_project.init()
    pulumi_project.run("up", "--yes", "--skip-preview")
    return pulumi_project


@dataclass
class Deployed:
    """The module's shared stack, and what its first preview saw before ``up``."""

    project: PulumiProject
    planned: dict[str, list[str]]
    preview_touched_backend: bool


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    with pulumi_project_in(tmp_path_factory.mktemp("deployed")) as p:
        p.write_stack(_stack())
        p.init()
        planned = p.steps()
        touched = (p.root / "local-root").exists()
        p.run("up", "--yes", "--skip-preview")
        yield Deployed(p, planned, touched)


@contextlib.contextmanager
def restored(p: PulumiProject) -> Iterator[PulumiProject]:
    """A test edits the shared stack's config for a preview; the declared one comes back."""
    try:
        yield p
    finally:
        p.write_stack(_stack())


def test_preview_then_up_creates_the_declared_storage(deployed: Deployed) -> None:
    p = deployed.project
    views = p.root / "local-root" / "views"
    expected = [f"{o}-{k}" for o in ("swift", "chandra") for k in STORAGE]
    expected += ["swift-bursts", "swift-bursts-sorted"]  # <obs>-<table>, and its projection
    expected += ["database-policy", "database-view", "database-quota"]
    assert deployed.planned == {"create": sorted(expected)}
    assert not deployed.preview_touched_backend, "preview must not touch the backend"

    assert (views / "swift" / "observations").is_dir()
    assert (views / "chandra" / "observations").is_dir()
    assert _tables(p) == {"swift.bursts"}
    quotas = {q["name"]: q for q in _registry(p)["quotas"].values()}
    assert quotas["vastobs-swift"]["hard_limit"] == 100 * 10**12
    assert quotas["vastobs-swift"]["grace_period"] == "7 00:00:00"
    assert p.outputs()["observatories"]["swift"]["path"] == "/swift/observations"

    p.run("preview", "--expect-no-changes")
    p.run("refresh", "--yes", "--skip-preview")
    p.run("preview", "--expect-no-changes")


def test_out_of_band_change_is_found_by_refresh_and_undone_by_up(deployed: Deployed) -> None:
    p = deployed.project
    registry = _registry(p)
    quota = next(q for q in registry["quotas"].values() if q["name"] == "vastobs-swift")
    quota["hard_limit"] = 1  # someone edited the quota by hand
    view = next(v for v in registry["views"].values() if v["path"] == "/chandra/observations")
    del registry["views"][str(view["id"])]  # and deleted a view record
    (p.root / "local-root" / "vms.json").write_text(json.dumps(registry))

    p.run("refresh", "--yes", "--skip-preview")
    steps = p.steps()
    assert steps["update"] == ["swift-quota"]
    assert steps["create"] == ["chandra-view"]

    p.run("up", "--yes", "--skip-preview")
    quotas = {q["name"]: q for q in _registry(p)["quotas"].values()}
    assert quotas["vastobs-swift"]["hard_limit"] == 100 * 10**12
    p.run("preview", "--expect-no-changes")


def test_quota_change_updates_in_place(deployed: Deployed) -> None:
    with restored(deployed.project) as p:
        p.write_stack(_stack(observatories={**_stack()["observatories"], "chandra": {  # type: ignore[dict-item]
            "path": "/chandra/observations", "quota": {"hard": "250TB"}}}))  # fmt: skip
        assert p.steps() == {"update": ["chandra-quota"]}  # in place: no replace, no delete


def test_new_observatories_are_config_only(deployed: Deployed) -> None:
    """Two blocks, no DDL file: the preview shows their storage, schema and a table per
    kind with the kind's columns, and nothing of swift or chandra changes."""
    with restored(deployed.project) as p:
        observatories = dict(_stack()["observatories"])  # type: ignore[call-overload]
        observatories["fermi"] = {
            "path": "/fermi/observations",
            "quota": {"hard": "10TB"},
            "kinds": ["triggers"],
        }
        observatories["nustar"] = {"path": "/nustar/observations", "quota": {"hard": "10TB"},
                                   "kinds": ["observations", "measurements"]}  # fmt: skip
        p.write_stack(_stack(observatories=observatories))
        preview = p.preview_json()
        changed = {
            step["urn"].rsplit("::", 1)[-1]: step
            for step in preview["steps"]
            if "pulumi-python:dynamic" in step["urn"] and step["op"] != "same"
        }
        storage = [f"{o}-{k}" for o in ("fermi", "nustar") for k in STORAGE]
        tables = ["fermi-triggers", "nustar-observations", "nustar-measurements"]
        projections = [f"{t}-sorted" for t in tables]  # each table's sorted projection
        assert sorted(changed) == sorted(storage + tables + projections)
        assert {step["op"] for step in changed.values()} == {"create"}
        for name in tables:
            observatory, kind = name.split("-")
            inputs = changed[name]["newState"]["inputs"]
            assert (inputs["schema"], inputs["name"]) == (observatory, kind)
            columns = [c["name"] for c in inputs["columns"]]
            assert columns == [c.name for c in load_kind(PROJECT_DIR, kind).columns], name


def test_adding_a_column_updates_and_dropping_one_is_refused(up: PulumiProject) -> None:
    p = up
    ddl = p.root / "queries" / "tables" / "swift" / "bursts.sql"
    original = ddl.read_text()
    ddl.write_text(
        original.replace("    redshift DOUBLE\n", "    redshift DOUBLE,\n    ep_id VARCHAR\n")
    )
    assert p.steps()["update"] == ["swift-bursts"]
    p.run("up", "--yes", "--skip-preview")
    db = p.root / "local-root" / "views" / "db" / "vastobs.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        assert "ep_id" in [c[0] for c in con.execute("DESCRIBE swift.bursts").fetchall()]

    ddl.write_text(
        original.replace("    redshift DOUBLE\n", "").replace(
            "xrt_detected BOOLEAN,", "xrt_detected BOOLEAN"
        )
    )
    proc = p.run("preview", check=False)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "drops column redshift" in out and "allow_column_changes" in out


def test_bad_config_fails_before_anything_is_created(pulumi_project: PulumiProject) -> None:
    p = pulumi_project
    bad = _stack()
    bad["observatories"]["swift"]["quota"] = {"hard": "100 parsecs"}  # type: ignore[index]
    p.write_stack(bad)
    p.init()

    proc = p.run("up", "--yes", "--skip-preview", check=False)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "vastobs:observatories.swift.quota.hard: '100 parsecs' is not allowed" in out
    assert "Traceback" not in out
    assert not (p.root / "local-root").exists()


def test_nested_paths_are_rejected_before_anything_is_created(
    pulumi_project: PulumiProject,
) -> None:
    p = pulumi_project
    bad = _stack(database={"path": "/swift/observations/db", "quota": "1GB"})
    p.write_stack(bad)
    p.init()
    proc = p.run("preview", check=False)
    assert proc.returncode != 0
    assert "neither equals nor nests" in proc.stdout + proc.stderr
    assert not (p.root / "local-root").exists()


def test_preview_warns_of_adoption_and_up_adopts(pulumi_project: PulumiProject) -> None:
    from vastobs.backends.local import LocalBackend

    p = pulumi_project
    p.write_stack(_stack())
    p.init()
    existing = LocalBackend(p.root / "local-root").collection("quotas")
    existing.create({"name": "made-by-hand", "path": "/swift/observations", "hard_limit": 5})

    proc = p.run("preview")
    assert "quota /swift/observations already exists (VMS id 1): up will adopt it" in proc.stdout
    p.run("up", "--yes", "--skip-preview")
    quotas = [q for q in _registry(p)["quotas"].values() if q["path"] == "/swift/observations"]
    assert len(quotas) == 1 and quotas[0]["hard_limit"] == 100 * 10**12
    assert quotas[0]["name"] == "vastobs-swift"
    p.run("preview", "--expect-no-changes")


def _summary(p: PulumiProject) -> tuple[int, str]:
    import subprocess
    import sys

    preview = p.run("preview", "--json", check=False).stdout
    proc = subprocess.run(
        [sys.executable, "-m", "infra.preview_summary", "-"],
        input=preview, capture_output=True, text=True, cwd=p.root,
    )  # fmt: skip
    return proc.returncode, proc.stdout


def test_ci_summary_of_this_projects_preview(up: PulumiProject) -> None:
    p = up
    observatories = dict(_stack()["observatories"])  # type: ignore[call-overload]
    observatories["chandra"] = {"path": "/chandra/v2", "quota": "250TB", "protect": True}
    p.write_stack(_stack(observatories=observatories))
    code, markdown = _summary(p)
    assert code == 0, markdown
    assert "re-pointed in place" in markdown and "chandra-view" in markdown
    assert "hard_limit" in markdown and "__provider" not in markdown
    p.run("up", "--yes", "--skip-preview")  # now protected

    del observatories["chandra"]  # dropping a protected observatory
    p.write_stack(_stack(observatories=observatories))
    code, markdown = _summary(p)
    assert code == 2
    assert "**Blocked:**" in markdown and "chandra" in markdown


def test_destroy_refuses_a_view_holding_data_and_then_removes_everything(
    deployed: Deployed,
) -> None:
    """Last in the file: it ends the shared stack."""
    p = deployed.project
    views = p.root / "local-root" / "views"
    keep = views / "swift" / "observations" / "obs.parquet"
    keep.write_bytes(b"PAR1")

    proc = p.run("destroy", "--yes", "--skip-preview", check=False)
    assert proc.returncode != 0
    assert "allow_destroy_with_data" in proc.stdout + proc.stderr
    assert keep.read_bytes() == b"PAR1"

    keep.unlink()  # emptied by hand, the view can go
    p.run("destroy", "--yes", "--skip-preview")
    assert not (views / "swift" / "observations").exists()
    assert not (views / "db").exists()
    assert _registry(p)["views"] == {}
    assert p.managed_resources() == []
