"""A stack acts only on the target its own config names (issue 14, item 1).

A checkout copied with its state, or a config whose VMS address changed, used to
refresh and destroy the other target's objects (the target input is left out of
diffs, and refresh and destroy use the stored one). Now every command refuses
with one line naming both targets, before any backend call, and re-targeting is
``VASTOBS_RETARGET=1 pulumi refresh`` followed by ``pulumi up``.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from pulumi.dynamic import Config
from pulumi.dynamic.dynamic import serialize_provider

from devtools.pulumi_project import PulumiProject
from devtools.vms_standin import VmsStandin
from infra.resources import guard
from infra.resources.view import ViewProvider
from tests.support.vms import checked_standin
from vastobs.backends.local import LocalBackend
from vastobs.backends.target import describe, place, require_same_place
from vastobs.errors import TargetMismatch

REFUSAL = "refusing to act on either"


# --- the comparison, without Pulumi ----------------------------------------------


def _vast(address: str, **extra: object) -> dict[str, object]:
    return {"kind": "vast", "address": address, "tenant": "default", "user": "admin", **extra}


def test_a_place_is_the_root_or_the_address_and_tenant_not_how_to_connect(tmp_path: Path) -> None:
    root = tmp_path / "local-root"
    assert place({"kind": "local", "root": str(root)}) == place(
        {"kind": "local", "root": str(root / "views" / ".."), "stack": "other"}
    )
    assert place(_vast("VMS.example:443/")) == place(
        _vast("https://vms.example:443", ca_cert="/new/ca.pem", timeout_seconds=60, user="ops")
    )
    for other in (_vast("vms2.example:443"), _vast("vms.example:443", tenant="astro")):
        with pytest.raises(TargetMismatch):
            require_same_place(_vast("vms.example:443"), other)


def test_the_refusal_is_one_line_naming_both_targets(tmp_path: Path) -> None:
    a, b = (
        {"kind": "local", "root": str(tmp_path / "a")},
        {"kind": "local", "root": str(tmp_path / "b")},
    )
    with pytest.raises(TargetMismatch) as refused:
        require_same_place(a, b)
    message = str(refused.value)
    assert "\n" not in message
    assert describe(a) in message and describe(b) in message
    assert "VASTOBS_RETARGET=1 pulumi refresh" in message


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory with a local stack ``s``, as the provider process sees it (its cwd)."""
    (tmp_path / "Pulumi.yaml").write_text("name: vastobs\n")
    (tmp_path / "Pulumi.s.yaml").write_text(
        yaml.safe_dump({"config": {"vastobs:backend": "local", "vastobs:local_root": "root"}})
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(guard, "_configured", None)
    monkeypatch.delenv(guard.RETARGET_ENV, raising=False)
    return tmp_path


def _view_props(root: Path) -> dict[str, object]:
    return {
        "name": "vastobs-swift", "path": "/swift", "protocols": ["NFS"], "policy_id": 1,
        "tenant": "default", "allow_destroy_with_data": False,
        "target": {"kind": "local", "root": str(root), "stack": "s"},
    }  # fmt: skip


def test_providers_refuse_another_places_state_before_touching_it(
    checkout: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    original = tmp_path_factory.mktemp("original") / "root"
    view = LocalBackend(original).collection("views").create({"path": "/swift", "name": "v"})
    registry = (original / "vms.json").read_bytes()
    props = _view_props(original)
    provider = ViewProvider()
    for call in (
        lambda: provider.read(str(view["id"]), props),
        lambda: provider.delete(str(view["id"]), props),
        lambda: provider.update(str(view["id"]), props, _view_props(checkout / "root")),
        lambda: provider.diff(str(view["id"]), props, _view_props(checkout / "root")),
    ):
        with pytest.raises(TargetMismatch, match=str(original)):
            call()
    assert (original / "vms.json").read_bytes() == registry


def test_without_the_stack_name_the_configured_config_decides(checkout: Path) -> None:
    """State made before the stack's name travelled: configure's config, resolved here."""
    here = {"kind": "local", "root": str(checkout / "root")}
    elsewhere = {"kind": "local", "root": str(checkout / "elsewhere")}
    assert guard.acting_target(elsewhere) == elsewhere  # nothing configured: unit tests
    guard.remember(Config({"vastobs:backend": "local", "vastobs:local_root": "root"}, "vastobs"))
    assert guard.acting_target(here)["root"] == str(checkout / "root")
    with pytest.raises(TargetMismatch):
        guard.acting_target(elsewhere)
    # What configure kept is the provider process's, never the pickled provider's.
    pickled = base64.b64decode(serialize_provider(ViewProvider()))
    assert str(checkout).encode() not in pickled


def test_a_retargeting_read_finds_the_object_on_the_configs_target_by_its_key(
    checkout: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = tmp_path_factory.mktemp("original") / "root"
    LocalBackend(original).collection("views").create({"path": "/swift", "name": "v"})
    backend = LocalBackend(checkout / "root")
    backend.collection("views").create({"path": "/other", "name": "o"})
    moved = backend.collection("views").create({"path": "/swift", "name": "v"})
    monkeypatch.setenv(guard.RETARGET_ENV, "1")
    found = ViewProvider().read("1", _view_props(original))
    assert found.id == str(moved["id"])
    assert found.outs["target"]["root"] == str(checkout / "root")
    assert found.inputs is not None and found.inputs["target"] == found.outs["target"]
    with pytest.raises(TargetMismatch):  # the variable moves reads, never deletes
        ViewProvider().delete("1", _view_props(original))


# --- through the Pulumi engine ------------------------------------------------


def _local_stack() -> dict[str, object]:
    return {
        "backend": "local",
        "local_root": "local-root",
        "database": {"bucket": "obsdb", "path": "/db", "quota": "1GB"},
        "observatories": {
            "swift": {"path": "/swift/obs", "quota": "1TB", "kinds": {"triggers": "bursts"}}
        },
    }


def _snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file and directory under the local root, with file bytes (lock files aside)."""
    return {
        str(f.relative_to(root)): f.read_bytes() if f.is_file() else None
        for f in sorted(root.rglob("*"))
        if not f.name.endswith(".lock")
    }


def _copy(a: PulumiProject, dest: Path) -> PulumiProject:
    """Checkout A copied with its state, its Pulumi home and its local root."""
    shutil.copytree(a.root.parent, dest, symlinks=True)
    env = {
        **a.env,
        "PULUMI_BACKEND_URL": f"file://{dest / 'state'}",
        "PULUMI_HOME": str(dest / "pulumi-home"),
    }
    return PulumiProject(dest / "project", a.binary, env, a.stack)


def _refusal(proc_out: str) -> set[str]:
    """The refusal messages in a command's output (Pulumi repeats one per resource)."""
    return {
        line[line.index("the stack's state") :] for line in proc_out.splitlines() if REFUSAL in line
    }


def _state_targets(p: PulumiProject) -> set[str]:
    checkpoint = next(f for f in p.state_files() if f.name == f"{p.stack}.json")
    latest = json.loads(checkpoint.read_text())["checkpoint"]["latest"]
    return {
        r["inputs"]["target"]["root"]
        for r in latest["resources"]
        if "target" in r.get("inputs", {})
    }


@pytest.mark.pulumi
def test_a_copied_checkout_refuses_and_retargets_without_touching_the_original(
    pulumi_project: PulumiProject, tmp_path: Path
) -> None:
    a = pulumi_project
    a.write_stack(_local_stack())
    a.init()
    a.run("up", "--yes", "--skip-preview")
    root_a = a.root / "local-root"
    before = _snapshot(root_a)
    assert (root_a / "views" / "db" / "vastobs.duckdb").is_file()

    b = _copy(a, tmp_path / "copy")
    root_b = b.root / "local-root"
    for command in (
        ("preview",),
        ("up", "--yes", "--skip-preview"),
        ("refresh", "--yes", "--skip-preview"),
        ("destroy", "--yes", "--skip-preview"),
    ):
        proc = b.run(*command, check=False)
        assert proc.returncode != 0, command
        refusals = _refusal(proc.stdout + proc.stderr)
        assert len(refusals) == 1, (command, proc.stdout)
        (message,) = refusals
        assert f"local root {root_a}" in message and f"local root {root_b}" in message
        assert _snapshot(root_a) == before, command

    # The documented re-target: B's copy lost its DuckDB, so its schema and table are
    # dropped from the state and created again; the rest is found by its natural key.
    (root_b / "views" / "db" / "vastobs.duckdb").unlink()
    b.env[guard.RETARGET_ENV] = "1"
    b.run("refresh", "--yes", "--skip-preview")
    del b.env[guard.RETARGET_ENV]
    b.run("up", "--yes", "--skip-preview")
    assert _state_targets(b) == {str(root_b)}
    assert (root_b / "views" / "db" / "vastobs.duckdb").is_file()
    assert _snapshot(root_a) == before
    assert _state_targets(a) == {str(root_a)}


@pytest.fixture
def second_vms() -> Iterator[VmsStandin]:
    with checked_standin() as standin:
        yield standin


def _vast_stack(standin: VmsStandin) -> dict[str, object]:
    return {
        "backend": "vast",
        "vms": {"address": standin.address, "user": "admin", "ca_cert": str(standin.ca_cert_path)},
        "database": {"bucket": "obsdb", "path": "/obsdb", "quota": "10TB"},
        "observatories": {
            "swift": {"path": "/swift/obs", "quota": "1TB", "kinds": {"triggers": "bursts"}}
        },
    }


@pytest.mark.pulumi
def test_a_changed_vms_address_refuses_without_calling_either_vms(
    pulumi_project: PulumiProject, vms: VmsStandin, second_vms: VmsStandin
) -> None:
    p = pulumi_project
    p.env["VASTOBS_VMS_PASSWORD"] = str(vms.password)
    p.write_stack(_vast_stack(vms))
    p.init()
    p.run("up", "--yes", "--skip-preview")
    held = {kind: vms.objects(kind) for kind in ("views", "quotas", "viewpolicies")}

    p.write_stack(_vast_stack(second_vms))
    vms.reset_calls()
    for command in (("preview",), ("destroy", "--yes", "--skip-preview")):
        proc = p.run(*command, check=False)
        assert proc.returncode != 0, command
        refusals = _refusal(proc.stdout + proc.stderr)
        assert len(refusals) == 1, (command, proc.stdout)
        (message,) = refusals
        assert f"VMS {vms.address} (tenant default)" in message
        assert f"VMS {second_vms.address} (tenant default)" in message
    assert vms.calls == []
    assert second_vms.mutating_calls() == []
    assert {kind: vms.objects(kind) for kind in held} == held
    second_vms_ok = second_vms.spec_violations == []
    assert second_vms_ok
