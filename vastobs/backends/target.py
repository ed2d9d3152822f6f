"""Where a provider's objects live, and the credentials to reach them.

The non-secret ``target`` (backend kind, local root or VMS address, tenant,
CA file, TLS flag, credential file names) is a resource input so that refresh
and destroy, which run without the program, know where to go; it is excluded
from diffs. Credentials never are inputs, nor stack config (which Pulumi copies
into the dynamic provider's state): they come from the environment
(``VASTOBS_VMS_PASSWORD`` / ``VASTOBS_VMS_TOKEN``) or from the files that
``vms.password_file`` / ``vms.token_file`` name, read when the provider runs.

A target's *place* (the backend kind with the resolved local root, or the VMS
address with the tenant) says which objects a stack owns; the other fields say
how to connect. State made on one place is never acted on from a config that
names another (:func:`require_same_place`): a copied checkout, or an edited
address, would otherwise refresh or destroy the original's objects.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from vastobs.backends.base import Backend
from vastobs.backends.local import LocalBackend
from vastobs.config import StackConfig
from vastobs.errors import ConfigError, TargetMismatch

Target = dict[str, Any]


def target_for(stack: StackConfig) -> Target:
    if stack.backend == "local":
        return {"kind": "local", "root": str(stack.local_root.resolve())}
    return {
        "kind": "vast",
        "address": stack.vms.address,
        "user": stack.vms.user,
        "tenant": stack.vms.tenant,
        "ca_cert": _absolute(stack, stack.vms.ca_cert),
        "verify_tls": stack.vms.verify_tls,
        "password_file": _absolute(stack, stack.vms.password_file),
        "token_file": _absolute(stack, stack.vms.token_file),
        # How long to wait, not where: a change of it alone is no change of target.
        "timeout_seconds": stack.vms.timeout_seconds,
    }


def place(target: Target) -> tuple[str, ...]:
    """What names where the objects live: kind and resolved root, or VMS address and tenant."""
    if target.get("kind") == "local":
        return ("local", str(Path(target["root"]).resolve()))
    address = str(target.get("address") or "").strip().lower().removeprefix("https://")
    return ("vast", address.rstrip("/"), str(target.get("tenant") or "default"))


def describe(target: Target) -> str:
    """A target's place as a reader would name it in one line."""
    kind, *where = place(target)
    if kind == "local":
        return f"local root {where[0]}"
    return f"VMS {where[0]} (tenant {where[1]})"


def require_same_place(state: Target, config: Target) -> None:
    """Refuse, naming both, when the state was made on another place than the config names."""
    if place(state) != place(config):
        raise TargetMismatch(describe(state), describe(config))


def _absolute(stack: StackConfig, path: str | None) -> str | None:
    if path and not Path(path).is_absolute():
        return str((stack.project_dir / path).resolve())
    return path


def vms_credentials(target: Target) -> tuple[str | None, str | None]:
    """(password, token): the environment first, then the configured files."""
    found = []
    for kind in ("password", "token"):
        value = os.environ.get(f"VASTOBS_VMS_{kind.upper()}")
        name = target.get(f"{kind}_file")
        if not value and name:
            try:
                value = Path(name).read_text().strip()
            except OSError as exc:
                raise ConfigError(
                    f"vms.{kind}_file", f"cannot read {name}: {exc.strerror}"
                ) from None
        found.append(value or None)
    return found[0], found[1]


def backend_for(target: Target) -> Backend:
    if target["kind"] == "local":
        return LocalBackend(Path(target["root"]))
    from vastobs.backends.vast import VastBackend  # vastpy only where it is used

    password, token = vms_credentials(target)
    if not (password or token):
        raise ConfigError(
            "vms",
            "no VMS credentials: set VASTOBS_VMS_PASSWORD or VASTOBS_VMS_TOKEN in the "
            "environment, or vms.password_file / vms.token_file in the stack config",
        )
    if password and not target.get("user"):
        raise ConfigError("vms.user", "is required with a password (or use VASTOBS_VMS_TOKEN)")
    return VastBackend(target, password=password, token=token)
