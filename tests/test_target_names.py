"""Target names resolve as astronomers type them, and the SQL key is the Python one.

``name_key`` keys the parameter (runner/target_names.py); the ``target_key``
macro writes the same key as SQL for a column (runner/macros.py). A name
matches when the keys are equal, so the two must agree on every engine: the
corpus below runs through both, on DuckDB and (marked ``trino``) on Trino.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlglot import exp

from devtools.toolchain import PROJECT_DIR
from runner.catalog import Catalog
from runner.cli import main
from runner.engines import DuckDBEngine, Engine, TrinoEngine
from runner.plot import resolve_target
from runner.query import Query
from runner.target_names import CONSTELLATIONS, GREEK, name_key
from tests.support.dataset import local_database
from vastobs.errors import VastobsError

ANALYTICS = PROJECT_DIR / "queries" / "analytics"
V404 = (306.0159, 33.8672)

# Names as observatories, SIMBAD, papers and people write them.
TYPED = [
    "V404 Cyg", "V404CYG", "V404_CYG", "V404 CYG", "v404 cyg", "V404 Cygni", "V404_Cygni",
    "V404  cygni", "V* V404 Cyg", "V*V404 Cyg", "V404 Cygnus", "V404 Cygn", "V404Cygni",
    "SWIFT J2025.5+3340", "Swift J2025.5+3340", "Swift_J2025.5+3340", "SWIFTJ2025.5+3340",
    "SWIFT J1753.5-0127", "Swift J1753.5+0127", "MAXI J1820+070", "EP240315a",
    "2CXO J202403.8+335201", "CXO J202403.8+335201", "CXOU J202403.8+335201", "2CXOJ202403.8+335201",
    "GRB 150615A", "GRB150615A", "grb_150615a", "GRB 221009A",
    "Cyg X-1", "CYG X-1", "CYGX-1", "Cyg_X-1", "Cygnus X-1", "Cyg X-3", "Sco X-1", "Scorpius X-1",
    "Alpha Centauri", "alpha Cen", "* alf Cen", "alf Cen", "Eta Carinae", "* eta Car", "ETA CAR",
    "Crab", "CRAB NEBULA", "NAME Crab Nebula", "Sgr A*", "NAME Sgr A*", "SGR A", "** STF 2272",
    "Leo Minor", "Leonis Minoris", "LMi", "Leo", "Leonis", "Ursa Major", "Ursae Majoris",
    "Ursae_Majoris", "UrsaeMajoris", "Triangulum Australe", "Trianguli", "Boötes", "BOÖTIS",
    "Bootes", "Hydra", "Hydrus", "Hydrae", "Hydri", "delta Delphini", "del Del", "xi Persei",
    "GX 339-4", "GX339-4", "4U 1543-47", "1E 1740.7-2942", "AT 2023cent", "AT 2023cen",
    "PSR J0000+10", "FIELD", "Cygni Cygni Cygni", "Cygni  Cygni", "V4046 Sgr", "NAMEless",
    # what is not a name, and what is not ASCII
    "", " ", "___", "*", "V*", "+", "x" * 300, "\uff36\uff14\uff10\uff14 \uff23\uff59\uff47",
    "straße", "Ærø", "V404 Cyg \U0001f52d", "\tV404\nCyg ", "V404\u00a0Cyg", "İstanbul", "ﬁeld",
    "'; DROP TABLE x; --", "a' OR '1'='1", "back\\slash", "per%cent_", "$1 \\1 (CYG)",
]  # fmt: skip
FORMS = [
    f"{prefix}{form}{suffix}"
    for abbreviation, nominative, genitive, four in CONSTELLATIONS
    for form in (abbreviation, nominative, genitive, *four, genitive.replace(" ", "_"))
    for prefix, suffix in (("V404 ", ""), ("", " X-1"), ("alpha ", ""))
]
GREEK_FORMS = [f"{letter} {short}" for name, short in GREEK.items() for letter in (name, short)]
CORPUS = TYPED + FORMS + GREEK_FORMS


def test_constellation_words_are_their_iau_abbreviation() -> None:
    for abbreviation, nominative, genitive, four in CONSTELLATIONS:
        key = name_key(f"V404 {abbreviation}")
        assert key == "V404" + abbreviation.upper()
        for form in (nominative, genitive, *four):
            for written in (form, form.upper(), form.lower(), form.replace(" ", "_")):
                assert name_key(f"V404 {written}") == key, written
                assert name_key(f"{written} X-1") == name_key(f"{abbreviation} X-1"), written
    assert len({c[0] for c in CONSTELLATIONS}) == 88


@pytest.mark.parametrize(
    "spellings",
    [
        ["V404 Cyg", "V404_CYG", "V404CYG", "v404 cyg", "V404 Cygni", "V* V404 Cyg", "V404 Cygnus"],
        ["Cyg X-1", "CYGX-1", "Cygnus X-1", "cygnus_x_1", "Cygni X-1"],
        ["SWIFT J2025.5+3340", "Swift J2025.5+3340", "Swift_J2025.5+3340", "swiftj2025.5+3340"],
        ["2CXO J202403.8+335201", "CXO J202403.8+335201", "2CXOJ202403.8+335201"],
        ["GRB 221009A", "GRB221009A", "grb_221009a"],
        ["Alpha Centauri", "alpha Cen", "* alf Cen", "alf_Cen"],
        ["Eta Carinae", "* eta Car", "ETA CAR"],
        ["Sgr A*", "NAME Sgr A*", "SGR A"],
        ["Leo Minor", "Leonis Minoris", "LMi", "LMin"],
        ["Boötes", "Bootes", "BOÖTIS", "Boo"],
    ],
)
def test_spellings_of_one_name_share_its_key(spellings: list[str]) -> None:
    assert {name_key(s) for s in spellings} == {name_key(spellings[0])}


@pytest.mark.parametrize(
    "names",
    [
        ("Cyg X-1", "Cyg X-3"),
        ("SWIFT J1753.5-0127", "SWIFT J1753.5+0127"),  # the declination's sign
        ("AT 2023cent", "AT 2023cen"),  # two transients: a word inside a name stays
        ("Leo", "Leo Minor"),
        ("Triangulum", "Triangulum Australe"),
        ("Hydra", "Hydrus"),
        ("Sagitta", "Sagittarius"),
        ("V404 Cyg", "V4046 Sgr"),
        ("SWIFT J2025.5+3340", "2CXO J2025.5+3340"),  # different catalogues
    ],
)
def test_different_names_keep_different_keys(names: tuple[str, str]) -> None:
    assert name_key(names[0]) != name_key(names[1])


def _keys_query(tmp_path: Path) -> Query:
    """``target_key`` over the corpus as a column, in a query file. An array, not VALUES:
    Trino plans VALUES row by row through its interpreter (15 s here, 0.5 s unnested)."""
    names = ", ".join(exp.Literal.string(name).sql("trino") for name in CORPUS)
    path = tmp_path / "keys.sql"
    path.write_text(
        "-- name: keys\n-- version: 1\n"
        "SELECT n.name AS name, target_key(n.name) AS key\n"
        f"FROM UNNEST(ARRAY[{names}]) AS n (name)\n"
    )
    return Query.load(path)


def _check_sql_keys(engine: Engine, tmp_path: Path) -> None:
    rows = engine.run(_keys_query(tmp_path)).table.to_pylist()
    assert sorted(row["name"] for row in rows) == sorted(CORPUS)  # every name, unchanged
    wrong = [
        (r["name"], r["key"], name_key(r["name"])) for r in rows if r["key"] != name_key(r["name"])
    ]
    assert not wrong, f"{engine.name} keys differ from Python's (name, sql, python): {wrong[:5]}"


def test_sql_and_python_keys_agree_on_duckdb(tmp_path: Path) -> None:
    _check_sql_keys(DuckDBEngine.for_file(None), tmp_path)


def test_sql_and_python_keys_agree_on_trino(trino_server, tmp_path: Path) -> None:
    _check_sql_keys(TrinoEngine(trino_server.connect), tmp_path)


# Pointings of V404 Cyg as each observatory names it, and two other targets.
OBSERVATIONS = {
    "swift.observations": [
        {"obs_id": "00031403001", "target_name": "V404CYG", "ra": V404[0], "dec": V404[1]},
        {"obs_id": "00031403002", "target_name": "V404_CYG", "ra": V404[0], "dec": V404[1]},
        {"obs_id": "00033861001", "target_name": "SWIFT J2025.5+3340", "ra": V404[0], "dec": V404[1]},
        {"obs_id": "00030373001", "target_name": "CYG X-1", "ra": 299.5903, "dec": 35.2016},
        {"obs_id": "00099999001", "target_name": "CRAB", "ra": 83.6331, "dec": 22.0145},
    ],
    "chandra.observations": [
        {"obsid": 16703, "target_name": "V404 Cyg", "ra": V404[0], "dec": V404[1]},
        {"obsid": 107, "target_name": "Cyg X-1", "ra": 299.5903, "dec": 35.2016},
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def local_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The local backend's root, and its database holding ``OBSERVATIONS``."""
    root = tmp_path_factory.mktemp("names") / "root"
    return root, local_database(root, OBSERVATIONS)


@pytest.fixture(scope="module")
def duck(local_root: tuple[Path, Path]) -> DuckDBEngine:
    return DuckDBEngine.for_file(local_root[1], Catalog.load(PROJECT_DIR))


def _position(engine: Engine, target: str) -> list[dict]:
    query = Query.load(ANALYTICS / "target_position.sql")
    return engine.run(query, {"target": target}).table.to_pylist()


@pytest.mark.parametrize(
    "target", ["V404 Cygni", "V* V404 Cyg", "v404_cygni", "V404 Cygnus", "V404CYG", "v404 cyg"]
)
def test_target_position_finds_every_observatorys_spelling(duck: DuckDBEngine, target: str) -> None:
    (row,) = _position(duck, target)
    assert (row["ra"], row["dec"]) == pytest.approx(V404)
    assert row["names"] == "V404 Cyg | V404CYG | V404_CYG"
    assert (row["pointings"], row["observatories"]) == (3, "chandra | swift")


def test_target_position_finds_nothing_for_an_empty_key(duck: DuckDBEngine) -> None:
    for target in ("", "___", "\uff36\uff14\uff10\uff14 \uff23\uff59\uff47", "V404 Cyg X"):
        assert _position(duck, target) == [], target


def test_target_names_lists_every_name_with_its_key(duck: DuckDBEngine) -> None:
    rows = duck.run(Query.load(ANALYTICS / "target_names.sql")).table.to_pylist()
    assert [(r["target_key"], r["target_name"], r["observatories"]) for r in rows] == [
        ("CRAB", "CRAB", "swift"),
        ("CYGX1", "CYG X-1", "swift"),
        ("CYGX1", "Cyg X-1", "chandra"),
        ("SWIFTJ20255+3340", "SWIFT J2025.5+3340", "swift"),
        ("V404CYG", "V404 Cyg", "chandra"),
        ("V404CYG", "V404CYG", "swift"),
        ("V404CYG", "V404_CYG", "swift"),
    ]
    assert all(r["target_key"] == name_key(r["target_name"]) for r in rows)


def test_an_unknown_name_is_one_line_naming_the_closest(duck: DuckDBEngine) -> None:
    with pytest.raises(VastobsError) as raised:
        resolve_target(duck, ANALYTICS, "V405 Cygni")
    assert str(raised.value) == (
        "target 'V405 Cygni': no observation under that name (any spelling); "
        "closest known: V404 Cyg"
    )
    with pytest.raises(VastobsError, match="none of the 7 known names is close"):
        resolve_target(duck, ANALYTICS, "GRB 990123")


def test_plot_names_the_closest_known_targets(
    local_root: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: vastobs\nruntime: python\n")
    (project / "queries").symlink_to(PROJECT_DIR / "queries")
    stack = yaml.safe_load((PROJECT_DIR / "Pulumi.local.yaml").read_text())  # its observatories
    stack["config"]["vastobs:local_root"] = str(local_root[0])
    stack["config"]["vastobs:database"] = {"bucket": "testdb", "path": "/db"}
    (project / "Pulumi.local.yaml").write_text(yaml.safe_dump(stack))
    monkeypatch.chdir(project)
    monkeypatch.delenv("PULUMI_STACK", raising=False)
    out = tmp_path / "lc.png"
    code = main(["plot", "light-curve", "--target", "Cygnus X-2", "--output", str(out)])
    assert code == 1 and not out.exists()
    err = capsys.readouterr().err
    assert err == (
        "error: target 'Cygnus X-2': no observation under that name (any spelling); "
        "closest known: CYG X-1\n"
    )
    assert main(["plot", "light-curve", "--target", "Cygni X-1", "--output", str(out)]) == 0
    assert out.exists()
