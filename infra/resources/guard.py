"""The providers act only on the target the stack's own config names.

A resource's ``target`` input is not desired state (it stays out of diffs), but
refresh and destroy do not run the program: they act on the target stored in
the state. A checkout copied with its state, or a config whose VMS address
changed, would then refresh or destroy the objects of the other target. So each
CRUD entry point compares the state's target with the config's, before any
backend call, and refuses naming both (:class:`vastobs.errors.TargetMismatch`).

The config's target is read from the stack file ``Pulumi.<stack>.yaml`` as it
is now (the stack's name travels in the target), in the project the provider
runs in: refresh and destroy configure providers with the config stored at the
last ``up``, so only the file sees an edited address. Where the file is not
known (state made before the name travelled), the config the engine passed to
``configure`` is used: it still resolves a relative local root in this checkout.

What ``configure`` brings is kept in this module, in the provider process only:
the provider object is pickled into the state, this module never is.

Re-targeting is explicit: ``VASTOBS_RETARGET=1 pulumi refresh`` lets ``read``
find each object on the config's target by its natural key (or drop it from the
state), never deleting anything on the old one; ``pulumi up`` then creates what
is missing.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pulumi.dynamic import Config

from vastobs.backends.target import Target, place, require_same_place, target_for
from vastobs.config import NAMESPACE, find_project_dir, from_mapping, stack_file
from vastobs.errors import ConfigError

RETARGET_ENV = "VASTOBS_RETARGET"
# The keys target_for reads: the rest of the config cannot change a target.
TARGET_KEYS = ("backend", "local_root", "vms")

# The stack config as ``configure`` received it; None outside a provider process.
_configured: dict[str, Any] | None = None


def remember(config: Config) -> None:
    """Keep the ``vastobs:`` keys the engine configured the provider with (JSON text decoded)."""
    global _configured
    raw: dict[str, Any] = {}
    for key in TARGET_KEYS:
        value = config.get(f"{NAMESPACE}:{key}")
        if isinstance(value, str) and value[:1] in ("{", "["):
            value = json.loads(value)
        if value is not None:
            raw[key] = value
    _configured = raw


def retargeting() -> bool:
    return os.environ.get(RETARGET_ENV) == "1"


def config_target(state: Target) -> Target | None:
    """The target the stack's config names: its file as it is now, else what configure received.

    None when neither is known (a provider driven directly, as unit tests do).
    """
    stack = state.get("stack")
    if stack:
        project_dir = find_project_dir()
        path = stack_file(project_dir, stack)
        if path.is_file():
            return _target_of(_file_keys(path), project_dir, path.name, stack)
    if _configured is not None:
        return _target_of(_configured, find_project_dir(), "the stack config", stack)
    return None


def acting_target(state: Target, *, move: bool = False) -> Target:
    """The target to act on: the config's, once it names the same place as the state's.

    ``move`` (a re-targeting refresh) takes the config's target whatever the state's.
    """
    config = config_target(state)
    if config is None:
        return state
    if not move:
        require_same_place(state, config)
    return config


def _file_keys(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError("", f"cannot read the stack file: {exc}", str(path)) from None
    config = document.get("config") or {}
    return {k: config[f"{NAMESPACE}:{k}"] for k in TARGET_KEYS if f"{NAMESPACE}:{k}" in config}


@functools.cache
def _cached_target(raw: str, project_dir: Path, source: str) -> tuple[tuple[str, Any], ...]:
    stack = from_mapping(json.loads(raw), project_dir, source=source)
    return tuple(target_for(stack).items())


def _target_of(raw: dict[str, Any], project_dir: Path, source: str, stack: str | None) -> Target:
    target = dict(_cached_target(json.dumps(raw, sort_keys=True), project_dir, source))
    return {**target, "stack": stack} if stack else target


def _moved(olds: Target) -> bool:
    """A re-targeting refresh diffs what read found (on the config's target) against the
    state's old inputs; an ``up`` diffs the state (still on the old target) against the
    config's, so it is refused even with the variable set."""
    if not retargeting():
        return False
    config = config_target(olds)
    return config is not None and place(olds) == place(config)


def install(cls: type) -> None:
    """Guard the CRUD methods ``cls`` itself defines (each subclass calls this once)."""
    for name, wrap in _WRAPPERS.items():
        method = cls.__dict__.get(name)
        if method is not None and not getattr(method, "_target_guarded", False):
            guarded = functools.wraps(method)(wrap(method))
            guarded._target_guarded = True  # type: ignore[attr-defined]
            setattr(cls, name, guarded)


def _diff(method: Callable[..., Any]) -> Callable[..., Any]:
    def diff(self: Any, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        if olds.get("target") and news.get("target") and not _moved(olds["target"]):
            require_same_place(olds["target"], news["target"])
        return method(self, id_, olds, news)

    return diff


def _read(method: Callable[..., Any]) -> Callable[..., Any]:
    def read(self: Any, id_: str, props: dict[str, Any]) -> Any:
        target = acting_target(props["target"], move=retargeting())
        return method(self, id_, {**props, "target": target})

    return read


def _update(method: Callable[..., Any]) -> Callable[..., Any]:
    def update(self: Any, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        acting_target(olds["target"])
        return method(self, id_, olds, news)

    return update


def _delete(method: Callable[..., Any]) -> Callable[..., Any]:
    def delete(self: Any, id_: str, props: dict[str, Any]) -> Any:
        return method(self, id_, {**props, "target": acting_target(props["target"])})

    return delete


_WRAPPERS = {"diff": _diff, "read": _read, "update": _update, "delete": _delete}
