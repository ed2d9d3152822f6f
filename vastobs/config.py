"""Typed, validated stack config, shared by the Pulumi program and the runner.

Plain Python on purpose (no pulumi, no runner import): the program feeds it
``pulumi.Config`` values, the runner feeds it ``Pulumi.<stack>.yaml`` read from
disk. Keys live under the ``vastobs:`` namespace (docs/configuration.md).

Each key is declared once, as a dataclass field made by :func:`key`: the
field's annotation is its type, the field's default its default, and a
:class:`Key` in the field's metadata holds its bounds, allowed values and
description. The parser walks those fields, and :func:`key_table` renders them
as the key table of docs/configuration.md (``python -m vastobs.config --write``).
Every error names the key, the value and what is allowed, and is raised before
any resource is touched.
"""

# key() returns a dataclasses.field, which RUF009 cannot see through.
# ruff: noqa: RUF009

from __future__ import annotations

import argparse
import os
import re
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields, is_dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

from vastobs.compile_cache import CompileCache
from vastobs.errors import ConfigError
from vastobs.units import SIZE_UNITS, parse_duration, parse_size

NAMESPACE = "vastobs"
# Stack secrets a dynamic provider would see: Pulumi records every config value
# of the project, secrets included (encrypted), as the inputs of the provider
# in the state file. Credentials come from the environment or a file instead.
REFUSED_SECRETS = {
    "vms_password": "VASTOBS_VMS_PASSWORD in the environment or vms.password_file",
    "vms_token": "VASTOBS_VMS_TOKEN in the environment or vms.token_file",
}
# Keys an earlier version read, and what replaced them.
RENAMED = {"tables": "the key kinds: {<kind>: <table>} (each table is an instance of a kind)"}
DOCS = Path("docs") / "configuration.md"
TABLE_BEGIN = (
    "<!-- key table: generated from vastobs/config.py by `python -m vastobs.config --write` -->"
)
TABLE_END = "<!-- end of the generated key table -->"
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@dataclass(frozen=True)
class Key:
    """How one config key is bounded and described; kept in its field's metadata."""

    doc: str
    lo: float | None = None
    hi: float | None = None
    above: bool = False  # lo itself is excluded: (lo, hi] rather than [lo, hi]
    choices: tuple[str, ...] = ()
    form: str = ""  # what the type alone does not say: "view_path", "bucket", "names"
    aliases: tuple[str, ...] = ()  # other spellings the section accepts (the seed's)


def key(doc: str, default: Any = MISSING, **spec: Any) -> Any:
    """A dataclass field that is a config key; a section's class as ``default`` builds one."""
    metadata = {"key": Key(doc, **spec)}
    if isinstance(default, type):
        return field(default_factory=default, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class QuotaConfig:
    """Bytes and seconds, read from ``{hard, soft, grace}`` (or a bare hard size)."""

    hard: int
    soft: int | None = None
    grace_seconds: int | None = None


@dataclass(frozen=True)
class KindTable:
    """One entry of an observatory's ``kinds:``: the kind, its table, extra columns."""

    kind: str
    table: str
    columns: tuple[tuple[str, str], ...] = ()  # (name, Trino type), nullable


@dataclass(frozen=True)
class ObservatoryConfig:
    name: str  # its key under observatories
    path: str = key(
        "View holding the observatory's files; no two views' paths are equal or nested",
        form="view_path",
    )
    quota: QuotaConfig = key(
        "Quota on the view; the seed's `storage_quota_tb: 200` reads as `{hard: 200TB}`",
        aliases=("storage_quota_tb",),
    )
    access_pattern: str = key(
        "QoS policy of the view: `real_time` guarantees IOPS, `archive` caps bandwidth",
        "deep_analysis",
        choices=("real_time", "deep_analysis", "archive"),
    )
    protocols: tuple[str, ...] = key(
        "Protocols the view is shared over", ("NFS",), choices=("NFS", "NFS4", "SMB", "S3")
    )
    kinds: tuple[KindTable, ...] = key(
        "The kinds of table the observatory has (`queries/kinds/`), each with its table's name"
        " (`{triggers: bursts}`; a list, or an empty name, takes the kind's name) and optional"
        " extra columns (`{measurements: {table: lc, columns: {hr: DOUBLE}}}`)",
        (),
        form="kinds",
    )
    protect: bool = key(
        "Pulumi `protect` on the observatory's resources: nothing of it is deleted", False
    )
    allow_destroy_with_data: bool = key(
        "Let a destroy or replace delete the view and tables even when they hold data", False
    )

    def table_of(self, kind: str) -> str | None:
        """The name of this observatory's table of ``kind``, if it has one."""
        return next((k.table for k in self.kinds if k.kind == kind), None)

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(k.table for k in self.kinds)


@dataclass(frozen=True)
class DatabaseConfig:
    bucket: str = key(
        "Bucket of the VAST DB; each observatory is a schema in it", "vastobs-db", form="bucket"
    )
    path: str = key("View the database bucket lives on", "/vastobs/db", form="view_path")
    quota: QuotaConfig = key("Quota on the database view", QuotaConfig(hard=10 * 10**12))
    endpoint: str | None = key(
        "S3 endpoint (VIP pool) of the VAST DB data path; `load --into vastdb` needs it", None
    )
    verify_tls: bool = key(
        "Verify the TLS certificate of `database.endpoint` (the VAST DB SDK's `ssl_verify`)",
        True,
    )
    timeout_seconds: int = key(
        "Seconds the VAST DB SDK waits on each request to `database.endpoint`", 30, lo=1, hi=3600
    )
    sky_index: bool = key(
        "Keep every observatory's measurements and detections also in one table, `sky.points`,"
        " which cone searches and light curves then read, and the cross-match of their objects"
        ' in `sky.matches` (docs/data.md, "The sky index", "The kept matches")',
        False,
    )


@dataclass(frozen=True)
class VmsConfig:
    address: str | None = key("VMS host name or address; required when backend is `vast`", None)
    user: str | None = key("VMS user (also the database bucket's owner)", None)
    tenant: str = key("VAST tenant owning the views, quotas and database", "default")
    ca_cert: str | None = key(
        "CA file (PEM, relative to the project) for the VMS's certificate; else the system CAs",
        None,
    )
    verify_tls: bool = key(
        "Verify the VMS's TLS certificate; `false` is for lab clusters (preview warns)", True
    )
    # The file, not the value, is config: the content is read when a provider runs.
    password_file: str | None = key(
        "File (relative to the project) holding the VMS password, if no `VASTOBS_VMS_PASSWORD`",
        None,
    )
    token_file: str | None = key(
        "File (relative to the project) holding a VMS token, if no `VASTOBS_VMS_TOKEN`", None
    )
    timeout_seconds: float = key(
        "Longest one VMS call may wait for an answer; a stalled call fails naming it after"
        " the retries (docs/reliability.md)",
        30.0,
        lo=1,
        hi=600,
    )


@dataclass(frozen=True)
class AnalyticsConfig:
    batch_size: int = key("Rows per batch when `load` reads and writes", 1000, lo=1, hi=10**7)
    query_timeout_seconds: int = key(
        "Longest a Trino query may run (`query_max_run_time`)", 300, lo=1, hi=86400
    )
    correlation_window_hours: float = key(
        "Default `window_hours` of data_quality_correlation: how close in time two"
        " measurements of one object are",
        24.0,
        lo=0,
        hi=24 * 365,
        above=True,
    )
    followup_window_hours: float = key(
        "Default `window_hours` of burst_followup_sequences: how long after a trigger"
        " an observation follows it up",
        168.0,
        lo=0,
        hi=24 * 365,
        above=True,
    )
    burst_detection_threshold: float = key(
        "Default `min_significance` of the burst queries (0 reports every burst)",
        0.9,
        lo=0,
        hi=1,
    )


@dataclass(frozen=True)
class TrinoConfig:
    host: str = key("Trino coordinator host", "localhost")
    port: int = key("Trino coordinator port", 8080, lo=1, hi=65535)
    user: str = key("Trino user; a password comes from `VASTOBS_TRINO_PASSWORD`", "vastobs")
    catalog: str = key("Trino catalog of the VAST connector", "vast")
    http_scheme: str = key("Scheme of the coordinator", "https", choices=("http", "https"))
    verify_tls: bool = key("Verify the coordinator's TLS certificate", True)


@dataclass(frozen=True)
class MonitorConfig:
    warn_percent: float = key(
        "Share of a hard quota at which `monitor` warns; not above critical_percent",
        80.0,
        lo=0,
        hi=100,
        above=True,
    )
    critical_percent: float = key(
        "Share of a hard quota at which `monitor` reports critical", 95.0, lo=0, hi=100, above=True
    )
    lag_warn_messages: int = key(
        "Alert stream: notices kept on a topic that the listener's group has not committed past"
        " (its consumer lag) at which `monitor` warns; not above lag_critical_messages",
        100,
        lo=1,
        hi=1_000_000_000,
    )
    lag_critical_messages: int = key(
        "Alert stream: consumer lag of a topic at which `monitor` reports critical",
        1000,
        lo=1,
        hi=1_000_000_000,
    )
    stream_warn_seconds: float = key(
        "Alert stream: age of a topic's newest message (now minus its Kafka timestamp, when it"
        " was published) at which `monitor` warns; 0: never (a quiet sky is not a fault)",
        0.0,
        lo=0,
        hi=31_536_000,
    )
    stream_critical_seconds: float = key(
        "Alert stream: age of a topic's newest message at which `monitor` reports critical;"
        " 0: never",
        0.0,
        lo=0,
        hi=31_536_000,
    )
    stream_timeout_seconds: float = key(
        "Alert stream: the longest `monitor` waits for the broker, all its reads together;"
        " a broker that has not answered by then is UNKNOWN",
        5.0,
        lo=0,
        hi=120,
        above=True,
    )


@dataclass(frozen=True)
class AlertsConfig:
    """The GCN notice stream `python -m runner listen` consumes (docs/alerts.md)."""

    topics: tuple[str, ...] = key(
        "Kafka topics of GCN notices to consume; none: no listener (and no alerts tables)",
        (),
        form="topics",
    )
    brokers: str = key(
        "Bootstrap servers (`host:port,...`) of a plain Kafka broker; ignored with `gcn_domain`",
        "localhost:9092",
    )
    gcn_domain: str | None = key(
        "GCN's Kafka: `gcn.nasa.gov` or `test.gcn.nasa.gov` (OIDC with the client id and"
        " secret from `VASTOBS_GCN_CLIENT_ID` / `VASTOBS_GCN_CLIENT_SECRET` or the files below);"
        " none for a plain broker",
        None,
    )
    client_id_file: str | None = key(
        "File (relative to the project) holding the GCN client id, if no `VASTOBS_GCN_CLIENT_ID`",
        None,
    )
    client_secret_file: str | None = key(
        "File (relative to the project) holding the GCN client secret, if no"
        " `VASTOBS_GCN_CLIENT_SECRET`",
        None,
    )
    group: str = key(
        "Consumer group: its committed offsets are where a restarted listener resumes",
        "vastobs-listener",
    )
    batch_max_messages: int = key(
        "Most notices written in one micro-batch (one short hold of the database)",
        500,
        lo=1,
        hi=100_000,
    )
    batch_max_seconds: float = key(
        "Longest the listener waits to fill a micro-batch before writing it", 0.1, lo=0.001, hi=60
    )


@dataclass(frozen=True)
class StackConfig:
    """Everything a stack declares; ``project_dir`` anchors relative paths."""

    project_dir: Path
    backend: str = key(
        "Where views and the database live: directories and a DuckDB file, or a VAST cluster",
        "local",
        choices=("local", "vast"),
    )
    local_root: Path = key("Root of the `local` backend's directories", Path(".vastobs/local"))
    vms: VmsConfig = key("The VAST Management System the `vast` backend drives", VmsConfig)
    database: DatabaseConfig = key("The VAST DB holding the tables", DatabaseConfig)
    observatories: tuple[ObservatoryConfig, ...] = key(
        "One entry per observatory, named in lower-case a-z, 0-9 and `_` (it names a schema);"
        " may be empty (a stack of the database alone)",
        (),
    )
    analytics: AnalyticsConfig = key("Loading and the queries' defaults", AnalyticsConfig)
    trino: TrinoConfig = key("The Trino coordinator the `trino` engine queries", TrinoConfig)
    monitor: MonitorConfig = key("Thresholds of `python -m runner monitor`", MonitorConfig)
    alerts: AlertsConfig = key("The GCN alert stream (`python -m runner listen`)", AlertsConfig)

    def observatory(self, name: str) -> ObservatoryConfig:
        for obs in self.observatories:
            if obs.name == name:
                return obs
        known = ", ".join(o.name for o in self.observatories) or "none"
        raise ConfigError(f"observatories.{name}", f"no such observatory (configured: {known})")


Declared = tuple[Field[Any], Key, Any]


@cache
def declared(cls: type) -> tuple[Declared, ...]:
    """The keys of a section: each field made by :func:`key`, its Key and its type."""
    hints = typing.get_type_hints(cls)
    return tuple((f, f.metadata["key"], hints[f.name]) for f in fields(cls) if "key" in f.metadata)


def _is_section(hint: Any) -> bool:
    return isinstance(hint, type) and is_dataclass(hint) and bool(declared(hint))


def _entry_type(hint: Any) -> type | None:
    """``X`` of a ``tuple[X, ...]`` whose X is a section (a map of named entries)."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) is tuple and args and _is_section(args[0]):
        return typing.cast(type, args[0])
    return None


def _known(cls: type) -> tuple[str, ...]:
    return tuple(name for f, spec, _ in declared(cls) for name in (f.name, *spec.aliases))


TOP_LEVEL_KEYS = _known(StackConfig)


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def allowed(hint: Any, spec: Key, quote: Callable[[str], str] = str) -> str:
    """What a key accepts, in words: the errors say it, and so does the key table."""
    if spec.choices:
        listed = ", ".join(quote(c) for c in spec.choices)
        return (
            f"a non-empty list of {listed}"
            if typing.get_origin(hint) is tuple
            else f"one of {listed}"
        )
    if hint is bool:
        return f"{quote('true')} or {quote('false')}"
    if hint in (int, float):
        kind = "an integer" if hint is int else "a number"
        interval = f"{'(' if spec.above else '['}{_number(spec.lo)}, {_number(spec.hi)}]"
        return f"{kind} in {interval}"
    if hint is QuotaConfig:
        return (
            f"a size (the hard limit) or {quote('{hard, soft, grace}')}:"
            " hard and soft positive sizes, soft no larger than hard, grace a duration"
        )
    if hint is Path:
        return "a non-empty directory path, relative to the project or absolute"
    if _is_section(hint):
        return "a mapping of the keys below"
    if _entry_type(hint):
        return "a mapping of observatory name to settings"
    forms = {
        "view_path": f"an absolute path below '/', such as {quote('/swift/observations')}",
        "bucket": "an S3 bucket name (3-63 of a-z, 0-9, '.', '-')",
        "names": "a list of lower-case names",
        "topics": "a list of Kafka topic names (a-z, A-Z, 0-9, '.', '_', '-')",
        "kinds": (
            f"a mapping of kind ({quote('triggers')}, {quote('observations')},"
            f" {quote('measurements')}, {quote('detections')}) to its table's name or to"
            f" {quote('{table, columns}')}, or a list of kinds"
        ),
    }
    return forms.get(spec.form, "a string")


def _leaf(key: str) -> str:
    return key.rsplit(".", 1)[-1]


class _Reader:
    """Walks the declarations over raw values; each error names the full key."""

    def __init__(self, source: str, project_dir: Path) -> None:
        self.source = source
        self.project_dir = project_dir

    def fail(self, key: str, value: object, expected: str) -> ConfigError:
        return ConfigError(key, f"{value!r} is not allowed; expected {expected}", self.source)

    def section(self, raw: Mapping[str, Any], cls: type, prefix: str) -> dict[str, Any]:
        """Every key ``cls`` declares, read from ``raw`` in declaration order."""
        values: dict[str, Any] = {}
        for f, spec, hint in declared(cls):
            name = prefix + f.name
            entry = _entry_type(hint)
            if _is_section(hint):
                block = self.mapping(raw, name, _known(hint))
                values[f.name] = hint(**self.section(block, hint, f"{name}."))
            elif entry is not None:
                values[f.name] = self.entries(raw, name, entry, allowed(hint, spec))
            else:
                values[f.name] = self.value(raw, name, f, spec, hint)
        return values

    def value(self, raw: Mapping[str, Any], name: str, f: Field[Any], spec: Key, hint: Any) -> Any:
        default = None if f.default is MISSING else f.default
        expected = allowed(hint, spec)
        if hint is bool:
            return self.boolean(raw, name, default, expected)
        if hint in (int, float):
            return self.number(raw, name, default, spec, expected, integer=hint is int)
        if hint is QuotaConfig:
            return self.quota(raw, name, default)
        if hint is Path:
            return self.directory(raw, name, default, expected)
        if spec.form == "kinds":
            return self.kinds(raw, name, expected)
        if typing.get_origin(hint) is tuple:
            return self.strings(raw, name, default, spec, expected)
        if spec.form == "view_path":
            return self.view_path(raw, name, default, expected)
        if spec.choices:
            return self.choice(raw, name, default, spec.choices, expected)
        text = self.text(raw, name, default)
        if spec.form == "bucket" and not (text and _BUCKET.match(text)):
            raise self.fail(name, text, expected)
        return text if text or default is None else default  # empty: the default

    def mapping(self, raw: Mapping[str, Any], key: str, known: tuple[str, ...]) -> dict[str, Any]:
        value = raw.get(_leaf(key), {})
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(key, value, "a mapping")
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise self.fail(
                f"{key}.{unknown[0]}", value[unknown[0]], f"one of the keys {', '.join(known)}"
            )
        return dict(value)

    def entries(
        self, raw: Mapping[str, Any], key: str, cls: type, expected: str
    ) -> tuple[Any, ...]:
        """A map of lower-case names to sections, such as the observatories."""
        block = raw.get(_leaf(key)) or {}
        if not isinstance(block, Mapping):
            raise self.fail(key, block, expected)
        result = []
        for name in block:
            entry = f"{key}.{name}"
            if not isinstance(name, str) or not _NAME.match(name):
                raise self.fail(
                    entry, name, "a lower-case name of a-z, 0-9 and '_' (it names a schema)"
                )
            for old, new in RENAMED.items():
                if isinstance(block[name], Mapping) and old in block[name]:
                    raise self.fail(f"{entry}.{old}", block[name][old], f"{new} instead")
            settings = self.mapping(block, entry, _known(cls))
            result.append(cls(name=name, **self.section(settings, cls, f"{entry}.")))
        return tuple(result)

    def kinds(self, raw: Mapping[str, Any], key: str, expected: str) -> tuple[KindTable, ...]:
        """``{kind: table}``, ``{kind: {table, columns}}`` or ``[kind, ...]``; which kinds
        exist is checked across files, in :func:`_check_across_keys`."""
        from vastobs.ddl import TYPES

        value = raw.get(_leaf(key)) or {}
        if isinstance(value, list | tuple):
            value = dict.fromkeys(value)
        if not isinstance(value, Mapping):
            raise self.fail(key, value, expected)
        result: list[KindTable] = []
        for kind, spec in value.items():
            entry = f"{key}.{kind}"
            if not isinstance(kind, str) or not _NAME.match(kind):
                raise self.fail(entry, kind, "a kind's name (lower-case a-z, 0-9, '_')")
            if isinstance(spec, Mapping):
                unknown = sorted(set(spec) - {"table", "columns"})
                if unknown:
                    raise self.fail(f"{entry}.{unknown[0]}", spec[unknown[0]], "table or columns")
                table, columns = spec.get("table") or kind, spec.get("columns") or {}
            elif spec is None or isinstance(spec, str):
                table, columns = spec or kind, {}
            else:
                raise self.fail(entry, spec, "a table name or {table, columns}")
            if not isinstance(table, str) or not _NAME.match(table):
                raise self.fail(f"{entry}.table", table, "a lower-case table name")
            taken = next((k.kind for k in result if k.table == table), None)
            if taken:
                raise self.fail(entry, table, f"a table no other kind has ({taken} has it)")
            if not isinstance(columns, Mapping):
                raise self.fail(f"{entry}.columns", columns, "a mapping of column name to type")
            typed = []
            for column, type_sql in columns.items():
                where = f"{entry}.columns.{column}"
                if not isinstance(column, str) or not _NAME.match(column):
                    raise self.fail(where, column, "a lower-case column name")
                upper = str(type_sql).strip().upper()
                if upper not in TYPES:
                    raise self.fail(where, type_sql, f"one of {', '.join(TYPES)}")
                typed.append((column, upper))
            result.append(KindTable(kind, table, tuple(typed)))
        return tuple(result)

    def boolean(self, raw: Mapping[str, Any], key: str, default: bool, expected: str) -> bool:
        value = raw.get(_leaf(key), default)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise self.fail(key, value, expected)
        return value

    def number(
        self,
        raw: Mapping[str, Any],
        key: str,
        default: float,
        spec: Key,
        expected: str,
        *,
        integer: bool,
    ) -> Any:
        value = raw.get(_leaf(key), default)
        try:
            if isinstance(value, bool):
                raise ValueError
            number = int(value) if integer else float(value)
            if integer and float(value) != number:
                raise ValueError
        except (TypeError, ValueError):
            raise self.fail(key, value, expected) from None
        lo, hi = spec.lo, spec.hi
        if lo is None or hi is None:
            raise TypeError(f"{key}: a numeric key declares lo and hi")
        if not ((number > lo if spec.above else number >= lo) and number <= hi):
            raise self.fail(key, value, expected)
        return number

    def text(self, raw: Mapping[str, Any], key: str, default: str | None) -> str | None:
        value = raw.get(_leaf(key), default)
        if value is not None and not isinstance(value, str | int):
            raise self.fail(key, value, "a string")
        return None if value is None else str(value)

    def choice(
        self,
        raw: Mapping[str, Any],
        key: str,
        default: str,
        choices: tuple[str, ...],
        expected: str,
    ) -> str:
        value = raw.get(_leaf(key), default)
        if value not in choices:
            raise self.fail(key, value, expected)
        return str(value)

    def strings(
        self,
        raw: Mapping[str, Any],
        key: str,
        default: tuple[str, ...],
        spec: Key,
        expected: str,
    ) -> tuple[str, ...]:
        """A list of choices (non-empty) or of lower-case names; repeats count once."""
        value = raw.get(_leaf(key), list(default))
        if spec.choices:
            ok = (
                isinstance(value, list | tuple)
                and bool(value)
                and all(v in spec.choices for v in value)
            )
        elif spec.form == "topics":
            ok = isinstance(value, list | tuple) and all(
                isinstance(v, str) and _TOPIC.match(v) for v in value
            )
        else:
            ok = isinstance(value, list | tuple) and all(
                isinstance(v, str) and _NAME.match(v) for v in value
            )
        if not ok:
            raise self.fail(key, value, expected)
        return tuple(dict.fromkeys(value))

    def directory(self, raw: Mapping[str, Any], key: str, default: Path, expected: str) -> Path:
        value = raw.get(_leaf(key), default)
        if isinstance(value, Path):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, value, expected)
        return self.project_dir / value

    def view_path(
        self, raw: Mapping[str, Any], key: str, default: str | None, expected: str
    ) -> str:
        value = raw.get(_leaf(key), default)
        if not isinstance(value, str) or not value.startswith("/") or value == "/":
            raise self.fail(key, value, expected)
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
        if soft is not None and not 0 < soft <= sizes["hard"]:
            raise self.fail(
                f"{key}.soft",
                value["soft"],
                f"a positive size no larger than hard ({value['hard']})",
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
    r = _Reader(source, project_dir)
    for name, instead in REFUSED_SECRETS.items():
        if name in raw:
            raise ConfigError(
                name,
                "a stack secret would be copied (encrypted) into Pulumi's state, where the "
                f"dynamic provider's inputs are kept: remove it and use {instead}",
                source,
            )
    unknown = sorted(set(raw) - set(TOP_LEVEL_KEYS))
    if unknown:
        raise r.fail(unknown[0], raw[unknown[0]], f"one of the keys {', '.join(TOP_LEVEL_KEYS)}")
    stack = StackConfig(project_dir=project_dir, **r.section(raw, StackConfig, ""))
    _check_across_keys(r, stack)
    return stack


def _check_across_keys(r: _Reader, stack: StackConfig) -> None:
    """The rules that tie one key to another (or to a file), after each key is valid."""
    if stack.backend == "vast" and not stack.vms.address:
        raise ConfigError("vms.address", "is required when backend is 'vast'", r.source)
    from vastobs.kinds import kind_names, observatory_table
    from vastobs.sky_index import SCHEMA as SKY_SCHEMA

    known = kind_names(stack.project_dir)
    for obs in stack.observatories:
        for entry in obs.kinds:
            if entry.kind not in known:
                raise r.fail(
                    f"observatories.{obs.name}.kinds.{entry.kind}",
                    entry.kind,
                    f"one of the kinds {', '.join(known) or '(none: queries/kinds/ is empty)'}",
                )
            observatory_table(stack.project_dir, obs.name, entry)  # its DDL, checked
    _reject_overlaps(r, stack.observatories, stack.database)
    if stack.database.sky_index and any(o.name == SKY_SCHEMA for o in stack.observatories):
        raise r.fail(
            f"observatories.{SKY_SCHEMA}", SKY_SCHEMA, "another name: the sky index's schema is sky"
        )
    if stack.alerts.topics and any(o.name == "alerts" for o in stack.observatories):
        raise r.fail(
            "observatories.alerts", "alerts", "another name: the alert stream's schema is alerts"
        )
    if stack.alerts.gcn_domain not in (None, "gcn.nasa.gov", "test.gcn.nasa.gov"):
        raise r.fail(
            "alerts.gcn_domain", stack.alerts.gcn_domain, "gcn.nasa.gov or test.gcn.nasa.gov"
        )
    if stack.monitor.warn_percent > stack.monitor.critical_percent:
        raise r.fail(
            "monitor.warn_percent", stack.monitor.warn_percent, "a value not above critical_percent"
        )
    m = stack.monitor
    if m.lag_warn_messages > m.lag_critical_messages:
        raise r.fail(
            "monitor.lag_warn_messages",
            m.lag_warn_messages,
            "a value not above lag_critical_messages",
        )
    if 0 < m.stream_critical_seconds < m.stream_warn_seconds:
        raise r.fail(
            "monitor.stream_warn_seconds",
            m.stream_warn_seconds,
            "a value not above stream_critical_seconds (or 0: never)",
        )


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


def _size(n: int) -> str:
    for unit in ("PB", "TB", "GB", "MB", "KB"):
        if n % SIZE_UNITS[unit] == 0:
            return f"{n // SIZE_UNITS[unit]}{unit}"
    return str(n)


def _shown_default(f: Field[Any], hint: Any) -> str:
    """A key's default as a user would write it."""
    value = f.default
    if _is_section(hint):
        return ""
    if _entry_type(hint) or f.metadata["key"].form == "kinds":
        return "`{}`"
    if value is MISSING:
        return "required"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, QuotaConfig):
        return f"`{{hard: {_size(value.hard)}}}`"
    if isinstance(value, tuple):
        return f"`[{', '.join(value)}]`"
    if isinstance(value, int | float):
        return f"`{_number(value)}`"
    return f"`{value}`"


def _rows(cls: type, prefix: str) -> Iterator[tuple[str, str, str, str]]:
    for f, spec, hint in declared(cls):
        name = prefix + f.name
        quoted = allowed(hint, spec, lambda s: f"`{s}`")
        yield name, quoted, _shown_default(f, hint), spec.doc
        entry = _entry_type(hint)
        if _is_section(hint):
            yield from _rows(hint, f"{name}.")
        elif entry is not None:
            yield from _rows(entry, f"{name}.<name>.")


def key_table() -> str:
    """The key table of docs/configuration.md, rendered from the declarations."""
    lines = ["| key | allowed | default | what it is for |", "|---|---|---|---|"]
    lines += [f"| `{n}` | {a} | {d} | {doc} |" for n, a, d, doc in _rows(StackConfig, "")]
    return "\n".join(lines) + "\n"


def _region(document: str) -> tuple[int, int]:
    begin, end = document.find(TABLE_BEGIN), document.find(TABLE_END)
    if begin < 0 or end < begin:
        raise ValueError(f"no key table between {TABLE_BEGIN!r} and {TABLE_END!r}")
    return begin + len(TABLE_BEGIN), end


def table_in(document: str) -> str:
    """The generated region of ``document`` (between the two marker comments)."""
    begin, end = _region(document)
    return document[begin:end].strip("\n") + "\n"


def with_key_table(document: str) -> str:
    """``document`` with its generated region replaced by today's :func:`key_table`."""
    begin, end = _region(document)
    return f"{document[:begin]}\n\n{key_table()}\n{document[end:]}"  # blank lines: own blocks


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
    text = path.read_text(encoding="utf-8")
    # The stack file read once per text by PyYAML (vastobs/compile_cache.py): a command
    # on an unchanged stack imports no PyYAML.
    cache = CompileCache.for_project(project_dir)
    document = cache.yaml(text, lambda: _read_yaml(text, path)) or {}
    raw: dict[str, Any] = {}
    for name, value in (document.get("config") or {}).items():
        namespace, _, leaf = str(name).partition(":")
        if namespace == NAMESPACE and leaf:
            raw[leaf] = value
    return from_mapping(raw, project_dir, source=path.name)


def _read_yaml(text: str, path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError("", f"not valid YAML: {exc}", str(path)) from exc


def main(argv: list[str] | None = None) -> int:
    """Print the key table, or (``--write``) put it into docs/configuration.md."""
    parser = argparse.ArgumentParser(prog="python -m vastobs.config", description=main.__doc__)
    parser.add_argument("--write", action="store_true", help=f"rewrite the table in {DOCS}")
    args = parser.parse_args(argv)
    if not args.write:
        print(key_table(), end="")
        return 0
    path = find_project_dir() / DOCS
    path.write_text(with_key_table(path.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote the key table of {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
