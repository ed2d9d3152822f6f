"""The VMS stand-in as the tests start it: one test login, the contract checked at the end."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from devtools.vms_standin import VmsStandin


@contextmanager
def checked_standin() -> Iterator[VmsStandin]:
    """A stand-in whose user passes only if nothing it sent broke the VMS contract."""
    with VmsStandin(user="admin", password="standin-Pa55") as standin:
        yield standin
        stopped = threading.Event()
        host, port = standin.address.rsplit(":", 1)
        waker = threading.Thread(target=_wake, args=((host, int(port)), stopped), daemon=True)
        waker.start()  # while the stand-in's exit shuts its server down
    stopped.set()
    waker.join()
    assert standin.spec_violations == []


def _wake(address: tuple[str, int], stopped: threading.Event) -> None:
    """Connect now and then until told to stop. The server's loop notices a shutdown only
    when it wakes, at its next half-second poll unless a connection comes first; these
    connections send nothing (no request reaches the stand-in's handlers or its log)."""
    while not stopped.wait(0.005):
        with contextlib.suppress(OSError):
            socket.create_connection(address, timeout=1).close()
