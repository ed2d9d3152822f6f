"""How the parity tests call two engines' answers the same.

Rows are compared in the order the query defines (every analytic ends in an
ORDER BY, so both engines must agree on the order too); columns by name; floats to a relative 1e-9 (absolute 1e-9 near zero),
since Trino and DuckDB may sum or average in a different order; everything
else exactly.
"""

from __future__ import annotations

import math
from typing import Any


def assert_same_rows(
    left: list[dict[str, Any]], right: list[dict[str, Any]], label: str = ""
) -> None:
    assert len(left) == len(right), (label, len(left), len(right))
    for i, (a, b) in enumerate(zip(left, right, strict=True)):
        assert a.keys() == b.keys(), (label, i, a.keys(), b.keys())
        for key in a:
            if isinstance(a[key], float) and isinstance(b[key], float):
                same = math.isclose(a[key], b[key], rel_tol=1e-9, abs_tol=1e-9)
            else:
                same = a[key] == b[key]
            assert same, (label, i, key, a, b)
