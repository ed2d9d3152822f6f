"""The light-curve plot: one panel per observatory with points, in the stack's order, on a
shared time axis, each panel's series its own instruments and bands, for a target by name
or position."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib.image
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from matplotlib.figure import Figure

from devtools.toolchain import PROJECT_DIR
from runner.catalog import Catalog
from runner.cli import main
from runner.engines import DuckDBEngine
from runner.loader import load
from runner.loader.sinks import DuckDBSink
from runner.plot import light_curve_figure, observatory_order, resolve_target, series_of
from runner.query import Query
from tests.support.dataset import T0, local_database
from vastobs.backends.local import LocalBackend
from vastobs.config import KindTable
from vastobs.kinds import observatory_table
from vastobs.sky import healpix14

V404 = (306.0159, 33.8672)
CRAB = (83.6331, 22.0145)
ANALYTICS = PROJECT_DIR / "queries" / "analytics"
LIGHT_CURVE = ANALYTICS / "multi_wavelength_light_curve.sql"
# swift, chandra, then nustar (a config-only observatory): not alphabetical, so the
# panels' order shows which one the plot follows
STACK = """config:
  vastobs:local_root: {root}
  vastobs:database: {{bucket: testdb, path: /db}}
  vastobs:observatories:
    swift:
      path: /swift/observations
      quota: {{hard: 1TB}}
      kinds: {{triggers: bursts, observations: observations, measurements: measurements}}
    chandra:
      path: /chandra/observations
      quota: {{hard: 1TB}}
      kinds: [observations, detections]
    nustar:
      path: /nustar/observations
      quota: {{hard: 1TB}}
      kinds: [measurements]
"""


def _hours(h: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=h)


def _nustar(ra: float, dec: float, h: float, rate: float, **row: Any) -> dict[str, Any]:
    return {"observation_id": "90101012002", "target_name": "V404_Cyg", "instrument": "FPMA",
            "band": "3-79keV", "mid_time": _hours(h), "exposure_s": 500.0, "ra": ra, "dec": dec,
            "err_radius_arcsec": 8.0, "hpx": healpix14(ra, dec), "rate": rate,
            "rate_error": rate / 10, "quality": "good", **row}  # fmt: skip


def _load_nustar(root: Path, database: Path, rows: list[dict[str, Any]]) -> None:
    """nustar.measurements: a table only the kind declares (no DDL file), which
    local_database (seed tables only) does not create."""
    table = observatory_table(PROJECT_DIR, "nustar", KindTable("measurements", "measurements"))
    catalog = LocalBackend(root).catalog()
    catalog.create_schema("testdb", "nustar")
    catalog.create_table("testdb", "nustar", "measurements", table.vms_arrow_schema())
    path = root / "nustar.measurements.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=table.arrow_schema()), path)
    summary = load(table, [path], DuckDBSink(database), batch_rows=100,
                   quarantine_dir=root / "quarantine")  # fmt: skip
    assert summary.rejected == 0


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose local stack has swift, chandra and nustar, and whose VAST DB holds
    V404 Cyg's points: made once, since every test only reads them."""
    project = tmp_path_factory.mktemp("plot")
    root = project / "root"
    (project / "Pulumi.yaml").write_text("name: vastobs\nruntime: python\n")
    (project / "queries").symlink_to(PROJECT_DIR / "queries")
    (project / "Pulumi.local.yaml").write_text(STACK.format(root=root))
    ra, dec = V404
    near = (ra + 2 / 3600, dec)  # 2 arcsec away: same object
    data = {
        "swift.observations": [
            {"obs_id": "00031403001", "target_name": "V404CYG", "ra": ra, "dec": dec},
            {"obs_id": "00031403002", "target_name": "V404_CYG", "ra": ra, "dec": dec},
            {"obs_id": "00099999001", "target_name": "CRAB", "ra": CRAB[0], "dec": CRAB[1]},
        ],
        "swift.measurements": [
            {"obs_id": "00031403001", "target_name": "V404CYG", "mid_time": _hours(1), "ra": ra, "dec": dec, "rate": 5.0, "rate_error": 0.5},
            {"obs_id": "00031403001", "target_name": "V404CYG", "mid_time": _hours(2), "ra": ra, "dec": dec, "rate": 4.0, "rate_error": 0.4},
            {"obs_id": "00031403001", "target_name": "V404CYG", "mid_time": _hours(2.5), "ra": ra, "dec": dec, "rate": 9.0, "rate_error": 0.9, "quality": "incbad"},
            {"obs_id": "00031403002", "target_name": "V404_CYG", "instrument": "UVOT", "band": "UVW1", "mid_time": _hours(3), "ra": near[0], "dec": near[1], "rate": 30.0, "rate_error": 1.0},
            {"obs_id": "00099999001", "target_name": "CRAB", "mid_time": _hours(1), "ra": CRAB[0], "dec": CRAB[1], "rate": 100.0, "rate_error": 1.0},
        ],
        "chandra.observations": [{"obsid": 16703, "target_name": "V404 Cyg", "ra": ra, "dec": dec}],
        "chandra.detections": [
            {"obsid": 16703, "source_name": "2CXO J202403.8+335201", "mid_time": _hours(20), "ra": ra, "dec": dec, "rate": 2.0, "rate_error": 0.2},
        ],
    }  # fmt: skip
    database = local_database(root, data)
    _load_nustar(root, database, [
        _nustar(ra, dec, 5, 12.0),
        _nustar(ra, dec, 6, 10.0),
        _nustar(ra, dec, 5, 11.0, instrument="FPMB"),
        _nustar(*CRAB, 5, 300.0, observation_id="10013032002", target_name="Crab"),
    ])  # fmt: skip
    return project


@pytest.fixture(scope="module")
def engine(project: Path) -> DuckDBEngine:
    database = LocalBackend(project / "root").database_file("testdb")
    return DuckDBEngine.for_file(database, Catalog.load(project))


def _panels(figure: Figure) -> dict[str, list[str]]:
    """Each panel's observatory and the labels of its legend, top to bottom."""
    return {
        ax.get_label(): [t.get_text() for t in ax.get_legend().get_texts()] for ax in figure.axes
    }


def test_one_panel_per_observatory_in_stack_order(engine: DuckDBEngine) -> None:
    ra, dec = resolve_target(engine, ANALYTICS, "v404 cyg")
    assert (ra, dec) == pytest.approx(V404)
    query = Query.load(LIGHT_CURVE)
    params = {"ra": ra, "dec": dec}
    series = series_of(engine.run(query, params))
    assert [(s.observatory, s.label, s.values, s.errors, s.good) for s in series] == [
        ("chandra", "CXO broad", [2.0], [0.2], [True]),
        ("nustar", "FPMA 3-79keV", [12.0, 10.0], [1.2, 1.0], [True, True]),
        ("nustar", "FPMB 3-79keV", [11.0], [1.1], [True]),
        ("swift", "UVOT UVW1", [30.0], [1.0], [True]),
        ("swift", "XRT 0.3-10keV", [5.0, 4.0, 9.0], [0.5, 0.4, 0.9], [True, True, False]),
    ]
    assert series[4].times == [_hours(1), _hours(2), _hours(2.5)]
    order = observatory_order(engine, query, params)
    assert order == ("swift", "chandra", "nustar")

    figure = light_curve_figure(series, "V404 Cyg", observatories=order)
    assert _panels(figure) == {
        "swift": ["UVOT UVW1", "XRT 0.3-10keV", "quality not good"],
        "chandra": ["CXO broad"],
        "nustar": ["FPMA 3-79keV", "FPMB 3-79keV"],
    }
    assert list(_panels(figure)) == ["swift", "chandra", "nustar"]  # the stack's order
    top = figure.axes[0]
    assert all(top.get_shared_x_axes().joined(top, ax) for ax in figure.axes[1:])
    assert [ax.get_yscale() for ax in figure.axes] == ["log"] * 3
    assert [ax.get_ylabel() for ax in figure.axes] == ["rate (counts s$^{-1}$)"] * 3
    assert figure.axes[-1].get_xlabel() == "time (UTC)"

    swift = top.containers  # one errorbar per series and quality: good, then not good
    assert [list(c.lines[0].get_ydata()) for c in swift] == [[30.0], [5.0, 4.0], [9.0]]
    assert [c.lines[0].get_markerfacecolor() for c in swift][2] == "none"  # hollow
    assert swift[1].lines[0].get_markerfacecolor() != "none"
    assert swift[2].lines[0].get_color() == swift[1].lines[0].get_color()  # same series
    bars = [c.lines[2][0].get_segments() for c in figure.axes[2].containers]  # nustar's
    assert [[(seg[0][1], seg[1][1]) for seg in b] for b in bars] == [
        [(10.8, 13.2), (9.0, 11.0)],
        [(9.9, 12.1)],
    ]


def test_an_observatory_without_points_gets_no_panel(engine: DuckDBEngine) -> None:
    series = series_of(engine.run(Query.load(LIGHT_CURVE), {"ra": CRAB[0], "dec": CRAB[1]}))
    figure = light_curve_figure(series, "Crab", observatories=("swift", "chandra", "nustar"))
    assert list(_panels(figure)) == ["swift", "nustar"]
    assert figure.get_suptitle() == "Crab; no points from chandra"


def test_unknown_target_is_a_clear_error(engine: DuckDBEngine) -> None:
    with pytest.raises(Exception, match="no observation under that name"):
        resolve_target(engine, ANALYTICS, "Sgr A*")


def _plot(project: Path, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    """``python -m runner plot light-curve`` in this process: ``main(argv)``, whose result
    the process exits with (tests/test_cli.py keeps one run through ``python -m runner``)."""
    monkeypatch.chdir(project)
    monkeypatch.delenv("PULUMI_STACK", raising=False)
    return main(["plot", "light-curve", *argv])


PlotOk = Callable[..., Any]  # options -> capsys.readouterr(): .out, .err


@pytest.fixture
def plot_ok(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> PlotOk:
    """Runs ``_plot`` with the given options, asserts it exits 0, returns what it printed."""

    def run(*argv: str) -> Any:
        code = _plot(project, monkeypatch, *argv)
        printed = capsys.readouterr()
        assert code == 0, printed.err
        return printed

    return run


def test_cli_writes_the_png(plot_ok: PlotOk, tmp_path: Path) -> None:
    out = tmp_path / "lc.png"
    printed = plot_ok("--target", "V404_CYG", "--output", str(out))
    assert "8 points in 5 series on 3 panels" in printed.out
    assert "(swift: UVOT UVW1, XRT 0.3-10keV; chandra: CXO broad; nustar: " in printed.out
    image = matplotlib.image.imread(out)
    assert image.shape[0] > 600 and image.shape[1] > 1000  # three panels' height


def test_cli_by_position_names_the_observatories_without_points(
    plot_ok: PlotOk, tmp_path: Path
) -> None:
    out = tmp_path / "crab.png"
    printed = plot_ok("--ra", str(CRAB[0]), "--dec", str(CRAB[1]), "--output", str(out))
    assert "2 points in 2 series on 2 panels (swift: XRT 0.3-10keV; nustar: FPMA" in printed.out
    assert "no rate points in the cone from chandra: no panel" in printed.err
    assert out.is_file()
