"""Provider methods called directly against the local backend: diff, adopt, drift, safety;
and the property bags the resources send, which existing stacks' state holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.resources.qos_policy import QosPolicy, QosPolicyProps
from infra.resources.quota import Quota, QuotaProps, QuotaProvider, grace_period
from infra.resources.schema import Schema, SchemaProps
from infra.resources.table import Table, TableProps, TableProvider
from infra.resources.view import View, ViewProps, ViewProvider
from infra.resources.view_policy import ViewPolicy, ViewPolicyProps, ViewPolicyProvider
from vastobs.config import QuotaConfig
from vastobs.errors import BackendError


def _target(root: Path) -> dict:
    return {"kind": "local", "root": str(root)}


def _view(root: Path, **extra: object) -> dict:
    return {
        "name": "vastobs-swift",
        "path": "/swift/observations",
        "protocols": ["NFS", "S3"],
        "policy_id": 1,
        "qos_policy_id": None,
        "bucket": None,
        "bucket_owner": None,
        "tenant": "default",
        "allow_destroy_with_data": False,
        "target": _target(root),
        "vms_id": None,
        "adopted": None,
        **extra,
    }


def test_provider_code_and_outputs_are_not_state(tmp_path: Path) -> None:
    # A target that names another place is refused instead (tests/test_targets.py).
    olds = {**_view(tmp_path), "__provider": "old-pickle", "vms_id": 4, "adopted": True}
    news = {**_view(tmp_path), "__provider": "new-pickle"}
    assert ViewProvider().diff("4", olds, news).changes is False


def test_null_empty_absent_and_list_order_compare_equal(tmp_path: Path) -> None:
    olds = {**_view(tmp_path), "protocols": ["S3", "NFS"], "bucket": ""}
    news = _view(tmp_path)
    assert ViewProvider().diff("1", olds, news).changes is False


def test_path_change_updates_in_place_and_tenant_change_replaces(tmp_path: Path) -> None:
    provider = ViewProvider()
    moved = provider.diff("1", _view(tmp_path), _view(tmp_path, path="/swift/v2"))
    assert (moved.changes, moved.replaces) == (True, [])
    other = provider.diff("1", _view(tmp_path), _view(tmp_path, tenant="astro"))
    assert (other.changes, other.replaces) == (True, ["tenant"])


def test_view_lifecycle_adoption_drift_and_deletion_safety(tmp_path: Path) -> None:
    provider = ViewProvider()
    created = provider.create(_view(tmp_path))
    directory = tmp_path / "views" / "swift" / "observations"
    assert directory.is_dir() and created.outs["adopted"] is False

    # A second stack declaring the same path adopts the view instead of failing.
    again = provider.create(_view(tmp_path, protocols=["NFS"]))
    assert (again.id, again.outs["adopted"]) == (created.id, True)
    assert provider.read(created.id, again.outs).outs["protocols"] == ["NFS"]

    # Drift: read reports the live record as inputs.
    provider.backend(_view(tmp_path)).collection("views").update(int(created.id), {"name": "x"})
    assert provider.read(created.id, again.outs).inputs["name"] == "x"

    (directory / "burst.fits").write_bytes(b"SIMPLE")
    with pytest.raises(BackendError, match="allow_destroy_with_data"):
        provider.delete(created.id, again.outs)
    assert (directory / "burst.fits").exists()

    provider.delete(created.id, {**again.outs, "allow_destroy_with_data": True})
    assert not directory.exists()
    assert provider.read(created.id, again.outs).id == ""  # gone: refresh drops it
    provider.delete(created.id, again.outs)  # deleting what is gone succeeds


def test_quota_limits_update_in_place_and_path_replaces(tmp_path: Path) -> None:
    props = {"name": "q", "path": "/swift", "hard_limit": 10, "soft_limit": None,
             "grace_period": None, "tenant": None, "target": _target(tmp_path)}  # fmt: skip
    provider = QuotaProvider()
    assert provider.diff("1", props, {**props, "hard_limit": 20}).replaces == []
    assert provider.diff("1", props, {**props, "path": "/chandra"}).replaces == ["path"]
    created = provider.create(props)
    updated = provider.update(created.id, created.outs, {**props, "hard_limit": 20})
    record = provider.backend(props).collection("quotas").get(int(created.id))
    assert record is not None and record["hard_limit"] == 20 == updated.outs["hard_limit"]


def test_grace_period_is_spelled_as_vms_wants() -> None:
    assert grace_period(7 * 86400) == "7 00:00:00"
    assert grace_period(5400) == "01:30:00"
    assert grace_period(None) is None


def test_adopting_a_policy_patches_only_what_differs(tmp_path: Path) -> None:
    provider = ViewPolicyProvider()
    props = {"name": "p", "flavor": "NFS", "tenant": None, "nfs_read_write": ["10.0.0.0/8"],
             "nfs_read_only": [], "s3_read_write": [], "target": _target(tmp_path)}  # fmt: skip
    collection = provider.backend(props).collection("viewpolicies")
    collection.create({"name": "p", "flavor": "NFS"})
    adopted = provider.create(props)
    assert adopted.outs["adopted"] is True
    assert collection.list(name="p")[0]["nfs_read_write"] == ["10.0.0.0/8"]


def _table(columns: list[tuple[str, str]], **extra: object) -> dict:
    cols = [{"name": n, "field": {"column_type": t}} for n, t in columns]
    return {"database": "db", "schema": "swift", "name": "bursts", "columns": cols,
            "allow_column_changes": False, **extra}  # fmt: skip


def test_dropping_or_retyping_a_column_is_refused_unless_allowed() -> None:
    provider = TableProvider()
    old = _table([("a", "int64"), ("b", "string")])
    added = provider.check(old, _table([("a", "int64"), ("b", "string"), ("c", "double")]))
    assert added.failures == []
    dropped = provider.check(old, _table([("a", "int64")]))
    assert "drops column b (string)" in dropped.failures[0].reason
    retyped = provider.check(old, _table([("a", "string"), ("b", "string")]))
    assert "retypes column a from int64 to string" in retyped.failures[0].reason
    allowed = _table([("a", "int64")], allow_column_changes=True)
    assert provider.check(old, allowed).failures == []
    assert "columns" in provider.diff("x", old, allowed).replaces


def test_props_send_the_property_bags_existing_state_holds(tmp_path: Path) -> None:
    """Keys and values as state recorded them before the props objects, so preview stays quiet."""
    target = _target(tmp_path)
    view = ViewProps(name="vastobs-swift", path="/swift/observations", protocols=["NFS", "S3"],
                     policy_id=1, tenant="default", target=target)  # fmt: skip
    assert View.inputs(view) == _view(tmp_path)
    policy = ViewPolicyProps(name="p", flavor="NFS", target=target)
    assert ViewPolicy.inputs(policy) == {
        "name": "p", "flavor": "NFS", "tenant": None, "nfs_read_write": [],
        "nfs_read_only": [], "s3_read_write": [], "target": target, "vms_id": None,
        "adopted": None,
    }  # fmt: skip
    qos = QosPolicyProps.for_access_pattern("archive", name="q", tenant="t", target=target)
    assert QosPolicy.inputs(qos) == {
        "name": "q", "tenant": "t", "is_gold": False, "limit_by": "BW",
        "static_limits": {"max_reads_bw_mbps": 1000, "max_writes_bw_mbps": 1000},
        "target": target, "vms_id": None, "adopted": None,
    }  # fmt: skip
    quota = QuotaProps.limiting(
        "/swift", QuotaConfig(100, 80, 7 * 86400), name="q", tenant=None, target=target
    )
    assert Quota.inputs(quota) == {
        "name": "q", "path": "/swift", "hard_limit": 100, "soft_limit": 80,
        "grace_period": "7 00:00:00", "tenant": None, "target": target, "vms_id": None,
        "adopted": None,
    }  # fmt: skip
    schema = SchemaProps(database="db", name="swift", target=target)
    assert Schema.inputs(schema) == {
        "database": "db",
        "name": "swift",
        "target": target,
        "adopted": None,
    }
    columns = _table([("a", "int64")])["columns"]
    table = TableProps(database="db", schema="swift", name="bursts", columns=columns,
                       target=target)  # fmt: skip
    assert Table.inputs(table) == _table(
        [("a", "int64")], allow_destroy_with_data=False, target=target, adopted=None
    )
