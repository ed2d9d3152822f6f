"""A ``vast`` stack through the real Pulumi engine against the VMS stand-in (HTTPS)."""

from __future__ import annotations

import json

import pytest
import vastpy

from devtools.pulumi_project import PulumiProject
from devtools.vms_standin import VmsStandin

pytestmark = pytest.mark.pulumi

SECRET_SIG = "4dabf18193072939515e22adb298388d"  # how Pulumi marks an encrypted value
STORAGE = ("policy", "qos", "view", "quota", "schema")
DATABASE = ["database-policy", "database-quota", "database-view"]


def _stack(standin: VmsStandin, **overrides: object) -> dict[str, object]:
    config: dict[str, object] = {
        "backend": "vast",
        "vms": {"address": standin.address, "user": "admin", "ca_cert": str(standin.ca_cert_path)},
        "database": {"bucket": "obsdb", "path": "/obsdb", "quota": "10TB"},
        "observatories": {
            "swift": {
                "path": "/swift/observations",
                "quota": {"hard": "100TB", "soft": "80TB"},
                "access_pattern": "real_time",
                "tables": ["bursts"],
            },
            "chandra": {"path": "/chandra/observations", "quota": "200TB"},
        },
    }
    config.update(overrides)
    return config


@pytest.fixture
def project(pulumi_project: PulumiProject, vms: VmsStandin) -> PulumiProject:
    pulumi_project.env["VASTOBS_VMS_PASSWORD"] = str(vms.password)
    pulumi_project.write_stack(_stack(vms))
    pulumi_project.init()
    return pulumi_project


def _by(vms: VmsStandin, kind: str, key: str) -> dict[str, dict]:
    return {o[key]: o for o in vms.objects(kind)}


def test_preview_up_noop_and_what_vms_saw(project: PulumiProject, vms: VmsStandin) -> None:
    p = project
    creates = p.steps()["create"]
    assert creates == sorted([f"{o}-{k}" for o in ("swift", "chandra") for k in STORAGE]
                             + ["swift-bursts", *DATABASE])  # fmt: skip
    assert vms.mutating_calls() == [], "preview must not change anything"

    p.run("up", "--yes", "--skip-preview")
    views = _by(vms, "views", "path")
    assert set(views) == {"/swift/observations", "/chandra/observations", "/obsdb"}
    assert views["/obsdb"]["bucket"] == "obsdb"
    assert sorted(views["/obsdb"]["protocols"]) == ["DATABASE", "S3"]
    quotas = _by(vms, "quotas", "path")
    assert quotas["/swift/observations"]["hard_limit"] == 100 * 10**12
    assert quotas["/swift/observations"]["soft_limit"] == 80 * 10**12
    qos = _by(vms, "qospolicies", "name")
    assert qos["vastobs-swift-real_time"]["is_gold"] is True

    vms.reset_calls()
    p.run("preview", "--expect-no-changes")
    assert vms.mutating_calls() == []
    reads = [c for c in vms.calls if c.method == "GET"]
    assert len(reads) <= 14, "at most one read per resource"  # 14 dynamic resources


def test_drift_is_found_by_refresh_and_undone_by_up(
    project: PulumiProject, vms: VmsStandin
) -> None:
    p = project
    p.run("up", "--yes", "--skip-preview")
    quota = _by(vms, "quotas", "path")["/swift/observations"]
    vms.update_object("quotas", quota["id"], hard_limit=5 * 10**12)
    view = _by(vms, "views", "path")["/chandra/observations"]
    vms.delete_object("views", view["id"])

    p.run("refresh", "--yes", "--skip-preview")
    steps = p.steps()
    assert steps == {"update": ["swift-quota"], "create": ["chandra-view"]}

    p.run("up", "--yes", "--skip-preview")
    assert _by(vms, "quotas", "path")["/swift/observations"]["hard_limit"] == 100 * 10**12
    assert "/chandra/observations" in _by(vms, "views", "path")
    p.run("preview", "--expect-no-changes")


def test_existing_objects_are_adopted(project: PulumiProject, vms: VmsStandin) -> None:
    p = project
    client = vastpy.VASTClient(
        user="admin", password=vms.password, address=vms.address,
        cert_file=str(vms.ca_cert_path), cert_server_name="127.0.0.1",
    )  # fmt: skip
    client.views.post(path="/swift/observations", policy_id=1, protocols=["NFS"])
    vms.reset_calls()
    preview = p.run("preview")
    assert "view /swift/observations already exists (VMS id" in preview.stdout
    assert "up will adopt it" in preview.stdout
    assert vms.mutating_calls() == []
    p.run("up", "--yes", "--skip-preview")
    views = [v for v in vms.objects("views") if v["path"] == "/swift/observations"]
    assert len(views) == 1  # taken over, not duplicated
    assert views[0]["name"] == "vastobs-swift"  # and brought to the declared state
    p.run("preview", "--expect-no-changes")


def test_a_third_observatory_is_config_only(project: PulumiProject, vms: VmsStandin) -> None:
    p = project
    p.run("up", "--yes", "--skip-preview")
    stack = _stack(vms)
    stack["observatories"]["nustar"] = {"path": "/nustar", "quota": "20TB"}  # type: ignore[index]
    p.write_stack(stack)
    vms.reset_calls()
    assert p.steps() == {"create": sorted(f"nustar-{k}" for k in STORAGE)}
    assert vms.mutating_calls() == []


def test_no_credential_in_state_not_even_encrypted(project: PulumiProject, vms: VmsStandin) -> None:
    p = project
    p.run("up", "--yes", "--skip-preview")
    assert vms.objects("views")
    files = p.state_files()
    state = "\n".join(f.read_text(errors="replace") for f in files)
    assert str(vms.password) not in state
    stack = next(f for f in files if f.name == "test.json")
    resources = json.loads(stack.read_text())["checkpoint"]["latest"]["resources"]
    assert any(r["type"] == "pulumi:providers:pulumi-python" for r in resources)
    # The only encrypted value is the pickled provider code, which Pulumi always marks secret.
    encrypted = {
        (r["urn"].rsplit("::", 1)[-1], key)
        for r in resources
        for part in ("inputs", "outputs")
        for key, value in (r.get(part) or {}).items()
        if SECRET_SIG in json.dumps(value)
    }
    assert encrypted and {key for _, key in encrypted} == {"__provider"}


def test_a_password_in_stack_config_is_refused_before_anything_changes(
    project: PulumiProject, vms: VmsStandin
) -> None:
    # Pulumi would keep it, encrypted, as an input of the dynamic provider in state.
    p = project
    p.run_input(str(vms.password), "config", "set", "--secret", "vastobs:vms_password")
    proc = p.run("up", "--yes", "--skip-preview", check=False)
    assert proc.returncode != 0
    assert "vastobs:vms_password: a stack secret would be copied" in proc.stdout + proc.stderr
    assert vms.mutating_calls() == []


def test_tls_is_verified_unless_turned_off(pulumi_project: PulumiProject, vms: VmsStandin) -> None:
    p = pulumi_project
    p.env["VASTOBS_VMS_PASSWORD"] = str(vms.password)
    untrusted = _stack(vms, vms={"address": vms.address, "user": "admin"})  # system CAs only
    p.write_stack(untrusted)
    p.init()
    proc = p.run("up", "--yes", "--skip-preview", check=False)
    assert proc.returncode != 0
    assert "CERTIFICATE_VERIFY_FAILED" in proc.stdout + proc.stderr
    assert vms.objects("views") == []

    p.write_stack(_stack(vms, vms={"address": vms.address, "user": "admin", "verify_tls": False}))
    proc = p.run("up", "--yes", "--skip-preview")
    assert "is NOT verified" in proc.stdout + proc.stderr


def test_transient_vms_errors_are_retried(project: PulumiProject, vms: VmsStandin) -> None:
    p = project
    vms.inject(status=503, method="GET", path="/views/", times=2)
    p.run("up", "--yes", "--skip-preview")
    assert len(vms.objects("views")) == 3


def test_column_drift_shows_on_refresh_and_up_adds_the_column_back(
    project: PulumiProject, vms: VmsStandin
) -> None:
    p = project
    p.run("up", "--yes", "--skip-preview")
    vms.drop_column("obsdb", "swift", "bursts", "redshift")
    p.run("refresh", "--yes", "--skip-preview")
    assert p.steps() == {"update": ["swift-bursts"]}
    p.run("up", "--yes", "--skip-preview")
    (table,) = vms.objects("tables")
    assert table["columns"][-1]["name"] == "redshift"
    p.run("preview", "--expect-no-changes")


def test_a_view_holding_data_is_not_destroyed(project: PulumiProject, vms: VmsStandin) -> None:
    p = project
    p.run("up", "--yes", "--skip-preview")
    vms.set_usage("/chandra/observations", 5 * 10**9)
    proc = p.run("destroy", "--yes", "--skip-preview", check=False)
    assert proc.returncode != 0
    assert "/chandra/observations" in proc.stdout and "allow_destroy_with_data" in proc.stdout
    assert "/chandra/observations" in _by(vms, "views", "path")
    vms.set_usage("/chandra/observations", 0)
    p.run("destroy", "--yes", "--skip-preview")
    assert vms.objects("views") == [] and vms.objects("quotas") == []
    assert vms.objects("tables") == [] and vms.objects("schemas") == []
