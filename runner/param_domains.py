"""Parameter domains: the values a query parameter may take, declared in its header.

::

    -- params:
    --   dec: {type: double, min: -90, max: 90, ...}
    --   radius_arcsec: {type: double, above: 0, max: 36000, ...}
    --   end_time: {type: timestamp, min: start_time, ...}

``min``/``max`` are inclusive bounds, ``above``/``below`` exclusive ones; a bound
is a value of the parameter's type or the name of another parameter of that type
(how two parameters are ordered). A double must be finite unless ``finite:
false``, and NaN never passes. A timestamp's UTC offset is converted to UTC
(``offset: convert``, the default) or refused (``offset: refuse``).

The runner checks every value, given or default, before it computes derived
values or runs SQL, so a value no query can mean is one clear line naming the
parameter, its value and what is allowed, on every engine alike.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

LOWER = {"min": False, "above": True}  # key -> the bound itself excluded
UPPER = {"max": False, "below": True}
ORDER_KEYS = (*LOWER, *UPPER)
DOMAIN_KEYS: dict[str, tuple[str, ...]] = {
    "boolean": (),
    "varchar": (),
    "integer": ORDER_KEYS,
    "date": ORDER_KEYS,
    "double": (*ORDER_KEYS, "finite"),
    "timestamp": (*ORDER_KEYS, "offset"),
    "observatories": ("kinds",),  # the kinds it selects observatories for
}
OFFSETS = ("convert", "refuse")
ENTRY_KEYS = ("type", "default", "default_from", "description")  # the rest of a param entry
ALL_KEYS = (*ENTRY_KEYS, *ORDER_KEYS, "finite", "offset", "kinds")


def shown(value: Any, compact: bool = False) -> str:
    """A value as an error message shows it: what a user would type back (``compact``:
    a whole double without its ``.0``, as a header writes a bound)."""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    if compact and isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    text = repr(value)  # quotes text, escapes newlines and control characters: one line
    return text if len(text) <= 80 else f"{text[:60]}... ({len(str(value))} characters)"


@dataclass(frozen=True)
class Bound:
    key: str  # min, above, max or below
    value: Any  # a value of the parameter's type, or (``ref``) another parameter's name
    ref: bool = False

    @property
    def strict(self) -> bool:
        return {**LOWER, **UPPER}[self.key]

    def resolve(self, values: Mapping[str, Any]) -> Any:
        return values.get(self.value) if self.ref else self.value

    def text(self) -> str:
        return str(self.value) if self.ref else shown(self.value, compact=True)


@dataclass(frozen=True)
class Domain:
    lower: Bound | None = None
    upper: Bound | None = None
    finite: bool | None = None  # None: not a double
    offset: str = "convert"

    def violation(self, value: Any, values: Mapping[str, Any]) -> str | None:
        """What is wrong with ``value``, the other parameters' values given; None if allowed."""
        if isinstance(value, float) and (math.isnan(value) or (self.finite and math.isinf(value))):
            return self.describe(values)
        lower = self.lower.resolve(values) if self.lower else None
        upper = self.upper.resolve(values) if self.upper else None
        if lower is not None and (value <= lower if self.lower.strict else value < lower):  # type: ignore[union-attr]
            return self.describe(values)
        if upper is not None and (value >= upper if self.upper.strict else value > upper):  # type: ignore[union-attr]
            return self.describe(values)
        return None

    def describe(self, values: Mapping[str, Any] | None = None) -> str:
        """``must be a finite number in [-90, 90]``; other parameters' values in parentheses."""
        what = {True: "a finite number", False: "a number"}.get(self.finite, "")  # type: ignore[call-overload]
        lo, hi = self.lower, self.upper
        if lo and hi:
            span = (
                f"in {'(' if lo.strict else '['}{lo.text()}, {hi.text()}{')' if hi.strict else ']'}"
            )
        elif lo:
            span = f"{'>' if lo.strict else '>='} {lo.text()}"
        elif hi:
            span = f"{'<' if hi.strict else '<='} {hi.text()}"
        else:
            span = ""
        refs = [b.value for b in (lo, hi) if b and b.ref and values and b.value in values]
        if refs and values is not None:
            span += f" ({', '.join(f'{r}={shown(values[r])}' for r in refs)})"
        return "must be " + " ".join(part for part in (what, span) if part)

    @property
    def refs(self) -> list[str]:
        return [b.value for b in (self.lower, self.upper) if b and b.ref]


def parse_domain(
    name: str,
    ptype: str,
    spec: Mapping[str, Any],
    types: Mapping[str, str],
    coerce: Callable[[Any], Any],
) -> tuple[Domain, list[tuple[str, str]]]:
    """The domain a param entry declares, and its problems as ``(key, message)``: an
    unknown key, a key its type cannot take, a bound that is neither a value nor a
    parameter of the type, an empty range. A bound with a problem is left out."""
    problems: list[tuple[str, str]] = []
    allowed = DOMAIN_KEYS[ptype]

    def problem(key: str, message: str) -> None:
        problems.append((key, f"param {name}: {message}"))

    for key in spec:
        if key not in ALL_KEYS:
            problem(key, f"unknown key {key!r} (keys: {', '.join(ALL_KEYS)})")
        elif key not in ENTRY_KEYS and key not in allowed:
            takes = f"takes only {', '.join(allowed)}" if allowed else "takes no domain"
            article = "an" if ptype[0] in "aeiou" else "a"
            problem(key, f"{key} does not apply to {article} {ptype} ({ptype} {takes})")

    def bound(keys: Mapping[str, bool]) -> Bound | None:
        given = [k for k in keys if k in spec and k in allowed]
        if len(given) > 1:
            problem(given[1], f"{' and '.join(given)}: give one of them")
        if not given:
            return None
        key, raw = given[0], spec[given[0]]
        if isinstance(raw, str) and raw in types:
            if raw == name or types[raw] != ptype:
                why = "itself" if raw == name else f"a {types[raw]}"
                problem(key, f"{key}: {raw} is {why}, not another {ptype}")
                return None
            return Bound(key, raw, ref=True)
        try:
            return Bound(key, coerce(raw))
        except (TypeError, ValueError, OverflowError):
            problem(key, f"{key}: {raw!r} is neither a {ptype} nor a {ptype} parameter")
            return None

    lower, upper = bound(LOWER), bound(UPPER)
    if lower and upper and not lower.ref and not upper.ref:
        empty = lower.value > upper.value or (
            lower.value == upper.value and (lower.strict or upper.strict)
        )
        if empty:
            problem(upper.key, f"{upper.key} {upper.text()} leaves no value")
    finite: bool | None = None
    if ptype == "double":
        finite = spec.get("finite", True)
        if not isinstance(finite, bool):
            problem("finite", f"finite is true or false, not {finite!r}")
            finite = True
    offset = spec.get("offset", "convert") if ptype == "timestamp" else "convert"
    if offset not in OFFSETS:
        problem("offset", f"offset {offset!r} is not one of {', '.join(OFFSETS)}")
        offset = "convert"
    return Domain(lower, upper, finite, offset), problems
