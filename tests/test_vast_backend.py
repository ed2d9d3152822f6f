"""The VMS client's defaults and failures that need no server: TLS, credentials, errors."""

from __future__ import annotations

from pathlib import Path

import certifi
import pytest

from vastobs.backends.target import backend_for, vms_credentials
from vastobs.backends.vast import VastBackend, VmsClient
from vastobs.config import from_mapping
from vastobs.errors import BackendError, ConfigError

TARGET = {"kind": "vast", "address": "127.0.0.1:9", "user": "admin", "tenant": "default",
          "ca_cert": None, "verify_tls": True}  # fmt: skip


def test_tls_is_verified_by_default_against_the_system_bundle() -> None:
    client = VmsClient(TARGET, password="pw", token=None)._client
    assert client._cert_file == certifi.where()  # vastpy alone would verify nothing
    assert (
        VmsClient(
            {**TARGET, "ca_cert": "/etc/ca.pem"}, password="pw", token=None
        )._client._cert_file
        == "/etc/ca.pem"
    )
    assert (
        VmsClient({**TARGET, "verify_tls": False}, password="pw", token=None)._client._cert_file
        is None
    )


def test_unreachable_vms_names_the_address_not_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("vastobs.backends.vast.BACKOFF_SECONDS", 0.01)
    client = VmsClient(TARGET, password="hunter2-secret", token=None)
    with pytest.raises(BackendError) as info:
        client.list("views", "views where path=/swift")
    message = str(info.value)
    assert message.startswith("views where path=/swift: cannot reach VMS at 127.0.0.1:9")
    assert "hunter2" not in message


def test_capacity_is_unknown_when_vms_cannot_say(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("vastobs.backends.vast.BACKOFF_SECONDS", 0.01)
    assert VastBackend(TARGET, password="pw", token=None).capacity() is None


def test_credentials_come_from_the_environment_or_a_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("VASTOBS_VMS_PASSWORD", raising=False)
    monkeypatch.delenv("VASTOBS_VMS_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="no VMS credentials"):
        backend_for(TARGET)
    secret = tmp_path / "vms-password"
    secret.write_text("from-file\n")
    assert vms_credentials({**TARGET, "password_file": str(secret)}) == ("from-file", None)
    with pytest.raises(ConfigError, match=r"vms\.password_file: cannot read .*missing"):
        backend_for({**TARGET, "password_file": str(tmp_path / "missing")})
    monkeypatch.setenv("VASTOBS_VMS_PASSWORD", "from-env")
    assert vms_credentials({**TARGET, "password_file": str(secret)}) == ("from-env", None)
    monkeypatch.delenv("VASTOBS_VMS_PASSWORD")
    monkeypatch.setenv("VASTOBS_VMS_TOKEN", "tok")
    assert backend_for({**TARGET, "user": None}) is not None
    monkeypatch.delenv("VASTOBS_VMS_TOKEN")
    with pytest.raises(ConfigError, match=r"vms\.user"):
        backend_for({**TARGET, "user": None, "password_file": str(secret)})


def test_a_stack_secret_for_vms_is_refused_with_the_way_to_go() -> None:
    with pytest.raises(ConfigError, match=r"vastobs:vms_password: .*state.*VASTOBS_VMS_PASSWORD"):
        from_mapping({"vms_password": {"secure": "v1:abc"}}, Path("."))
