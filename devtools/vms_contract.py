"""What the project uses of the VMS REST API: the VMS stand-in's contract.

Each endpoint vastobs calls (and the stand-in serves) under ``/api/latest``,
with the facts of VAST's VMS OpenAPI spec 5.3.0 that matter to it: method and
path, success statuses, the query parameters asked for, and the body fields
sent and answered, with JSON types, enums and which are required. Typed by
hand, so every clone has it; tests/test_vms_contract.py checks it against the
spec file where a copy is at hand. A field or endpoint the project starts to
use is added here first, or the stand-in refuses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Field:
    """One JSON value: its type, its allowed values, and what it holds."""

    type: str  # 'string', 'integer', 'number', 'boolean', 'array' or 'object'
    enum: tuple[str, ...] = ()
    items: Field | None = None  # an array's elements
    body: Body | None = None  # an object's fields, where the spec names them


@dataclass(frozen=True)
class Body:
    """A JSON object: every field it may hold (others are refused), and the required ones."""

    fields: Mapping[str, Field]
    required: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Param:
    type: str  # 'string', 'integer' or 'boolean', as the spec declares it
    required: bool = False


@dataclass(frozen=True)
class Endpoint:
    method: str  # 'GET', 'POST', 'PATCH' or 'DELETE'
    path: str  # under /api/latest, '{id}' for the object's id: '/views/{id}/'
    statuses: tuple[int, ...]  # on success; errors (4xx, 5xx) may answer any endpoint
    query: Mapping[str, Param] = field(default_factory=dict)
    request: Body | None = None  # None: no body
    answer: Body | None = None  # None: no body
    listed: bool = False  # the answer is a list of ``answer`` records

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def obj(*required: str, **fields: Field) -> Body:
    return Body(fields, frozenset(required))


STRING, INTEGER, NUMBER = Field("string"), Field("integer"), Field("number")
BOOLEAN = Field("boolean")
OBJECT = Field("object")  # any object: the spec names no fields
STRINGS = Field("array", items=STRING)
TEXT, WHOLE = Param("string"), Param("integer")  # optional query parameters


def one_of(*values: str) -> Field:
    return Field("string", enum=values)


# --- views -------------------------------------------------------------------
# An array of these values. The spec's View (the answer) puts this enum on the
# array instead of its items, a defect: taken literally it refuses every view.
PROTOCOLS = Field(
    "array", items=one_of("NFS", "SMB", "NFS4", "S3", "DATABASE", "ENDPOINT", "KAFKA", "BLOCK")
)
VIEW_FIELDS = {
    "name": STRING,
    "path": STRING,
    "protocols": PROTOCOLS,
    "policy_id": INTEGER,
    "qos_policy_id": INTEGER,
    "bucket": STRING,
    "bucket_owner": STRING,
}
VIEW = obj(
    "path", "policy_id", id=INTEGER, guid=STRING, **VIEW_FIELDS,
    policy=STRING, logical_capacity=INTEGER, tenant_name=STRING,
)  # fmt: skip

# --- view policies -----------------------------------------------------------
FLAVOR = one_of("NFS", "SMB", "MIXED_LAST_WINS", "S3_NATIVE")
HOSTS = {"nfs_read_write": STRINGS, "nfs_read_only": STRINGS, "s3_read_write": STRINGS}
# The spec answers nfs_read_only as a string (requests send a list); no stack sets it.
VIEW_POLICY = obj(
    "name", id=INTEGER, guid=STRING, name=STRING, flavor=FLAVOR,
    **{**HOSTS, "nfs_read_only": STRING},
)  # fmt: skip

# --- QoS policies ------------------------------------------------------------
QOS_LIMITS = (
    "max_reads_bw_mbps", "max_writes_bw_mbps", "max_reads_iops", "max_writes_iops",
    "min_reads_bw_mbps", "min_writes_bw_mbps", "min_reads_iops", "min_writes_iops",
    "burst_reads_bw_mb", "burst_writes_bw_mb", "burst_reads_loan_mb", "burst_writes_loan_mb",
    "burst_reads_iops", "burst_writes_iops", "burst_reads_loan_iops", "burst_writes_loan_iops",
)  # fmt: skip
QOS_LIMIT_DEFAULTS = dict.fromkeys(QOS_LIMITS, 0)  # VMS answers an unset limit as 0
QOS_FIELDS = {"is_gold": BOOLEAN, "limit_by": one_of("BW", "IOPS", "BW_IOPS")}
MODE = one_of("STATIC", "USED_CAPACITY", "PROVISIONED_CAPACITY")
POLICY_TYPE = one_of("VIEW", "USER")
LIMITS_SENT = Field("object", body=obj(**dict.fromkeys(QOS_LIMITS, INTEGER)))
LIMITS_ANSWERED = Field("object", body=obj(*QOS_LIMITS, **dict.fromkeys(QOS_LIMITS, INTEGER)))
QOS_POLICY = obj(
    "name", id=INTEGER, guid=STRING, name=STRING, mode=MODE, policy_type=POLICY_TYPE,
    **QOS_FIELDS, static_limits=LIMITS_ANSWERED,
)  # fmt: skip

# --- quotas ------------------------------------------------------------------
QUOTA_STATE = one_of(
    "OK", "SOFT_EXCEEDED", "HARD_EXCEEDED", "SOFT_BOTH_EXCEEDED", "HARD_BOTH_EXCEEDED",
    "INODE_SOFT_EXCEEDED", "INODE_HARD_EXCEEDED", "GRACE_EXPIRED", "FAILED",
)  # fmt: skip
QUOTA = obj(
    "name", "path", id=INTEGER, guid=STRING, name=STRING, path=STRING, hard_limit=INTEGER,
    soft_limit=INTEGER, grace_period=STRING, used_capacity=INTEGER,
    used_effective_capacity=INTEGER, percent_capacity=INTEGER, state=QUOTA_STATE,
    pretty_state=STRING, time_to_block=STRING,
)  # fmt: skip

# --- clusters ----------------------------------------------------------------
CLUSTER = obj(
    "name", id=INTEGER, name=STRING, guid=STRING, usable_capacity_bytes=INTEGER,
    physical_space=INTEGER, logical_space=INTEGER, logical_space_in_use=INTEGER,
    physical_space_in_use=INTEGER, physical_space_in_use_percent=NUMBER,
)  # fmt: skip

# --- VAST DB schemas, tables and columns -------------------------------------
SCHEMA_KEY = obj("database_name", "name", database_name=STRING, name=STRING)
TABLE_KEY = obj(
    "database_name", "schema_name", "name", database_name=STRING, schema_name=STRING, name=STRING
)
ARROW_COLUMN = obj(
    "name", "field", name=STRING, field=Field("object", body=obj(column_type=STRING))
)
ARROW_SCHEMA = Field("array", items=Field("object", body=ARROW_COLUMN))
TABLE_COLUMNS = obj(
    *TABLE_KEY.required, "arrow_schema", **TABLE_KEY.fields, arrow_schema=ARROW_SCHEMA
)
TABLE = obj(
    *TABLE_KEY.required, "num_rows", "size", **TABLE_KEY.fields, num_rows=INTEGER, size=INTEGER
)
SHOWN_TABLE = obj(*TABLE.required, **TABLE.fields, is_external_rowid_alloc=BOOLEAN)
COLUMN = obj(
    "database_name", "schema_name", "table_name", "name", "field", "raw_field",
    database_name=STRING, schema_name=STRING, table_name=STRING, name=STRING, field=OBJECT,
    raw_field=STRING,
)  # fmt: skip
IN_TABLE = {"database_name": Param("string", True), "schema_name": Param("string", True)}

# --- VAST DB sorted projections (the spec: "semi-sorted projections") ---------
PROJECTION_KEY = obj(
    "database_name", "schema_name", "table_name", "name",
    database_name=STRING, schema_name=STRING, table_name=STRING, name=STRING,
)  # fmt: skip
PROJECTION_CREATE = obj(
    *PROJECTION_KEY.required, "sorted_columns", **PROJECTION_KEY.fields,
    sorted_columns=STRINGS, unsorted_columns=STRINGS,
)  # fmt: skip
PROJECTION = obj(
    *PROJECTION_KEY.required, "num_rows", "size", **PROJECTION_KEY.fields,
    num_rows=INTEGER, size=INTEGER, properties=STRING,
)  # fmt: skip
# A column of a projection: ``is_sorted`` says whether it sorts the rows (no position given).
PROJECTION_COLUMN = obj(
    *PROJECTION_KEY.required, "projection_name", "field", "raw_field", "is_sorted",
    **PROJECTION_KEY.fields, projection_name=STRING, field=OBJECT, raw_field=STRING,
    is_sorted=BOOLEAN,
)  # fmt: skip
OF_TABLE = {**IN_TABLE, "table_name": Param("string", True)}


def collection(
    kind: str, record: Body, create: Body, change: Body, query: Mapping[str, Param],
    *, change_answers: bool = False,
) -> tuple[Endpoint, ...]:  # fmt: skip
    """List, create, read, patch and delete: a VMS collection's five endpoints."""
    one = f"/{kind}/{{id}}/"
    return (
        Endpoint("GET", f"/{kind}/", (200,), query, answer=record, listed=True),
        Endpoint("POST", f"/{kind}/", (201,), request=create, answer=record),
        Endpoint("GET", one, (200,), answer=record),
        # The spec gives a PATCH answer a body for QoS policies only.
        Endpoint("PATCH", one, (200,), request=change, answer=record if change_answers else None),
        Endpoint("DELETE", one, (204,)),
    )


ENDPOINTS: tuple[Endpoint, ...] = (
    *collection(
        "views", VIEW,
        obj("path", "policy_id", **VIEW_FIELDS, create_dir=BOOLEAN), obj(**VIEW_FIELDS),
        {"page": WHOLE, "page_size": WHOLE, "name": TEXT, "path": TEXT, "bucket": TEXT,
         "policy_id": TEXT},
    ),
    *collection(
        "viewpolicies", VIEW_POLICY,
        obj("name", name=STRING, flavor=FLAVOR, **HOSTS), obj(name=STRING, flavor=FLAVOR, **HOSTS),
        {"page": TEXT, "name": TEXT},
    ),
    *collection(
        "qospolicies", QOS_POLICY,
        obj("name", name=STRING, mode=MODE, policy_type=POLICY_TYPE, **QOS_FIELDS,
            static_limits=LIMITS_SENT),
        obj(**QOS_FIELDS, static_limits=LIMITS_SENT),  # no name: VMS cannot rename one
        {"page": WHOLE, "page_size": WHOLE},
        change_answers=True,
    ),
    *collection(
        "quotas", QUOTA,
        obj("name", "path", name=STRING, path=STRING, hard_limit=INTEGER, soft_limit=INTEGER,
            grace_period=STRING),
        # PATCH spells the limits as strings (bytes); POST as integers.
        obj(name=STRING, hard_limit=STRING, soft_limit=STRING, grace_period=STRING),
        {"page": TEXT, "page_size": TEXT, "name": TEXT, "hard_limit": TEXT, "soft_limit": TEXT},
    ),
    Endpoint("GET", "/clusters/", (200,), {"page": TEXT}, answer=CLUSTER, listed=True),
    Endpoint("GET", "/schemas/", (200,), {"page": WHOLE, "page_size": WHOLE,
             "database_name": TEXT, "name": TEXT}, answer=SCHEMA_KEY, listed=True),
    Endpoint("POST", "/schemas/", (201,), request=SCHEMA_KEY),
    Endpoint("DELETE", "/schemas/delete/", (204,), request=SCHEMA_KEY),
    Endpoint("GET", "/tables/", (200,), {"page": WHOLE, "page_size": WHOLE, **IN_TABLE,
             "name": TEXT}, answer=TABLE, listed=True),
    Endpoint("POST", "/tables/", (201,), request=TABLE_COLUMNS),
    Endpoint("GET", "/tables/show/", (200,), {**IN_TABLE, "name": Param("string", True)},
             answer=SHOWN_TABLE),
    Endpoint("PATCH", "/tables/add_columns/", (204,), request=TABLE_COLUMNS),
    Endpoint("DELETE", "/tables/delete/", (204,), request=TABLE_KEY),
    Endpoint("GET", "/columns/", (200,), {"page": WHOLE, "page_size": WHOLE, **IN_TABLE,
             "table_name": Param("string", True), "name": TEXT}, answer=COLUMN, listed=True),
    Endpoint("GET", "/projections/", (200,), {"page": WHOLE, "page_size": WHOLE, **OF_TABLE,
             "name": TEXT}, answer=PROJECTION, listed=True),
    Endpoint("POST", "/projections/", (201,), request=PROJECTION_CREATE),
    Endpoint("DELETE", "/projections/delete/", (204,), request=PROJECTION_KEY),
    Endpoint("GET", "/projectioncolumns/", (200,), {"page": WHOLE, "page_size": WHOLE,
             **OF_TABLE, "projection_name": Param("string", True), "name": TEXT},
             answer=PROJECTION_COLUMN, listed=True),
)  # fmt: skip
PAGING = frozenset({"page", "page_size"})


def endpoint_for(method: str, path: str) -> tuple[Endpoint, str | None] | None:
    """The endpoint serving ``path`` (under /api/latest), and the ``{id}`` in it."""
    for endpoint in ENDPOINTS:
        head, _, tail = endpoint.path.partition("{id}")
        if endpoint.method != method:
            continue
        if not tail and path == head:
            return endpoint, None
        if tail and path.startswith(head) and path.endswith(tail):
            id_ = path[len(head) : len(path) - len(tail)]
            if id_ and "/" not in id_:
                return endpoint, id_
    return None


def filters(kind: str) -> tuple[str, ...]:
    """The fields a collection's list selects by (its query parameters but paging)."""
    listing = endpoint_for("GET", f"/{kind}/")
    assert listing is not None, kind
    return tuple(name for name in listing[0].query if name not in PAGING)


# --- holding requests and answers to the contract ---------------------------


def query_problems(endpoint: Endpoint, query: Mapping[str, str]) -> list[str]:
    """Declared parameters typed, required ones present; others ignored, as VMS does."""
    problems = []
    for name, param in endpoint.query.items():
        value = query.get(name)
        if value is None:
            if param.required:
                problems.append(f"query parameter {name!r} is required")
        elif param.type == "integer" and not value.lstrip("-").isdigit():
            problems.append(f"query parameter {name!r}={value!r} is not an integer")
        elif param.type == "boolean" and value.lower() not in ("true", "false"):
            problems.append(f"query parameter {name!r}={value!r} is not a boolean")
    return problems


def request_problems(endpoint: Endpoint, body: Any) -> list[str]:
    if endpoint.request is None:
        return [] if body in (None, {}) else ["takes no body"]
    if body is None:
        return ["needs a body"]
    return body_problems(endpoint.request, body, "body")


def answer_problems(endpoint: Endpoint, status: int, body: Any) -> list[str]:
    if status >= 400:
        return []  # errors: VMS answers them for any endpoint
    if status not in endpoint.statuses:
        return [f"answered {status}, the contract allows {list(endpoint.statuses)}"]
    if endpoint.answer is None:
        return [] if body is None else ["answered a body where there is none"]
    if not endpoint.listed:
        return body_problems(endpoint.answer, body, "answer")
    if isinstance(body, dict) and "results" in body:
        body = body["results"]  # the paged form some VMS versions answer
    if not isinstance(body, list):
        return [f"answer: {_short(body)} is not a list"]
    return [p for i, r in enumerate(body) for p in body_problems(endpoint.answer, r, f"[{i}]")]


def body_problems(body: Body, value: Any, where: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where}: {_short(value)} is not an object"]
    problems = [f"{where}: unknown field {k!r}" for k in sorted(set(value) - set(body.fields))]
    missing = sorted(body.required - set(value))
    problems += [f"{where}: missing required field {k!r}" for k in missing]
    for name, spec in body.fields.items():
        if name in value:
            problems += field_problems(spec, value[name], f"{where}.{name}")
    return problems


def field_problems(spec: Field, value: Any, where: str) -> list[str]:
    if not isinstance(value, TYPES[spec.type]) or (
        isinstance(value, bool) and spec.type != "boolean"
    ):
        return [f"{where}: {_short(value)} is not of type {spec.type!r}"]
    if spec.enum and value not in spec.enum:
        return [f"{where}: {value!r} is not one of {list(spec.enum)}"]
    if spec.items is not None:
        items = spec.items
        return [p for i, v in enumerate(value) for p in field_problems(items, v, f"{where}[{i}]")]
    if spec.body is not None:
        return body_problems(spec.body, value, where)
    return []


TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
