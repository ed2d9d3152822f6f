"""Turn ``pulumi preview --json`` into a Markdown summary for CI, and gate it.

Reviewers read a table, not a JSON diff; and a replace or delete of a protected
resource should stop the pipeline before anyone runs ``pulumi up``. Standard
library only, so CI can run it without the Pulumi SDK::

    pulumi preview --json --stack S > preview.json
    python -m infra.preview_summary preview.json [--output summary.md]   # '-' reads stdin

Exit codes: 0 fine, 2 a protected resource would be replaced or deleted,
1 the input is unreadable or not a preview.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TextIO

from vastobs.errors import PreviewError, VastobsError

KINDS = ("create", "update", "replace", "delete", "same")
# With --show-replacement-steps the engine adds these beside the ``replace`` step.
REPLACE_PARTS = frozenset({"create-replacement", "delete-replaced", "discard-replaced"})
# The pickled dynamic provider: it changes with the provider's code, not the resource.
HIDDEN = frozenset({"__provider"})
SECRET = "[secret]"
SECRET_SIG = ("4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270")
MAX_VALUE = 60
VIEW_TYPE = "vast:View"
PROJECTION_TYPE = "vast:Projection"
STACK_TYPE = "pulumi:pulumi:Stack"

EXIT_OK, EXIT_BAD_INPUT, EXIT_BLOCKED = 0, 1, 2


@dataclass(frozen=True)
class PropChange:
    """One changed property, with a short ``old → new`` only when both fit."""

    name: str
    forces_replace: bool = False
    old: str | None = None
    new: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Change:
    """One resource in the plan."""

    kind: str
    urn: str
    type: str
    name: str
    protected: bool = False
    props: tuple[PropChange, ...] = ()


@dataclass
class Summary:
    """Everything the Markdown and the exit code are made from."""

    counts: dict[str, int]
    changes: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_BLOCKED if self.blocked else EXIT_OK


# --- reading ---------------------------------------------------------------------------------


def read_text(source: str, stdin: TextIO | None = None) -> str:
    """Read the file, or stdin for ``-``; a missing file is bad input, not a crash."""
    try:
        if source == "-":
            return (stdin or sys.stdin).read()
        return Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PreviewError(_label(source), f"cannot read: {exc}") from exc


def _label(source: str) -> str:
    return "<stdin>" if source == "-" else source


def parse_preview(text: str, source: str = "<input>") -> dict[str, Any]:
    """Parse and shape-check the JSON, so later code can index it without guarding."""
    if not text.strip():
        raise PreviewError(source, "empty input (did `pulumi preview --json` fail early?)")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PreviewError(source, f"not JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise PreviewError(source, "not `pulumi preview --json` output (no 'steps' list)")
    for index, step in enumerate(data["steps"]):
        if not _is_step(step):
            raise PreviewError(source, f"step {index} has no 'op' and 'urn' strings")
    return data


def _is_step(step: Any) -> bool:
    return isinstance(step, dict) and all(isinstance(step.get(k), str) for k in ("op", "urn"))


# --- values ----------------------------------------------------------------------------------


def is_secret(value: Any) -> bool:
    """The CLI prints secrets as ``[secret]``; state files use the signature form."""
    if isinstance(value, dict):
        return value.get(SECRET_SIG[0]) == SECRET_SIG[1]
    return value == SECRET


def render_value(value: Any) -> str | None:
    """A short scalar as text, ``[secret]`` for secrets, None when not worth showing."""
    if is_secret(value):
        return SECRET
    if isinstance(value, bool) or value is None:
        text = json.dumps(value)
    elif isinstance(value, int | float | str):
        text = str(value)
    else:
        return None
    if len(text) > MAX_VALUE or any(c in text for c in "`\n\r"):
        return None
    return text


# --- steps -----------------------------------------------------------------------------------


def display_type(type_token: str) -> str:
    """``pulumi-python:dynamic/vast:View`` reads as ``vast:View``; others as they are."""
    _, sep, rest = type_token.partition("dynamic/")
    return rest if sep else type_token


def _state(step: dict[str, Any], key: str) -> dict[str, Any]:
    state = step.get(key)
    return state if isinstance(state, dict) else {}


def _inputs(step: dict[str, Any], key: str) -> dict[str, Any]:
    inputs = _state(step, key).get("inputs")
    return inputs if isinstance(inputs, dict) else {}


def step_type(step: dict[str, Any]) -> str:
    """The state's type, else the last type in the URN's parent chain."""
    for key in ("newState", "oldState"):
        token = _state(step, key).get("type")
        if isinstance(token, str):
            return display_type(token)
    parts = step["urn"].split("::")
    return display_type(parts[-2].split("$")[-1]) if len(parts) >= 4 else "?"


def kind_of(op: str) -> str:
    """Fold the engine's replacement sub-steps into ``replace``; keep others as named."""
    return "replace" if op in REPLACE_PARTS else op


def _top(path: str) -> str:
    """``tags.team`` and ``items[0]`` belong to ``tags`` and ``items``."""
    for sep in (".", "["):
        path = path.split(sep, 1)[0]
    return path


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def changed_names(step: dict[str, Any]) -> dict[str, bool]:
    """Changed property paths mapped to "forces replacement"; ``detailedDiff`` wins."""
    replaces = set(_strings(step.get("replaceReasons")))
    detailed = step.get("detailedDiff")
    if isinstance(detailed, dict) and detailed:
        names = {p: _kind_replaces(e) or _top(p) in replaces for p, e in detailed.items()}
    else:
        names = {name: name in replaces for name in [*_reasons(step), *replaces]}
    return {name: forces for name, forces in sorted(names.items()) if _top(name) not in HIDDEN}


def _reasons(step: dict[str, Any]) -> list[str]:
    """``diffReasons`` when sent; dynamic providers send none, so compare the inputs."""
    if "diffReasons" in step:
        return _strings(step["diffReasons"])
    return _input_diff(step)


def _kind_replaces(entry: Any) -> bool:
    return isinstance(entry, dict) and str(entry.get("kind", "")).endswith("-replace")


def _input_diff(step: dict[str, Any]) -> list[str]:
    """Input keys that differ, plus secrets on both sides (they cannot be compared)."""
    olds, news = _inputs(step, "oldState"), _inputs(step, "newState")
    keys = set(olds) | set(news)
    return [k for k in keys if olds.get(k) != news.get(k) or _both_secret(olds, news, k)]


def _both_secret(olds: dict[str, Any], news: dict[str, Any], key: str) -> bool:
    return key in olds and key in news and is_secret(olds[key]) and is_secret(news[key])


def prop_change(step: dict[str, Any], path: str, forces: bool) -> PropChange:
    """Describe one property; values only for top-level scalars."""
    olds, news = _inputs(step, "oldState"), _inputs(step, "newState")
    if path != _top(path):
        return PropChange(path, forces)
    if path not in olds and path in news:
        return PropChange(path, forces, new=render_value(news[path]), note="added")
    if path in olds and path not in news:
        return PropChange(path, forces, old=render_value(olds[path]), note="removed")
    old, new = render_value(olds.get(path)), render_value(news.get(path))
    if old is None or new is None:
        return PropChange(path, forces)
    note = "secret, may have changed" if old == new == SECRET else ""
    return PropChange(path, forces, old=old, new=new, note=note)


def to_change(step: dict[str, Any]) -> Change:
    """One step as a :class:`Change`; properties only where they tell something."""
    kind = kind_of(step["op"])
    props: tuple[PropChange, ...] = ()
    if kind in ("update", "replace"):
        props = tuple(prop_change(step, n, f) for n, f in changed_names(step).items())
    return Change(
        kind=kind,
        urn=step["urn"],
        type=step_type(step),
        name=step["urn"].rsplit("::", 1)[-1],
        protected=_state(step, "oldState").get("protect") is True,
        props=props,
    )


def collect_changes(steps: list[dict[str, Any]]) -> list[Change]:
    """One change per resource and kind: a ``replace`` step beats its sub-steps."""
    chosen: dict[tuple[str, str], Change] = {}
    for step in steps:
        change = to_change(step)
        key = (change.kind, change.urn)
        if key not in chosen or step["op"] == "replace":
            chosen[key] = change
    return list(chosen.values())


def count_changes(changes: list[Change], change_summary: Any) -> dict[str, int]:
    """Changes are counted from the steps: ``changeSummary`` leaves out a blocked
    delete. Sames come from ``changeSummary``: the steps list only the stack's
    unless the preview ran with ``--show-sames``."""
    counts = dict.fromkeys(KINDS, 0)
    for change in changes:
        counts[change.kind] = counts.get(change.kind, 0) + 1
    reported = change_summary.get("same") if isinstance(change_summary, dict) else None
    if isinstance(reported, int):
        counts["same"] = max(counts["same"], reported)
    return counts


# --- gates and notes -------------------------------------------------------------------------


def blocked_reasons(changes: list[Change]) -> list[str]:
    """Replacing or deleting a protected resource would destroy it: block."""
    return [
        f"{c.kind} of protected resource {c.type} `{c.name}` is proposed"
        for c in changes
        if c.protected and c.kind in ("replace", "delete")
    ]


def view_path_warnings(changes: list[Change]) -> list[str]:
    """A View's path change moves the view, never the data: say so loudly."""
    warnings = []
    for change in changes:
        path = next((p for p in change.props if p.name == "path"), None)
        if change.type != VIEW_TYPE or path is None:
            continue
        move = f" from `{path.old}` to `{path.new}`" if path.old and path.new else ""
        warnings.append(
            f"{VIEW_TYPE} `{change.name}` changes its path{move}: the VAST view is re-pointed "
            "in place and the data stays in the old directory (nothing is moved)"
        )
    return warnings


def projection_notes(changes: list[Change]) -> list[str]:
    """A sorted projection replaced or deleted loses nothing: say so, so no one stops on it."""
    return [
        f"{PROJECTION_TYPE} `{c.name}` is {'rebuilt' if c.kind == 'replace' else 'dropped'}: "
        "it holds only derived data (VAST copies the table's rows into it; queries read the "
        "table itself meanwhile)"
        for c in changes
        if c.type == PROJECTION_TYPE and c.kind in ("replace", "delete")
    ]


def preview_errors(diagnostics: Any) -> list[str]:
    """Error diagnostics on one line each: a failed preview is a partial plan."""
    if not isinstance(diagnostics, list):
        return []
    errors = []
    for diag in diagnostics:
        if isinstance(diag, dict) and diag.get("severity") == "error":
            text = " ".join(str(diag.get("message", "")).split())
            errors.append(text.removeprefix("error: "))
    return errors


def summarise(data: dict[str, Any]) -> Summary:
    """The whole analysis of one parsed preview."""
    changes = collect_changes(data["steps"])
    return Summary(
        counts=count_changes(changes, data.get("changeSummary")),
        changes=changes,
        warnings=view_path_warnings(changes),
        notes=projection_notes(changes),
        blocked=blocked_reasons(changes),
        errors=preview_errors(data.get("diagnostics")),
    )


# --- Markdown --------------------------------------------------------------------------------


def headline(counts: dict[str, int]) -> str:
    """The five counts always, other kinds (read, import ...) only when present."""
    kinds = [*KINDS, *sorted(k for k in counts if k not in KINDS and counts[k])]
    return "## Pulumi preview: " + ", ".join(f"{counts.get(k, 0)} {k}" for k in kinds)


def format_prop(prop: PropChange) -> str:
    """``name`` (forces replacement): ``old`` → ``new``, as far as known."""
    text = f"`{prop.name}`"
    if prop.forces_replace:
        text += " **(forces replacement)**"
    if prop.old is not None and prop.new is not None:
        text += f": `{prop.old}` → `{prop.new}`"
    elif prop.new is not None:
        text += f": → `{prop.new}`"
    elif prop.old is not None:
        text += f": `{prop.old}` →"
    if prop.note:
        text += f" ({prop.note})"
    return text.replace("|", "\\|")


def _row(change: Change, with_props: bool) -> str:
    name = f"`{change.name}`" + (" 🔒 protected" if change.protected else "")
    cells = [f"`{change.type}`", name]
    if with_props:
        cells.append("<br>".join(format_prop(p) for p in change.props) or "—")
    return "| " + " | ".join(cells) + " |"


def section(kind: str, changes: list[Change]) -> str:
    """One table per kind; updates and replaces get a properties column."""
    with_props = kind in ("update", "replace")
    header = "| Type | Name |" + (" Changed properties |" if with_props else "")
    rule = "|---|---|" + ("---|" if with_props else "")
    rows = [_row(c, with_props) for c in changes]
    return "\n".join([f"### {kind.capitalize()} ({len(changes)})", "", header, rule, *rows])


def sames_section(changes: list[Change]) -> str | None:
    """Unchanged resources folded away. The preview lists them only with
    ``--show-sames``; the stack itself, always listed, tells nothing."""
    items = [f"- `{c.type}` `{c.name}`" for c in changes if c.type != STACK_TYPE]
    if not items:
        return None
    summary = f"<details><summary>Unchanged ({len(items)} listed)</summary>"
    return "\n".join([summary, "", *items, "", "</details>"])


def alerts(summary: Summary) -> list[str]:
    """One quote per line: consecutive quote lines would merge into one paragraph."""
    return [
        *(f"> **Blocked:** {reason}" for reason in summary.blocked),
        *(f"> ⚠️ **Warning:** {warning}" for warning in summary.warnings),
        *(f"> **Note:** {note}" for note in summary.notes),
        *(f"> **Preview error:** {error}" for error in summary.errors),
    ]


def render(summary: Summary) -> str:
    """The Markdown: headline, gates and warnings first, then one table per kind."""
    by_kind: dict[str, list[Change]] = {}
    for change in summary.changes:
        by_kind.setdefault(change.kind, []).append(change)
    kinds = [k for k in by_kind if k != "same"]
    ordered = [k for k in KINDS if k in kinds] + sorted(k for k in kinds if k not in KINDS)
    blocks = [headline(summary.counts), *alerts(summary)]
    blocks += [section(kind, by_kind[kind]) for kind in ordered] or ["No changes."]
    sames = sames_section(by_kind.get("same", []))
    if sames:
        blocks.append(sames)
    return "\n\n".join(blocks) + "\n"


# --- command line ----------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on a usage error, which CI would read as "blocked": raise instead."""

    def error(self, message: str) -> NoReturn:
        raise PreviewError(self.prog, message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m infra.preview_summary",
        description="Summarise `pulumi preview --json` as Markdown; exit 2 on a protected "
        "replace or delete, 1 on unreadable input.",
    )
    parser.add_argument("preview", help="the preview JSON file, or - for stdin")
    parser.add_argument("--output", "-o", help="also write the Markdown to this file")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Print the summary; the only place errors are caught, as one line each."""
    try:
        args = _parser().parse_args(argv)
        text = read_text(args.preview)
        summary = summarise(parse_preview(text, _label(args.preview)))
        markdown = render(summary)
        if args.output:
            _write(Path(args.output), markdown)
    except VastobsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    sys.stdout.write(markdown)
    for warning in summary.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for reason in summary.blocked:
        print(f"blocked: {reason}", file=sys.stderr)
    return summary.exit_code


def _write(path: Path, markdown: str) -> None:
    try:
        path.write_text(markdown, encoding="utf-8")
    except OSError as exc:
        raise PreviewError(str(path), f"cannot write the summary: {exc}") from exc


if __name__ == "__main__":
    sys.exit(main())
