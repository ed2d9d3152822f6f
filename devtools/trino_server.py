"""A real Trino (the version devtools/toolchain.py pins) on loopback ports, for tests,
benchmarks and `make trino`: one node, or a coordinator plus worker JVMs.

With ``workers=0`` one JVM is coordinator and worker. With ``workers=N`` the
coordinator schedules no tasks (``node-scheduler.include-coordinator=false``)
and N worker JVMs, each on a port of its own, announce themselves through the
coordinator's discovery service: the layout of a production cluster, on one
machine. Memory (heaps below) is sized so that a coordinator and two workers
fit a 24 GB machine beside the tests, DuckDB and a desktop: 1.5 + 2 x 3 GB of
heap, about 9 GB of resident memory with the JVMs' own overhead.

Catalogs: ``memory`` (small data; no DELETE/MERGE; 128 MB per worker) and
``iceberg`` (Parquet in one warehouse on local disk that every node reads and
writes), plus any more memory catalogs asked for (`make trino` names one like
the stack's VAST catalog). Every JVM runs in its own process group and is
always stopped, leaving no process behind.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests
import trino

from devtools.server_process import (
    JavaServer,
    free_port,
    start_group,
    stop_group,
    wait_ready,
)

# Heap and per-query memory of each role; Trino keeps 30% of a heap as headroom, so a
# node's query memory stays below 70% of its heap.
SINGLE_HEAP, SINGLE_QUERY_MEMORY = "2G", "1GB"
COORDINATOR_HEAP, COORDINATOR_QUERY_MEMORY = "1536M", "512MB"
WORKER_HEAP, WORKER_QUERY_MEMORY = "3G", "1GB"


@dataclass(eq=False)
class TrinoServer(JavaServer):
    """The coordinator (and, with ``workers`` > 0, its worker JVMs). ``fast_start`` runs
    the JIT's first tier only: JVMs start in half the time, long scans run slower (tests
    on; the benchmark off)."""

    memory_catalogs: tuple[str, ...] = ()
    workers: int = 0
    fast_start: bool = True
    warehouse_dir: Path | None = None  # default workdir/iceberg; the benchmark keeps one
    worker_processes: list[subprocess.Popen[bytes]] = field(default_factory=list, init=False)

    @property
    def warehouse(self) -> Path:
        """The Iceberg warehouse (and its file metastore) every node of the cluster shares."""
        return self.warehouse_dir or self.workdir / "iceberg"

    def _write_node(self, name: str, port: int, role: str) -> Path:
        """``role``: single, coordinator or worker. Returns the node's etc directory."""
        node_dir = self.workdir if name == "coordinator" else self.workdir / name
        etc = node_dir / "etc"
        (etc / "catalog").mkdir(parents=True, exist_ok=True)
        self.warehouse.mkdir(parents=True, exist_ok=True)
        heap, query_memory = {
            "single": (SINGLE_HEAP, SINGLE_QUERY_MEMORY),
            "coordinator": (COORDINATOR_HEAP, COORDINATOR_QUERY_MEMORY),
            "worker": (WORKER_HEAP, WORKER_QUERY_MEMORY),
        }[role]
        (etc / "node.properties").write_text(
            f"node.environment=test\nnode.id={name}-{uuid.uuid4()}\n"
            f"node.data-dir={node_dir / 'data'}\nnode.internal-address=127.0.0.1\n"
        )
        jvm = ["-server", f"-Xmx{heap}", "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError"]
        if self.fast_start:
            jvm.append("-XX:TieredStopAtLevel=1")
        jvm += ["-Djdk.attach.allowAttachSelf=true", "-Dfile.encoding=UTF-8"]
        (etc / "jvm.config").write_text("\n".join(jvm) + "\n")
        config = [
            f"coordinator={'false' if role == 'worker' else 'true'}",
            f"http-server.http.port={port}",
            f"discovery.uri=http://127.0.0.1:{self.port}",
            f"query.max-memory-per-node={query_memory}",
        ]
        if role != "worker":
            config.append(f"node-scheduler.include-coordinator={str(role == 'single').lower()}")
            total = int(WORKER_QUERY_MEMORY.removesuffix("GB")) * max(1, self.workers)
            config.append(f"query.max-memory={total if self.workers else 1}GB")
        (etc / "config.properties").write_text("\n".join(config) + "\n")
        (etc / "log.properties").write_text("io.trino=WARN\n")
        for catalog in ("memory", *self.memory_catalogs):
            (etc / "catalog" / f"{catalog}.properties").write_text("connector.name=memory\n")
        (etc / "catalog" / "iceberg.properties").write_text(
            "connector.name=iceberg\n"
            "iceberg.catalog.type=TESTING_FILE_METASTORE\n"
            "hive.metastore.catalog.dir=local:///metastore\n"
            "fs.native-local.enabled=true\n"
            "iceberg.add-files-procedure.enabled=true\n"  # the benchmark registers Parquet files
            f"local.location={self.warehouse}\n"
        )
        return etc

    def _launch(self, etc: Path, log: Path) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "JAVA_HOME": str(self.java_home),
            "PATH": f"{self.java_home / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        launcher = str(self.home / "bin" / "launcher")
        data = etc.parent / "data"
        return start_group(
            [launcher, "run", f"--etc-dir={etc}", f"--data-dir={data}"], log, env=env
        )

    def start(self, timeout: float = 240.0) -> None:
        assert self.port is not None
        role = "coordinator" if self.workers else "single"
        self.process = self._launch(self._write_node("coordinator", self.port, role), self.log)
        try:
            for i in range(1, self.workers + 1):
                etc = self._write_node(f"worker-{i}", free_port(), "worker")
                self.worker_processes.append(self._launch(etc, self.worker_log(i)))
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def worker_log(self, i: int) -> Path:
        return self.workdir / f"worker-{i}" / "server.log"

    def _wait_ready(self, timeout: float) -> None:
        passed: list[bool] = []

        def probe() -> str | None:
            info = requests.get(f"http://127.0.0.1:{self.port}/v1/info", timeout=2).json()
            if info.get("starting", True):
                return "starting"
            cur = self.connect().cursor()
            if self.workers:
                cur.execute(
                    "SELECT count(*) FROM system.runtime.nodes"
                    " WHERE NOT coordinator AND state = 'active'"
                )
                active = cur.fetchall()[0][0]
                if active < self.workers:
                    return f"{active} of {self.workers} workers active"
            # SELECT 1 runs on the coordinator alone; a table scan needs a node to be
            # scheduled, which lags: until then queries fail with NO_NODES_AVAILABLE.
            # Probe with a scan.
            for sql in (
                "CREATE TABLE IF NOT EXISTS memory.default.vastobs_ready AS SELECT 1 AS x",
                "SELECT count(*) FROM memory.default.vastobs_ready",
                "DROP TABLE memory.default.vastobs_ready",
                "SELECT 1",
            ):
                try:
                    cur.execute(sql)
                    cur.fetchall()
                except Exception:
                    passed.clear()
                    raise
            # A cluster's node list settles over a few seconds after the workers announce
            # themselves (a query in between can find NO_NODES_AVAILABLE): two rounds in a row.
            passed.append(True)
            return None if len(passed) >= (2 if self.workers else 1) else "settling"

        assert self.process is not None
        nodes = f" and {self.workers} workers" if self.workers else ""
        what = f"Trino on 127.0.0.1:{self.port}{nodes}"
        workers = {
            f"Trino worker {i}": (worker, self.worker_log(i))
            for i, worker in enumerate(self.worker_processes, start=1)
        }
        deadline = time.monotonic() + timeout
        wait_ready(self.process, deadline, probe, what, self.log, interval=1, also=workers)

    def connect(
        self,
        catalog: str = "memory",
        schema: str | None = None,
        session_properties: dict[str, str] | None = None,
    ) -> trino.dbapi.Connection:
        return trino.dbapi.connect(
            host="127.0.0.1",
            port=self.port,
            user="vastobs-test",
            catalog=catalog,
            schema=schema,
            session_properties=session_properties,
            legacy_prepared_statements=False,
        )

    def stop(self) -> None:
        """Workers first (a coordinator gone first makes them log errors), then it."""
        for worker in self.worker_processes:
            if worker.poll() is None:
                stop_group(worker)
        if self.process is not None and self.process.poll() is None:
            stop_group(self.process)


@contextlib.contextmanager
def running(
    home: Path,
    java_home: Path,
    workdir: Path,
    workers: int = 0,
    fast_start: bool = True,
    warehouse: Path | None = None,
) -> Iterator[TrinoServer]:
    server = TrinoServer(
        home, java_home, workdir, workers=workers, fast_start=fast_start, warehouse_dir=warehouse
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
