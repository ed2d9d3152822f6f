"""What the local servers (kafka_server.py, trino_server.py) share: a free loopback port,
a server started in a process group of its own with its output in a log, waiting until
it answers, and stopping the whole group so that no process is left behind."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(eq=False)
class JavaServer:
    """A server of the distribution at ``home``, run with ``java_home``'s Java, its files
    under ``workdir``, on 127.0.0.1:``port`` (a free port unless given)."""

    home: Path
    java_home: Path
    workdir: Path
    port: int | None = None
    log_name: ClassVar[str] = "server.log"

    def __post_init__(self) -> None:
        self.port = self.port or free_port()
        self.log = self.workdir / self.log_name
        self.process: subprocess.Popen[bytes] | None = None


def start_group(
    argv: list[str],
    log: Path,
    *,
    append: bool = False,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """``argv`` in a process group of its own (stopped as one), stdout and stderr to ``log``."""
    with log.open("ab" if append else "wb") as out:
        return subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
            cwd=cwd,
        )


def log_tail(log: Path) -> str:
    """The log's errors (the cause; shutdown noise follows them) and its last lines."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    errors = [line for line in lines if " ERROR " in line][:5]
    return "\n".join([*errors, "...", *lines[-15:]])[-4000:]


def wait_ready(
    process: subprocess.Popen[bytes],
    deadline: float,
    probe: Callable[[], str | None],
    what: str,
    log: Path,
    interval: float,
    also: Mapping[str, tuple[subprocess.Popen[bytes], Path]] | None = None,
) -> None:
    """Calls ``probe`` every ``interval`` seconds until it returns None (ready); what it
    returns or raises otherwise is why not yet. Raises RuntimeError when the process (or
    one of ``also``: name -> process and its log, e.g. a cluster's workers) exits first,
    TimeoutError at ``deadline`` (time.monotonic()), both with the log's tail."""
    last_error = "no answer yet"
    watched = {what: (process, log), **(also or {})}
    while time.monotonic() < deadline:
        for name, (proc, proc_log) in watched.items():
            if proc.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {proc.returncode} (log {proc_log}):\n{log_tail(proc_log)}"
                )
        try:
            reason = probe()
            if reason is None:
                return
            last_error = reason
        except Exception as exc:  # starting: connection refused, a timeout, not ready yet
            last_error = str(exc)
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready: {last_error} (log {log}):\n{log_tail(log)}")


def stop_group(
    process: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM, timeout: float = 30.0
) -> None:
    """``sig`` to the process's group, then wait for it: SIGKILL after ``timeout`` seconds
    (0: wait as long as it takes)."""
    if process is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=timeout or None)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
