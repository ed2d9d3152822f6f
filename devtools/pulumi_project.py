"""A throwaway copy of the Pulumi project with a file backend in a temp dir.

The copy links ``.venv`` from the checkout (the program's modules are
imported from the editable install, as in the checkout), copies ``queries/``
so tests can edit DDL, and
has its own stack file, state and local root, so tests never touch the
user's ``.vastobs/``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from devtools.toolchain import PROJECT_DIR


@dataclass
class PulumiProject:
    root: Path
    binary: Path
    env: dict[str, str]
    stack: str = "test"

    @classmethod
    def create(cls, tmp: Path, binary: Path) -> PulumiProject:
        root = tmp / "project"
        root.mkdir()
        shutil.copy(PROJECT_DIR / "Pulumi.yaml", root / "Pulumi.yaml")
        # The program directory is copied, not linked: the language host resolves
        # symlinks, and the program finds its project from its own location.
        shutil.copytree(
            PROJECT_DIR / "infra",
            root / "infra",
            ignore=shutil.ignore_patterns("__pycache__", ".venv"),
        )
        shutil.copytree(PROJECT_DIR / "queries", root / "queries")  # tests edit DDL
        (root / ".venv").symlink_to(PROJECT_DIR / ".venv")
        (root / "infra" / ".venv").symlink_to("../.venv")
        state, home = tmp / "state", tmp / "pulumi-home"
        state.mkdir()
        env = {
            **os.environ,
            "PATH": f"{binary.parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PULUMI_BACKEND_URL": f"file://{state}",
            "PULUMI_CONFIG_PASSPHRASE": "",
            "PULUMI_HOME": str(home),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        }
        env.pop("PULUMI_STACK", None)
        project = cls(root, binary, env)
        return project

    def write_stack(self, config: dict[str, Any]) -> None:
        """Write ``Pulumi.<stack>.yaml`` from ``vastobs:`` keys (namespace added)."""
        document = {"config": {f"vastobs:{k}": v for k, v in config.items()}}
        path = self.root / f"Pulumi.{self.stack}.yaml"
        existing = yaml.safe_load(path.read_text()) if path.exists() else {}
        if existing and "encryptionsalt" in existing:
            document["encryptionsalt"] = existing["encryptionsalt"]
        path.write_text(yaml.safe_dump(document, sort_keys=False))

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(self.binary), *args, "--stack", self.stack, "--non-interactive"],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"pulumi {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
            )
        return proc

    def run_input(self, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
        """A command that reads a value on stdin (``config set --secret``), never argv."""
        return subprocess.run(
            [str(self.binary), *args, "--stack", self.stack, "--non-interactive"],
            cwd=self.root, env=self.env, input=stdin, capture_output=True, text=True, check=True,
        )  # fmt: skip

    def state_files(self) -> list[Path]:
        state = Path(self.env["PULUMI_BACKEND_URL"].removeprefix("file://"))
        return [f for f in state.rglob("*") if f.is_file()]

    def init(self) -> None:
        subprocess.run(
            [str(self.binary), "stack", "init", self.stack, "--non-interactive"],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )

    def preview_json(self, *args: str) -> dict[str, Any]:
        return json.loads(self.run("preview", "--json", *args).stdout)

    def steps(self, *args: str) -> dict[str, list[str]]:
        """Resource names (last URN part) by operation, for dynamic resources only."""
        by_op: dict[str, list[str]] = {}
        for step in self.preview_json(*args)["steps"]:
            if "pulumi-python:dynamic" in step["urn"]:
                by_op.setdefault(step["op"], []).append(step["urn"].rsplit("::", 1)[-1])
        return {op: sorted(names) for op, names in by_op.items()}

    def outputs(self) -> dict[str, Any]:
        return json.loads(self.run("stack", "output", "--json").stdout)

    def managed_resources(self) -> list[str]:
        """URNs of the dynamic resources the stack's state holds (read from the file
        backend: no engine start)."""
        checkpoint = next((f for f in self.state_files() if f.name == f"{self.stack}.json"), None)
        if checkpoint is None:
            return []
        latest = json.loads(checkpoint.read_text()).get("checkpoint", {}).get("latest") or {}
        return [
            r["urn"] for r in latest.get("resources") or [] if "pulumi-python:dynamic" in r["type"]
        ]

    def stop_leftover_processes(self) -> None:
        """Kill what a killed ``pulumi`` left running from this project: the engine starts
        each dynamic provider (``<project>/infra/.venv/bin/python -m pulumi.dynamic``) in a
        process group of its own, so a kill -9 of the CLI's group leaves them serving."""
        mine = str(self.root)
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                argv0 = (proc / "cmdline").read_bytes().split(b"\0", 1)[0].decode()
                if argv0.startswith(mine + os.sep):
                    os.kill(int(proc.name), signal.SIGKILL)
            except (OSError, UnicodeDecodeError):
                continue  # gone meanwhile, or not ours to read

    def cleanup(self) -> None:
        """Destroy what a stack left outside its temp directory, so nothing outlives the test.

        No engine run when nothing would: a stack that holds no resource, a
        ``local`` one rooted inside the project (pytest removes the temp
        directory), or a ``vast`` one, whose objects lived in the VMS stand-in
        the test ran against (gone by now)."""
        self.stop_leftover_processes()
        path = self.root / f"Pulumi.{self.stack}.yaml"
        if not path.exists() or not self.managed_resources():
            return
        config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
        if config.get("vastobs:backend", "local") != "local":
            return
        local_root = (self.root / str(config.get("vastobs:local_root", ".vastobs/local"))).resolve()
        if not local_root.is_relative_to(self.root.resolve()):
            self.run("destroy", "--yes", check=False)
