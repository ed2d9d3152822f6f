"""The light-curve plot shows the right series and points for a target, by name or position."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import matplotlib.image
import pytest

from devtools.toolchain import PROJECT_DIR
from runner.catalog import Catalog
from runner.cli import main
from runner.engines import DuckDBEngine
from runner.plot import light_curve_figure, resolve_target, series_of
from runner.query import Query
from tests.support.dataset import T0, local_database

V404 = (306.0159, 33.8672)
ANALYTICS = PROJECT_DIR / "queries" / "analytics"


def _hours(h: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=h)


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A local backend root and its VAST DB, holding V404 Cyg's points: made once, since
    every test only reads them."""
    root = tmp_path_factory.mktemp("plot") / "root"
    ra, dec = V404
    near = (ra + 2 / 3600, dec)  # 2 arcsec away: same object
    data = {
        "swift.observations": [
            {"obs_id": "00031403001", "target_name": "V404CYG", "ra": ra, "dec": dec},
            {"obs_id": "00031403002", "target_name": "V404_CYG", "ra": ra, "dec": dec},
            {"obs_id": "00099999001", "target_name": "CRAB", "ra": 83.6331, "dec": 22.0145},
        ],
        "swift.measurements": [
            {"obs_id": "00031403001", "target_name": "V404CYG", "mid_time": _hours(1), "ra": ra, "dec": dec, "rate": 5.0, "rate_error": 0.5},
            {"obs_id": "00031403001", "target_name": "V404CYG", "mid_time": _hours(2), "ra": ra, "dec": dec, "rate": 4.0, "rate_error": 0.4},
            {"obs_id": "00031403002", "target_name": "V404_CYG", "instrument": "UVOT", "band": "UVW1", "mid_time": _hours(3), "ra": near[0], "dec": near[1], "rate": 30.0, "rate_error": 1.0},
            {"obs_id": "00099999001", "target_name": "CRAB", "mid_time": _hours(1), "ra": 83.6331, "dec": 22.0145, "rate": 100.0, "rate_error": 1.0},
        ],
        "chandra.observations": [{"obsid": 16703, "target_name": "V404 Cyg", "ra": ra, "dec": dec}],
        "chandra.detections": [
            {"obsid": 16703, "source_name": "2CXO J202403.8+335201", "mid_time": _hours(20), "ra": ra, "dec": dec, "rate": 2.0, "rate_error": 0.2},
        ],
    }  # fmt: skip
    return root, local_database(root, data)


@pytest.fixture(scope="module")
def engine(stored: tuple[Path, Path]) -> DuckDBEngine:
    return DuckDBEngine.for_file(stored[1], Catalog.load(PROJECT_DIR))


def test_series_and_points_for_a_target_by_name(engine: DuckDBEngine) -> None:
    ra, dec = resolve_target(engine, ANALYTICS, "v404 cyg")
    assert (ra, dec) == pytest.approx(V404)
    result = engine.run(
        Query.load(ANALYTICS / "multi_wavelength_light_curve.sql"), {"ra": ra, "dec": dec}
    )
    series = series_of(result)
    assert [(s.label, s.values, s.errors) for s in series] == [
        ("chandra CXO broad", [2.0], [0.2]),
        ("swift UVOT UVW1", [30.0], [1.0]),
        ("swift XRT 0.3-10keV", [5.0, 4.0], [0.5, 0.4]),
    ]
    assert series[2].times == [_hours(1), _hours(2)]

    figure = light_curve_figure(series, "V404 Cyg")
    axes = figure.axes[0]
    assert [t.get_text() for t in axes.get_legend().get_texts()] == [s.label for s in series]
    plotted = [list(c.lines[0].get_ydata()) for c in axes.containers]  # one errorbar per series
    assert plotted == [[2.0], [30.0], [5.0, 4.0]]
    bars = [c.lines[2][0].get_segments() for c in axes.containers]  # the error bars themselves
    assert [[(seg[0][1], seg[1][1]) for seg in b] for b in bars] == [
        [(1.8, 2.2)],
        [(29.0, 31.0)],
        [(4.5, 5.5), (3.6, 4.4)],
    ]
    assert axes.get_yscale() == "log"


def test_unknown_target_is_a_clear_error(engine: DuckDBEngine) -> None:
    with pytest.raises(Exception, match="no observation under that name"):
        resolve_target(engine, ANALYTICS, "Sgr A*")


def test_cli_writes_the_png(
    stored: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``python -m runner plot`` in this process: ``main(argv)``, whose result the process
    exits with (tests/test_cli.py keeps one run through ``python -m runner``)."""
    root = stored[0]
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: vastobs\nruntime: python\n")
    (project / "queries").symlink_to(PROJECT_DIR / "queries")
    (project / "Pulumi.local.yaml").write_text(
        f"config:\n  vastobs:local_root: {root}\n  vastobs:database: {{bucket: testdb, path: /db}}\n"
    )
    out = tmp_path / "lc.png"
    monkeypatch.chdir(project)
    monkeypatch.delenv("PULUMI_STACK", raising=False)
    code = main(["plot", "light-curve", "--target", "V404_CYG", "--output", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "4 points in 3 series" in printed.out
    image = matplotlib.image.imread(out)
    assert image.shape[0] > 300 and image.shape[1] > 600
