"""infra.preview_summary over real `pulumi preview --json` captures (tests/fixtures/preview,
made with the pinned CLI; see docs/ci.md). Library calls for the content, subprocesses only
for the exit codes."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import pytest

from devtools.toolchain import PROJECT_DIR
from infra.preview_summary import (
    SECRET_SIG,
    Summary,
    changed_names,
    display_type,
    parse_preview,
    read_text,
    render,
    render_value,
    summarise,
)
from tests.support.process import python_module
from vastobs.errors import PreviewError, VastobsError

FIXTURES = PROJECT_DIR / "tests" / "fixtures" / "preview"
ALL = sorted(p.stem for p in FIXTURES.glob("*.json"))
PROTECTED = {"protected_replace", "protected_delete"}


def load(name: str) -> dict[str, Any]:
    path = FIXTURES / f"{name}.json"
    return parse_preview(read_text(str(path)), str(path))


def summary_of(name: str) -> Summary:
    return summarise(load(name))


def step_for(data: dict[str, Any], suffix: str) -> dict[str, Any]:
    return next(s for s in data["steps"] if s["urn"].endswith(suffix) and s["op"] != "same")


def props_of(summary: Summary, name: str) -> dict[str, Any]:
    change = next(c for c in summary.changes if c.name == name and c.kind != "same")
    return {p.name: p for p in change.props}


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return python_module("infra.preview_summary", *args, stdin=stdin, timeout=30)


def test_fixture_set_is_complete() -> None:
    assert set(ALL) >= {
        "create",
        "no_changes",
        "update",
        "view_path",
        "replace",
        "delete",
        "protected_replace",
        "protected_delete",
        "secret_add",
        "secret_change",
        "engine_diff",
    }


# --- counts ----------------------------------------------------------------------------------

COUNTS = {  # create, update, replace, delete, same
    "create": (4, 0, 0, 0, 0),
    "no_changes": (0, 0, 0, 0, 4),
    "update": (0, 1, 0, 0, 3),
    "view_path": (0, 1, 0, 0, 3),
    "replace": (0, 0, 1, 0, 3),
    "delete": (0, 0, 0, 1, 3),
    "protected_replace": (0, 0, 1, 0, 3),
    "protected_delete": (0, 0, 0, 1, 3),  # changeSummary leaves this delete out
    "secret_add": (0, 1, 0, 0, 3),
    "secret_change": (0, 1, 0, 0, 3),
    "engine_diff": (0, 1, 0, 0, 3),
    "program_error": (0, 1, 0, 0, 3),
    "show_sames": (0, 1, 1, 0, 2),
    "replacement_steps": (0, 1, 1, 0, 2),  # its three replace sub-steps count once
}


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_counts_and_headline(name: str) -> None:
    summary = summary_of(name)
    kinds = ("create", "update", "replace", "delete", "same")
    assert tuple(summary.counts[k] for k in kinds) == COUNTS[name]
    numbers = ", ".join(f"{n} {k}" for n, k in zip(COUNTS[name], kinds, strict=True))
    assert render(summary).splitlines()[0] == f"## Pulumi preview: {numbers}"


def test_every_fixture_has_counts() -> None:
    assert set(ALL) == set(COUNTS)


def test_protected_delete_is_missing_from_change_summary() -> None:
    # Why changes are counted from the steps: the CLI's own summary drops it.
    assert load("protected_delete")["changeSummary"] == {"same": 3}


# --- tables and properties -------------------------------------------------------------------


def test_create_lists_every_resource_with_its_short_type() -> None:
    markdown = render(summary_of("create"))
    assert "### Create (4)" in markdown
    for row in (
        "| `vast:View` | `swift-view` |",
        "| `vast:Quota` | `swift-quota` |",
        "| `vastobs:index:Observatory` | `swift` |",
    ):
        assert row in markdown
    assert "dynamic/" not in markdown


def test_no_changes() -> None:
    markdown = render(summary_of("no_changes"))
    assert "No changes." in markdown and "###" not in markdown


def test_scalar_update_shows_old_and_new() -> None:
    summary = summary_of("update")
    hard = props_of(summary, "swift-quota")["hard_limit"]
    assert (hard.old, hard.new, hard.forces_replace) == ("1000", "2000", False)
    assert "| `vast:Quota` | `swift-quota` | `hard_limit`: `1000` → `2000` |" in render(summary)
    assert summary.exit_code == 0 and not summary.warnings


def test_replace_marks_the_forcing_property() -> None:
    summary = summary_of("replace")
    tenant = props_of(summary, "swift-view")["tenant"]
    assert tenant.forces_replace and (tenant.old, tenant.new) == ("default", "other")
    assert "`tenant` **(forces replacement)**: `default` → `other`" in render(summary)
    assert summary.exit_code == 0  # not protected


def test_delete_is_listed_and_not_blocked_when_unprotected() -> None:
    summary = summary_of("delete")
    assert "| `vast:Quota` | `swift-quota` |" in render(summary)
    assert summary.exit_code == 0 and not summary.blocked


def test_detailed_diff_is_used_and_provider_key_dropped() -> None:
    data = load("engine_diff")
    step = step_for(data, "swift-quota")
    assert "__provider" in step["diffReasons"] and "__provider" in step["detailedDiff"]
    assert changed_names(step) == {"hard_limit": False, "token": False}
    props = props_of(summarise(data), "swift-quota")
    assert props["token"].note == "added" and props["token"].new == "[secret]"


def test_detailed_diff_replace_kind_and_nested_paths() -> None:
    step = step_for(load("engine_diff"), "swift-quota")
    step["detailedDiff"] = {
        "tenant": {"kind": "update-replace"},
        "tags.team": {"kind": "add"},
        "__provider": {"kind": "update"},
    }
    assert changed_names(step) == {"tags.team": False, "tenant": True}


def test_dynamic_provider_steps_are_diffed_from_inputs() -> None:
    # The Python dynamic provider sends no diffReasons and no detailedDiff.
    step = step_for(load("update"), "swift-quota")
    assert "diffReasons" not in step and step["detailedDiff"] is None
    assert changed_names(step) == {"hard_limit": False}


def test_replacement_sub_steps_fold_into_one_replace() -> None:
    data = load("replacement_steps")
    ops = [s["op"] for s in data["steps"] if s["urn"].endswith("swift-view")]
    assert ops == ["delete-replaced", "replace", "create-replacement"]
    summary = summarise(data)
    assert [c.name for c in summary.changes if c.kind == "replace"] == ["swift-view"]
    assert render(summary) == render(summary_of("show_sames")).split("\n\n<details>")[0] + "\n"


def test_show_sames_lists_unchanged_but_not_the_stack() -> None:
    markdown = render(summary_of("show_sames"))
    assert "<summary>Unchanged (1 listed)</summary>" in markdown
    assert "- `vastobs:index:Observatory` `swift`" in markdown
    assert "pvfix-dev" not in markdown


@pytest.mark.parametrize("name", ALL)
def test_provider_key_never_appears(name: str) -> None:
    assert "__provider" not in render(summary_of(name))


# --- the View path warning -------------------------------------------------------------------


def test_view_path_change_is_flagged_loudly() -> None:
    summary = summary_of("view_path")
    assert len(summary.warnings) == 1
    markdown = render(summary)
    warning = next(line for line in markdown.splitlines() if "Warning" in line)
    assert warning.startswith("> ⚠️ **Warning:** vast:View `swift-view`")
    assert "`/swift` to `/swift-v2`" in warning and "old directory" in warning
    assert markdown.index("Warning") < markdown.index("### Update")  # above the tables


def test_path_change_of_another_type_is_not_flagged() -> None:
    data = load("view_path")
    step = step_for(data, "swift-view")
    for state in ("oldState", "newState"):
        step[state]["type"] = "pulumi-python:dynamic/vast:Quota"
    assert summarise(data).warnings == []


# --- secrets ---------------------------------------------------------------------------------


def test_added_secret_is_masked() -> None:
    markdown = render(summary_of("secret_add"))
    assert "`token`: → `[secret]` (added)" in markdown


def test_changed_secret_is_listed_but_masked() -> None:
    # Both sides print as "[secret]": the inputs cannot tell, so say it may have changed.
    markdown = render(summary_of("secret_change"))
    assert "`token`: `[secret]` → `[secret]` (secret, may have changed)" in markdown


def test_signature_form_secrets_are_masked() -> None:
    data = load("secret_change")
    step = step_for(data, "swift-quota")
    step["oldState"]["inputs"]["token"] = {SECRET_SIG[0]: SECRET_SIG[1], "plaintext": '"hunter2"'}
    step["newState"]["inputs"]["token"] = {SECRET_SIG[0]: SECRET_SIG[1], "plaintext": '"swordfish"'}
    step["newState"]["inputs"]["hard_limit"] = {SECRET_SIG[0]: SECRET_SIG[1], "plaintext": "5"}
    markdown = render(summarise(data))
    assert "hunter2" not in markdown and "swordfish" not in markdown
    assert "`hard_limit`: `1000` → `[secret]`" in markdown
    assert "`token`: `[secret]` → `[secret]`" in markdown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("[secret]", "[secret]"),
        ({SECRET_SIG[0]: SECRET_SIG[1], "ciphertext": "x" * 200}, "[secret]"),
        ("x" * 60, "x" * 60),
        ("x" * 61, None),
        (True, "true"),
        (None, "null"),
        (2.5, "2.5"),
        (["NFS", "S3"], None),
        ({"a": 1}, None),
        ("two\nlines", None),
    ],
)
def test_render_value(value: Any, shown: str | None) -> None:
    assert render_value(value) == shown


def test_long_values_are_named_not_dumped() -> None:
    data = load("update")
    step = step_for(data, "swift-quota")
    step["newState"]["inputs"]["hard_limit"] = "9" * 80
    markdown = render(summarise(data))
    assert "| `hard_limit` |" in markdown and "9" * 61 not in markdown


# --- protection and diagnostics --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"), [("protected_replace", "replace"), ("protected_delete", "delete")]
)
def test_protected_replace_or_delete_blocks(name: str, kind: str) -> None:
    data = load(name)
    step = step_for(data, "swift-view")
    assert step["op"] == kind and step["oldState"]["protect"] is True
    summary = summarise(data)
    assert summary.exit_code == 2
    assert summary.blocked == [f"{kind} of protected resource vast:View `swift-view` is proposed"]
    markdown = render(summary)
    assert f"> **Blocked:** {kind} of protected resource vast:View" in markdown
    assert "`swift-view` 🔒 protected" in markdown
    # The CLI itself reports the refusal as an error diagnostic; it is shown too.
    assert "> **Preview error:**" in markdown and "protect" in summary.errors[0]


@pytest.mark.parametrize("name", sorted(set(ALL) - PROTECTED))
def test_unprotected_fixtures_exit_zero(name: str) -> None:
    assert summary_of(name).exit_code == 0


def test_program_error_diagnostics_are_shown_on_one_line() -> None:
    summary = summary_of("program_error")
    assert summary.errors[0] == "boom: a config value is not allowed"
    assert "> **Preview error:** boom: a config value is not allowed\n" in render(summary)


def test_alerts_are_separate_quotes() -> None:
    # Consecutive '>' lines would render as one paragraph.
    lines = render(summary_of("protected_delete")).splitlines()
    quotes = [i for i, line in enumerate(lines) if line.startswith(">")]
    assert len(quotes) == 3 and all(lines[i + 1] == "" for i in quotes)


# --- input handling --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n",
        "not json",
        "[]",
        '{"changeSummary": {}}',
        '{"steps": {}}',
        '{"steps": [{"op": 1}]}',
    ],
)
def test_malformed_input_raises_a_project_error_naming_the_source(text: str) -> None:
    with pytest.raises(PreviewError, match=r"^preview\.json: ") as info:
        parse_preview(text, "preview.json")
    assert isinstance(info.value, VastobsError)


def test_unreadable_file_raises_a_project_error(tmp_path: Path) -> None:
    with pytest.raises(PreviewError, match=r"missing\.json: cannot read"):
        read_text(str(tmp_path / "missing.json"))


def test_read_text_dash_reads_stdin() -> None:
    assert read_text("-", io.StringIO('{"steps": []}')) == '{"steps": []}'


@pytest.mark.parametrize(
    ("token", "shown"),
    [
        ("pulumi-python:dynamic/vast:View", "vast:View"),
        ("pulumi-python:dynamic/vast:Quota", "vast:Quota"),
        ("vastobs:index:Observatory", "vastobs:index:Observatory"),
        ("pulumi:pulumi:Stack", "pulumi:pulumi:Stack"),
    ],
)
def test_display_type(token: str, shown: str) -> None:
    assert display_type(token) == shown


def test_type_falls_back_to_the_urn() -> None:
    data = load("update")
    step = step_for(data, "swift-quota")
    for state in ("oldState", "newState"):
        del step[state]["type"]
    assert summarise(data).changes[-1].type == "vast:Quota"


def test_fixtures_hold_no_local_paths_or_plaintext_secrets() -> None:
    for path in FIXTURES.glob("*.json"):
        text = path.read_text()
        assert "s3cr3t" not in text and "/tmp/" not in text and "/work/" not in text, path.name


# --- command line (exit codes) ---------------------------------------------------------------


def test_cli_exit_0_prints_and_writes_the_summary(tmp_path: Path) -> None:
    out = tmp_path / "summary.md"
    proc = cli(str(FIXTURES / "update.json"), "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == out.read_text() == render(summary_of("update"))
    assert proc.stderr == ""


def test_cli_reads_stdin_and_warns_on_stderr() -> None:
    proc = cli("-", stdin=(FIXTURES / "view_path.json").read_text())
    assert proc.returncode == 0
    assert "> ⚠️ **Warning:** vast:View `swift-view`" in proc.stdout
    assert proc.stderr.startswith("warning: vast:View `swift-view`")


def test_cli_exit_2_on_protected_replace() -> None:
    proc = cli(str(FIXTURES / "protected_replace.json"))
    assert proc.returncode == 2
    assert "> **Blocked:** replace of protected resource vast:View `swift-view`" in proc.stdout
    assert (
        proc.stderr == "blocked: replace of protected resource vast:View `swift-view` is proposed\n"
    )


@pytest.mark.parametrize("content", [None, "{not json"])
def test_cli_exit_1_on_bad_input_with_one_line(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "preview.json"
    if content is not None:
        path.write_text(content)
    proc = cli(str(path))
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: {path}: ")


def test_cli_usage_error_is_exit_1_not_2() -> None:
    proc = cli()
    assert proc.returncode == 1 and proc.stderr.startswith("error: ")
