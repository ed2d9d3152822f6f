"""The base provider: a partial diff that ignores provider code.

Pulumi pickles the provider into the hidden input ``__provider``; any edit of
provider code changes it (pulumi/pulumi#12401). Diffing only the declared
properties keeps ``pulumi preview --expect-no-changes`` quiet after a code
change that alters nothing real.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pulumi.dynamic import DiffResult, ResourceProvider

HIDDEN = frozenset({"__provider"})


class BaseProvider(ResourceProvider):
    """Subclasses name the properties that replace; everything else updates."""

    replace_properties: ClassVar[tuple[str, ...]] = ()
    # Outputs the provider computes, never part of the desired state.
    output_properties: ClassVar[tuple[str, ...]] = ()

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        ignored = HIDDEN | set(self.output_properties)
        keys = (set(olds) | set(news)) - ignored
        changes = sorted(k for k in keys if _normalise(olds.get(k)) != _normalise(news.get(k)))
        replaces = [k for k in changes if k in self.replace_properties]
        return DiffResult(
            changes=bool(changes),
            replaces=replaces,
            stables=[k for k in keys if k not in changes],
            delete_before_replace=bool(replaces),
        )


def _normalise(value: Any) -> Any:
    """Absent, null and empty compare equal (the VAST Terraform provider's issue #31)."""
    if value in (None, [], {}, ""):
        return None
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items() if _normalise(v) is not None}
    return value
