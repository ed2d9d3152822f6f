"""The project's one exception tree, shared by infra/ and runner/.

Only the CLI edges (``python -m runner`` and the Pulumi program) catch
:class:`VastobsError`; everything below raises with context and lets it travel.
"""

from __future__ import annotations


class VastobsError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(VastobsError):
    """A stack config value is missing or not allowed; names file, key and value."""

    def __init__(self, key: str, message: str, source: str = "") -> None:
        self.key = key
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}vastobs:{key}: {message}")


class BackendError(VastobsError):
    """A storage backend (VMS or local) refused or failed an operation."""
