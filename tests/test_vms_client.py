"""The project's VMS client (vastobs/backends/vast.py) against the HTTPS VMS stand-in.

The stand-in holds every request and answer to the VMS contract (the spec's
facts, devtools/vms_contract.py), so these also check that the client sends
what a real VMS accepts.
"""

from __future__ import annotations

import pytest

from devtools.vms_standin import VmsStandin
from infra.resources.base import create_adopting
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


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the retry policy asks for, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr("vastobs.backends.retry.sleep", recorded.append)
    return recorded


def test_transient_errors_are_retried_for_reads(vms: VmsStandin, pauses: list[float]) -> None:
    vms.inject(status=503, method="GET", path="/quotas/", times=2)
    vms.inject(reset=True, method="GET", path="/quotas/", times=1)
    vms.inject(status=500, method="GET", path="/quotas/", times=1)  # a read may repeat a 500
    assert _backend(vms).collection("quotas").list() == []
    assert [c.status for c in vms.calls] == [503, 503, 0, 500, 200]
    assert len(pauses) == 4


def test_updates_and_deletes_repeat_transient_failures_and_one_500(
    vms: VmsStandin, pauses: list[float]
) -> None:
    quotas = _backend(vms).collection("quotas")
    quota = quotas.create({"name": "q", "path": "/q", "hard_limit": 10})
    vms.inject(status=502, method="PATCH", times=1)
    vms.inject(lost=True, method="PATCH", times=1)  # acted, answer lost: repeating is harmless
    quotas.update(quota["id"], {"name": "q2"})
    assert [c.status for c in vms.calls if c.method == "PATCH"] == [502, 200, 200]
    vms.inject(status=500, method="DELETE", times=2)  # one 500 is repeated, a second is not
    with pytest.raises(BackendError, match=r"^quotas \d+: VMS answered 500 to DELETE"):
        quotas.delete(quota["id"])
    vms.inject(lost=True, method="DELETE", times=1)  # deleted, answer lost: the repeat finds 404
    quotas.delete(quota["id"])
    assert vms.objects("quotas") == []


def test_retry_after_is_honoured_and_retries_are_bounded(
    vms: VmsStandin, pauses: list[float]
) -> None:
    views = _backend(vms).collection("views")
    vms.inject(status=429, retry_after="3", method="GET", times=1)
    assert views.list() == []
    assert pauses[0] >= 3
    pauses.clear()
    vms.inject(status=503, method="GET", times=5)
    with pytest.raises(BackendError, match=r"answered 503 to GET /views/.*\(5 attempts in"):
        views.list()
    assert len(pauses) == 4 and sum(pauses) <= 30
    vms.reset_calls()
    vms.inject(status=503, retry_after="120", method="GET", times=1)  # longer than the budget
    with pytest.raises(BackendError, match="answered 503"):
        views.list()
    assert len(vms.calls) == 1


def test_a_stalled_vms_fails_the_call_naming_address_and_timeout(
    vms: VmsStandin, pauses: list[float]
) -> None:
    vms.inject(delay=2, method="GET", path="/views/", times=10)
    views = _backend(vms, timeout_seconds=0.3).collection("views")
    with pytest.raises(BackendError) as failure:
        views.list(path="/swift")
    message = str(failure.value)
    assert message.startswith(
        f"views where path=/swift: VMS at {vms.address} did not answer GET /views/ within 0.3 s"
    )
    assert "\n" not in message and "5 attempts" in message


def test_a_create_whose_answer_was_lost_is_found_not_sent_again(
    vms: VmsStandin, pauses: list[float]
) -> None:
    quotas = _backend(vms).collection("quotas")

    def find() -> dict | None:
        return next((q for q in quotas.list() if q["path"] == "/q"), None)

    body = {"name": "q", "path": "/q", "hard_limit": 10}
    vms.inject(lost=True, method="POST", times=1)  # VMS made it; the answer never came
    record, found = create_adopting(lambda: quotas.create(body), find)
    assert found and record["path"] == "/q"
    vms.inject(status=503, method="POST", times=1)  # refused: looked up, then sent again
    record, found = create_adopting(lambda: quotas.create({**body, "name": "r", "path": "/r"}),
                                    lambda: None)  # fmt: skip
    assert not found and record["path"] == "/r"
    assert [c.status for c in vms.calls if c.method == "POST"] == [201, 503, 201]
    assert sorted(q["path"] for q in vms.objects("quotas")) == ["/q", "/r"]


def test_a_create_answered_500_is_sent_again_once_and_only_after_a_lookup(
    vms: VmsStandin, pauses: list[float]
) -> None:
    quotas = _backend(vms).collection("quotas")
    lookups: list[str] = []

    def create(name: str) -> tuple[dict, bool]:
        body = {"name": name, "path": f"/{name}", "hard_limit": 1}
        return create_adopting(lambda: quotas.create(body), lambda: lookups.append(name))

    vms.inject(status=500, method="POST", times=2)  # a 500 that stays: one resend, then the error
    with pytest.raises(BackendError, match="answered 500 to POST /quotas/"):
        create("q")
    vms.inject(status=500, method="POST", times=1)  # a 500 that passes: the resend makes it
    assert create("r")[0]["path"] == "/r"
    vms.inject(status=429, method="POST", times=1)  # a limiter's refusal did nothing: the
    quotas.create({"name": "s", "path": "/s", "hard_limit": 1})  # client repeats it itself
    assert [c.status for c in vms.mutating_calls()] == [500, 500, 500, 201, 429, 201]
    assert lookups == ["q", "q", "r"]
    assert [q["path"] for q in vms.objects("quotas")] == ["/r", "/s"]


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
