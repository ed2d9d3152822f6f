"""The local stack through the real Pulumi CLI and engine: preview, up, no-op preview, destroy."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.pulumi_project import PulumiProject

pytestmark = pytest.mark.pulumi


def _stack(root: Path, **overrides: object) -> dict[str, object]:
    config: dict[str, object] = {
        "backend": "local",
        "local_root": "local-root",
        "observatories": {
            "swift": {"path": "/swift/observations", "quota": {"hard": "100TB"}},
            "chandra": {"path": "/chandra/observations", "storage_quota_tb": 200},
        },
    }
    config.update(overrides)
    return config


def _view_creates(preview: dict) -> list[str]:
    return sorted(
        step["urn"].rsplit("::", 1)[-1]
        for step in preview["steps"]
        if step["op"] == "create" and "dynamic/vast:View" in step["urn"]
    )


def test_preview_up_noop_destroy(pulumi_project: PulumiProject) -> None:
    p = pulumi_project
    p.write_stack(_stack(p.root))
    p.init()
    views = p.root / "local-root" / "views"

    preview = p.preview_json()
    assert _view_creates(preview) == ["chandra-view", "swift-view"]
    assert not views.exists(), "preview must not create anything"

    p.run("up", "--yes", "--skip-preview")
    assert (views / "swift" / "observations").is_dir()
    assert (views / "chandra" / "observations").is_dir()
    assert p.outputs()["observatories"]["swift"] == str(views / "swift" / "observations")

    p.run("preview", "--expect-no-changes")

    p.run("destroy", "--yes", "--skip-preview")
    assert not (views / "swift" / "observations").exists()
    assert not (views / "chandra" / "observations").exists()


def test_destroy_refuses_a_view_holding_data(pulumi_project: PulumiProject) -> None:
    p = pulumi_project
    p.write_stack(_stack(p.root))
    p.init()
    p.run("up", "--yes", "--skip-preview")
    keep = p.root / "local-root" / "views" / "swift" / "observations" / "obs.parquet"
    keep.write_bytes(b"PAR1")

    proc = p.run("destroy", "--yes", "--skip-preview", check=False)
    assert proc.returncode != 0
    assert "allow_destroy_with_data" in proc.stdout + proc.stderr
    assert keep.read_bytes() == b"PAR1"

    keep.unlink()  # emptied by hand, the view can go
    p.run("destroy", "--yes", "--skip-preview")


def test_bad_config_fails_before_anything_is_created(pulumi_project: PulumiProject) -> None:
    p = pulumi_project
    bad = _stack(p.root)
    bad["observatories"]["swift"]["quota"] = {"hard": "100 parsecs"}  # type: ignore[index]
    p.write_stack(bad)
    p.init()

    proc = p.run("up", "--yes", "--skip-preview", check=False)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "vastobs:observatories.swift.quota.hard" in out
    assert "'100 parsecs'" in out
    assert not (p.root / "local-root").exists()
