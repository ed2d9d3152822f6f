"""What the VMS stand-in holds, and the rules VMS applies when objects change.

Records are shaped as the answers in devtools/vms_contract.py (views, quotas,
QoS and view policies, schemas, tables, columns, projections, clusters);
computed fields (a quota's ``state``, ``percent_capacity``, ``time_to_block``)
are derived on every read from the usage a test sets. Rule breaches raise
``VmsRefusal`` with the status and message a VMS would answer.
"""

from __future__ import annotations

import copy
import itertools
import uuid
from typing import Any

from devtools.vms_contract import QOS_LIMIT_DEFAULTS, filters

Record = dict[str, Any]
COLLECTIONS = ("views", "viewpolicies", "qospolicies", "quotas")
UNIQUE = {
    "views": ("path", "bucket", "name"),
    "viewpolicies": ("name",),
    "qospolicies": ("name",),
    "quotas": ("name", "path"),
}
RAW_TYPES = {"int64": "int64", "double": "double", "utf8": "string", "bool": "bool"}


class VmsRefusal(Exception):
    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


class VmsStore:
    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.records: dict[str, dict[int, Record]] = {k: {} for k in COLLECTIONS}
        self.schemas: dict[tuple[str, str], Record] = {}
        self.tables: dict[tuple[str, str, str], Record] = {}
        # (database, schema, table, name) -> {sorted: [...], unsorted: [...]}
        self.projections: dict[tuple[str, str, str, str], Record] = {}
        self.usage: dict[str, int] = {}  # path -> bytes used under it
        self.cluster: Record = {
            "id": 1,
            "name": "standin",
            "guid": str(uuid.UUID(int=1)),
            "usable_capacity_bytes": 2 * 10**15,
            "physical_space": 2 * 10**15,
            "logical_space": 6 * 10**15,
            "logical_space_in_use": 0,
            "physical_space_in_use": 0,
            "physical_space_in_use_percent": 0.0,
        }
        # Every cluster comes with a default view policy (id 1).
        self.create("viewpolicies", {"name": "default", "flavor": "NFS"})

    # --- collections -----------------------------------------------------

    def list(self, kind: str, query: dict[str, str]) -> list[Record]:
        found = [self.show(kind, r["id"]) for r in self.records[kind].values()]
        for field in filters(kind):
            if field in query:
                found = [r for r in found if str(r.get(field)) == query[field]]
        return found

    def get(self, kind: str, id_: int) -> Record:
        if id_ not in self.records[kind]:
            raise VmsRefusal(404, {"detail": "Not found."})
        return self.show(kind, id_)

    def create(self, kind: str, body: Record) -> Record:
        body = {k: v for k, v in body.items() if k != "create_dir"}
        self._check(kind, body, None)
        id_ = next(self._ids)
        record: Record = {"id": id_, "guid": str(uuid.uuid4()), **body}
        if kind == "views":
            record.setdefault("name", f"view-{id_}")
            record.setdefault("protocols", [])
        self.records[kind][id_] = record
        return self.show(kind, id_)

    def update(self, kind: str, id_: int, changes: Record) -> Record:
        if kind == "quotas":  # PATCH spells limits as strings of bytes
            changes = {k: int(v) if k.endswith("_limit") else v for k, v in changes.items()}
        current = self.get(kind, id_)
        self._check(kind, {**current, **changes}, id_)
        self.records[kind][id_].update(copy.deepcopy(changes))
        return self.show(kind, id_)

    def delete(self, kind: str, id_: int) -> None:
        self.get(kind, id_)
        if kind in ("viewpolicies", "qospolicies"):
            field = "policy_id" if kind == "viewpolicies" else "qos_policy_id"
            users = [v["path"] for v in self.records["views"].values() if v.get(field) == id_]
            if users:
                raise VmsRefusal(400, {"detail": f"policy is in use by views {users}"})
        del self.records[kind][id_]

    def show(self, kind: str, id_: int) -> Record:
        """The record as VMS answers it, computed fields included."""
        record = copy.deepcopy(self.records[kind][id_])
        if kind == "views":
            policy = self.records["viewpolicies"].get(record["policy_id"])
            record["policy"] = policy["name"] if policy else None
            record["logical_capacity"] = self.usage.get(record["path"], 0)
        elif kind == "quotas":
            record.update(self._quota_state(record))
        elif kind == "qospolicies":  # VMS answers every limit, unset ones as their default
            record["static_limits"] = {**QOS_LIMIT_DEFAULTS, **record.get("static_limits", {})}
        return record

    def _quota_state(self, quota: Record) -> Record:
        used = self.usage.get(quota["path"], 0)
        hard, soft = quota.get("hard_limit") or 0, quota.get("soft_limit") or 0
        state = "OK"
        if hard and used >= hard:
            state = "HARD_EXCEEDED"
        elif soft and used > soft:
            state = "SOFT_EXCEEDED"
        shown: Record = {
            "used_capacity": used,
            "used_effective_capacity": used,
            "percent_capacity": int(100 * used / hard) if hard else 0,
            "state": state,
            "pretty_state": state.replace("_", " ").title(),
        }
        if state == "SOFT_EXCEEDED":
            shown["time_to_block"] = quota.get("grace_period") or "7d"
        return shown

    def _check(self, kind: str, record: Record, id_: int | None) -> None:
        for field in UNIQUE[kind]:
            value = record.get(field)
            clash = [
                other_id
                for other_id, other in self.records[kind].items()
                if other_id != id_ and value is not None and other.get(field) == value
            ]
            if clash:
                raise VmsRefusal(400, {field: [f"{kind} with this {field} already exists"]})
        if kind == "views":
            if record.get("policy_id") not in self.records["viewpolicies"]:
                raise VmsRefusal(400, {"policy_id": [f"no view policy {record.get('policy_id')}"]})
            qos = record.get("qos_policy_id")
            if qos is not None and qos not in self.records["qospolicies"]:
                raise VmsRefusal(400, {"qos_policy_id": [f"no QoS policy {qos}"]})
            protocols = record.get("protocols") or []
            if "S3" in protocols and not record.get("bucket"):
                raise VmsRefusal(400, {"bucket": ["required with the S3 protocol"]})
            if "DATABASE" in protocols and "S3" not in protocols:
                raise VmsRefusal(400, {"protocols": ["DATABASE needs S3 (a bucket)"]})
        soft, hard = record.get("soft_limit"), record.get("hard_limit")
        if kind == "quotas" and soft and hard and soft > hard:
            raise VmsRefusal(400, {"soft_limit": ["must not exceed hard_limit"]})

    # --- VAST DB schemas and tables ---------------------------------------

    def _database(self, name: str) -> None:
        for view in self.records["views"].values():
            if view.get("bucket") == name and "DATABASE" in (view.get("protocols") or []):
                return
        raise VmsRefusal(404, {"detail": f"database {name!r} does not exist"})

    def list_schemas(self, query: dict[str, str]) -> list[Record]:
        self._database(query["database_name"])
        found = [s for (db, _), s in self.schemas.items() if db == query["database_name"]]
        if "name" in query:
            found = [s for s in found if s["name"] == query["name"]]
        return copy.deepcopy(found)

    def create_schema(self, body: Record) -> None:
        db, name = body["database_name"], body["name"]
        self._database(db)
        if (db, name) in self.schemas:
            raise VmsRefusal(409, {"detail": f"schema {name!r} already exists"})
        self.schemas[(db, name)] = {"database_name": db, "name": name}

    def delete_schema(self, body: Record) -> None:
        key = (body["database_name"], body["name"])
        if key not in self.schemas:
            raise VmsRefusal(404, {"detail": f"schema {body['name']!r} does not exist"})
        if any(t[:2] == key for t in self.tables):
            raise VmsRefusal(400, {"detail": f"schema {body['name']!r} is not empty"})
        del self.schemas[key]

    def _schema(self, db: str, schema: str) -> None:
        self._database(db)
        if (db, schema) not in self.schemas:
            raise VmsRefusal(404, {"detail": f"schema {schema!r} does not exist"})

    def list_tables(self, query: dict[str, str]) -> list[Record]:
        self._schema(query["database_name"], query["schema_name"])
        found = [
            self._table_record(key)
            for key in self.tables
            if key[:2] == (query["database_name"], query["schema_name"])
        ]
        if "name" in query:
            found = [t for t in found if t["name"] == query["name"]]
        return found

    def show_table(self, query: dict[str, str]) -> Record:
        key = (query["database_name"], query["schema_name"], query["name"])
        self._existing_table(key)
        return {**self._table_record(key), "is_external_rowid_alloc": False}

    def _table_record(self, key: tuple[str, str, str]) -> Record:
        table = self.tables[key]
        return {
            "database_name": key[0],
            "schema_name": key[1],
            "name": key[2],
            "num_rows": table["num_rows"],
            "size": table["size"],
        }

    def _existing_table(self, key: tuple[str, str, str]) -> Record:
        self._schema(*key[:2])
        if key not in self.tables:
            raise VmsRefusal(404, {"detail": f"table {key[1]}.{key[2]} does not exist"})
        return self.tables[key]

    def create_table(self, body: Record) -> None:
        key = (body["database_name"], body["schema_name"], body["name"])
        self._schema(*key[:2])
        if key in self.tables:
            raise VmsRefusal(409, {"detail": f"table {key[2]!r} already exists"})
        self.tables[key] = {"columns": [], "num_rows": 0, "size": 0}
        self._add(key, body["arrow_schema"])

    def add_columns(self, body: Record) -> None:
        key = (body["database_name"], body["schema_name"], body["name"])
        self._existing_table(key)
        self._add(key, body["arrow_schema"])

    def _add(self, key: tuple[str, str, str], columns: list[Record]) -> None:
        have = {c["name"] for c in self.tables[key]["columns"]}
        for column in columns:
            if column["name"] in have:
                raise VmsRefusal(400, {"detail": f"column {column['name']!r} already exists"})
            have.add(column["name"])
        self.tables[key]["columns"] += copy.deepcopy(columns)

    def delete_table(self, body: Record) -> None:
        key = (body["database_name"], body["schema_name"], body["name"])
        self._existing_table(key)
        del self.tables[key]
        for projection in [p for p in self.projections if p[:3] == key]:
            del self.projections[projection]  # a table's projections go with it

    # --- sorted projections of a table -------------------------------------

    def list_projections(self, query: dict[str, str]) -> list[Record]:
        key = (query["database_name"], query["schema_name"], query["table_name"])
        self._existing_table(key)
        found = [self._projection_record(p) for p in self.projections if p[:3] == key]
        if "name" in query:
            found = [p for p in found if p["name"] == query["name"]]
        return found

    def _projection_record(self, key: tuple[str, str, str, str]) -> Record:
        table = self.tables[key[:3]]
        return {
            "database_name": key[0], "schema_name": key[1], "table_name": key[2],
            "name": key[3], "num_rows": table["num_rows"], "size": table["size"],
        }  # fmt: skip

    def create_projection(self, body: Record) -> None:
        table_key = (body["database_name"], body["schema_name"], body["table_name"])
        table = self._existing_table(table_key)
        key = (*table_key, body["name"])
        if key in self.projections:
            raise VmsRefusal(409, {"detail": f"projection {body['name']!r} already exists"})
        sorted_columns = list(body["sorted_columns"])
        unsorted = list(body.get("unsorted_columns") or [])
        have = {c["name"] for c in table["columns"]}
        if not sorted_columns:
            raise VmsRefusal(400, {"sorted_columns": ["at least one column is required"]})
        unknown = [c for c in sorted_columns + unsorted if c not in have]
        if unknown:
            raise VmsRefusal(400, {"detail": f"column {unknown[0]!r} does not exist"})
        both = set(sorted_columns) & set(unsorted)
        if both or len(set(sorted_columns + unsorted)) != len(sorted_columns + unsorted):
            raise VmsRefusal(400, {"unsorted_columns": ["must not repeat a column"]})
        self.projections[key] = {"sorted": sorted_columns, "unsorted": unsorted}

    def delete_projection(self, body: Record) -> None:
        key = (body["database_name"], body["schema_name"], body["table_name"], body["name"])
        self._existing_table(key[:3])
        if key not in self.projections:
            raise VmsRefusal(404, {"detail": f"projection {key[3]!r} does not exist"})
        del self.projections[key]

    def list_projection_columns(self, query: dict[str, str]) -> list[Record]:
        """The sorted columns first, in their sort order (the spec gives no position field),
        then the others."""
        table_key = (query["database_name"], query["schema_name"], query["table_name"])
        table = self._existing_table(table_key)
        key = (*table_key, query["projection_name"])
        if key not in self.projections:
            raise VmsRefusal(404, {"detail": f"projection {key[3]!r} does not exist"})
        fields = {c["name"]: c["field"] for c in table["columns"]}
        projection = self.projections[key]
        names = ("database_name", "schema_name", "table_name", "projection_name")
        place = dict(zip(names, key, strict=True))
        found = [
            {
                **place,
                "name": name,
                "field": copy.deepcopy(fields[name]),
                "is_sorted": is_sorted,
                "raw_field": _raw(fields[name]),
            }
            for listed, is_sorted in ((projection["sorted"], True), (projection["unsorted"], False))
            for name in listed
            if name in fields  # a column dropped from the table leaves its projections
        ]
        if "name" in query:
            found = [c for c in found if c["name"] == query["name"]]
        return found

    def list_columns(self, query: dict[str, str]) -> list[Record]:
        key = (query["database_name"], query["schema_name"], query["table_name"])
        table = self._existing_table(key)
        found = [
            {
                "database_name": key[0],
                "schema_name": key[1],
                "table_name": key[2],
                "name": c["name"],
                "field": copy.deepcopy(c["field"]),
                "raw_field": _raw(c["field"]),
            }
            for c in table["columns"]
        ]
        if "name" in query:
            found = [c for c in found if c["name"] == query["name"]]
        return found


def _raw(field: Record) -> str:
    kind = field["column_type"]
    return RAW_TYPES.get(kind, kind)
