"""The project's VMS client (vastobs/backends/vast.py) against the HTTPS VMS stand-in.

The stand-in holds every request and answer to the VMS contract (the spec's
facts, devtools/vms_contract.py), so these also check that the client sends
what a real VMS accepts.
"""

from __future__ import annotations

import pytest

from devtools.vms_standin import VmsStandin
from vastobs.backends.vast import VastBackend
from vastobs.errors import BackendError


def _backend(vms: VmsStandin, password: str | None = None, **target: object) -> VastBackend:
    return VastBackend(
        {"address": vms.address, "user": "admin", "ca_cert": str(vms.ca_cert_path), **target},
        password=password or vms.password,
        token=None,
    )


def test_views_round_trip_as_the_spec_shapes_them(vms: VmsStandin) -> None:
    views = _backend(vms).collection("views")
    body = {"path": "/swift", "name": "vastobs-swift", "protocols": ["NFS"], "policy_id": 1,
            "create_dir": True}  # fmt: skip
    created = views.create(body)
    assert created["path"] == "/swift" and created["policy_id"] == 1
    assert [v["id"] for v in views.list(path="/swift")] == [created["id"]]
    # PATCH answers no body for views (spec): the client reads the object back.
    assert views.update(created["id"], {"name": "renamed"})["name"] == "renamed"
    views.delete(created["id"])
    assert views.get(created["id"]) is None
    assert [c.status for c in vms.calls if c.method != "GET"] == [201, 200, 204]


def test_the_paged_list_form_is_followed_to_the_end(vms: VmsStandin) -> None:
    vms.page_size = 2
    views = _backend(vms).collection("views")
    for i in range(5):
        views.create({"path": f"/p{i}", "policy_id": 1, "protocols": ["NFS"]})
    assert sorted(v["path"] for v in views.list()) == [f"/p{i}" for i in range(5)]
    pages = [c.query.get("page", "1") for c in vms.calls if c.method == "GET"]
    assert pages == ["1", "2", "3"]


def test_filters_vms_does_not_offer_are_applied_by_the_client(vms: VmsStandin) -> None:
    qos = _backend(vms).collection("qospolicies")
    for name in ("a", "b"):
        qos.create({"name": name, "mode": "STATIC", "policy_type": "VIEW", "is_gold": False,
                    "limit_by": "BW", "static_limits": {"max_reads_bw_mbps": 10}})  # fmt: skip
    # /qospolicies/ has no name filter: VMS answers every policy.
    assert len(qos.list(name="a")) == 2


def test_transient_errors_are_retried_for_reads(vms: VmsStandin) -> None:
    vms.inject(status=503, method="GET", path="/quotas/", times=2)
    vms.inject(reset=True, method="GET", path="/quotas/", times=1)
    assert _backend(vms).collection("quotas").list() == []
    assert [c.status for c in vms.calls] == [503, 503, 0, 200]


def test_a_create_is_not_retried_and_the_error_names_object_and_vms_message(
    vms: VmsStandin,
) -> None:
    vms.inject(status=503, method="POST", path="/quotas/")
    quotas = _backend(vms).collection("quotas")
    with pytest.raises(BackendError) as failure:
        quotas.create({"name": "swift", "path": "/swift", "hard_limit": 10})
    assert str(failure.value).startswith("quotas swift: VMS answered 503 to POST /quotas/:")
    assert "injected by the test" in str(failure.value)
    assert len(vms.mutating_calls()) == 1
    assert vms.objects("quotas") == []


def test_vms_refusals_come_back_as_clear_errors(vms: VmsStandin) -> None:
    quotas = _backend(vms).collection("quotas")
    quotas.create({"name": "swift", "path": "/swift", "hard_limit": 10})
    with pytest.raises(BackendError, match=r"quotas other: VMS answered 400 .*path.*already"):
        quotas.create({"name": "other", "path": "/swift", "hard_limit": 10})


def test_wrong_credentials_are_refused_without_echoing_them(vms: VmsStandin) -> None:
    with pytest.raises(BackendError) as failure:
        _backend(vms, password="not-the-password").collection("views").list()
    assert "401" in str(failure.value)
    assert "not-the-password" not in str(failure.value)


def test_an_untrusted_certificate_is_refused(vms: VmsStandin) -> None:
    untrusted = VastBackend(
        {"address": vms.address, "user": "admin"}, password=vms.password, token=None
    )
    with pytest.raises(BackendError, match="CERTIFICATE_VERIFY_FAILED"):
        untrusted.collection("views").list()
    assert vms.calls == []


def test_schemas_tables_and_columns(vms: VmsStandin) -> None:
    backend = _backend(vms)
    backend.collection("views").create({"path": "/obsdb", "policy_id": 1, "bucket": "obsdb",
                                        "bucket_owner": "admin", "protocols": ["S3", "DATABASE"]})  # fmt: skip
    catalog = backend.catalog()
    assert not catalog.schema_exists("obsdb", "swift")
    catalog.create_schema("obsdb", "swift")
    assert catalog.columns("obsdb", "swift", "bursts") is None
    catalog.create_table(
        "obsdb", "swift", "bursts", [{"name": "id", "field": {"column_type": "int64"}}]
    )
    catalog.add_columns(
        "obsdb", "swift", "bursts", [{"name": "x", "field": {"column_type": "double"}}]
    )
    assert catalog.columns("obsdb", "swift", "bursts") == [
        {"name": "id", "field": {"column_type": "int64"}},
        {"name": "x", "field": {"column_type": "double"}},
    ]
    assert catalog.table_rows("obsdb", "swift", "bursts") == 0
    with pytest.raises(BackendError, match=r"schema swift: VMS answered 400 .*not empty"):
        catalog.delete_schema("obsdb", "swift")
    catalog.delete_table("obsdb", "swift", "bursts")
    catalog.delete_schema("obsdb", "swift")
    assert vms.objects("schemas") == []


def test_the_standin_catches_what_vms_would_refuse(vms: VmsStandin) -> None:
    with pytest.raises(BackendError, match="unknown field 'hard_limt'"):
        _backend(vms).collection("quotas").create({"name": "q", "path": "/q", "hard_limt": 1})
    with pytest.raises(BackendError, match="missing required field 'path'"):
        _backend(vms).collection("views").create({"policy_id": 1})
    assert len(vms.spec_violations) == 2
    vms.spec_violations.clear()  # the fixture asserts none are left


def test_quota_state_follows_usage(vms: VmsStandin) -> None:
    quotas = _backend(vms).collection("quotas")
    quota = quotas.create({"name": "q", "path": "/q", "hard_limit": 100, "soft_limit": 80,
                           "grace_period": "2d"})  # fmt: skip
    states = []
    for used in (10, 90, 100):
        vms.set_usage("/q", used)
        shown = quotas.get(quota["id"])
        assert shown is not None
        states.append((shown["state"], shown["used_capacity"], shown.get("time_to_block")))
    assert states == [("OK", 10, None), ("SOFT_EXCEEDED", 90, "2d"), ("HARD_EXCEEDED", 100, None)]
