"""The Pulumi program: read the stack config, declare the database and one
Observatory per configured observatory. Thin on purpose."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from infra.alerts import AlertTables
from infra.database import Database
from infra.observatory import Observatory
from infra.sky_index import SkyIndex
from vastobs.backends.target import target_for
from vastobs.config import NAMESPACE, TOP_LEVEL_KEYS, StackConfig, find_project_dir, from_mapping
from vastobs.errors import VastobsError


def _raw_config() -> dict[str, Any]:
    """Every ``vastobs:`` key the stack sets, so that validation sees unknown ones too."""
    config = pulumi.Config(NAMESPACE)
    every = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    keys = {k.split(":", 1)[1] for k in every if k.startswith(f"{NAMESPACE}:")}
    raw: dict[str, Any] = {}
    for key in sorted(keys | set(TOP_LEVEL_KEYS)):
        value = config.get(key)  # structured values arrive as JSON text
        if value is not None:
            raw[key] = json.loads(value) if value[:1] in ("{", "[") else value
    return raw


def declare(stack: StackConfig) -> None:
    """The database, one Observatory per configured observatory, the sky index and the
    alert tables where the stack asks for them, and the stack's outputs."""
    if stack.backend == "vast" and not stack.vms.verify_tls:
        pulumi.log.warn(
            f"vastobs:vms.verify_tls is false: the certificate of {stack.vms.address} "
            "is NOT verified"
        )
    # The stack's name travels with the target: destroy and refresh, which do not run
    # this program, read that stack's config to check its target (infra/resources/guard.py).
    target = {**target_for(stack), "stack": pulumi.get_stack()}
    database = Database(stack, target)
    observatories = {
        cfg.name: Observatory(cfg, stack, database, target) for cfg in stack.observatories
    }
    if stack.database.sky_index:
        SkyIndex(stack, database, target)
    if stack.alerts.topics:
        AlertTables(stack, database, target)
    pulumi.export("backend", stack.backend)
    pulumi.export("database", {"bucket": database.bucket, "path": stack.database.path})
    pulumi.export(
        "observatories",
        {
            name: {"path": obs.view.path, "view_id": obs.view.vms_id}
            for name, obs in observatories.items()
        },
    )


# The program's edge: a config, DDL or backend error is one line, no traceback.
# Relative config paths resolve from the directory of Pulumi.yaml, wherever the
# language host starts the program (older hosts start it in infra/).
try:
    project_dir = find_project_dir(Path(__file__).parent)
    source = f"Pulumi.{pulumi.get_stack()}.yaml"
    declare(from_mapping(_raw_config(), project_dir, source=source))
except VastobsError as exc:
    raise pulumi.RunError(str(exc)) from None
