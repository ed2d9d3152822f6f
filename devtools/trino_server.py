"""A real single-node Trino (the version devtools/toolchain.py pins) on a loopback port,
for tests, benchmarks and `make trino`.

Catalogs: ``memory`` (small data; no DELETE/MERGE; 128 MB per node) and
``iceberg`` (Parquet on local disk, for larger data), plus any more memory
catalogs asked for (`make trino` names one like the stack's VAST catalog).
The server runs in its own process group and is always stopped, leaving no
process behind.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests
import trino

from devtools.server_process import JavaServer, start_group, stop_group, wait_ready


@dataclass(eq=False)
class TrinoServer(JavaServer):
    memory_catalogs: tuple[str, ...] = ()

    def _write_config(self) -> Path:
        etc = self.workdir / "etc"
        (etc / "catalog").mkdir(parents=True, exist_ok=True)
        data = self.workdir / "data"
        warehouse = self.workdir / "iceberg"
        warehouse.mkdir(parents=True, exist_ok=True)
        (etc / "node.properties").write_text(
            f"node.environment=test\nnode.id={uuid.uuid4()}\nnode.data-dir={data}\n"
            "node.internal-address=127.0.0.1\n"
        )
        (etc / "jvm.config").write_text(
            "\n".join(
                [
                    "-server",
                    "-Xmx2G",
                    "-XX:+UseG1GC",
                    "-XX:+ExitOnOutOfMemoryError",
                    "-XX:TieredStopAtLevel=1",  # faster start-up; tests run short queries
                    "-Djdk.attach.allowAttachSelf=true",
                    "-Dfile.encoding=UTF-8",
                ]
            )
            + "\n"
        )
        (etc / "config.properties").write_text(
            "\n".join(
                [
                    "coordinator=true",
                    "node-scheduler.include-coordinator=true",
                    f"http-server.http.port={self.port}",
                    f"discovery.uri=http://127.0.0.1:{self.port}",
                    "query.max-memory=1GB",
                    "query.max-memory-per-node=1GB",
                ]
            )
            + "\n"
        )
        (etc / "log.properties").write_text("io.trino=WARN\n")
        for name in ("memory", *self.memory_catalogs):
            (etc / "catalog" / f"{name}.properties").write_text("connector.name=memory\n")
        (etc / "catalog" / "iceberg.properties").write_text(
            "connector.name=iceberg\n"
            "iceberg.catalog.type=TESTING_FILE_METASTORE\n"
            "hive.metastore.catalog.dir=local:///metastore\n"
            "fs.native-local.enabled=true\n"
            "iceberg.add-files-procedure.enabled=true\n"  # the benchmark registers Parquet files
            f"local.location={warehouse}\n"
        )
        return etc

    def start(self, timeout: float = 240.0) -> None:
        etc = self._write_config()
        env = {
            **os.environ,
            "JAVA_HOME": str(self.java_home),
            "PATH": f"{self.java_home / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        launcher = str(self.home / "bin" / "launcher")
        self.process = start_group(
            [launcher, "run", f"--etc-dir={etc}", f"--data-dir={self.workdir / 'data'}"],
            self.log,
            env=env,
        )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> None:
        def probe() -> str | None:
            info = requests.get(f"http://127.0.0.1:{self.port}/v1/info", timeout=2).json()
            if info.get("starting", True):
                return "starting"
            # SELECT 1 runs on the coordinator alone; a table scan needs the node to be
            # scheduled, which lags: until then queries fail with NO_NODES_AVAILABLE.
            # Probe with a scan.
            cur = self.connect().cursor()
            for sql in (
                "CREATE TABLE IF NOT EXISTS memory.default.vastobs_ready AS SELECT 1 AS x",
                "SELECT count(*) FROM memory.default.vastobs_ready",
                "DROP TABLE memory.default.vastobs_ready",
            ):
                cur.execute(sql)
                cur.fetchall()
            return None

        assert self.process is not None
        what = f"Trino on 127.0.0.1:{self.port}"
        wait_ready(self.process, time.monotonic() + timeout, probe, what, self.log, interval=1)

    def connect(self, catalog: str = "memory", schema: str | None = None) -> trino.dbapi.Connection:
        return trino.dbapi.connect(
            host="127.0.0.1",
            port=self.port,
            user="vastobs-test",
            catalog=catalog,
            schema=schema,
            legacy_prepared_statements=False,
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop_group(self.process)


@contextlib.contextmanager
def running(home: Path, java_home: Path, workdir: Path) -> Iterator[TrinoServer]:
    server = TrinoServer(home, java_home, workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
