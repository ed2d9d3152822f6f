"""A module of the project run as a user starts it: ``python -m MODULE ARGS`` in a process
of its own, its output captured as text."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from devtools.toolchain import PROJECT_DIR


def python_module(
    module: str,
    *args: str,
    cwd: Path = PROJECT_DIR,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
