"""Stack config validation: every error names the key, the value and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.toolchain import PROJECT_DIR
from vastobs.config import from_mapping, load_stack
from vastobs.errors import ConfigError
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
            _with(observatories={"swift": {"path": "/s", "quota": "1TB", "tables": ["nosuch"]}}),
            "vastobs:observatories.swift.tables",
            "DDL file",
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
    for table in ("bursts", "observations", "measurements"):
        (tmp_path / "queries" / "tables" / "swift").mkdir(parents=True, exist_ok=True)
        (tmp_path / "queries" / "tables" / "swift" / f"{table}.sql").write_text("")
    for table in ("observations", "detections"):
        (tmp_path / "queries" / "tables" / "chandra").mkdir(parents=True, exist_ok=True)
        (tmp_path / "queries" / "tables" / "chandra" / f"{table}.sql").write_text("")
    stack = load_stack("prod", tmp_path)
    assert stack.backend == "vast" and stack.vms.verify_tls
    assert all(o.protect for o in stack.observatories)
