"""bench/load_hold.py measures what readers see while a load commits: its readers must
read the stack a user's would (the local stack keeps the sky index), or every one of
their queries fails and the figure says nothing about the loader."""

from __future__ import annotations

from bench.load_hold import measure


def test_readers_beside_a_load_see_no_error() -> None:
    seen = measure(rows=20_000, readers=2)
    assert seen["loaded"] == 20_000
    assert seen["queries"] > 0
    assert seen["reader_errors"] == 0, seen["first_error"]
