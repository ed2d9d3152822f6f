"""The VAST backend: every declared object through the VMS REST API with vastpy.

Views, policies and quotas are VMS collections; VAST DB schemas and tables go
through VMS ``/schemas/``, ``/tables/`` and ``/columns/`` too, so one client
(and one stand-in in tests) covers every resource. The vastdb SDK is the data
path only (loading rows), not used here.

TLS is verified by default: vastpy verifies nothing unless given a CA file,
so we always give one (the configured ``ca_cert``, else the system bundle).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import certifi
import urllib3
import vastpy

from vastobs.backends.base import Capacity, Record
from vastobs.errors import BackendError

IDEMPOTENT = frozenset({"get", "put", "patch", "delete"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
ATTEMPTS = 4
BACKOFF_SECONDS = 0.2


class VmsClient:
    """vastpy with retries for idempotent calls and errors that name the object."""

    def __init__(self, target: dict[str, Any], *, password: str | None, token: str | None) -> None:
        address = str(target["address"])
        verify = target.get("verify_tls", True)
        self._client = vastpy.VASTClient(
            user=target.get("user") if password else None,
            password=password,
            token=token if not password else None,
            address=address,
            tenant=target.get("tenant"),
            cert_file=(target.get("ca_cert") or certifi.where()) if verify else None,
            cert_server_name=urlsplit(f"//{address}").hostname if verify else None,
        )

    def call(self, method: str, path: str, label: str, fields: Record | None = None) -> Any:
        """``method`` on ``/api/latest/<path>`` with ``fields`` as the query (GET) or the
        JSON body; ``label`` names the object in errors."""
        endpoint = self._client
        for part in path.strip("/").split("/"):
            endpoint = endpoint[part]
        attempts = ATTEMPTS if method in IDEMPOTENT else 1
        for attempt in range(1, attempts + 1):
            try:
                return getattr(endpoint, method)(**(fields or {}))
            except vastpy.RESTFailure as exc:
                if exc.status in RETRY_STATUSES and attempt < attempts:
                    time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
                    continue
                raise BackendError(
                    f"{label}: VMS answered {exc.status} to {method.upper()} /{path.strip('/')}/: "
                    f"{_detail(exc.data)}"
                ) from None
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                if attempt < attempts:
                    time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
                    continue
                reason = getattr(exc, "reason", None) or exc
                raise BackendError(
                    f"{label}: cannot reach VMS at {self._client._address}: {reason}"
                ) from None
        raise AssertionError("unreachable")

    def get_optional(self, path: str, label: str) -> Any:
        try:
            return self.call("get", path, label)
        except BackendError as exc:
            if "answered 404" in str(exc):
                return None
            raise

    def list(self, path: str, label: str, params: Record | None = None) -> list[Record]:
        """Every record, whether VMS answers a bare list or pages ``{count, next, results}``."""
        records: list[Record] = []
        while True:
            page = self.call("get", path, label, params)
            if isinstance(page, list):
                return records + page
            records += page.get("results") or []
            following = page.get("next")
            if not following:
                return records
            params = {k: v[0] for k, v in parse_qs(urlsplit(following).query).items()}


def _detail(data: bytes | None) -> str:
    text = (data or b"").decode("utf-8", "replace").strip()
    return text[:300] or "no details"


class VmsCollection:
    def __init__(self, client: VmsClient, kind: str) -> None:
        self.client, self.kind = client, kind

    def list(self, **filters: Any) -> list[Record]:
        query = {k: v for k, v in filters.items() if v is not None}
        where = " where " + ", ".join(f"{k}={v}" for k, v in query.items()) if query else ""
        return self.client.list(self.kind, f"{self.kind}{where}", query)

    def get(self, id_: int) -> Record | None:
        return self.client.get_optional(f"{self.kind}/{id_}", f"{self.kind} {id_}")

    def create(self, body: Record) -> Record:
        label = f"{self.kind} {body.get('name') or body.get('path')}"
        return self.client.call("post", self.kind, label, body)

    def update(self, id_: int, changes: Record) -> Record:
        label = f"{self.kind} {id_}"
        answer = self.client.call("patch", f"{self.kind}/{id_}", label, changes)
        # The spec gives most PATCH answers no body: read the object back then.
        return (
            answer
            if isinstance(answer, dict)
            else self.client.call("get", f"{self.kind}/{id_}", label)
        )

    def delete(self, id_: int) -> None:
        try:
            self.client.call("delete", f"{self.kind}/{id_}", f"{self.kind} {id_}")
        except BackendError as exc:
            if "answered 404" not in str(exc):  # already gone counts as deleted
                raise


class VmsCatalog:
    def __init__(self, client: VmsClient) -> None:
        self.client = client

    def schema_exists(self, database: str, schema: str) -> bool:
        found = self.client.list(
            "schemas", f"schema {schema}", {"database_name": database, "name": schema}
        )
        return any(s.get("name") == schema for s in found)

    def create_schema(self, database: str, schema: str) -> None:
        self.client.call(
            "post", "schemas", f"schema {schema}", {"database_name": database, "name": schema}
        )

    def delete_schema(self, database: str, schema: str) -> None:
        self.client.call(
            "delete", "schemas/delete", f"schema {schema}",
            {"database_name": database, "name": schema},
        )  # fmt: skip

    def _table(self, database: str, schema: str, table: str) -> Record | None:
        found = self.client.list(
            "tables", f"table {schema}.{table}", _table_key(database, schema, table)
        )
        return next((t for t in found if t.get("name") == table), None)

    def columns(self, database: str, schema: str, table: str) -> list[Record] | None:
        if self._table(database, schema, table) is None:
            return None
        live = self.client.list(
            "columns", f"table {schema}.{table}",
            {"database_name": database, "schema_name": schema, "table_name": table},
        )  # fmt: skip
        return [
            {"name": c["name"], "field": {"column_type": c["field"]["column_type"]}} for c in live
        ]

    def table_rows(self, database: str, schema: str, table: str) -> int | None:
        if self._table(database, schema, table) is None:
            return None
        shown = self.client.call(
            "get", "tables/show", f"table {schema}.{table}", _table_key(database, schema, table)
        )
        return int(shown.get("num_rows") or 0)

    def create_table(
        self, database: str, schema: str, table: str, arrow_schema: list[Record]
    ) -> None:
        body = {**_table_key(database, schema, table), "arrow_schema": arrow_schema}
        self.client.call("post", "tables", f"table {schema}.{table}", body)

    def add_columns(
        self, database: str, schema: str, table: str, arrow_schema: list[Record]
    ) -> None:
        body = {**_table_key(database, schema, table), "arrow_schema": arrow_schema}
        self.client.call("patch", "tables/add_columns", f"table {schema}.{table}", body)

    def delete_table(self, database: str, schema: str, table: str) -> None:
        self.client.call(
            "delete", "tables/delete", f"table {schema}.{table}",
            _table_key(database, schema, table),
        )  # fmt: skip


def _table_key(database: str, schema: str, table: str) -> Record:
    return {"database_name": database, "schema_name": schema, "name": table}


class VastBackend:
    def __init__(self, target: dict[str, Any], *, password: str | None, token: str | None) -> None:
        self.client = VmsClient(target, password=password, token=token)

    def collection(self, kind: str) -> VmsCollection:
        return VmsCollection(self.client, kind)

    def catalog(self) -> VmsCatalog:
        return VmsCatalog(self.client)

    def view_holds_data(self, view: Record) -> bool:
        return int(view.get("logical_capacity") or 0) > 0

    def remove_view_data(self, view: Record) -> None:
        """VAST keeps a deleted view's directory: nothing to do."""

    def capacity(self) -> Capacity | None:
        """The first cluster's usable and used space from VMS ``/clusters/``; None when
        VMS will not say (a tenant user may not read clusters)."""
        try:
            clusters = self.client.list("clusters", "clusters")
        except BackendError:
            return None
        if not clusters:
            return None
        cluster = clusters[0]
        return Capacity(
            cluster.get("usable_capacity_bytes") or cluster.get("physical_space"),
            cluster.get("physical_space_in_use"),
            f"cluster {cluster.get('name', '?')}",
        )
