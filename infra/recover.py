"""Recover a stack after an interrupted ``pulumi up`` (kill -9, a lost terminal, a crash).

``python -m infra.recover --stack S`` runs the two Pulumi commands that undo
what the interruption left, and edits no state by hand:

1. ``pulumi cancel --yes``: removes the stack's lock, which the killed run
   held (the next ``up`` otherwise fails with "the stack is currently locked");
2. ``pulumi refresh --clear-pending-creates --yes``: reads every object back
   and drops the operations the killed run had begun ("pending operations").
   A create VMS finished but Pulumi never recorded is not lost: the next
   ``up`` finds the object by its natural key and adopts it.

One repair on a file backend: a kill during a checkpoint save can leave the
checkpoint's metadata sidecar (``<stack>.json.attrs``, written by gocloud's
fileblob in place) empty, and every command then fails with "failed to load
checkpoint: EOF". An empty sidecar holds nothing; removing it lets the
backend read the checkpoint (whose own write is atomic) as it is.

Then ``pulumi up`` converges. docs/reliability.md has the figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

STEP_TIMEOUT_SECONDS = 900
NOTHING_TO_CANCEL = ("no update", "not locked", "no lock", "currently not running")


def pulumi_binary() -> str:
    """``pulumi`` on PATH, else the pinned CLI beside this interpreter (``.venv/bin``)."""
    found = shutil.which("pulumi") or shutil.which("pulumi", path=str(Path(sys.executable).parent))
    if found is None:
        raise SystemExit("infra.recover: no pulumi CLI on PATH nor in .venv/bin (run make setup)")
    return found


def run(binary: str, stack: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [binary, *args, "--stack", stack, "--non-interactive"]
    print("+ pulumi " + " ".join([*args, "--stack", stack]), flush=True)
    return subprocess.run(
        command, capture_output=True, text=True, timeout=STEP_TIMEOUT_SECONDS, check=False
    )


def remove_empty_sidecars() -> list[Path]:
    """Empty ``*.attrs`` files of the file backend's stacks, removed (see the module doc)."""
    url = os.environ.get("PULUMI_BACKEND_URL", "")
    if not url.startswith("file://"):
        return []
    stacks = Path(url.removeprefix("file://")).expanduser() / ".pulumi" / "stacks"
    empty = [f for f in stacks.rglob("*.attrs") if f.is_file() and f.stat().st_size == 0]
    for sidecar in empty:
        print(f"+ rm {sidecar} (empty: left by the kill)", flush=True)
        sidecar.unlink()
    return empty


def recover(stack: str) -> int:
    binary = pulumi_binary()
    cancel = run(binary, stack, "cancel", "--yes")
    said = (cancel.stdout + cancel.stderr).strip()
    if "failed to load checkpoint: EOF" in said and remove_empty_sidecars():
        cancel = run(binary, stack, "cancel", "--yes")
        said = (cancel.stdout + cancel.stderr).strip()
    if cancel.returncode != 0 and not any(s in said.lower() for s in NOTHING_TO_CANCEL):
        print(said, file=sys.stderr)
        return 1
    refresh = run(binary, stack, "refresh", "--clear-pending-creates", "--yes")
    if refresh.returncode != 0:
        print((refresh.stdout + refresh.stderr).strip(), file=sys.stderr)
        return 1
    print(f"stack {stack}: unlocked, refreshed, no pending operations; now run pulumi up")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.recover", description=__doc__)
    parser.add_argument("--stack", required=True, help="the stack whose up was interrupted")
    return recover(parser.parse_args(argv).stack)


if __name__ == "__main__":
    sys.exit(main())
