"""``python -m devtools.vms_standin``: the stand-in a person starts to try the vast backend.

The README's walk-through (``make vms``, then ``pulumi preview/up/refresh --stack
standin``) depends on three things checked here: the committed
``Pulumi.standin.yaml`` names the address and files the stand-in writes, the
served stand-in answers with TLS verified against its CA and the password it
wrote (and nowhere else), and ``drop-projection`` makes the out-of-band
deletion that refresh then finds. The engine's side of that walk-through is
tests/test_vast_stack.py.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.toolchain import PROJECT_DIR
from devtools.vms_standin import STANDIN_DIR, STANDIN_PORT
from tests.support.process import python_module
from vastobs.backends.target import backend_for, target_for
from vastobs.config import load_stack


def test_the_committed_stack_names_what_the_standin_writes() -> None:
    stack = load_stack("standin", PROJECT_DIR)
    assert stack.backend == "vast" and stack.vms.verify_tls
    assert stack.vms.address == f"127.0.0.1:{STANDIN_PORT}"
    assert stack.vms.ca_cert == f"{STANDIN_DIR}/ca.pem"
    assert stack.vms.password_file == f"{STANDIN_DIR}/password"


def _without_vms_credentials() -> dict[str, str]:
    """This environment without VASTOBS_VMS_*: the stack's password file is what counts."""
    return {k: v for k, v in os.environ.items() if not k.startswith("VASTOBS_VMS_")}


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A checkout's stack files and DDL, with the stand-in serving under its .vastobs."""
    for name in ("Pulumi.yaml", "Pulumi.standin.yaml"):
        shutil.copyfile(PROJECT_DIR / name, tmp_path / name)
    for folder in ("kinds", "tables"):
        shutil.copytree(PROJECT_DIR / "queries" / folder, tmp_path / "queries" / folder)
    served = subprocess.Popen(
        [sys.executable, "-m", "devtools.vms_standin", "serve", "--port", "0"],
        cwd=tmp_path, env=_without_vms_credentials(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    address = tmp_path / STANDIN_DIR / "address"
    try:
        deadline = time.monotonic() + 20
        while not address.exists() and served.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert address.exists(), (
            f"the stand-in did not start: {served.stderr and served.stderr.read()}"
        )
        stack_file = tmp_path / "Pulumi.standin.yaml"  # the port the test was given, not 18443
        stack_file.write_text(
            stack_file.read_text().replace(f"127.0.0.1:{STANDIN_PORT}", address.read_text().strip())
        )
        yield tmp_path
    finally:
        served.send_signal(signal.SIGTERM)
        served.wait(timeout=10)
    assert served.returncode == 0
    assert not address.exists()  # a stopped stand-in leaves no address behind


def test_the_served_standin_takes_its_own_password_and_ca_and_drops_a_projection(
    project: Path,
) -> None:
    folder = project / STANDIN_DIR
    secret = folder / "password"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    password = secret.read_text().strip()

    stack = load_stack("standin", project)
    catalog = backend_for(target_for(stack)).catalog()  # TLS verified against ca.pem
    catalog.client.call("post", "views", "view /obsdb", {
        "path": "/obsdb", "policy_id": 1, "bucket": "obsdb", "bucket_owner": "admin",
        "protocols": ["S3", "DATABASE"],
    })  # fmt: skip
    catalog.create_schema("obsdb", "swift")
    columns = [{"name": n, "field": {"column_type": "int64"}} for n in ("hpx", "id")]
    catalog.create_table("obsdb", "swift", "bursts", columns)
    catalog.create_projection("obsdb", "swift", "bursts", "by_hpx", ["hpx"], ["id"])

    env = _without_vms_credentials()
    dropped = python_module("devtools.vms_standin", "drop-projection", "swift.bursts", cwd=project, env=env)  # fmt: skip
    assert dropped.returncode == 0, dropped.stderr
    assert dropped.stdout.strip() == "deleted projection by_hpx of swift.bursts"
    assert catalog.projection("obsdb", "swift", "bursts", "by_hpx") is None

    again = python_module("devtools.vms_standin", "drop-projection", "swift.bursts", cwd=project, env=env)  # fmt: skip
    assert again.returncode == 1
    assert again.stderr.strip() == "vms_standin: swift.bursts has no projection"
    assert password not in dropped.stdout + dropped.stderr + again.stderr


def test_a_second_standin_on_the_port_is_refused_and_leaves_the_first_alone(
    project: Path,
) -> None:
    folder = project / STANDIN_DIR
    before = {name: (folder / name).read_text() for name in ("password", "ca.pem", "address")}
    port = before["address"].strip().rsplit(":", 1)[1]
    second = python_module("devtools.vms_standin", "serve", "--port", port, cwd=project, timeout=30)
    assert second.returncode == 1
    assert second.stderr.strip() == (
        f"vms_standin: cannot serve on 127.0.0.1:{port}: Address already in use"
    )
    assert {name: (folder / name).read_text() for name in before} == before
