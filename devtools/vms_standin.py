"""A VMS stand-in for tests: HTTPS, held to the API contract, faults and a call log.

Nobody can run a VAST cluster here, so this stands in for its management API,
the endpoints the project uses (views, view and QoS policies, quotas, VAST DB
schemas, tables, columns and sorted projections, clusters) at ``/api/latest/``. It is strict where
VMS is strict: Basic or API-token authentication, required fields and enums,
404 for a missing id, 201/204 as the spec says, filters the spec declares (and
only those: VMS ignores unknown query parameters, so the client must filter
what it cannot ask for). Every request and answer is held to the contract in
devtools/vms_contract.py, the spec's facts for what the project uses (unknown
fields refused, types, enums, required fields, statuses); what fails is in
``spec_violations``, which every test asserts is empty.

Lists are answered bare, as the spec shapes them, or in the paged
``{count, next, previous, results}`` form when ``page``/``page_size`` are sent
or ``page_size`` is forced (some VMS versions always page).

``python -m devtools.vms_standin serve`` runs one in the foreground for a
person trying the ``vast`` backend (``Pulumi.standin.yaml``): it writes its CA
certificate, a fresh admin password and its address under ``--dir``, the files
that stack names, and holds its objects in memory until Ctrl-C.
``python -m devtools.vms_standin drop-projection SCHEMA.TABLE`` deletes a
table's sorted projection through the API, as an operator would out of band.
"""

from __future__ import annotations

import base64
import json
import random
import socket
import ssl
import struct
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import trustme

from devtools import vms_contract as contract
from devtools.vms_contract import Endpoint
from devtools.vms_store import COLLECTIONS, Record, VmsRefusal, VmsStore

API_PREFIX = "/api/latest"
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Call:
    method: str
    path: str  # relative to /api/latest, e.g. '/views/3/'
    query: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class Fault:
    """Applied to the next ``times`` requests whose method and path prefix match.

    ``status`` answers it without acting, ``reset`` drops the connection without
    acting, ``lost`` acts and then drops the connection (the answer is lost),
    ``delay`` stalls first; ``retry_after`` adds that header to a ``status``.
    """

    status: int | None = None
    delay: float = 0.0
    reset: bool = False
    lost: bool = False
    retry_after: str | None = None
    method: str | None = None
    path: str = "/"
    times: int = 1

    def matches(self, method: str, path: str) -> bool:
        return (self.method in (None, method)) and path.startswith(self.path) and self.times > 0


# What a random fault is, evenly: refused (503 or 500), dropped before acting, or
# acted on with the answer lost.
RANDOM_KINDS: tuple[dict[str, Any], ...] = (
    {"status": 503}, {"status": 500}, {"reset": True}, {"lost": True},
)  # fmt: skip


@dataclass
class _Answer:
    status: int
    body: Any = None
    problems: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


class VmsStandin:
    def __init__(
        self,
        *,
        user: str = "admin",
        password: str | None = None,
        token: str | None = None,
        page_size: int | None = None,
        port: int = 0,
    ) -> None:
        self.user, self.password, self.token = user, password, token
        self.page_size, self.port = page_size, port
        self.store = VmsStore()
        self.calls: list[Call] = []
        self.spec_violations: list[str] = []
        self._faults: list[Fault] = []
        self._random: tuple[float, random.Random] | None = None
        self.faults_served: dict[str, int] = {}
        self._lock = threading.RLock()
        self._dir = tempfile.TemporaryDirectory(prefix="vms-standin-")
        self._ca = trustme.CA()
        self.ca_cert_path = Path(self._dir.name) / "ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_cert_path))
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle ---------------------------------------------------------

    def __enter__(self) -> VmsStandin:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        standin = self

        class Handler(_Handler):
            owner = standin

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        server.socket = context.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )
        server.handle_error = lambda request, address: None  # clients that drop TLS: not ours
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self._dir.cleanup()

    @property
    def address(self) -> str:
        assert self._server is not None, "use VmsStandin as a context manager"
        return f"127.0.0.1:{self._server.server_address[1]}"

    # --- what tests look at and change -------------------------------------

    def mutating_calls(self) -> list[Call]:
        return [c for c in self.calls if c.method in MUTATING]

    def reset_calls(self) -> None:
        with self._lock:
            self.calls.clear()

    def objects(self, kind: str) -> list[Record]:
        """What VMS holds, as it would answer: a collection, or 'schemas' / 'tables' /
        'projections' (with their columns)."""
        with self._lock:
            if kind in COLLECTIONS:
                return [self.store.show(kind, id_) for id_ in self.store.records[kind]]
            if kind == "schemas":
                return [dict(s) for s in self.store.schemas.values()]
            if kind == "tables":
                return [
                    {**self.store._table_record(key), "columns": list(t["columns"])}
                    for key, t in self.store.tables.items()
                ]
            if kind == "projections":
                return [
                    {**self.store._projection_record(key), "sorted_columns": list(p["sorted"]),
                     "unsorted_columns": list(p["unsorted"])}
                    for key, p in self.store.projections.items()
                ]  # fmt: skip
            raise KeyError(kind)

    def update_object(self, kind: str, id_: int, **changes: Any) -> None:
        """An out-of-band change, as an operator in the VMS UI would make it."""
        with self._lock:
            self.store.records[kind][id_].update(changes)

    def delete_object(self, kind: str, id_: int) -> None:
        with self._lock:
            del self.store.records[kind][id_]

    def drop_column(self, database: str, schema: str, table: str, column: str) -> None:
        with self._lock:
            entry = self.store.tables[(database, schema, table)]
            entry["columns"] = [c for c in entry["columns"] if c["name"] != column]

    def drop_projection(self, database: str, schema: str, table: str, name: str) -> None:
        """An out-of-band deletion, as an operator with the vastdb SDK would make it."""
        with self._lock:
            del self.store.projections[(database, schema, table, name)]

    def set_usage(self, path: str, used_bytes: int) -> None:
        """Bytes under ``path``: the quota there and the view's logical capacity follow."""
        with self._lock:
            self.store.usage[path] = used_bytes

    set_quota_usage = set_usage

    def inject(self, **fault: Any) -> None:
        """A fault for matching requests: ``status``, ``delay`` (s), ``reset``, ``lost``,
        ``retry_after``, ``times``, ``method``, ``path`` (see :class:`Fault`)."""
        with self._lock:
            self._faults.append(Fault(**fault))

    def fail_randomly(self, fail_fraction: float, seed: int) -> None:
        """From now on, each request fails with probability ``fail_fraction``, as one of
        RANDOM_KINDS picked by a generator seeded with ``seed`` (0 turns it off).
        Requests arrive in parallel, so the seed fixes the draws, not which call gets them."""
        with self._lock:
            self._random = (fail_fraction, random.Random(seed)) if fail_fraction else None

    def _next_fault(self, method: str, path: str) -> Fault | None:
        fault = next((f for f in self._faults if f.matches(method, path)), None)
        if fault is not None:
            fault.times -= 1
            return fault
        if self._random is not None:
            fraction, draw = self._random
            if draw.random() < fraction:
                return Fault(**draw.choice(RANDOM_KINDS))
        return None

    # --- serving -------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: Any, body: bytes) -> tuple[_Answer, bool]:
        """The answer and whether to reset the connection instead of answering."""
        parts = urlsplit(raw_path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        path = parts.path[len(API_PREFIX) :] if parts.path.startswith(API_PREFIX) else parts.path
        payload: Any = None
        if body:
            try:
                payload = json.loads(body)
            except ValueError:
                payload = body.decode("utf-8", "replace")
        call = Call(method, path, query, payload)
        with self._lock:
            self.calls.append(call)
            fault = self._next_fault(method, path)
            if fault is not None:
                kind = "lost" if fault.lost else "reset" if fault.reset else str(fault.status)
                self.faults_served[kind] = self.faults_served.get(kind, 0) + 1
        if fault is not None:
            time.sleep(fault.delay)
            if fault.reset:
                return _Answer(0), True
            if fault.status is not None:
                call.status = fault.status
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                return _Answer(fault.status, {"detail": "injected by the test"}, [], headers), False
        if not self._authorised(headers.get("Authorization", "")):
            call.status = 401
            return _Answer(401, {"detail": "Invalid username/password."}), False
        answer = self._answer(method, path, query, payload)
        with self._lock:
            self.spec_violations += answer.problems
        call.status = answer.status
        return answer, fault is not None and fault.lost

    def _authorised(self, header: str) -> bool:
        if self.token is not None and header == f"Api-Token {self.token}":
            return True
        if self.password is None or not header.startswith("Basic "):
            return False
        expected = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return header[len("Basic ") :] == expected

    def _answer(self, method: str, path: str, query: dict[str, str], payload: Any) -> _Answer:
        found = contract.endpoint_for(method, path)
        if found is None:
            problem = f"{method} {path}: not in the VMS contract"
            return _Answer(404, {"detail": problem}, [problem])
        endpoint, id_ = found
        problems = [f"{endpoint.label}: {p}" for p in contract.query_problems(endpoint, query)]
        problems += [f"{endpoint.label}: {p}" for p in contract.request_problems(endpoint, payload)]
        if problems:  # the project sent what VMS would refuse
            return _Answer(400, {"detail": "; ".join(problems)}, problems)
        try:
            with self._lock:
                answer = self._route(endpoint, id_, query, payload or {})
        except VmsRefusal as refusal:
            return _Answer(refusal.status, refusal.detail)
        answer.problems += [
            f"{endpoint.label} answer: {p}"
            for p in contract.answer_problems(endpoint, answer.status, answer.body)
        ]
        return answer

    def _route(
        self, endpoint: Endpoint, id_: str | None, query: dict[str, str], body: Record
    ) -> _Answer:
        kind, *rest = endpoint.path.strip("/").split("/")
        verb = rest[0] if rest and not rest[0].startswith("{") else None
        method, store = endpoint.method, self.store
        if kind in COLLECTIONS and id_ is None and verb is None:
            if method == "GET":
                return self._list(kind, query, store.list(kind, query))
            if method == "POST":
                return _Answer(201, store.create(kind, body))
        if kind in COLLECTIONS and id_ is not None:
            if not id_.isdigit():
                return _Answer(404, {"detail": "Not found."})
            number = int(id_)
            if method == "GET":
                return _Answer(200, store.get(kind, number))
            if method == "PATCH":
                record = store.update(kind, number, body)
                return _Answer(200, record if endpoint.answer is not None else None)
            if method == "DELETE":
                store.delete(kind, number)
                return _Answer(204)
        tabular = {
            ("schemas", None, "GET"): lambda: self._list(kind, query, store.list_schemas(query)),
            ("schemas", None, "POST"): lambda: store.create_schema(body),
            ("schemas", "delete", "DELETE"): lambda: store.delete_schema(body),
            ("tables", None, "GET"): lambda: self._list(kind, query, store.list_tables(query)),
            ("tables", None, "POST"): lambda: store.create_table(body),
            ("tables", "show", "GET"): lambda: _Answer(200, store.show_table(query)),
            ("tables", "add_columns", "PATCH"): lambda: store.add_columns(body),
            ("tables", "delete", "DELETE"): lambda: store.delete_table(body),
            ("columns", None, "GET"): lambda: self._list(kind, query, store.list_columns(query)),
            ("clusters", None, "GET"): lambda: self._list(kind, query, [dict(store.cluster)]),
            ("projections", None, "GET"): lambda: self._list(
                kind, query, store.list_projections(query)
            ),
            ("projections", None, "POST"): lambda: store.create_projection(body),
            ("projections", "delete", "DELETE"): lambda: store.delete_projection(body),
            ("projectioncolumns", None, "GET"): lambda: self._list(
                kind, query, store.list_projection_columns(query)
            ),
        }
        action = tabular.get((kind, verb, method))
        if action is None:
            return _Answer(501, {"detail": f"{endpoint.label}: not served by the stand-in"})
        result = action()
        if isinstance(result, _Answer):
            return result
        return _Answer(201 if method == "POST" else 204)

    def _list(self, kind: str, query: dict[str, str], records: list[Record]) -> _Answer:
        size = query.get("page_size") or (self.page_size and str(self.page_size))
        if not size and "page" not in query:
            return _Answer(200, records)
        size_n, page = int(size or 50), int(query.get("page", "1"))
        chunk = records[(page - 1) * size_n : page * size_n]
        following = None
        if page * size_n < len(records):
            following = f"https://{self.address}{API_PREFIX}/{kind}/?" + urlencode(
                {**query, "page": page + 1, "page_size": size_n}
            )
        return _Answer(200, {"count": len(records), "next": following, "previous": None,
                             "results": chunk})  # fmt: skip


class _Handler(BaseHTTPRequestHandler):
    owner: VmsStandin
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # the call log is the record
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        answer, reset = self.owner.handle(self.command, self.path, self.headers, body)
        if reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        data = b"" if answer.body is None else json.dumps(answer.body).encode()
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


# --- python -m devtools.vms_standin: the stand-in for a person -----------------------

# Where Pulumi.standin.yaml expects the stand-in: its address and the files it names.
STANDIN_PORT = 18443
STANDIN_DIR = ".vastobs/standin"


def serve(port: int, folder: Path) -> int:
    """Serve until Ctrl-C or SIGTERM, with the CA, password and address written under ``folder``.

    The files are written once the port is ours: a second stand-in refused the port
    leaves the first one's password and address as they were."""
    import secrets
    import shutil
    import signal

    password = secrets.token_urlsafe(18)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        standin = VmsStandin(password=password, port=port).__enter__()
    except OSError as exc:
        print(f"vms_standin: cannot serve on 127.0.0.1:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    try:
        folder.mkdir(parents=True, exist_ok=True)
        secret = folder / "password"
        secret.touch(mode=0o600)
        secret.chmod(0o600)
        secret.write_text(password + "\n")
        shutil.copyfile(standin.ca_cert_path, folder / "ca.pem")
        (folder / "address").write_text(standin.address + "\n")
        print(
            f"VMS stand-in at https://{standin.address}/api/latest/ (user admin; CA, password "
            f"and address in {folder}; objects held in memory; Ctrl-C stops it)",
            flush=True,
        )
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        (folder / "address").unlink(missing_ok=True)
        standin.__exit__(None, None, None)


def drop_projections(stack_name: str, table: str) -> int:
    """Delete ``schema.table``'s sorted projections through the API (drift for refresh to find)."""
    from vastobs.backends.target import backend_for, target_for
    from vastobs.config import load_stack
    from vastobs.errors import VastobsError

    schema, _, name = table.partition(".")
    try:
        stack = load_stack(stack_name)
        if stack.backend != "vast":
            print(f"vms_standin: stack {stack_name} is not a vast stack", file=sys.stderr)
            return 1
        catalog = backend_for(target_for(stack)).catalog()
        key = {"database_name": stack.database.bucket, "schema_name": schema, "table_name": name}
        found = catalog.client.list("projections", f"projections of {table}", key)
        for projection in found:
            catalog.delete_projection(stack.database.bucket, schema, name, projection["name"])
            print(f"deleted projection {projection['name']} of {table}")
    except VastobsError as exc:
        print(f"vms_standin: {exc}", file=sys.stderr)
        return 1
    if not found:
        print(f"vms_standin: {table} has no projection", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m devtools.vms_standin",
        description="The VMS stand-in, for trying the vast backend without a cluster.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serving = commands.add_parser("serve", help="serve the VMS API on 127.0.0.1 until Ctrl-C")
    serving.add_argument("--port", type=int, default=STANDIN_PORT, help="default: %(default)s")
    serving.add_argument("--dir", type=Path, default=Path(STANDIN_DIR), help="default: %(default)s")
    dropping = commands.add_parser(
        "drop-projection", help="delete a table's sorted projections, as an operator would"
    )
    dropping.add_argument("table", help="SCHEMA.TABLE, e.g. swift.bursts")
    dropping.add_argument("--stack", default="standin", help="default: %(default)s")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args.port, args.dir)
    return drop_projections(args.stack, args.table)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
