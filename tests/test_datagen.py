"""The demo-data generator: deterministic bytes, the DDL's exact schema, (hpx, time) order,
every row accepted by the real loader, and the distributions ASTRO.md §2 reports.

Tolerances are for one fixed seed (the run is deterministic, so they never
flap): wide enough for the sampling noise of about 1900 bursts and a few
thousand observations, narrow enough that a wrong median or rate fails.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from devtools.toolchain import PROJECT_DIR
from runner.cli import main
from runner.datagen import TABLES, GeneratorConfig, generate, table_file
from tests.support.dataset import local_database
from vastobs.ddl import load_table
from vastobs.errors import ParameterError
from vastobs.sky import healpix14_array

TIME = {"swift.bursts": "trigger_time", "swift.observations": "start_time",
        "swift.measurements": "mid_time", "chandra.observations": "start_time",
        "chandra.detections": "mid_time"}  # fmt: skip


def _hashes(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The default burst rate and follow-up fraction: what the distribution tests measure."""
    out = tmp_path_factory.mktemp("datagen") / "data"
    summary = generate(GeneratorConfig(rows=60_000, seed=7), out, PROJECT_DIR)
    return {
        "out": out,
        "summary": summary,
        "answers": json.loads((out / "answers.json").read_text()),
        "tables": {name: pq.read_table(path) for name, path in summary.files.items()},
    }


def test_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    # Few bursts (about 100): generated three times, each costs about a second.
    config = GeneratorConfig(rows=4000, seed=11, burst_rate_multiplier=0.05, followup_fraction=0.3)
    first = _hashes(generate(config, tmp_path / "a", PROJECT_DIR).out)
    second = _hashes(generate(config, tmp_path / "b", PROJECT_DIR).out)
    assert first == second
    assert set(first) == {"answers.json", *(str(table_file(Path(), t)) for t in TABLES)}
    other = GeneratorConfig(rows=4000, seed=12, burst_rate_multiplier=0.05, followup_fraction=0.3)
    third = _hashes(generate(other, tmp_path / "c", PROJECT_DIR).out)
    assert all(first[name] != third[name] for name in first)


def test_layout_and_exact_schema(dataset: dict[str, Any]) -> None:
    out = dataset["out"]
    for name in TABLES:
        observatory, table = name.split(".")
        path = out / observatory / f"{table}.parquet"
        assert dataset["summary"].files[name] == path
        expected = load_table(PROJECT_DIR, observatory, table).arrow_schema()
        assert pq.read_schema(path).equals(expected, check_metadata=False), name
        assert dataset["tables"][name].num_rows == dataset["summary"].rows[name] > 0


def test_rows_are_sorted_by_cell_and_time_and_hpx_is_the_positions(dataset: dict[str, Any]) -> None:
    for name, table in dataset["tables"].items():
        hpx = table["hpx"].to_numpy()
        t = table[TIME[name]].cast("int64").fill_null(np.iinfo(np.int64).max).to_numpy()
        order = np.lexsort((t, hpx))
        assert np.array_equal(order, np.arange(len(hpx))), name
        ra, dec = table["ra"].to_numpy(), table["dec"].to_numpy()
        assert np.array_equal(hpx, healpix14_array(ra, dec)), name
        assert ((ra >= 0) & (ra < 360) & (dec >= -90) & (dec <= 90)).all()
        files = pq.ParquetFile(dataset["summary"].files[name])
        assert all(
            files.metadata.row_group(i).num_rows <= 65_536 for i in range(files.num_row_groups)
        )


def test_every_file_loads_with_zero_rejects(dataset: dict[str, Any], tmp_path: Path) -> None:
    """Through the real loader (all its checks) into a local VAST DB made as Pulumi makes it."""
    database = local_database(tmp_path / "root", dict(dataset["summary"].files))
    assert not (tmp_path / "root" / "quarantine").exists()  # nothing was quarantined
    with duckdb.connect(str(database), read_only=True) as con:
        for name in TABLES:
            loaded = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            assert loaded == dataset["summary"].rows[name], name


def test_row_counts_follow_the_documented_proportions(dataset: dict[str, Any]) -> None:
    rows = dataset["summary"].rows
    assert 0.9 * 60_000 <= rows["swift.measurements"] <= 1.1 * 60_000
    assert rows["swift.measurements"] == max(rows.values())
    assert 150 <= rows["chandra.observations"] <= 60_000 / 400 + 2 * 173 + 9 * 3
    assert rows["chandra.detections"] > rows["chandra.observations"]


def test_burst_rate_and_the_bat_distributions(dataset: dict[str, Any]) -> None:
    bursts = dataset["tables"]["swift.bursts"]
    years = bursts["trigger_time"].to_numpy().astype("datetime64[Y]").astype(int) + 1970
    assert years.min() == 2005 and years.max() == 2024
    per_year = np.bincount(years - 2005)
    assert 90 <= per_year.mean() <= 104  # 97 a year
    assert per_year.min() >= 65 and per_year.max() <= 135  # Poisson-scale scatter, 80-120 seen
    err_arcmin = bursts["err_radius_arcsec"].to_numpy() / 60
    assert np.median(err_arcmin) == pytest.approx(1.7, abs=0.08)
    assert np.quantile(err_arcmin, 0.1) == pytest.approx(1.0, abs=0.08)
    assert np.quantile(err_arcmin, 0.9) == pytest.approx(2.8, abs=0.15)
    t90 = bursts["t90_seconds"].to_numpy()
    assert 33 <= np.median(t90) <= 42  # about 37 s
    assert 0.07 <= (t90 < 2).mean() <= 0.11  # about 9% short
    snr = bursts["image_snr"].to_numpy()
    assert np.allclose(bursts["significance"].to_numpy(), 1 - np.exp(-snr / 4), rtol=0, atol=1e-12)
    assert 0.5 <= (bursts["significance"].to_numpy() >= 0.9).mean() <= 0.95
    assert 0.80 <= np.mean(bursts["xrt_detected"].to_numpy()) <= 0.88
    assert np.median(bursts["pcode"].to_numpy()) == pytest.approx(0.64, abs=0.05)
    methods = bursts["trigger_method"].value_counts().to_pylist()
    share = {m["values"]: m["counts"] / bursts.num_rows for m in methods}
    assert share["rate"] == pytest.approx(0.78, abs=0.04)


def test_position_errors(dataset: dict[str, Any]) -> None:
    m = dataset["tables"]["swift.measurements"]
    xrt = m.filter(pc.equal(m["instrument"], "XRT"))
    per_obs = {}  # one error per observation (every point of it carries the same)
    for obs_id, err in zip(
        xrt["obs_id"].to_pylist(), xrt["err_radius_arcsec"].to_pylist(), strict=True
    ):
        per_obs[obs_id] = err
    errs = np.array(list(per_obs.values()))
    assert len(errs) > 1000
    assert np.median(errs) == pytest.approx(1.6, abs=0.06)
    assert np.quantile(errs, 0.9) == pytest.approx(3.4, abs=0.3)
    uvot = m.filter(pc.equal(m["instrument"], "UVOT"))["err_radius_arcsec"].to_numpy()
    assert uvot.max() < 1.0
    chandra = dataset["tables"]["chandra.detections"]["err_radius_arcsec"].to_numpy()
    assert np.median(chandra) == pytest.approx(1.0, abs=0.07)


def test_planted_followups(dataset: dict[str, Any]) -> None:
    bursts = dataset["answers"]["bursts"]
    assert len(bursts) == dataset["summary"].rows["swift.bursts"]
    followed = [b for b in bursts if b["followups"]]
    assert 0.035 <= len(followed) / len(bursts) <= 0.065  # the default fraction, 0.05
    assert all(b["xrt_detected"] for b in followed)
    observations = dataset["tables"]["chandra.observations"]
    by_obsid = dict(
        zip(observations["obsid"].to_pylist(), observations["obs_type"].to_pylist(), strict=True)
    )
    for b in followed:
        for f in b["followups"]:
            assert by_obsid[f["obsid"]] in ("TOO", "DDT")
            if f["in_window"]:
                assert 12.0 <= f["delay_hours"] < 168.0
            else:
                assert f["delay_hours"] >= 240.0


def test_v404_cygni_name_variants_and_outburst(dataset: dict[str, Any]) -> None:
    m = dataset["tables"]["swift.measurements"]
    names = set(m["target_name"].to_pylist())
    assert {"V404CYG", "V404_CYG", "V404 CYG", "SWIFT J2025.5+3340"} <= names
    assert {"CYG X-1", "CRAB", "SCO X-1", "GX 339-4", "ETA CAR"} <= names
    variants = pa.array(["V404CYG", "V404_CYG", "V404 CYG", "SWIFT J2025.5+3340"])
    v404 = m.filter(pc.and_(pc.is_in(m["target_name"], value_set=variants), pc.equal(m["instrument"], "XRT")))  # fmt: skip
    t = v404["mid_time"].to_numpy()
    rate = v404["rate"].to_numpy()
    outburst = (t >= np.datetime64("2015-06-15")) & (t < np.datetime64("2015-07-15"))
    quiet = (t >= np.datetime64("2008-01-01")) & (t < np.datetime64("2014-01-01"))
    assert outburst.sum() >= 5 and quiet.sum() >= 5
    assert np.median(rate[outburst]) > 100 * max(np.median(rate[quiet]), 1e-3)
    detections = dataset["tables"]["chandra.detections"]
    assert "2CXO J202403.8+335201" in set(detections["source_name"].to_pylist())


def test_answers_format(dataset: dict[str, Any]) -> None:
    answers = dataset["answers"]
    assert answers["format_version"] == 1
    assert answers["generator"]["rows"] == 60_000 and answers["generator"]["seed"] == 7
    assert answers["rows"] == dataset["summary"].rows
    obj = answers["cross_observatory_objects"][0]
    assert set(obj) == {"chandra_source", "chandra_target", "kind", "object", "swift_names",
                        "swift_points", "chandra_detections"}  # fmt: skip
    assert obj["swift_points"] == sum(obj["swift_names"].values())


def test_cli_writes_the_files_and_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    code = main(["demo-data", "--rows", "3000", "--seed", "5", "--out", str(out),
                 "--burst-rate-multiplier", "0.1", "--followup-fraction", "0.5"])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "swift.measurements" in printed and "planted Chandra follow-ups" in printed
    assert (out / "swift" / "measurements.parquet").is_file()
    assert (out / "answers.json").is_file()
    assert not list(out.rglob("*.partial"))
    answers = json.loads((out / "answers.json").read_text())
    assert answers["generator"]["burst_rate_multiplier"] == 0.1
    assert 0.3 * 194 <= len(answers["bursts"]) * 1.0 <= 1.5 * 194


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rows", "10"], "--rows 10: at least 1000"),
        (["--rows", "5000", "--followup-fraction", "1.5"], "--followup-fraction 1.5"),
        (["--rows", "5000", "--burst-rate-multiplier", "0"], "--burst-rate-multiplier 0.0"),
    ],
)
def test_cli_refuses_bad_options(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo-data", "--out", str(tmp_path / "x"), *args]) == 1
    assert message in capsys.readouterr().err
    with pytest.raises(ParameterError):
        GeneratorConfig(rows=10, seed=0)
