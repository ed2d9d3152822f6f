"""The ``Projection`` provider called directly, on both backends: create, adopt, refuse a
mismatch, drift, delete, and the diff that decides replace against update.

The vast backend goes through the HTTPS VMS stand-in, held to the spec's
``/projections/`` contract; the local one records the declaration beside the
DuckDB table (whose order is the loader's). The real engine runs the same
resource in tests/test_vast_stack.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.toolchain import PROJECT_DIR
from devtools.vms_standin import VmsStandin
from infra.preview_summary import render, summarise
from infra.resources.projection import ProjectionProps, ProjectionProvider, projection_name
from tests.support.vms import checked_standin
from vastobs.backends.target import Target, backend_for
from vastobs.ddl import load_table
from vastobs.errors import BackendError

BURSTS = load_table(PROJECT_DIR, "swift", "bursts")
COLUMNS = [c.name for c in BURSTS.columns]


@pytest.fixture(scope="module")
def standin() -> Iterator[VmsStandin]:
    with checked_standin() as vms:
        yield vms


@pytest.fixture(params=["vast", "local"])
def target(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Target]:
    """A database ``obsdb`` with the table swift.bursts and no projection yet."""
    if request.param == "local":
        target: Target = {"kind": "local", "root": str(tmp_path)}
    else:
        vms: VmsStandin = request.getfixturevalue("standin")
        monkeypatch.setenv("VASTOBS_VMS_PASSWORD", str(vms.password))
        target = {"kind": "vast", "address": vms.address, "user": "admin",
                  "ca_cert": str(vms.ca_cert_path), "verify_tls": True}  # fmt: skip
    backend = backend_for(target)
    if not backend.collection("views").list(bucket="obsdb"):
        backend.collection("views").create(
            {"path": "/obsdb", "policy_id": 1, "protocols": ["DATABASE", "S3"], "bucket": "obsdb"}
        )
    catalog = backend.catalog()
    if not catalog.schema_exists("obsdb", "swift"):
        catalog.create_schema("obsdb", "swift")
    catalog.create_table("obsdb", "swift", "bursts", BURSTS.vms_arrow_schema())
    yield target
    catalog.delete_table("obsdb", "swift", "bursts")


def _props(target: Target, sorted_by: tuple[str, ...] = BURSTS.sorted_by) -> dict[str, Any]:
    props = ProjectionProps.sorting(
        COLUMNS, sorted_by, database="obsdb", schema="swift", table="bursts", target=target
    )
    return {**props.inputs(), "adopted": None}


def _live(target: Target, name: str) -> dict[str, Any] | None:
    return backend_for(target).catalog().projection("obsdb", "swift", "bursts", name)


def test_the_declaration_follows_the_ddl() -> None:
    props = ProjectionProps.sorting(
        COLUMNS, BURSTS.sorted_by, database="d", schema="swift", table="bursts", target={}
    )
    assert BURSTS.sorted_by == ("hpx", "trigger_time")
    assert (props.name, props.sorted_columns) == ("by_hpx_trigger_time", ["hpx", "trigger_time"])
    assert props.unsorted_columns == [c for c in COLUMNS if c not in BURSTS.sorted_by]


def test_create_adopt_drift_and_delete(target: Target) -> None:
    provider, props = ProjectionProvider(), _props(target)
    created = provider.create(props)
    assert created.outs["adopted"] is False
    live = _live(target, props["name"])
    assert live is not None and live["sorted_columns"] == ["hpx", "trigger_time"]
    assert sorted(live["unsorted_columns"]) == sorted(props["unsorted_columns"])

    again = provider.create(props)  # a second stack, or a lost state: adopted, not duplicated
    assert (again.id, again.outs["adopted"]) == (created.id, True)

    read = provider.read(created.id, created.outs)
    assert provider.diff(created.id, created.outs, read.inputs).changes is False

    backend_for(target).catalog().delete_projection("obsdb", "swift", "bursts", props["name"])
    assert provider.read(created.id, created.outs).id == ""  # refresh drops it; up makes it
    provider.delete(created.id, created.outs)  # gone already: done


def test_an_existing_projection_that_differs_is_refused_not_adopted(target: Target) -> None:
    props = _props(target)
    backend_for(target).catalog().create_projection(
        "obsdb", "swift", "bursts", props["name"], ["trigger_time", "hpx"], []
    )
    with pytest.raises(BackendError, match=r"is sorted by .*delete it"):
        ProjectionProvider().create(props)
    ProjectionProvider().delete("", props)
    assert _live(target, props["name"]) is None


def test_deleting_the_table_takes_its_projection(target: Target) -> None:
    props = _props(target)
    ProjectionProvider().create(props)
    catalog = backend_for(target).catalog()
    catalog.delete_table("obsdb", "swift", "bursts")
    catalog.create_table("obsdb", "swift", "bursts", BURSTS.vms_arrow_schema())
    assert _live(target, props["name"]) is None


def test_a_sorted_by_change_replaces_creating_the_new_one_first(tmp_path: Path) -> None:
    target = {"kind": "local", "root": str(tmp_path)}
    olds, news = _props(target), _props(target, ("hpx", "ra"))
    result = ProjectionProvider().diff("x", olds, news)
    assert set(result.replaces or []) == {"name", "sorted_columns", "unsorted_columns"}
    assert result.delete_before_replace is False  # another name: both may live a while
    assert news["name"] == projection_name(("hpx", "ra"))


def test_a_new_table_column_replaces_under_the_same_name(tmp_path: Path) -> None:
    target = {"kind": "local", "root": str(tmp_path)}
    olds = _props(target)
    news = {**olds, "unsorted_columns": [*olds["unsorted_columns"], "ep_id"]}
    result = ProjectionProvider().diff("x", olds, news)
    assert (result.replaces, result.delete_before_replace) == (["unsorted_columns"], True)
    shuffled = {**olds, "unsorted_columns": list(reversed(olds["unsorted_columns"]))}
    assert ProjectionProvider().diff("x", olds, shuffled).changes is False


def test_check_refuses_a_projection_without_sorted_columns_or_with_repeats(
    tmp_path: Path,
) -> None:
    target = {"kind": "local", "root": str(tmp_path)}
    empty = ProjectionProvider().check({}, {**_props(target), "sorted_columns": []})
    assert "needs sorted columns" in empty.failures[0].reason
    repeated = ProjectionProvider().check({}, {**_props(target), "unsorted_columns": ["hpx"]})
    assert "both sorted and unsorted" in repeated.failures[0].reason


def test_vms_refuses_a_projection_of_unknown_columns(target: Target) -> None:
    catalog = backend_for(target).catalog()
    with pytest.raises(BackendError, match="no_such_column"):
        catalog.create_projection("obsdb", "swift", "bursts", "p", ["no_such_column"], [])


def test_the_ci_summary_notes_that_a_replaced_projection_loses_nothing() -> None:
    urn = (
        "urn:pulumi:test::vastobs::vastobs:index:Observatory$"
        "pulumi-python:dynamic/vast:Projection::swift-bursts-sorted"
    )
    state = {"type": "pulumi-python:dynamic/vast:Projection", "protect": False}
    step = {
        "op": "replace", "urn": urn, "replaceReasons": ["name", "sorted_columns"],
        "oldState": {**state, "inputs": {"name": "by_hpx_trigger_time"}},
        "newState": {**state, "inputs": {"name": "by_hpx_ra"}},
    }  # fmt: skip
    summary = summarise({"steps": [step], "changeSummary": {"replace": 1, "same": 20}})
    assert (summary.exit_code, summary.warnings, summary.blocked) == (0, [], [])
    markdown = render(summary)
    assert "> **Note:** vast:Projection `swift-bursts-sorted` is rebuilt" in markdown
    assert "`name` **(forces replacement)**: `by_hpx_trigger_time` → `by_hpx_ra`" in markdown
