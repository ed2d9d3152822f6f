"""Where a provider's objects live, and the credentials to reach them.

The non-secret ``target`` (backend kind, local root or VMS address, tenant,
CA file, TLS flag) is a resource input so that refresh and destroy, which run
without the program, know where to go; it is excluded from diffs. Secrets
never are inputs: they come from ``configure()`` (the stack's
``vastobs:vms_password`` / ``vastobs:vms_token`` secrets) or the environment
(``VASTOBS_VMS_PASSWORD`` / ``VASTOBS_VMS_TOKEN``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from infra.backends.base import Backend
from infra.backends.local import LocalBackend
from infra.config import StackConfig
from infra.errors import ConfigError

Target = dict[str, Any]


def target_for(stack: StackConfig) -> Target:
    if stack.backend == "local":
        return {"kind": "local", "root": str(stack.local_root.resolve())}
    ca_cert = stack.vms.ca_cert
    if ca_cert and not Path(ca_cert).is_absolute():
        ca_cert = str((stack.project_dir / ca_cert).resolve())
    return {
        "kind": "vast",
        "address": stack.vms.address,
        "user": stack.vms.user,
        "tenant": stack.vms.tenant,
        "ca_cert": ca_cert,
        "verify_tls": stack.vms.verify_tls,
    }


def backend_for(target: Target, secrets: dict[str, str | None]) -> Backend:
    if target["kind"] == "local":
        return LocalBackend(Path(target["root"]))
    from infra.backends.vast import VastBackend  # vastpy only where it is used

    password = secrets.get("password") or os.environ.get("VASTOBS_VMS_PASSWORD")
    token = secrets.get("token") or os.environ.get("VASTOBS_VMS_TOKEN")
    if not (password or token):
        raise ConfigError(
            "vms_password",
            "no VMS credentials: set `pulumi config set --secret vastobs:vms_password` "
            "(value on stdin) or VASTOBS_VMS_PASSWORD / VASTOBS_VMS_TOKEN in the environment",
        )
    if password and not target.get("user"):
        raise ConfigError("vms.user", "is required with a password (or use VASTOBS_VMS_TOKEN)")
    return VastBackend(target, password=password, token=token)
