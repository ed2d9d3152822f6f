"""Storage monitoring of a ``vast`` stack, read from the VMS stand-in over HTTPS."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from devtools.vms_standin import VmsStandin
from runner.cli import main
from runner.monitor import Level
from runner.watch import monitor_continuous
from vastobs.backends.retry import ATTEMPTS
from vastobs.backends.vast import VastBackend
from vastobs.config import from_mapping

TB = 10**12


def _config(vms: VmsStandin) -> dict[str, object]:
    return {
        "backend": "vast",
        "vms": {"address": vms.address, "user": "admin", "ca_cert": str(vms.ca_cert_path)},
        "database": {"bucket": "obsdb", "path": "/obsdb", "quota": "10TB"},
        "observatories": {"swift": {"path": "/swift", "quota": {"hard": "100TB", "soft": "98TB"}}},
        "monitor": {"warn_percent": 80, "critical_percent": 95},
    }


@pytest.fixture
def project(tmp_path: Path, vms: VmsStandin, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The quotas and views ``pulumi up`` would have made, created through the client."""
    monkeypatch.setenv("VASTOBS_VMS_PASSWORD", str(vms.password))
    (tmp_path / "Pulumi.yaml").write_text("name: vastobs\nruntime: python\n")
    stack = {"config": {f"vastobs:{k}": v for k, v in _config(vms).items()}}
    (tmp_path / "Pulumi.mon.yaml").write_text(json.dumps(stack))
    backend = VastBackend(
        {"address": vms.address, "user": "admin", "ca_cert": str(vms.ca_cert_path)},
        password=vms.password, token=None,
    )  # fmt: skip
    views, quotas = backend.collection("views"), backend.collection("quotas")
    views.create({"path": "/swift", "policy_id": 1, "protocols": ["NFS"]})
    views.create(
        {"path": "/obsdb", "policy_id": 1, "protocols": ["S3", "DATABASE"], "bucket": "obsdb"}
    )
    quotas.create({"name": "swift", "path": "/swift", "hard_limit": 100 * TB, "soft_limit": 98 * TB,
                   "grace_period": "7 00:00:00"})  # fmt: skip
    quotas.create({"name": "obsdb", "path": "/obsdb", "hard_limit": 10 * TB})
    vms.reset_calls()
    return tmp_path


Monitor = Callable[..., SimpleNamespace]


@pytest.fixture
def monitor(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Monitor:
    """``python -m runner monitor --no-bursts ...`` in this process: ``main(argv)``, whose
    result the process exits with (tests/test_monitor.py runs that process once)."""
    monkeypatch.chdir(project)
    monkeypatch.setenv("PULUMI_STACK", "mon")

    def run(*args: str) -> SimpleNamespace:
        capsys.readouterr()
        code = main(["monitor", "--no-bursts", *args])
        out, err = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    return run


def test_usage_rising_between_intervals_goes_ok_warn_critical_through_an_error(
    project: Path,
    vms: VmsStandin,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Each interval's sleep is where the cluster moves on: usage rises, VMS fails once.
    script = iter([
        lambda: vms.set_usage("/swift", 85 * TB),
        lambda: vms.inject(status=500, method="GET", path="/quotas/", times=ATTEMPTS),
        lambda: vms.set_usage("/swift", 99 * TB),
    ])  # fmt: skip
    clock = SimpleNamespace(sleep=lambda _seconds: next(script)())
    monkeypatch.setattr("runner.watch.time", clock)
    # A read is retried ATTEMPTS times: the injected error outlasts them, without the waits.
    monkeypatch.setattr("vastobs.backends.retry.sleep", lambda _seconds: None)
    vms.set_usage("/swift", 10 * TB)
    stack = from_mapping(_config(vms), project)

    level = monitor_continuous(stack, interval=30, count=4, as_json=False)

    out, err = capsys.readouterr()
    assert level == Level.CRITICAL
    assert out.count("storage on vast") == 1  # the full table once, then changes
    changes = [line.split(" ", 1)[1] for line in out.splitlines() if line[:2].isdigit()]
    assert changes == [
        "swift: OK/OK -> WARN/OK",
        "swift: used 85.0 TB (+75.0 TB)",
        "status readable again",
        "swift: WARN/OK -> CRITICAL/SOFT_EXCEEDED",
        "swift: used 99.0 TB (+14.0 TB)",
    ]
    assert "check failed, retrying in 30s: quotas: VMS answered 500" in err
    assert "WARN: swift /swift: 85.0% of hard limit (warn at 80%)" in err
    assert "CRITICAL: swift /swift: soft limit exceeded" in err


@pytest.mark.parametrize(
    ("used_tb", "code", "state"),
    [(10, 0, "OK"), (85, 1, "OK"), (99, 2, "SOFT_EXCEEDED"), (100, 2, "HARD_EXCEEDED")],
)
def test_exit_codes_follow_the_vms_quota(
    monitor: Monitor, vms: VmsStandin, used_tb: int, code: int, state: str
) -> None:
    vms.set_usage("/swift", used_tb * TB)
    proc = monitor("--json")
    assert proc.returncode == code, proc.stderr
    swift = next(p for p in json.loads(proc.stdout)["paths"] if p["name"] == "swift")
    assert (swift["state"], swift["used_bytes"], swift["view_exists"]) == (
        state,
        used_tb * TB,
        True,
    )
    assert vms.mutating_calls() == []


def test_the_table_shows_vms_state_time_to_block_and_capacity(
    monitor: Monitor, vms: VmsStandin
) -> None:
    vms.set_usage("/swift", 99 * TB)
    proc = monitor()
    assert proc.returncode == 2
    for fragment in ("SOFT_EXCEEDED", "7 00:00:00", "99,000,000,000,000", "cluster standin"):
        assert fragment in proc.stdout


def test_unreadable_vms_is_unknown_not_a_crash(
    monitor: Monitor, vms: VmsStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("vastobs.backends.retry.sleep", lambda _seconds: None)  # retries, no waits
    vms.inject(status=503, method="GET", path="/quotas/", times=100)
    proc = monitor()
    assert proc.returncode == 3
    assert "UNKNOWN: storage status could not be read: quotas: VMS answered 503" in proc.stderr
    assert "Traceback" not in proc.stderr
