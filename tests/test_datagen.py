"""The demo-data generator: deterministic bytes, the DDL's exact schema, (hpx, time) order,
every row accepted by the real loader, and the distributions ASTRO.md §2 reports.

Tolerances are for one fixed seed (the run is deterministic, so they never
flap): wide enough for the sampling noise of about 1900 bursts and a few
thousand observations, narrow enough that a wrong median or rate fails.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from devtools.toolchain import PROJECT_DIR
from runner.catalog import Catalog
from runner.cli import main
from runner.datagen import TABLES, GeneratorConfig, generate, table_file
from tests.support.dataset import local_database
from vastobs.config import KindTable, ObservatoryConfig, QuotaConfig, StackConfig, load_stack
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


# --- any observatory: the stack's kinds, instrument profiles, answers across observatories ---

FOUR_CONFIG = GeneratorConfig(rows=4000, seed=21, burst_rate_multiplier=0.12, followup_fraction=0.4)
V404 = (306.0159, 33.8672)
US_PER_HOUR = 3_600_000_000


def _stack(extra: dict[str, list[str]]) -> StackConfig:
    """The local stack plus observatories given by config only (kind lists)."""
    local = load_stack("local", PROJECT_DIR)
    added = tuple(
        ObservatoryConfig(name=name, path=f"/{name}/observations",
                          quota=QuotaConfig(hard=10 * 10**12),
                          kinds=tuple(KindTable(kind, kind) for kind in kinds))
        for name, kinds in extra.items()
    )  # fmt: skip
    return replace(local, observatories=local.observatories + added)


FOUR = _stack({"fermi": ["triggers"], "nustar": ["observations", "measurements"]})


def _sep_arcsec(ra1: Any, dec1: Any, ra2: Any, dec2: Any) -> np.ndarray:
    a1, d1, a2, d2 = (np.radians(np.asarray(x, dtype=float)) for x in (ra1, dec1, ra2, dec2))
    h = np.sin((d2 - d1) / 2) ** 2 + np.cos(d1) * np.cos(d2) * np.sin((a2 - a1) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(np.minimum(1.0, h)))) * 3600


@pytest.fixture(scope="module")
def four(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("four") / "data"
    summary = generate(FOUR_CONFIG, out, PROJECT_DIR, observatories=FOUR.observatories)
    return {
        "out": out,
        "summary": summary,
        "answers": json.loads((out / "answers.json").read_text()),
        "tables": {name: pq.read_table(path) for name, path in summary.files.items()},
        "defs": Catalog.for_stack(FOUR).tables,
    }


def test_every_table_of_the_stack_has_its_kind_schema_and_loads(
    four: dict[str, Any], tmp_path: Path
) -> None:
    names = {f"{o}.{t}" for o, t in four["defs"]}
    assert set(four["summary"].files) == names
    assert {"fermi.triggers", "nustar.observations", "nustar.measurements"} <= names
    for (observatory, table), definition in four["defs"].items():
        path = four["out"] / observatory / f"{table}.parquet"
        assert pq.read_schema(path).equals(definition.arrow_schema(), check_metadata=False)
        assert four["tables"][f"{observatory}.{table}"].num_rows > 0, path
    database = local_database(
        tmp_path / "root", dict(four["summary"].files), Catalog.for_stack(FOUR)
    )
    with duckdb.connect(str(database), read_only=True) as con:
        for name in ("fermi.triggers", "nustar.observations", "nustar.measurements"):
            loaded = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            assert loaded == four["summary"].rows[name], name


def test_other_observatories_change_no_seed_byte_and_repeat_exactly(tmp_path: Path) -> None:
    config = GeneratorConfig(rows=4000, seed=11, burst_rate_multiplier=0.05, followup_fraction=0.3)
    stack = _stack({"fermi": ["triggers"], "nustar": ["observations", "measurements"],
                    "lobster": ["triggers", "observations", "measurements", "detections"]})  # fmt: skip
    seed = _hashes(generate(config, tmp_path / "seed", PROJECT_DIR).out)
    first = _hashes(generate(config, tmp_path / "a", PROJECT_DIR, observatories=stack.observatories).out)  # fmt: skip
    again = _hashes(generate(config, tmp_path / "b", PROJECT_DIR, observatories=stack.observatories).out)  # fmt: skip
    assert first == again
    assert {k: v for k, v in first.items() if k.startswith(("swift", "chandra"))} == {
        k: v for k, v in seed.items() if k != "answers.json"
    }
    for (observatory, table), definition in Catalog.for_stack(stack).tables.items():
        path = tmp_path / "a" / observatory / f"{table}.parquet"
        assert pq.read_schema(path).equals(definition.arrow_schema(), check_metadata=False)
    seed_answers = json.loads((tmp_path / "seed" / "answers.json").read_text())
    answers = json.loads((tmp_path / "a" / "answers.json").read_text())
    assert {k: answers[k] for k in seed_answers if k != "rows"} == {
        k: v for k, v in seed_answers.items() if k != "rows"
    }
    assert answers["profiles"] == {"fermi": "fermi", "lobster": "default", "nustar": "nustar"}


def test_every_trigger_has_exactly_the_followups_a_brute_force_finds(four: dict[str, Any]) -> None:
    """All pairs: triggers of both trigger tables x observations of all three observation
    tables, within 192 hours after and sqrt(err^2 + 1) arcsec."""
    t = four["tables"]
    triggers = []
    for name, observatory in (("swift.bursts", "swift"), ("fermi.triggers", "fermi")):
        tab = t[name]
        triggers += [
            (observatory, i, int(tt), ra, dec, err)
            for i, tt, ra, dec, err in zip(
                tab["trigger_id"].to_pylist(), tab["trigger_time"].cast("int64").to_pylist(),
                tab["ra"].to_pylist(), tab["dec"].to_pylist(),
                tab["err_radius_arcsec"].to_pylist(), strict=True,
            )
        ]  # fmt: skip
    observations = []
    for name, id_column in (("swift.observations", "obs_id"), ("chandra.observations", "obsid"),
                            ("nustar.observations", "observation_id")):  # fmt: skip
        tab = t[name].filter(pc.is_valid(t[name]["start_time"]))
        observations.append((name.split(".")[0], [str(x) for x in tab[id_column].to_pylist()],
                             tab["start_time"].cast("int64").to_numpy(),
                             tab["ra"].to_numpy(), tab["dec"].to_numpy()))  # fmt: skip
    brute = set()
    for observatory, trigger_id, time_us, ra, dec, err in triggers:
        for follower, ids, start, ora, odec in observations:
            near = (start >= time_us) & (start <= time_us + 192 * US_PER_HOUR)
            inside = _sep_arcsec(ra, dec, ora[near], odec[near]) <= np.sqrt(err**2 + 1)
            for j in np.flatnonzero(near)[inside]:
                brute.add((observatory, trigger_id, follower, ids[j]))
    planted = {
        (a["observatory"], a["trigger_id"], f["observatory"], f["observation_id"])
        for a in four["answers"]["triggers"]
        for f in a["followups"]
    }
    assert planted == brute
    assert {(o, i) for o, i, *_ in triggers} == {
        (a["observatory"], a["trigger_id"]) for a in four["answers"]["triggers"]
    }
    kinds = {(o, f) for o, _, f, _ in brute}
    assert {("fermi", "swift"), ("fermi", "chandra"), ("fermi", "nustar")} <= kinds


def test_fermi_triggers_on_swift_bursts_and_its_own_are_followed_up(four: dict[str, Any]) -> None:
    answers = four["answers"]["triggers"]
    fermi = [a for a in answers if a["observatory"] == "fermi"]
    bursts = {b["trigger_id"]: b for b in four["answers"]["bursts"]}
    on_swift = [a for a in fermi if a["counterpart"] and "swift_trigger_id" in a["counterpart"]]
    own = [a for a in fermi if a["counterpart"] is None]
    assert len(on_swift) >= 10 and len(own) >= 50
    for a in on_swift:
        burst = bursts[a["counterpart"]["swift_trigger_id"]]
        delay = np.datetime64(burst["trigger_time"]) - np.datetime64(a["trigger_time"])
        assert np.timedelta64(0, "s") <= delay <= np.timedelta64(5, "s")
        assert 3600 <= a["err_radius_arcsec"] <= 36000  # GBM: 1-10 degrees
        chandra = {str(f["obsid"]) for f in burst["followups"] if f["delay_hours"] < 190}
        found = {f["observation_id"] for f in a["followups"] if f["observatory"] == "chandra"}
        assert chandra <= found  # the burst's Chandra follow-ups answer the GBM trigger too
    followed = [a for a in own if any(f["planted"] for f in a["followups"])]
    assert followed and all(
        f["observatory"] == "nustar" for a in followed for f in a["followups"] if f["planted"]
    )


def test_bursts_followed_up_by_three_observatories(four: dict[str, Any]) -> None:
    three = four["answers"]["three_observatory_bursts"]
    assert len(three) >= 5
    nustar = four["tables"]["nustar.observations"]
    by_id = {i: k for k, i in enumerate(nustar["observation_id"].to_pylist())}
    bursts = {b["trigger_id"]: b for b in four["answers"]["bursts"]}
    swift = {
        (a["trigger_id"]): a for a in four["answers"]["triggers"] if a["observatory"] == "swift"
    }
    for entry in three:
        assert entry["observatories"] == ["chandra", "nustar", "swift"]
        burst = bursts[entry["trigger_id"]]
        (n,) = [p for p in entry["planted"] if p["observatory"] == "nustar"]
        row = by_id[n["observation_id"]]
        assert nustar["obs_type"][row].as_py() == "TOO"
        start = nustar["start_time"][row].as_py().replace(tzinfo=None)
        delay = (np.datetime64(start) - np.datetime64(burst["trigger_time"])) / np.timedelta64(
            1, "h"
        )
        assert 12 <= delay <= 168 and delay == pytest.approx(n["delay_hours"])
        seen = {f["observatory"] for f in swift[entry["trigger_id"]]["followups"]
                if f["planted"] and f["delay_hours"] <= 168}  # fmt: skip
        assert seen == {"chandra", "nustar", "swift"}


def test_v404_cygni_is_seen_by_four(four: dict[str, Any]) -> None:
    v404 = four["answers"]["seen_by_four"]
    assert v404["observatories"] == ["chandra", "fermi", "nustar", "swift"]
    t = four["tables"]
    nustar = t["nustar.measurements"].filter(pc.equal(t["nustar.measurements"]["target_name"], "V404_Cyg"))  # fmt: skip
    assert nustar.num_rows == v404["measured"]["nustar"]["V404_Cyg"] > 0
    assert (_sep_arcsec(*V404, nustar["ra"].to_numpy(), nustar["dec"].to_numpy()) < 1.2).all()
    assert set(nustar["instrument"].to_pylist()) == {"FPMA", "FPMB"}
    assert set(nustar["band"].to_pylist()) == {"3-79keV"}
    errors = nustar["err_radius_arcsec"].to_numpy()
    assert ((errors >= 5) & (errors <= 15)).all()
    fermi = t["fermi.triggers"]
    ids = [x["trigger_id"] for x in v404["triggers"]["fermi"]]
    on = fermi.filter(pc.is_in(fermi["trigger_id"], value_set=pa.array(ids, pa.int64())))
    assert on.num_rows == len(ids) >= 2
    seps = _sep_arcsec(*V404, on["ra"].to_numpy(), on["dec"].to_numpy())
    assert (seps < on["err_radius_arcsec"].to_numpy()).all()
    assert {str(d)[:7] for d in on["trigger_time"].to_numpy().astype("datetime64[D]")} == {"2015-06", "2015-12"}  # fmt: skip
    chandra = t["chandra.detections"]
    assert (
        pc.sum(pc.equal(chandra["source_name"], "2CXO J202403.8+335201")).as_py()
        == (v404["detected"]["chandra"]["detections"])
    )
    (match,) = [m for m in four["answers"]["cross_observatory_matches"]
                if m["source_name"] == "2CXO J202403.8+335201"]  # fmt: skip
    assert match["matched_observatories"] == ["nustar", "swift"]
    assert v404["seen_by"]["multi_wavelength_light_curve"] == ["chandra", "nustar", "swift"]
    assert v404["seen_by"]["data_quality_correlation"][0]["measured_by"] == "nustar"


def test_cross_observatory_matches_count_the_points_in_the_files(four: dict[str, Any]) -> None:
    nustar = four["tables"]["nustar.measurements"]
    points = dict(zip(*np.unique(nustar["target_name"].to_numpy(zero_copy_only=False),
                                 return_counts=True), strict=True))  # fmt: skip
    with_nustar = [
        m for m in four["answers"]["cross_observatory_matches"] if "nustar" in m["matched"]
    ]
    assert len(with_nustar) >= 3  # V404 and afterglows of the three-observatory bursts
    for m in with_nustar:
        for name, n in m["matched"]["nustar"].items():
            assert points[name] == n
    seed = {o["chandra_source"]: o for o in four["answers"]["cross_observatory_objects"]}
    for m in four["answers"]["cross_observatory_matches"]:
        assert m["matched"]["swift"] == seed[m["source_name"]]["swift_names"]
