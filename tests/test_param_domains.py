"""Hostile parameter values, as analysts type them, through the runner's library and CLI.

Every value is either refused with one ParameterError line naming the
parameter, its value and what is allowed (before any derived value is computed
or SQL runs), or answered as what it means: a timestamp with a UTC offset is the
same instant in UTC, text is bound as data. The same corpus runs on DuckDB and,
marked ``trino``, on one Trino engine with the same rows.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest

from devtools.toolchain import PROJECT_DIR
from devtools.trino_data import trino_with
from runner.analytics import prepare
from runner.catalog import Catalog
from runner.cli import main
from runner.engines import DuckDBEngine, Engine
from runner.lint import lint, write_lock
from runner.query import Query
from tests import test_analytics
from tests.support.dataset import T0
from tests.test_analytics import DATA, V404
from vastobs.config import StackConfig, load_stack
from vastobs.errors import ParameterError, SqlFileError

# The analytics tests' hand-made dataset: its module fixtures, shared.
files = test_analytics.files
duck = test_analytics.duck

EVERY_TYPE = """\
-- name: every_type
-- version: 1
-- params:
--   flag: {type: boolean, default: true}
--   n: {type: integer, default: 5, min: 1, max: 100}
--   x: {type: double, default: 0.5, min: 0, max: 1}
--   label: {type: varchar, default: V404 Cyg}
--   since: {type: timestamp, default: '2015-06-15T00:00:00'}
--   until: {type: timestamp, default: '2015-06-30T00:00:00', above: since}
--   day: {type: date, default: 2015-06-20, min: 2000-01-01, below: 2100-01-01}
SELECT :flag AS flag, :n AS n, :x AS x, :label AS label, :since AS since, :until AS until,
       :day AS day
"""

REFUSED, ACCEPTED, DATA_ONLY = "refused", "accepted", "bound as data"


def stamp(hours: float, offset_hours: float = 0) -> str:
    """T0 + hours, written as the wall-clock time at a UTC offset."""
    zone = dt.timezone(dt.timedelta(hours=offset_hours))
    return (T0 + dt.timedelta(hours=hours)).replace(tzinfo=dt.UTC).astimezone(zone).isoformat()


def naive(hours: float) -> str:
    return (T0 + dt.timedelta(hours=hours)).isoformat()


CONE = {"ra": V404[0], "dec": V404[1], "radius_arcsec": 5, "start_time": naive(0)}
CONE_UTC = {**CONE, "start_time": naive(2.5)}
SAME_AS = "same as"  # (SAME_AS, params): the rows of the query with these params

# (query, params given, expected); the first param named is the one a refusal names.
CORPUS: list[tuple[str, dict[str, Any], Any]] = [
    # doubles: positions, radii
    ("cone_search", {"dec": "95"}, REFUSED),
    ("cone_search", {"dec": "-90.0001"}, REFUSED),
    ("cone_search", {"dec": "nan"}, REFUSED),
    ("cone_search", {"dec": "-NaN"}, REFUSED),
    ("cone_search", {"dec": "inf"}, REFUSED),
    ("cone_search", {"dec": "-Infinity"}, REFUSED),
    ("cone_search", {"ra": "nan"}, REFUSED),
    ("cone_search", {"ra": "inf"}, REFUSED),
    ("cone_search", {"ra": "1e309"}, REFUSED),
    ("cone_search", {"ra": "-1e-9"}, REFUSED),
    ("cone_search", {"ra": "360"}, REFUSED),
    ("cone_search", {"ra": "abc"}, REFUSED),
    ("cone_search", {"ra": ""}, REFUSED),
    ("cone_search", {"ra": "0x10"}, REFUSED),
    ("cone_search", {"ra": "306,0159"}, REFUSED),
    ("cone_search", {"radius_arcsec": "0"}, REFUSED),
    ("cone_search", {"radius_arcsec": "-5"}, REFUSED),
    ("cone_search", {"radius_arcsec": "nan"}, REFUSED),
    ("cone_search", {"radius_arcsec": "inf"}, REFUSED),
    ("cone_search", {"radius_arcsec": "36000.1"}, REFUSED),
    ("cone_search", {"dec": "90"}, ACCEPTED),
    ("cone_search", {"dec": "-90"}, ACCEPTED),
    ("cone_search", {"ra": "0"}, ACCEPTED),
    ("cone_search", {"ra": "359.999999"}, ACCEPTED),
    ("cone_search", {"radius_arcsec": "36000"}, ACCEPTED),
    ("cone_search", {"radius_arcsec": "1e-300"}, ACCEPTED),
    ("cone_search", {**CONE, "ra": f" {V404[0]} "}, (SAME_AS, CONE)),
    # timestamps: an offset is the same instant in UTC
    ("cone_search", {**CONE, "start_time": stamp(2.5, 5)}, (SAME_AS, CONE_UTC)),
    ("cone_search", {**CONE, "start_time": stamp(2.5, -9.5)}, (SAME_AS, CONE_UTC)),
    ("cone_search", {**CONE, "start_time": naive(2.5) + "Z"}, (SAME_AS, CONE_UTC)),
    ("cone_search", {**CONE, "end_time": stamp(2.5, 14)}, (SAME_AS, {**CONE, "end_time": naive(2.5)})),
    ("cone_search", {**CONE, "start_time": "2015-06-15"}, (SAME_AS, {**CONE, "start_time": "2015-06-15T00:00:00"})),
    ("cone_search", {"start_time": "not-a-date"}, REFUSED),
    ("cone_search", {"start_time": "2015-02-30T00:00:00"}, REFUSED),
    ("cone_search", {"start_time": "2015-06-15T24:00:00"}, REFUSED),
    ("cone_search", {"start_time": "2015-06-30T23:59:60"}, REFUSED),
    ("cone_search", {"start_time": "0001-01-01T00:00:00+01:00"}, REFUSED),
    ("cone_search", {"start_time": "1435000000"}, REFUSED),
    ("cone_search", {"end_time": naive(0), "start_time": naive(1)}, REFUSED),
    ("cone_search", {**CONE, "end_time": naive(0)}, ACCEPTED),
    ("cone_search", {"start_time": "0001-01-01T00:00:00"}, ACCEPTED),
    ("cone_search", {"end_time": "9999-12-31T23:59:59.999999"}, ACCEPTED),
    ("multi_wavelength_light_curve", {"dec": "-91"}, REFUSED),
    ("multi_wavelength_light_curve", {"radius_arcsec": "-1"}, REFUSED),
    ("multi_wavelength_light_curve", {"end_time": "2015-01-01T00:00:00", "start_time": "2016-01-01T00:00:00"}, REFUSED),
    ("multi_wavelength_light_curve", {**CONE, "start_time": stamp(2.5, 5)}, (SAME_AS, CONE_UTC)),
    # significance thresholds and windows
    ("burst_followup_sequences", {"min_significance": "1.5"}, REFUSED),
    ("burst_followup_sequences", {"min_significance": "-0.1"}, REFUSED),
    ("burst_followup_sequences", {"min_significance": "nan"}, REFUSED),
    ("burst_followup_sequences", {"window_hours": "0"}, REFUSED),
    ("burst_followup_sequences", {"window_hours": "-24"}, REFUSED),
    ("burst_followup_sequences", {"window_hours": "inf"}, REFUSED),
    ("burst_followup_sequences", {"window_hours": "8761"}, REFUSED),
    ("burst_followup_sequences", {"min_significance": "1"}, ACCEPTED),
    ("burst_followup_sequences", {"min_significance": "0"}, ACCEPTED),
    ("bursts_awaiting_followup", {"lookback_hours": "-1"}, REFUSED),
    ("bursts_awaiting_followup", {"lookback_hours": "nan"}, REFUSED),
    ("bursts_awaiting_followup", {"min_significance": "2"}, REFUSED),
    ("bursts_awaiting_followup", {"as_of": "yesterday"}, REFUSED),
    ("bursts_awaiting_followup", {"as_of": stamp(80, 12), "min_significance": "0.9"}, (SAME_AS, {"as_of": naive(80), "min_significance": "0.9"})),
    ("data_quality_correlation", {"radius_arcsec": "721"}, REFUSED),
    ("data_quality_correlation", {"window_hours": "-1"}, REFUSED),
    ("cross_observatory_objects", {"match_factor": "-1"}, REFUSED),
    ("cross_observatory_objects", {"min_radius_arcsec": "-5"}, REFUSED),
    ("cross_observatory_objects", {"match_factor": "nan"}, REFUSED),
    # text
    ("target_position", {"target": "'; DROP TABLE swift.bursts; --"}, DATA_ONLY),
    ("target_position", {"target": "V404' OR '1'='1"}, DATA_ONLY),
    ("target_position", {"target": "\\'; SELECT 1; --"}, DATA_ONLY),
    ("target_position", {"target": ""}, DATA_ONLY),
    ("target_position", {"target": "V404 Cyg\x00"}, REFUSED),  # engines' regexps differ on NUL
    ("target_position", {"target": "x" * 100_000}, DATA_ONLY),
    ("target_position", {"target": "\uff36\uff14\uff10\uff14 \uff23\uff59\uff47"}, DATA_ONLY),  # fullwidth
    ("target_position", {"target": "V404\udcff"}, REFUSED),  # argv bytes that are not UTF-8
    ("target_position", {"target": "v404_cyg"}, (SAME_AS, {"target": "V404 Cyg"})),
    # every type: booleans, integers, dates
    ("every_type", {"flag": "yes"}, REFUSED),
    ("every_type", {"flag": "1"}, REFUSED),
    ("every_type", {"flag": "TRUE"}, (SAME_AS, {"flag": "true"})),
    ("every_type", {"n": "1.5"}, REFUSED),
    ("every_type", {"n": "9223372036854775808"}, REFUSED),
    ("every_type", {"n": "-9223372036854775809"}, REFUSED),
    ("every_type", {"n": "0"}, REFUSED),
    ("every_type", {"n": "101"}, REFUSED),
    ("every_type", {"n": "1e3"}, REFUSED),
    ("every_type", {"n": ""}, REFUSED),
    ("every_type", {"x": "nan"}, REFUSED),
    ("every_type", {"x": "1.0000001"}, REFUSED),
    ("every_type", {"day": "2015-02-29"}, REFUSED),
    ("every_type", {"day": "2015-06-20T00:00:00"}, REFUSED),
    ("every_type", {"day": "2100-01-01"}, REFUSED),
    ("every_type", {"day": "1999-12-31"}, REFUSED),
    ("every_type", {"until": "2015-06-15T02:00:00+02:00"}, REFUSED),  # = since, in UTC
    ("every_type", {"label": "a\nb"}, ACCEPTED),
    ("every_type", {"since": "2015-06-15T02:00:00+02:00"}, (SAME_AS, {})),
]  # fmt: skip


def _id(case: tuple[str, dict[str, Any], Any]) -> str:
    query, params, expected = case
    shown = ",".join(f"{k}={str(v)[:24]!r}" for k, v in params.items())
    return f"{query}[{shown}]->{expected if isinstance(expected, str) else 'same'}"


@pytest.fixture(scope="module")
def every_type(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("queries") / "every_type.sql"
    path.write_text(EVERY_TYPE)
    return str(path)


@pytest.fixture(scope="module")
def stack() -> StackConfig:
    return load_stack("local", PROJECT_DIR)


def run(engine: Engine, stack: StackConfig, ref: str, params: dict[str, Any]) -> list[dict]:
    """What `runner run REF --param K=V ...` runs: prepare (the stack's defaults), then run."""
    query, values = prepare(ref, stack, [f"{k}={v}" for k, v in params.items()])
    return engine.run(query, values).table.to_pylist()


_ANSWERS: dict[tuple[int, str, tuple], list[dict]] = {}


def answer(engine: Engine, stack: StackConfig, ref: str, params: dict[str, Any]) -> list[dict]:
    """The rows of a well-formed reference call, once per engine (cases share them)."""
    key = (id(engine), ref, tuple(sorted(params.items())))
    if key not in _ANSWERS:
        _ANSWERS[key] = run(engine, stack, ref, params)
    return _ANSWERS[key]


def check(engine: Engine, stack: StackConfig, every_type: str, case: tuple) -> None:
    name, params, expected = case
    ref = every_type if name == "every_type" else name
    if expected == REFUSED:
        with pytest.raises(ParameterError) as refused:
            run(engine, stack, ref, params)
        message = str(refused.value)
        first = next(iter(params))
        assert "\n" not in message and message.startswith(f"parameter {first}="), message
        assert f" of {name}: " in message
        return
    rows = run(engine, stack, ref, params)
    if expected == DATA_ONLY:
        assert rows == []  # and the tables are intact: test_*_tables_are_intact, after the corpus
    elif expected != ACCEPTED:
        assert rows == answer(engine, stack, ref, expected[1]), name


def tables_intact(engine: Engine, stack: StackConfig) -> None:
    """No bound text ran as SQL: every table holds its rows after the corpus."""
    rows = run(engine, stack, "observatory_summary", {})
    tables = Catalog.load(PROJECT_DIR).tables
    counts = {(r["observatory"], r["kind"]): r["row_count"] for r in rows}
    assert counts == {
        (name.split(".")[0], tables[tuple(name.split("."))].kind): len(found)
        for name, found in DATA.items()
        if found
    }


@pytest.mark.parametrize("case", CORPUS, ids=_id)
def test_hostile_values_on_duckdb(case: tuple, duck: DuckDBEngine, stack, every_type) -> None:
    check(duck, stack, every_type, case)


def test_duckdb_tables_are_intact(duck: DuckDBEngine, stack: StackConfig) -> None:
    tables_intact(duck, stack)


def test_the_corpus_covers_every_type_and_is_large(every_type: str) -> None:
    """At least 50 values, every parameter type, each outcome."""
    assert len(CORPUS) >= 50
    queries = {n: Query.load(PROJECT_DIR / "queries" / "analytics" / f"{n}.sql")
               for n in {c[0] for c in CORPUS} - {"every_type"}}  # fmt: skip
    queries["every_type"] = Query.load(Path(every_type))
    types = {queries[n].params[p].type for n, params, _ in CORPUS for p in params}
    assert types == {"boolean", "integer", "double", "varchar", "timestamp", "date"}
    assert {e if isinstance(e, str) else SAME_AS for _, _, e in CORPUS} == {
        REFUSED, ACCEPTED, DATA_ONLY, SAME_AS,
    }  # fmt: skip


def test_an_offset_would_change_the_answer(duck: DuckDBEngine, stack: StackConfig) -> None:
    """The offset cases can fail: read as wall-clock UTC, the offset start finds other rows."""
    converted = run(duck, stack, "cone_search", {**CONE, "start_time": stamp(2.5, 5)})
    misread = run(duck, stack, "cone_search", {**CONE, "start_time": stamp(2.5, 5)[:19]})
    assert converted and converted != misread
    assert min(r["time_utc"] for r in converted) >= T0 + dt.timedelta(hours=2.5)


def test_refusal_comes_before_the_cone_cover_is_computed(stack: StackConfig) -> None:
    """dec=95 used to panic inside cdshealpix; now no engine, no SQL is needed to refuse it."""
    query, values = prepare("cone_search", stack, ["dec=95"])
    engine = DuckDBEngine.for_file(None)  # no tables: running any SQL would fail otherwise
    with pytest.raises(ParameterError, match=r"^parameter dec=95.0 of cone_search: .*\[-90, 90\]$"):
        engine.run(query, values)


def test_stack_defaults_are_checked(stack: StackConfig) -> None:
    query, values = prepare("burst_followup_sequences", stack)
    assert values == {"window_hours": 168.0, "min_significance": 0.9}
    # observatories parameters stay unset: the engine's catalog resolves them
    assert query.bind(values) == {**values, "sources": None, "followers": None}
    with pytest.raises(ParameterError, match=r"min_significance=1.5 .*in \[0, 1\]"):
        query.bind({**values, "min_significance": 1.5})


# --- the CLI: exit 1, one line, no traceback --------------------------------------------------


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("Pulumi.yaml", "Pulumi.local.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    shutil.copytree(PROJECT_DIR / "queries", tmp_path / "queries")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["run", "cone_search", "--param", "dec=95"], "error: parameter dec=95.0 of cone_search: must be a finite number in [-90, 90]"),
        (["run", "cone_search", "--param", "dec=nan"], "error: parameter dec=nan of cone_search: must be a finite number in [-90, 90]"),
        (["run", "cone_search", "--param", "radius_arcsec=1e309"], "error: parameter radius_arcsec=inf of cone_search: must be a finite number in (0, 36000]"),
        (["run", "cone_search", "--param", "start_time=2015-06-20T00:00:00+12:00", "--param", "end_time=2015-06-19T11:00:00"],
         "error: parameter end_time=2015-06-19T11:00:00 of cone_search: must be >= start_time (start_time=2015-06-19T12:00:00)"),
        (["explain", "burst_followup_sequences", "--param", "min_significance=2"], "error: parameter min_significance=2.0 of burst_followup_sequences: must be a finite number in [0, 1]"),
        (["run", "bursts_awaiting_followup", "--param", "as_of=soon"], "error: parameter as_of='soon' of bursts_awaiting_followup: not a valid timestamp (ISO 8601, UTC unless an offset is given, e.g. 2024-05-01T12:00:00)"),
        (["plot", "light-curve", "--ra", "400", "--dec", "0"], "error: parameter ra=400.0 of multi_wavelength_light_curve: must be a finite number in [0, 360)"),
    ],
)  # fmt: skip
def test_cli_prints_one_line_and_exits_1(
    argv: list[str], line: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [line]


# --- the header: domains lint, and a run refuses a header it cannot apply ---------------------


@pytest.mark.parametrize(
    ("entry", "finding"),
    [
        ("{type: varchar, default: x, min: a}", "4:37 Q009 param p: min does not apply to a varchar (varchar takes no domain)"),
        ("{type: integer, default: 5, finite: true}", "4:37 Q009 param p: finite does not apply to an integer (integer takes only min, above, max, below)"),
        ("{type: double, default: 5, mni: 0}", "4:36 Q009 param p: unknown key 'mni' (keys: type, default, default_from, description, min, above, max, below, finite, offset, kinds)"),
        ("{type: double, default: 5, min: zero}", "4:36 Q009 param p: min: 'zero' is neither a double nor a double parameter"),
        ("{type: double, default: 5, min: 0, above: 0}", "4:44 Q009 param p: min and above: give one of them"),
        ("{type: double, default: 5, min: 10, max: 1}", "4:45 Q009 param p: max 1 leaves no value"),
        ("{type: double, default: 5, min: since}", "4:36 Q009 param p: min: since is a timestamp, not another double"),
        ("{type: double, default: 95, min: -90, max: 90}", "4:24 Q009 param p: default 95.0 must be a finite number in [-90, 90]"),
        ("{type: double, default: .nan}", "4:24 Q009 param p: default nan must be a finite number"),
        ("{type: timestamp, default: '2019-01-01T00:00:00', above: since}", "4:27 Q009 param p: default 2019-01-01T00:00:00 must be > since (since=2020-01-01T00:00:00)"),
        ("{type: timestamp, offset: local}", "4:27 Q009 param p: offset 'local' is not one of convert, refuse"),
        ("{type: double, default_from: analytics.burst_detection_threshold, min: 0.5}", "4:24 Q009 param p: the stack's analytics.burst_detection_threshold may be 0.0; p must be a finite number >= 0.5"),
        ("{type: double, default_from: analytics.followup_window_hours, above: 0, max: 720}", "4:24 Q009 param p: the stack's analytics.followup_window_hours may be 8760.0; p must be a finite number in (0, 720]"),
    ],
)  # fmt: skip
def test_domains_are_linted(entry: str, finding: str, project: Path) -> None:
    path = project / "queries" / "analytics" / "q.sql"
    path.write_text(
        "-- name: q\n-- version: 1\n-- params:\n"
        f"--   p: {entry}\n"
        "--   since: {type: timestamp, default: '2020-01-01T00:00:00'}\n"
        "SELECT :p AS p, :since AS since"
    )
    write_lock(project)
    found = [f"{f.line}:{f.col} {f.code} {f.message}" for f in lint([path], project)]
    assert found == [finding]


def test_a_header_domain_that_cannot_apply_refuses_to_run(project: Path) -> None:
    path = project / "q.sql"
    path.write_text(
        "-- name: q\n-- version: 1\n-- params:\n--   p: {type: varchar, max: 3}\nSELECT :p AS p"
    )
    with pytest.raises(SqlFileError, match=r"q.sql:4:25: param p: max does not apply to a varchar"):
        Query.load(path).bind({"p": "x"})


def test_an_offset_can_be_refused(tmp_path: Path) -> None:
    path = tmp_path / "q.sql"
    path.write_text(
        "-- name: q\n-- version: 1\n-- params:\n"
        "--   at:\n--     type: timestamp\n--     offset: refuse\nSELECT :at AS at"
    )
    query = Query.load(path)
    assert query.bind({"at": "2015-06-20T00:00:00Z"}) == {"at": dt.datetime(2015, 6, 20)}
    with pytest.raises(
        ParameterError, match=r"^parameter at='2015-06-20T00:00:00\+12:00' of q: must be UTC"
    ):
        query.bind({"at": "2015-06-20T00:00:00+12:00"})


# --- Trino: the same corpus, one engine ------------------------------------------------------


@pytest.fixture(scope="module")
def trino(trino_server, files: dict[str, Path], tmp_path_factory) -> Engine:
    return trino_with(trino_server, "domains", files, tmp_path_factory.mktemp("trino"))


@pytest.mark.trino
@pytest.mark.parametrize("case", CORPUS, ids=_id)
def test_hostile_values_on_trino(case: tuple, trino: Engine, stack, every_type) -> None:
    check(trino, stack, every_type, case)


@pytest.mark.trino
def test_trino_tables_are_intact(trino: Engine, stack: StackConfig) -> None:
    tables_intact(trino, stack)
