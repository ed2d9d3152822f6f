"""The VMS stand-in as the tests start it: one test login, the contract checked at the end."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from devtools.vms_standin import VmsStandin


@contextmanager
def checked_standin() -> Iterator[VmsStandin]:
    """A stand-in whose user passes only if nothing it sent broke the VMS contract."""
    with VmsStandin(user="admin", password="standin-Pa55") as standin:
        yield standin
    assert standin.spec_violations == []
