"""Stack config validation: every error names the key, the value and what is allowed."""

from __future__ import annotations

import ast
import copy
import importlib.util
import shutil
import sys
import types
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from devtools.toolchain import PROJECT_DIR
from runner.connect import vastdb_session
from vastobs.config import (
    DOCS,
    AnalyticsConfig,
    DatabaseConfig,
    MonitorConfig,
    StackConfig,
    TrinoConfig,
    VmsConfig,
    declared,
    from_mapping,
    key_table,
    load_stack,
    main,
    table_in,
)
from vastobs.ddl import load_table
from vastobs.errors import ConfigError
from vastobs.kinds import load_kind, observatory_table
from vastobs.units import parse_duration, parse_size

BASE = {
    "backend": "local",
    "observatories": {"swift": {"path": "/swift/observations", "quota": {"hard": "100TB"}}},
}


def _with(**changes: object) -> dict:
    raw = {**BASE, **changes}
    return raw


def test_committed_local_stack_is_valid() -> None:
    stack = load_stack("local", PROJECT_DIR)
    assert stack.backend == "local"
    assert [o.name for o in stack.observatories] == ["swift", "chandra"]
    assert stack.observatory("chandra").quota.hard == 200 * 10**12  # seed's storage_quota_tb
    assert stack.observatory("swift").quota.grace_seconds == 7 * 86400
    assert stack.local_root == PROJECT_DIR / ".vastobs" / "local"
    assert stack.analytics.burst_detection_threshold == 0.9


def test_sizes_and_durations() -> None:
    assert parse_size("80TiB") == 80 * 2**40
    assert parse_size("1.5 GB") == 1_500_000_000
    assert parse_duration("24h") == 86400
    with pytest.raises(ValueError, match="units"):
        parse_size("5 furlongs")


@pytest.mark.parametrize(
    ("raw", "key", "fragment"),
    [
        (_with(backend="s3"), "vastobs:backend", "one of local, vast"),
        (_with(colour="blue"), "vastobs:colour", "one of the keys"),
        (
            _with(observatories={"swift": {"path": "swift", "quota": "1TB"}}),
            "vastobs:observatories.swift.path",
            "absolute path",
        ),
        (
            _with(observatories={"swift": {"path": "/s", "quota": {"hard": "1TB", "soft": "2TB"}}}),
            "vastobs:observatories.swift.quota.soft",
            "no larger than hard",
        ),
        (
            _with(
                observatories={"swift": {"path": "/s", "quota": "1TB", "access_pattern": "fast"}}
            ),
            "vastobs:observatories.swift.access_pattern",
            "real_time",
        ),
        (
            _with(observatories={"Swift!": {"path": "/s", "quota": "1TB"}}),
            "vastobs:observatories.Swift!",
            "lower-case",
        ),
        (
            _with(observatories={"swift": {"path": "/s"}}),
            "vastobs:observatories.swift.quota",
            "required",
        ),
        (
            _with(observatories={"swift": {"path": "/s", "quota": "1TB", "kinds": ["nosuch"]}}),
            "vastobs:observatories.swift.kinds.nosuch",
            "one of the kinds detections, measurements, observations, triggers",
        ),
        (
            _with(
                observatories={
                    "swift": {
                        "path": "/s",
                        "quota": "1TB",
                        "kinds": {"triggers": {"table": "bursts", "columns": {"t90": "FLOAT64"}}},
                    }
                }
            ),
            "vastobs:observatories.swift.kinds.triggers.columns.t90",
            "one of BOOLEAN, TINYINT, SMALLINT, INTEGER, BIGINT, REAL, DOUBLE, VARCHAR",
        ),
        (
            _with(
                observatories={
                    "swift": {
                        "path": "/s",
                        "quota": "1TB",
                        "kinds": {"observations": "pointings", "measurements": "pointings"},
                    }
                }
            ),
            "vastobs:observatories.swift.kinds.measurements",
            "a table no other kind has (observations has it)",
        ),
        (
            _with(analytics={"burst_detection_threshold": 1.5}),
            "burst_detection_threshold",
            "[0, 1]",
        ),
        (_with(analytics={"batch_size": "many"}), "vastobs:analytics.batch_size", "an integer"),
        (_with(backend="vast"), "vastobs:vms.address", "required"),
        (
            _with(monitor={"warn_percent": 96, "critical_percent": 95}),
            "vastobs:monitor.warn_percent",
            "not above critical_percent",
        ),
    ],
)
def test_bad_values_name_key_value_and_allowed(raw: dict, key: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        from_mapping(raw, PROJECT_DIR, source="Pulumi.test.yaml")
    message = str(info.value)
    assert message.startswith("Pulumi.test.yaml: ")
    assert key in message
    assert fragment in message


@pytest.mark.parametrize(
    ("a", "b"),
    [("/data/swift", "/data/swift"), ("/data", "/data/swift"), ("/data/swift/x", "/data/swift")],
)
def test_equal_or_nested_paths_are_rejected(a: str, b: str) -> None:
    raw = _with(
        observatories={
            "swift": {"path": a, "quota": "1TB"},
            "chandra": {"path": b, "quota": "1TB"},
        }
    )
    with pytest.raises(ConfigError, match="neither equals nor nests"):
        from_mapping(raw, PROJECT_DIR)


def test_database_path_may_not_nest_with_an_observatory() -> None:
    raw = _with(database={"path": "/swift"})
    with pytest.raises(ConfigError, match=r"observatories\.swift\.path"):
        from_mapping(raw, PROJECT_DIR)


def test_sibling_paths_with_a_common_prefix_are_fine() -> None:
    raw = _with(
        observatories={
            "swift": {"path": "/data/swift", "quota": "1TB"},
            "swiftuvot": {"path": "/data/swiftuvot", "quota": "1TB"},
        }
    )
    assert len(from_mapping(raw, PROJECT_DIR).observatories) == 2


def test_a_new_observatory_is_one_more_block(tmp_path: Path) -> None:
    raw = _with(
        observatories={
            **BASE["observatories"],
            "nustar": {"path": "/nustar/observations", "quota": {"hard": "20TB"}},
        }
    )
    stack = from_mapping(raw, tmp_path)
    assert stack.observatory("nustar").access_pattern == "deep_analysis"
    assert stack.local_root == tmp_path / ".vastobs" / "local"


def test_example_stack_is_valid_once_filled_in(tmp_path: Path) -> None:
    text = (PROJECT_DIR / "Pulumi.example.yaml").read_text()
    filled = text.replace("<astro-db>", "astro-db")
    for placeholder in ("<vms.example.org>", "<vms-user>", "<path/to/cluster-ca.pem>",
                        "<https://vip-pool.example.org>", "<trino.example.org>", "<analyst>"):  # fmt: skip
        filled = filled.replace(placeholder, "x")
    (tmp_path / "Pulumi.yaml").write_text("name: vastobs\n")
    (tmp_path / "Pulumi.prod.yaml").write_text(filled)
    for kinds_or_tables in ("kinds", "tables"):  # what the stack's kinds: are checked against
        shutil.copytree(PROJECT_DIR / "queries" / kinds_or_tables, tmp_path / "queries" / kinds_or_tables)  # fmt: skip
    stack = load_stack("prod", tmp_path)
    assert stack.backend == "vast" and stack.vms.verify_tls
    assert all(o.protect for o in stack.observatories)
    assert stack.observatory("swift").table_of("triggers") == "bursts"
    assert stack.observatory("chandra").tables == ("observations", "detections")


def test_the_old_tables_key_says_to_use_kinds() -> None:
    raw = _with(observatories={"swift": {"path": "/s", "quota": "1TB", "tables": ["bursts"]}})
    with pytest.raises(ConfigError) as info:
        from_mapping(raw, PROJECT_DIR, source="Pulumi.test.yaml")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("Pulumi.test.yaml: vastobs:observatories.swift.tables: ")
    assert "kinds: {<kind>: <table>}" in message


def test_a_config_only_observatory_has_its_kinds_columns_then_its_extras(tmp_path: Path) -> None:
    """fermi has no DDL file: its table is the triggers kind's columns, then the extras
    in the order the config gives them."""
    shutil.copytree(PROJECT_DIR / "queries" / "kinds", tmp_path / "queries" / "kinds")
    fermi = {
        "path": "/fermi/observations",
        "quota": {"hard": "10TB"},
        "kinds": {"triggers": {"table": "triggers", "columns": {"t90_s": "double", "detectors": "VARCHAR"}}},
    }  # fmt: skip
    stack = from_mapping(_with(observatories={"fermi": fermi}), tmp_path)
    (entry,) = stack.observatory("fermi").kinds
    assert (entry.kind, entry.table) == ("triggers", "triggers")
    table = observatory_table(tmp_path, "fermi", entry)
    kind = load_kind(tmp_path, "triggers")
    assert [(c.name, c.type) for c in table.columns] == [
        *((c.name, c.type) for c in kind.columns),
        ("t90_s", "DOUBLE"),
        ("detectors", "VARCHAR"),
    ]
    assert (table.key, table.sorted_by, table.kind) == (kind.key, kind.sorted_by, "triggers")
    assert table.vms_arrow_schema()[-1]["name"] == "detectors"


def test_the_seed_tables_keep_their_columns_as_instances_of_kinds() -> None:
    """What Pulumi declares for them is what their DDL files said before kinds: a stack
    that is up sees no diff."""
    stack = load_stack("local", PROJECT_DIR)
    seen = []
    for obs in stack.observatories:
        for entry in obs.kinds:
            table = observatory_table(PROJECT_DIR, obs.name, entry)
            ddl = load_table(PROJECT_DIR, obs.name, entry.table)
            assert table.vms_arrow_schema() == ddl.vms_arrow_schema(), table.logical_name
            assert (table.key, table.sorted_by) == (ddl.key, ddl.sorted_by), table.logical_name
            seen.append(f"{table.logical_name}:{table.kind}")
    assert seen == ["swift.bursts:triggers", "swift.observations:observations",
                    "swift.measurements:measurements", "chandra.observations:observations",
                    "chandra.detections:detections"]  # fmt: skip


def test_kinds_may_be_a_list_a_mapping_or_name_their_table() -> None:
    """A list, or an empty name, takes the kind's name; the seed's spellings keep their tables."""
    raw = _with(observatories={"nustar": {"path": "/n", "quota": "1TB", "kinds": ["observations", "measurements"]},
                               "swift": {"path": "/s", "quota": "1TB", "kinds": {"triggers": "bursts", "observations": None}}})  # fmt: skip
    stack = from_mapping(raw, PROJECT_DIR)
    assert stack.observatory("nustar").tables == ("observations", "measurements")
    assert stack.observatory("swift").tables == ("bursts", "observations")
    assert stack.observatory("swift").table_of("measurements") is None


# --- Declared once: the parser, the defaults and the docs read one declaration.


def test_docs_key_table_is_the_generated_one() -> None:
    documented = table_in((PROJECT_DIR / DOCS).read_text(encoding="utf-8"))
    assert documented == key_table(), "stale: run python -m vastobs.config --write"


def test_python_m_vastobs_config_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert capsys.readouterr().out == key_table()


SECTIONS = (VmsConfig, DatabaseConfig, AnalyticsConfig, TrinoConfig, MonitorConfig)


@pytest.mark.parametrize("section", SECTIONS, ids=lambda c: c.__name__)
def test_every_key_has_a_description_and_every_number_bounds(section: type) -> None:
    assert {f.name for f in fields(section)} == {f.name for f, _, _ in declared(section)}
    for f, spec, hint in declared(section):
        assert spec.doc, f.name
        if hint in (int, float):
            assert spec.lo is not None and spec.hi is not None, f.name
            assert spec.lo <= f.default <= spec.hi, f.name


def test_absent_keys_take_the_declared_defaults(tmp_path: Path) -> None:
    stack = from_mapping({}, tmp_path)
    assert (stack.vms, stack.database, stack.analytics, stack.trino, stack.monitor) == tuple(
        section() for section in SECTIONS
    )
    assert stack.backend == StackConfig(project_dir=tmp_path).backend
    assert stack.local_root == tmp_path / ".vastobs" / "local"


def test_no_observatories_is_a_valid_stack(tmp_path: Path) -> None:
    """A documented choice: a stack may declare the database alone."""
    assert from_mapping({"backend": "local"}, tmp_path).observatories == ()
    assert from_mapping({"observatories": {}}, tmp_path).observatories == ()


# --- Bounds a user would expect: each (key, bad value) names the key and what is allowed.


def _set(dotted: str, value: object) -> dict[str, Any]:
    """BASE with one key (``a.b.c``) set to ``value``."""
    raw: dict[str, Any] = copy.deepcopy(BASE)
    *parents, leaf = dotted.split(".")
    block = raw
    for part in parents:
        block = block.setdefault(part, {})
    block[leaf] = value
    return raw


BAD = [
    ("analytics.correlation_window_hours", 0, "(0, 8760]"),
    ("analytics.correlation_window_hours", 8761, "(0, 8760]"),
    ("analytics.followup_window_hours", 0, "(0, 8760]"),
    ("analytics.followup_window_hours", -24, "(0, 8760]"),
    ("analytics.batch_size", 0, "[1, 10000000]"),
    ("analytics.batch_size", 2.5, "an integer"),
    ("analytics.query_timeout_seconds", 0, "[1, 86400]"),
    ("analytics.burst_detection_threshold", -0.1, "[0, 1]"),
    ("analytics.burst_detection_threshold", "high", "a number"),
    ("database.timeout_seconds", 0, "[1, 3600]"),
    ("database.timeout_seconds", 3601, "[1, 3600]"),
    ("database.verify_tls", "yes", "true or false"),
    ("database.bucket", "Bad_Bucket", "S3 bucket name"),
    ("trino.port", 0, "[1, 65535]"),
    ("trino.port", 65536, "[1, 65535]"),
    ("trino.port", True, "an integer"),
    ("trino.http_scheme", "ftp", "one of http, https"),
    ("monitor.warn_percent", 0, "(0, 100]"),
    ("monitor.critical_percent", 0, "(0, 100]"),
    ("monitor.critical_percent", 101, "(0, 100]"),
    ("observatories.swift.quota.soft", 0, "a positive size no larger than hard"),
    ("observatories.swift.protocols", [], "a non-empty list of NFS"),
    ("local_root", "", "a non-empty directory path"),
    ("vms.tenant", ["a"], "a string"),
]


@pytest.mark.parametrize(("key", "value", "fragment"), BAD, ids=[f"{k}={v!r}" for k, v, _ in BAD])
def test_out_of_bounds_values_name_the_key(key: str, value: object, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        from_mapping(_set(key, value), PROJECT_DIR, source="Pulumi.test.yaml")
    message = str(info.value)
    assert message.startswith("Pulumi.test.yaml: vastobs:")
    assert key in message and repr(value) in message and "expected" in message
    assert fragment in message


EDGES = [
    ("analytics.correlation_window_hours", 0.5),
    ("analytics.followup_window_hours", 8760),
    ("analytics.batch_size", 1),
    ("analytics.burst_detection_threshold", 0),
    ("analytics.burst_detection_threshold", 1),
    ("database.timeout_seconds", "1"),  # Pulumi hands top-level values over as text
    ("trino.port", 65535),
    ("monitor.critical_percent", 100),
]


@pytest.mark.parametrize(("key", "value"), EDGES, ids=[f"{k}={v!r}" for k, v in EDGES])
def test_values_at_the_bounds_are_accepted(key: str, value: object) -> None:
    stack = from_mapping(_set(key, value), PROJECT_DIR)
    section, leaf = key.split(".")
    assert getattr(getattr(stack, section), leaf) == float(value)


# --- database.verify_tls and database.timeout_seconds reach the VAST DB SDK.


def test_vastdb_session_takes_tls_and_timeout_from_the_database_keys(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setitem(
        sys.modules, "vastdb", types.SimpleNamespace(connect=lambda **kw: calls.append(kw))
    )
    monkeypatch.setenv("VASTOBS_S3_ACCESS_KEY", "access")
    monkeypatch.setenv("VASTOBS_S3_SECRET_KEY", "secret")
    database = {"endpoint": "https://vip.example.org", "verify_tls": False, "timeout_seconds": 7}
    stack = from_mapping({"database": database, "vms": {"verify_tls": True}}, tmp_path)
    vastdb_session(stack)
    assert calls == [
        {
            "access": "access",
            "secret": "secret",
            "endpoint": "https://vip.example.org",
            "ssl_verify": False,
            "timeout": 7,
        }
    ]


def test_the_vastdb_sdk_takes_ssl_verify_and_timeout() -> None:
    """Read from the installed SDK's source: importing it takes seconds."""
    spec = importlib.util.find_spec("vastdb")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("vastdb is not installed")
    source = Path(next(iter(spec.submodule_search_locations))) / "session.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    init = next(
        node
        for cls in tree.body
        if isinstance(cls, ast.ClassDef) and cls.name == "Session"
        for node in cls.body
        if isinstance(node, ast.FunctionDef) and node.name == "__init__"
    )
    assert {"ssl_verify", "timeout"} <= {a.arg for a in init.args.kwonlyargs}
