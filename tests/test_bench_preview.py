"""The preview benchmark at its smallest: what a no-change preview asks of VMS.

No timings asserted; the call counts are the promise (docs/benchmarks.md):
a plain preview reads nothing and writes nothing, ``--refresh`` reads each
resource once.
"""

from __future__ import annotations

import pytest

from bench.preview import preview_scenario
from devtools.toolchain import pulumi_bin

pytestmark = pytest.mark.pulumi


def test_a_no_change_preview_never_writes_and_refresh_reads_each_resource_once() -> None:
    if pulumi_bin() is None:
        pytest.skip("needs the pinned Pulumi CLI (tools/setup.sh)")
    result = preview_scenario(observatories=1, runs=1)
    assert result["resources"] == 8
    assert (result["preview"]["vms_calls"], result["preview"]["writes"]) == ({}, 0)
    assert result["preview_refresh"]["vms_calls"] == {"GET": 8}
    assert result["spec_violations"] == []
