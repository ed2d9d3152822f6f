"""Scenario 5: ``pulumi preview`` with no changes, for stacks of 2, 10 and 50 observatories.

Each stack is brought up against the VMS stand-in (HTTPS, spec-validated),
then previewed several times with ``--expect-no-changes``; the stand-in's call
log says what each preview asked VMS, by method. The target: at most one VMS
read per resource, and no write.

Run alone with ``python -m bench.preview [--counts 2 10 50] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.timing import measure
from devtools.pulumi_project import PulumiProject
from devtools.toolchain import pulumi_bin
from devtools.vms_standin import VmsStandin

PASSWORD = "bench-only-Pa55"
PER_OBSERVATORY = 5  # view policy, QoS policy, view, quota, schema
DATABASE = 3  # its view policy, view and quota


def stack_config(vms: VmsStandin, observatories: int) -> dict[str, Any]:
    patterns = ("real_time", "deep_analysis", "archive")
    return {
        "backend": "vast",
        "vms": {"address": vms.address, "user": "admin", "ca_cert": str(vms.ca_cert_path)},
        "database": {"bucket": "obsdb", "path": "/obsdb", "quota": "10TB"},
        "observatories": {
            f"obs{i:02d}": {
                "path": f"/observatories/obs{i:02d}",
                "quota": "10TB",
                "access_pattern": patterns[i % 3],
            }
            for i in range(observatories)
        },
    }


def preview_scenario(observatories: int, runs: int) -> dict[str, Any]:
    binary = pulumi_bin()
    if binary is None:
        raise SystemExit("the pinned Pulumi CLI is not in .venv/bin: run tools/setup.sh")
    with (
        tempfile.TemporaryDirectory(prefix="bench-preview-") as tmp,
        VmsStandin(user="admin", password=PASSWORD) as vms,
    ):
        project = PulumiProject.create(Path(tmp), binary)
        project.env["VASTOBS_VMS_PASSWORD"] = PASSWORD
        project.write_stack(stack_config(vms, observatories))
        project.init()
        started = time.perf_counter()
        project.run("up", "--yes", "--skip-preview")
        up_s = time.perf_counter() - started

        def preview(*flags: str) -> Counter[str]:
            vms.reset_calls()
            project.run("preview", "--expect-no-changes", *flags)
            return Counter(c.method for c in vms.calls)

        resources = observatories * PER_OBSERVATORY + DATABASE
        result: dict[str, Any] = {
            "scenario": "pulumi_preview",
            "observatories": observatories,
            "resources": resources,
            "up_s": round(up_s, 2),
        }
        # Plain preview diffs against state; --refresh first reads every object (drift).
        for name, flags in (("preview", ()), ("preview_refresh", ("--refresh",))):
            timing, calls = measure(lambda flags=flags: preview(*flags), repeats=runs, warmup=0)
            result[name] = {
                "ms": timing.as_dict(),
                "vms_calls": dict(sorted(calls.items())),
                "reads_per_resource": round(calls.get("GET", 0) / resources, 3),
                "writes": sum(n for m, n in calls.items() if m != "GET"),
            }
        project.run("destroy", "--yes", "--skip-preview")
        result["spec_violations"] = list(vms.spec_violations)
        return result


def preview_scenarios(counts: list[int], runs: int = 3) -> list[dict[str, Any]]:
    return [preview_scenario(n, runs) for n in counts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[2, 10, 50])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(preview_scenarios(args.counts, args.runs), indent=2))


if __name__ == "__main__":
    main()
