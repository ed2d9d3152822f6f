"""Typed, validated stack config, shared by the Pulumi program and the runner.

Plain Python on purpose (no pulumi, no runner import): the program feeds it
``pulumi.Config`` values, the runner feeds it ``Pulumi.<stack>.yaml`` read from
disk. Keys live under the ``vastobs:`` namespace (docs/configuration.md).
Every error names the key, the value and what is allowed, and is raised
before any resource is touched.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from vastobs.errors import ConfigError
from vastobs.units import parse_duration, parse_size

NAMESPACE = "vastobs"
BACKENDS = ("local", "vast")
ACCESS_PATTERNS = ("real_time", "deep_analysis", "archive")
PROTOCOLS = ("NFS", "NFS4", "SMB", "S3")
TOP_LEVEL_KEYS = (
    "backend",
    "local_root",
    "vms",
    "database",
    "observatories",
    "analytics",
    "trino",
    "monitor",
)
# Stack secrets a dynamic provider would see: Pulumi records every config value
# of the project, secrets included (encrypted), as the inputs of the provider
# in the state file. Credentials come from the environment or a file instead.
REFUSED_SECRETS = {
    "vms_password": "VASTOBS_VMS_PASSWORD in the environment or vms.password_file",
    "vms_token": "VASTOBS_VMS_TOKEN in the environment or vms.token_file",
}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@dataclass(frozen=True)
class QuotaConfig:
    hard: int
    soft: int | None = None
    grace_seconds: int | None = None


@dataclass(frozen=True)
class ObservatoryConfig:
    name: str
    path: str
    quota: QuotaConfig
    access_pattern: str = "deep_analysis"
    protocols: tuple[str, ...] = ("NFS",)
    tables: tuple[str, ...] = ()
    protect: bool = False
    allow_destroy_with_data: bool = False


@dataclass(frozen=True)
class DatabaseConfig:
    bucket: str = "vastobs-db"
    path: str = "/vastobs/db"
    quota: QuotaConfig = field(default_factory=lambda: QuotaConfig(hard=10 * 10**12))
    endpoint: str | None = None
    verify_tls: bool = True
    timeout_seconds: int = 30


@dataclass(frozen=True)
class VmsConfig:
    address: str | None = None
    user: str | None = None
    tenant: str = "default"
    ca_cert: str | None = None
    verify_tls: bool = True
    password_file: str | None = None  # holds the VMS password (the file, not the value, is config)
    token_file: str | None = None


@dataclass(frozen=True)
class AnalyticsConfig:
    batch_size: int = 1000
    query_timeout_seconds: int = 300
    correlation_window_hours: float = 24.0
    followup_window_hours: float = 168.0
    burst_detection_threshold: float = 0.9


@dataclass(frozen=True)
class TrinoConfig:
    host: str = "localhost"
    port: int = 8080
    user: str = "vastobs"
    catalog: str = "vast"
    http_scheme: str = "https"
    verify_tls: bool = True


@dataclass(frozen=True)
class MonitorConfig:
    warn_percent: float = 80.0
    critical_percent: float = 95.0


@dataclass(frozen=True)
class StackConfig:
    """Everything a stack declares; ``project_dir`` anchors relative paths."""

    project_dir: Path
    backend: str
    local_root: Path
    observatories: tuple[ObservatoryConfig, ...]
    database: DatabaseConfig
    vms: VmsConfig
    analytics: AnalyticsConfig
    trino: TrinoConfig
    monitor: MonitorConfig

    def observatory(self, name: str) -> ObservatoryConfig:
        for obs in self.observatories:
            if obs.name == name:
                return obs
        known = ", ".join(o.name for o in self.observatories) or "none"
        raise ConfigError(f"observatories.{name}", f"no such observatory (configured: {known})")


class _Reader:
    """Typed getters that raise ConfigError naming the full key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, value: object, allowed: str) -> ConfigError:
        return ConfigError(key, f"{value!r} is not allowed; expected {allowed}", self.source)

    def mapping(self, raw: Mapping[str, Any], key: str, known: tuple[str, ...]) -> dict[str, Any]:
        value = raw.get(key.rsplit(".", 1)[-1], {})
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(key, value, "a mapping")
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise self.fail(f"{key}.{unknown[0]}", value[unknown[0]], f"one of the keys {known}")
        return dict(value)

    def boolean(self, raw: Mapping[str, Any], key: str, default: bool) -> bool:
        value = raw.get(key.rsplit(".", 1)[-1], default)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise self.fail(key, value, "true or false")
        return value

    def number(
        self,
        raw: Mapping[str, Any],
        key: str,
        default: float,
        *,
        lo: float,
        hi: float,
        integer: bool,
    ) -> Any:
        value = raw.get(key.rsplit(".", 1)[-1], default)
        try:
            if isinstance(value, bool):
                raise ValueError
            number = int(value) if integer else float(value)
            if integer and float(value) != number:
                raise ValueError
        except (TypeError, ValueError):
            kind = "an integer" if integer else "a number"
            raise self.fail(key, value, f"{kind} in [{lo}, {hi}]") from None
        if not lo <= number <= hi:
            raise self.fail(key, value, f"a value in [{lo}, {hi}]")
        return number

    def text(self, raw: Mapping[str, Any], key: str, default: str | None) -> str | None:
        value = raw.get(key.rsplit(".", 1)[-1], default)
        if value is not None and not isinstance(value, str | int):
            raise self.fail(key, value, "a string")
        return None if value is None else str(value)

    def choice(
        self, raw: Mapping[str, Any], key: str, default: str, allowed: tuple[str, ...]
    ) -> str:
        value = raw.get(key.rsplit(".", 1)[-1], default)
        if value not in allowed:
            raise self.fail(key, value, f"one of {', '.join(allowed)}")
        return str(value)

    def view_path(self, raw: Mapping[str, Any], key: str, default: str | None) -> str:
        value = raw.get(key.rsplit(".", 1)[-1], default)
        if not isinstance(value, str) or not value.startswith("/") or value == "/":
            raise self.fail(key, value, "an absolute path below '/', such as '/swift/observations'")
        parts = PurePosixPath(value).parts
        if any(p in (".", "..") for p in parts) or "//" in value:
            raise self.fail(key, value, "a normalised absolute path (no '.', '..' or '//')")
        return str(PurePosixPath(value))

    def quota(self, raw: Mapping[str, Any], key: str, default: QuotaConfig | None) -> QuotaConfig:
        value = raw.get("quota")
        if value is None and "storage_quota_tb" in raw:  # the seed's spelling
            value = {"hard": f"{raw['storage_quota_tb']}TB"}
            key = key.rsplit(".", 1)[0] + ".storage_quota_tb"
        if value is None:
            if default is None:
                raise ConfigError(
                    key, "is required, e.g. {hard: '100TB', soft: '80TB'}", self.source
                )
            return default
        if not isinstance(value, Mapping):
            value = {"hard": value}
        unknown = sorted(set(value) - {"hard", "soft", "grace"})
        if unknown:
            raise self.fail(f"{key}.{unknown[0]}", value[unknown[0]], "one of hard, soft, grace")
        sizes: dict[str, int | None] = {}
        for part in ("hard", "soft"):
            if value.get(part) is None:
                sizes[part] = None
                continue
            try:
                sizes[part] = parse_size(value[part])
            except ValueError as exc:
                raise self.fail(
                    f"{key}.{part}", value[part], str(exc).removeprefix("expected ")
                ) from None
        if sizes["hard"] is None or sizes["hard"] == 0:
            raise self.fail(f"{key}.hard", value.get("hard"), "a positive size such as '100TB'")
        soft = sizes["soft"]
        if soft is not None and soft > sizes["hard"]:
            raise self.fail(
                f"{key}.soft", value["soft"], f"a size no larger than hard ({value['hard']})"
            )
        grace = None
        if value.get("grace") is not None:
            try:
                grace = parse_duration(value["grace"])
            except ValueError as exc:
                raise self.fail(
                    f"{key}.grace", value["grace"], str(exc).removeprefix("expected ")
                ) from None
        return QuotaConfig(hard=sizes["hard"], soft=soft, grace_seconds=grace)


def from_mapping(raw: Mapping[str, Any], project_dir: Path, source: str = "") -> StackConfig:
    """Validate the ``vastobs:`` keys (namespace already stripped)."""
    r = _Reader(source)
    for key, instead in REFUSED_SECRETS.items():
        if key in raw:
            raise ConfigError(
                key,
                "a stack secret would be copied (encrypted) into Pulumi's state, where the "
                f"dynamic provider's inputs are kept: remove it and use {instead}",
                source,
            )
    unknown = sorted(set(raw) - set(TOP_LEVEL_KEYS))
    if unknown:
        raise r.fail(unknown[0], raw[unknown[0]], f"one of the keys {', '.join(TOP_LEVEL_KEYS)}")

    backend = r.choice(raw, "backend", "local", BACKENDS)
    local_root = project_dir / (r.text(raw, "local_root", ".vastobs/local") or "")

    db_raw = r.mapping(
        raw, "database", ("bucket", "path", "quota", "endpoint", "verify_tls", "timeout_seconds")
    )
    bucket = r.text(db_raw, "database.bucket", DatabaseConfig.bucket)
    if not bucket or not _BUCKET.match(bucket):
        raise r.fail("database.bucket", bucket, "an S3 bucket name (3-63 of a-z, 0-9, '.', '-')")
    database = DatabaseConfig(
        bucket=bucket,
        path=r.view_path(db_raw, "database.path", DatabaseConfig.path),
        quota=r.quota(db_raw, "database.quota", DatabaseConfig().quota),
        endpoint=r.text(db_raw, "database.endpoint", None),
        verify_tls=r.boolean(db_raw, "database.verify_tls", True),
        timeout_seconds=r.number(
            db_raw, "database.timeout_seconds", 30, lo=1, hi=3600, integer=True
        ),
    )

    vms_raw = r.mapping(
        raw,
        "vms",
        ("address", "user", "tenant", "ca_cert", "verify_tls", "password_file", "token_file"),
    )
    vms = VmsConfig(
        address=r.text(vms_raw, "vms.address", None),
        user=r.text(vms_raw, "vms.user", None),
        tenant=r.text(vms_raw, "vms.tenant", "default") or "default",
        ca_cert=r.text(vms_raw, "vms.ca_cert", None),
        verify_tls=r.boolean(vms_raw, "vms.verify_tls", True),
        password_file=r.text(vms_raw, "vms.password_file", None),
        token_file=r.text(vms_raw, "vms.token_file", None),
    )
    if backend == "vast" and not vms.address:
        raise ConfigError("vms.address", "is required when backend is 'vast'", source)

    observatories = _observatories(r, raw, project_dir)
    _reject_overlaps(r, observatories, database)

    a = r.mapping(raw, "analytics", tuple(AnalyticsConfig.__dataclass_fields__))
    analytics = AnalyticsConfig(
        batch_size=r.number(a, "analytics.batch_size", 1000, lo=1, hi=10**7, integer=True),
        query_timeout_seconds=r.number(
            a, "analytics.query_timeout_seconds", 300, lo=1, hi=86400, integer=True
        ),
        correlation_window_hours=r.number(
            a, "analytics.correlation_window_hours", 24, lo=0, hi=24 * 365, integer=False
        ),
        followup_window_hours=r.number(
            a, "analytics.followup_window_hours", 168, lo=0, hi=24 * 365, integer=False
        ),
        burst_detection_threshold=r.number(
            a, "analytics.burst_detection_threshold", 0.9, lo=0, hi=1, integer=False
        ),
    )

    t = r.mapping(raw, "trino", tuple(TrinoConfig.__dataclass_fields__))
    trino = TrinoConfig(
        host=r.text(t, "trino.host", "localhost") or "localhost",
        port=r.number(t, "trino.port", 8080, lo=1, hi=65535, integer=True),
        user=r.text(t, "trino.user", "vastobs") or "vastobs",
        catalog=r.text(t, "trino.catalog", "vast") or "vast",
        http_scheme=r.choice(t, "trino.http_scheme", "https", ("http", "https")),
        verify_tls=r.boolean(t, "trino.verify_tls", True),
    )

    m = r.mapping(raw, "monitor", ("warn_percent", "critical_percent"))
    monitor = MonitorConfig(
        warn_percent=r.number(m, "monitor.warn_percent", 80, lo=0, hi=100, integer=False),
        critical_percent=r.number(m, "monitor.critical_percent", 95, lo=0, hi=100, integer=False),
    )
    if monitor.warn_percent > monitor.critical_percent:
        raise r.fail(
            "monitor.warn_percent", monitor.warn_percent, "a value not above critical_percent"
        )

    return StackConfig(
        project_dir=project_dir,
        backend=backend,
        local_root=local_root,
        observatories=observatories,
        database=database,
        vms=vms,
        analytics=analytics,
        trino=trino,
        monitor=monitor,
    )


def _observatories(
    r: _Reader, raw: Mapping[str, Any], project_dir: Path
) -> tuple[ObservatoryConfig, ...]:
    block = raw.get("observatories") or {}
    if not isinstance(block, Mapping):
        raise r.fail("observatories", block, "a mapping of observatory name to settings")
    known = (
        "path",
        "quota",
        "storage_quota_tb",
        "access_pattern",
        "protocols",
        "tables",
        "protect",
        "allow_destroy_with_data",
    )
    result = []
    for name in block:
        key = f"observatories.{name}"
        if not isinstance(name, str) or not _NAME.match(name):
            raise r.fail(key, name, "a lower-case name of a-z, 0-9 and '_' (it names a schema)")
        obs = r.mapping(block, key, known)
        protocols = obs.get("protocols", ["NFS"])
        if (
            not isinstance(protocols, list)
            or not protocols
            or any(p not in PROTOCOLS for p in protocols)
        ):
            raise r.fail(
                f"{key}.protocols", protocols, f"a non-empty list of {', '.join(PROTOCOLS)}"
            )
        tables = obs.get("tables", [])
        if not isinstance(tables, list) or any(
            not isinstance(t, str) or not _NAME.match(t) for t in tables
        ):
            raise r.fail(f"{key}.tables", tables, "a list of lower-case table names")
        for table in tables:
            ddl = project_dir / "queries" / "tables" / name / f"{table}.sql"
            if not ddl.is_file():
                raise r.fail(f"{key}.tables", table, f"a table with a DDL file (missing: {ddl})")
        result.append(
            ObservatoryConfig(
                name=name,
                path=r.view_path(obs, f"{key}.path", None),
                quota=r.quota(obs, f"{key}.quota", None),
                access_pattern=r.choice(
                    obs, f"{key}.access_pattern", "deep_analysis", ACCESS_PATTERNS
                ),
                protocols=tuple(dict.fromkeys(protocols)),
                tables=tuple(tables),
                protect=r.boolean(obs, f"{key}.protect", False),
                allow_destroy_with_data=r.boolean(obs, f"{key}.allow_destroy_with_data", False),
            )
        )
    return tuple(result)


def _reject_overlaps(
    r: _Reader, observatories: tuple[ObservatoryConfig, ...], database: DatabaseConfig
) -> None:
    """Two views whose paths are equal or nested would share (and count) data twice."""
    claimed = [(f"observatories.{o.name}.path", o.path) for o in observatories]
    claimed.append(("database.path", database.path))
    for i, (key_a, path_a) in enumerate(claimed):
        for key_b, path_b in claimed[i + 1 :]:
            a, b = PurePosixPath(path_a), PurePosixPath(path_b)
            if a == b or a in b.parents or b in a.parents:
                raise r.fail(
                    key_b, path_b, f"a path that neither equals nor nests with {key_a} ({path_a})"
                )


def stack_file(project_dir: Path, stack: str) -> Path:
    return project_dir / f"Pulumi.{stack}.yaml"


def resolve_stack(explicit: str | None = None) -> str:
    """``--stack``, else ``PULUMI_STACK``, else the embedded default ``local``."""
    return explicit or os.environ.get("PULUMI_STACK") or "local"


def find_project_dir(start: Path | None = None) -> Path:
    """The nearest directory holding ``Pulumi.yaml``, from ``start`` upwards."""
    here = (start or Path.cwd()).absolute()  # not resolve(): a symlinked program dir stays put
    for candidate in (here, *here.parents):
        if (candidate / "Pulumi.yaml").is_file():
            return candidate
    raise ConfigError("", f"no Pulumi.yaml in {here} or any parent directory")


def load_stack(stack: str, project_dir: Path | None = None) -> StackConfig:
    """Read ``Pulumi.<stack>.yaml`` from disk, as the runner does."""
    project_dir = project_dir or find_project_dir()
    path = stack_file(project_dir, stack)
    if not path.is_file():
        raise ConfigError("", f"stack file {path.name} not found in {project_dir}", str(path))
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError("", f"not valid YAML: {exc}", str(path)) from exc
    raw: dict[str, Any] = {}
    for key, value in (document.get("config") or {}).items():
        namespace, _, name = str(key).partition(":")
        if namespace == NAMESPACE and name:
            raw[name] = value
    return from_mapping(raw, project_dir, source=path.name)
