"""Stacks a test builds from the project's local stack: observatories added or removed."""

from __future__ import annotations

from typing import Any

import yaml

from devtools.toolchain import PROJECT_DIR
from vastobs.config import NAMESPACE, StackConfig, from_mapping

# What the acceptance of "any observatory" adds by config only (docs/configuration.md).
FERMI_AND_NUSTAR: dict[str, Any] = {
    "fermi": {"path": "/fermi/observations", "quota": {"hard": "10TB"}, "kinds": ["triggers"]},
    "nustar": {
        "path": "/nustar/observations",
        "quota": {"hard": "10TB"},
        "kinds": ["observations", "measurements"],
    },
}


def stack_raw(added: dict[str, Any], without: tuple[str, ...] = ()) -> dict[str, Any]:
    """The local stack's ``vastobs:`` keys plus (or minus) observatories, as config blocks."""
    text = (PROJECT_DIR / "Pulumi.local.yaml").read_text()
    raw = {
        key.removeprefix(f"{NAMESPACE}:"): value
        for key, value in yaml.safe_load(text)["config"].items()
    }
    observatories = {k: v for k, v in raw["observatories"].items() if k not in without}
    raw["observatories"] = {**observatories, **added}
    return raw


def stack_with(
    added: dict[str, Any], without: tuple[str, ...] = (), **sections: Any
) -> StackConfig:
    """The local stack plus (or minus) observatories, and other sections replaced."""
    return from_mapping({**stack_raw(added, without), **sections}, PROJECT_DIR, "test stack")
