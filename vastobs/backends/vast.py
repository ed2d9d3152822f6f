"""The VAST backend: every declared object through the VMS REST API with vastpy.

Views, policies and quotas are VMS collections; VAST DB schemas, tables and
sorted projections go through VMS ``/schemas/``, ``/tables/``, ``/columns/``,
``/projections/`` and ``/projectioncolumns/`` too, so one client
(and one stand-in in tests) covers every resource. The vastdb SDK is the data
path only (loading rows), not used here.

TLS is verified by default: vastpy verifies nothing unless given a CA file,
so we always give one (the configured ``ca_cert``, else the system bundle).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import certifi
import urllib3
import vastpy

from vastobs.backends.base import Capacity, Record
from vastobs.backends.retry import READ_RETRY_STATUSES, TRANSIENT_STATUSES, Retries
from vastobs.backends.retry import retry_after_seconds as _retry_after
from vastobs.errors import BackendError, CreateOutcomeUnknown

IDEMPOTENT = frozenset({"get", "put", "patch", "delete"})
BACKOFF_SECONDS = 0.25  # the first pause; later ones double (vastobs/backends/retry.py)
DEFAULT_TIMEOUT_SECONDS = 30.0


class _Failure(vastpy.RESTFailure):
    """vastpy's failure plus the answer's ``Retry-After``, which vastpy drops."""

    retry_after: float | None = None


class _TimedClient(vastpy.VASTClient):
    """vastpy's addressing, auth headers and errors, with a timeout and one connection pool.

    vastpy 0.3.22 takes no timeout and builds a pool per request with urllib3's
    defaults (no timeout, silent retries, POST included for connection errors),
    so ``request`` is vastpy's with the pool, the timeout and ``retries=False``:
    every repeat is decided by the policy above it.
    """

    def __init__(
        self, *args: Any, timeout: float = DEFAULT_TIMEOUT_SECONDS, pool: Any = None, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self._timeout = timeout
        if pool is None:
            if self._cert_file:
                pool = urllib3.PoolManager(
                    ca_certs=self._cert_file, server_hostname=self._cert_server_name
                )
            else:
                pool = urllib3.PoolManager(cert_reqs="CERT_NONE")
                urllib3.disable_warnings(category=urllib3.exceptions.InsecureRequestWarning)
        self._pool = pool

    def __getitem__(self, part: Any) -> _TimedClient:
        child = super().__getitem__(part)
        child._timeout, child._pool = self._timeout, self._pool
        return child

    def request(self, method: str, fields: Any = None, data: Any = None) -> Any:
        if self._token:
            headers = {"authorization": f"Api-Token {self._token}"}
        else:
            headers = urllib3.make_headers(basic_auth=f"{self._user}:{self._password}")
        if self._tenant:
            headers["X-Tenant-Name"] = self._tenant
        body = None
        if data:
            headers["Content-Type"] = "application/json"
            body = json.dumps(data).encode()
        pairs = None
        if fields:
            pairs = [
                (k, item) for k, v in fields.items() for item in (v if isinstance(v, list) else [v])
            ]
        answer = self._pool.request(
            method, f"https://{self._address}/{self._url}/", headers=headers, fields=pairs,
            body=body, timeout=urllib3.Timeout(self._timeout), retries=False,
        )  # fmt: skip
        if answer.status not in vastpy.SUCCESS_CODES:
            failure = _Failure(method, self._url, pairs, answer.status, answer.data)
            failure.retry_after = _retry_after(answer.headers.get("Retry-After"))
            raise failure
        if "application/json" in answer.headers.get("Content-Type", "") and answer.data:
            return json.loads(answer.data)
        return answer.data


def _sent(exc: Exception) -> bool:
    """Whether the request may have reached VMS (else it is safe to send again)."""
    return not isinstance(
        exc, urllib3.exceptions.ConnectTimeoutError | urllib3.exceptions.NewConnectionError
    )


class VmsClient:
    """vastpy with a timeout, retries safe for each method, and errors that name the object.

    GET, PUT, PATCH and DELETE are repeated on 429/502/503/504, resets and
    timeouts; GET also on 500, the others on a first 500. A POST is repeated
    only when it never reached VMS (connection refused) or VMS said 429;
    otherwise its answer was lost and :class:`CreateOutcomeUnknown` tells the
    caller to look the object up first.
    """

    def __init__(self, target: dict[str, Any], *, password: str | None, token: str | None) -> None:
        address = str(target["address"])
        verify = target.get("verify_tls", True)
        self.timeout = float(target.get("timeout_seconds") or DEFAULT_TIMEOUT_SECONDS)
        self._client = _TimedClient(
            user=target.get("user") if password else None,
            password=password,
            token=token if not password else None,
            address=address,
            tenant=target.get("tenant"),
            cert_file=(target.get("ca_cert") or certifi.where()) if verify else None,
            cert_server_name=urlsplit(f"//{address}").hostname if verify else None,
            timeout=self.timeout,
        )

    def call(self, method: str, path: str, label: str, fields: Record | None = None) -> Any:
        """``method`` on ``/api/latest/<path>`` with ``fields`` as the query (GET) or the
        JSON body; ``label`` names the object in errors."""
        endpoint = self._client
        for part in path.strip("/").split("/"):
            endpoint = endpoint[part]
        where = f"{method.upper()} /{path.strip('/')}/"
        retries = Retries(BACKOFF_SECONDS)
        failed_500 = 0
        while True:
            try:
                return getattr(endpoint, method)(**(fields or {}))
            except vastpy.RESTFailure as exc:
                retry_after = getattr(exc, "retry_after", None)
                failed_500 += exc.status == 500
                if self._repeat(method, exc.status, failed_500) and retries.wait(retry_after):
                    continue
                message = f"{label}: VMS answered {exc.status} to {where}: {_detail(exc.data)}"
                if retries.attempt > 1:
                    message += f" ({retries.spent()})"
                if method == "post" and exc.status >= 500:
                    raise CreateOutcomeUnknown(
                        message, retryable=exc.status in TRANSIENT_STATUSES, retry_after=retry_after
                    ) from None
                raise BackendError(message) from None
            except urllib3.exceptions.SSLError as exc:  # a wrong CA stays wrong: no repeat
                raise BackendError(
                    f"{label}: cannot reach VMS at {self._client._address}: {exc}"
                ) from None
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                if (method in IDEMPOTENT or not _sent(exc)) and retries.wait():
                    continue
                message = self._unreachable(label, where, exc, retries)
                if method == "post" and _sent(exc):
                    raise CreateOutcomeUnknown(message, retryable=True, retry_after=None) from None
                raise BackendError(message) from None

    @staticmethod
    def _repeat(method: str, status: int, failed_500: int) -> bool:
        if method == "get":
            return status in READ_RETRY_STATUSES
        if method in IDEMPOTENT:  # a 500 once: repeating these cannot change the outcome
            return status in TRANSIENT_STATUSES or (status == 500 and failed_500 == 1)
        return status == 429  # a POST refused by a limiter did nothing

    def _unreachable(self, label: str, where: str, exc: Exception, retries: Retries) -> str:
        address = self._client._address
        if isinstance(exc, urllib3.exceptions.ReadTimeoutError | TimeoutError):
            return (
                f"{label}: VMS at {address} did not answer {where} within "
                f"{self.timeout:g} s (vms.timeout_seconds; {retries.spent()})"
            )
        reason = getattr(exc, "reason", None) or exc
        return f"{label}: cannot reach VMS at {address}: {reason} ({retries.spent()})"

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
        _delete(self.client, f"{self.kind}/{id_}", f"{self.kind} {id_}")


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
        _delete(
            self.client, "schemas/delete", f"schema {schema}",
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
        _delete(
            self.client, "tables/delete", f"table {schema}.{table}",
            _table_key(database, schema, table),
        )  # fmt: skip

    # --- sorted projections: VMS /projections/ and /projectioncolumns/ -------------------

    def projection(self, database: str, schema: str, table: str, name: str) -> Record | None:
        """Its columns from ``/projectioncolumns/``: VMS lists a projection with no columns."""
        key = {"database_name": database, "schema_name": schema, "table_name": table}
        label = f"projection {name} of {schema}.{table}"
        try:  # a missing schema or table answers 404: no projection either
            found = self.client.list("projections", label, {**key, "name": name})
            if not any(p.get("name") == name for p in found):
                return None
            columns = self.client.list("projectioncolumns", label, {**key, "projection_name": name})
        except BackendError as exc:
            if "answered 404" in str(exc):
                return None
            raise
        return {
            "name": name,
            "sorted_columns": [c["name"] for c in columns if c.get("is_sorted")],
            "unsorted_columns": [c["name"] for c in columns if not c.get("is_sorted")],
        }

    def create_projection(
        self, database: str, schema: str, table: str, name: str,
        sorted_columns: list[str], unsorted_columns: list[str],
    ) -> None:  # fmt: skip
        body = {
            "database_name": database, "schema_name": schema, "table_name": table, "name": name,
            "sorted_columns": sorted_columns, "unsorted_columns": unsorted_columns,
        }  # fmt: skip
        self.client.call("post", "projections", f"projection {name} of {schema}.{table}", body)

    def delete_projection(self, database: str, schema: str, table: str, name: str) -> None:
        _delete(
            self.client, "projections/delete", f"projection {name} of {schema}.{table}",
            {"database_name": database, "schema_name": schema, "table_name": table, "name": name},
        )  # fmt: skip


def _delete(client: VmsClient, path: str, label: str, fields: Record | None = None) -> None:
    """A delete; 404 counts as done (a repeat after a lost answer finds it gone)."""
    try:
        client.call("delete", path, label, fields)
    except BackendError as exc:
        if "answered 404" not in str(exc):
            raise


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
