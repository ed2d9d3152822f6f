"""A ``vast`` stack through the real Pulumi engine against the VMS stand-in (HTTPS).

Every engine run costs seconds, so the tests that only look at a deployed stack,
or change it and put it back, share one (``deployed``: one stand-in and one
stack per module, brought up once); a test that needs an empty stand-in, or
leaves the stack changed, has its own (the ``project`` and ``vms`` fixtures).
The shared stack is destroyed by the last test of the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import vastpy

from devtools.pulumi_project import PulumiProject
from devtools.vms_standin import Call, VmsStandin
from tests.support.pulumi import pulumi_project_in

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
                "kinds": {"triggers": "bursts"},
            },
            "chandra": {"path": "/chandra/observations", "quota": "200TB"},
        },
    }
    config.update(overrides)
    return config


@pytest.fixture
def project(pulumi_project: PulumiProject, vms: VmsStandin) -> PulumiProject:
    """A stack of the test's own, not yet up, against a stand-in of its own."""
    pulumi_project.env["VASTOBS_VMS_PASSWORD"] = str(vms.password)
    pulumi_project.write_stack(_stack(vms))
    pulumi_project.init()
    return pulumi_project


@dataclass
class Deployed:
    """The module's shared stack and stand-in, and what the first preview did before ``up``."""

    project: PulumiProject
    vms: VmsStandin
    planned: dict[str, list[str]]
    preview_changes: list[Call]


@pytest.fixture(scope="module")
def deployed(
    tmp_path_factory: pytest.TempPathFactory, module_vms: VmsStandin
) -> Iterator[Deployed]:
    with pulumi_project_in(tmp_path_factory.mktemp("deployed")) as p:
        p.env["VASTOBS_VMS_PASSWORD"] = str(module_vms.password)
        p.write_stack(_stack(module_vms))
        p.init()
        planned = p.steps()
        preview_changes = module_vms.mutating_calls()
        p.run("up", "--yes", "--skip-preview")
        yield Deployed(p, module_vms, planned, preview_changes)


def _by(vms: VmsStandin, kind: str, key: str) -> dict[str, dict]:
    return {o[key]: o for o in vms.objects(kind)}


def test_preview_up_noop_and_what_vms_saw(deployed: Deployed) -> None:
    p, vms = deployed.project, deployed.vms
    creates = deployed.planned["create"]
    assert creates == sorted([f"{o}-{k}" for o in ("swift", "chandra") for k in STORAGE]
                             + ["swift-bursts", "swift-bursts-sorted", *DATABASE])  # fmt: skip
    assert deployed.preview_changes == [], "preview must not change anything"

    # up ran in the fixture
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


def test_drift_is_found_by_refresh_and_undone_by_up(deployed: Deployed) -> None:
    p, vms = deployed.project, deployed.vms
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


def test_a_third_observatory_is_config_only(deployed: Deployed) -> None:
    p, vms = deployed.project, deployed.vms
    stack = _stack(vms)
    stack["observatories"]["nustar"] = {  # type: ignore[index]
        "path": "/nustar",
        "quota": "20TB",
        "kinds": ["observations", "measurements"],
    }
    p.write_stack(stack)
    try:
        vms.reset_calls()
        tables = ["nustar-measurements", "nustar-observations"]  # no DDL file: the kinds'
        tables += [f"{t}-sorted" for t in tables]  # each table's sorted projection
        assert p.steps() == {"create": sorted([f"nustar-{k}" for k in STORAGE] + tables)}
        assert vms.mutating_calls() == []
    finally:
        p.write_stack(_stack(vms))  # the declared stack again, for the tests that follow


def test_alert_topics_declare_the_alerts_tables_each_with_its_projection(
    deployed: Deployed,
) -> None:
    p, vms = deployed.project, deployed.vms
    p.write_stack(_stack(vms, alerts={"topics": ["gcn.notices.swift.bat.guano"]}))
    try:
        vms.reset_calls()
        tables = ["alerts-notices", "alerts-quarantine"]
        expected = sorted(["alerts-schema", *tables, *(f"{t}-sorted" for t in tables)])
        assert p.steps() == {"create": expected}
        assert vms.mutating_calls() == []
    finally:
        p.write_stack(_stack(vms))


def test_no_credential_in_state_not_even_encrypted(deployed: Deployed) -> None:
    p, vms = deployed.project, deployed.vms
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


def test_column_drift_shows_on_refresh_and_up_adds_the_column_back(deployed: Deployed) -> None:
    p, vms = deployed.project, deployed.vms
    vms.drop_column("obsdb", "swift", "bursts", "redshift")
    p.run("refresh", "--yes", "--skip-preview")
    # The projection lost the column with the table: rebuilt once the table has it again.
    assert p.steps() == {"update": ["swift-bursts"], "replace": ["swift-bursts-sorted"]}
    p.run("up", "--yes", "--skip-preview")
    (table,) = vms.objects("tables")
    assert table["columns"][-1]["name"] == "redshift"
    assert "redshift" in vms.objects("projections")[0]["unsorted_columns"]
    p.run("preview", "--expect-no-changes")


def test_a_deleted_projection_is_restored_and_a_sorted_by_change_replaces_it_alone(
    deployed: Deployed,
) -> None:
    p, vms = deployed.project, deployed.vms
    (projection,) = vms.objects("projections")  # one table, one projection, from its DDL
    assert (projection["table_name"], projection["name"]) == ("bursts", "by_hpx_trigger_time")
    assert projection["sorted_columns"] == ["hpx", "trigger_time"]
    (table,) = vms.objects("tables")
    others = [c["name"] for c in table["columns"] if c["name"] not in ("hpx", "trigger_time")]
    assert projection["unsorted_columns"] == others  # every query can read from it

    vms.drop_projection("obsdb", "swift", "bursts", "by_hpx_trigger_time")  # out of band
    p.run("refresh", "--yes", "--skip-preview")
    assert p.steps() == {"create": ["swift-bursts-sorted"]}
    p.run("up", "--yes", "--skip-preview")
    assert [x["name"] for x in vms.objects("projections")] == ["by_hpx_trigger_time"]

    ddl = p.root / "queries" / "tables" / "swift" / "bursts.sql"
    original = ddl.read_text()
    ddl.write_text(original.replace("sorted_by: [hpx, trigger_time]", "sorted_by: [hpx, ra]"))
    try:
        vms.reset_calls()
        assert p.steps() == {"replace": ["swift-bursts-sorted"]}  # the table is untouched
        assert vms.mutating_calls() == []
    finally:
        ddl.write_text(original)


def test_a_view_holding_data_is_not_destroyed(deployed: Deployed) -> None:
    """Last in the file: it ends the shared stack."""
    p, vms = deployed.project, deployed.vms
    vms.set_usage("/chandra/observations", 5 * 10**9)
    proc = p.run("destroy", "--yes", "--skip-preview", check=False)
    assert proc.returncode != 0
    assert "/chandra/observations" in proc.stdout and "allow_destroy_with_data" in proc.stdout
    assert "/chandra/observations" in _by(vms, "views", "path")
    vms.set_usage("/chandra/observations", 0)
    p.run("destroy", "--yes", "--skip-preview")
    assert vms.objects("views") == [] and vms.objects("quotas") == []
    assert vms.objects("tables") == [] and vms.objects("schemas") == []
    assert vms.objects("projections") == []
