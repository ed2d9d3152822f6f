"""``make demo``'s script in a fresh copy of the checkout: it provisions and reports."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from devtools.toolchain import PROJECT_DIR, pulumi_bin
from runner.query import Query

pytestmark = pytest.mark.pulumi


def _checkout_copy(tmp_path: Path) -> Path:
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    copy = tmp_path / "checkout"
    for name in files:
        src = PROJECT_DIR / name
        if src.is_file() and not src.is_symlink():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, copy / name)
    (copy / ".venv").symlink_to(PROJECT_DIR / ".venv")
    (copy / "infra" / ".venv").symlink_to("../.venv")
    return copy


# Fewer rows than make demo's 200,000: every step runs the same, in a third of the time.
DEMO_ROWS = "20000"


def test_demo_provisions_the_local_stack_and_runs_a_query(tmp_path: Path) -> None:
    if pulumi_bin() is None:
        pytest.skip("the pinned Pulumi CLI is not in .venv/bin: run tools/setup.sh")
    copy = _checkout_copy(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    env["PULUMI_HOME"] = str(tmp_path / "pulumi-home")
    env["DEMO_ROWS"] = DEMO_ROWS

    proc = subprocess.run(
        ["bash", "tools/demo.sh"], cwd=copy, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (copy / ".vastobs" / "local" / "views" / "swift" / "observations").is_dir()
    assert (copy / ".vastobs" / "local" / "views" / "chandra" / "observations").is_dir()
    assert "V404 Cyg" in proc.stdout and "engine_parity v2" in proc.stdout
    # each load of measurements or detections refilled the kept matches
    assert "kept for cross_observatory_objects" in proc.stdout, proc.stdout
    summary = Query.load(PROJECT_DIR / "queries" / "analytics" / "observatory_summary.sql")
    assert f"observatory_summary v{summary.version}" in proc.stdout  # run --all ran them
    assert "storage on local" in proc.stdout and "monitor exit code: 0" in proc.stdout
    assert (copy / "Pulumi.local.yaml").read_text() == (
        PROJECT_DIR / "Pulumi.local.yaml"
    ).read_text()

    # A second make demo finds everything in place: its provisioning step, pulumi up
    # with the script's settings, changes nothing.
    pulumi_env = {
        **env,
        "PATH": f"{copy / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "PULUMI_BACKEND_URL": f"file://{copy / '.vastobs' / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": "",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    }
    again = subprocess.run(
        ["pulumi", "up", "--yes", "--stack", "local", "--non-interactive", "--suppress-progress"],
        cwd=copy, env=pulumi_env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    # 33: the 22 resources of the seed's two observatories, a sorted projection for
    # each of their five tables, and the sky index (component, schema, and the tables
    # points and matches with a projection each)
    assert "33 unchanged" in again.stdout, again.stdout
