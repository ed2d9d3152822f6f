"""The VMS client's defaults and failures that need no server: TLS, credentials, errors."""

from __future__ import annotations

import certifi
import pytest

from infra.backends.vast import VmsClient
from infra.errors import BackendError, ConfigError
from infra.resources.target import backend_for

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
    monkeypatch.setattr("infra.backends.vast.BACKOFF_SECONDS", 0.01)
    client = VmsClient(TARGET, password="hunter2-secret", token=None)
    with pytest.raises(BackendError) as info:
        client.list("views", "views where path=/swift")
    message = str(info.value)
    assert message.startswith("views where path=/swift: cannot reach VMS at 127.0.0.1:9")
    assert "hunter2" not in message


def test_credentials_come_from_configure_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("VASTOBS_VMS_PASSWORD", raising=False)
    monkeypatch.delenv("VASTOBS_VMS_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="no VMS credentials"):
        backend_for(TARGET, {})
    assert backend_for(TARGET, {"password": "from-config"}) is not None
    monkeypatch.setenv("VASTOBS_VMS_TOKEN", "tok")
    assert backend_for({**TARGET, "user": None}, {}) is not None
    with pytest.raises(ConfigError, match=r"vms\.user"):
        backend_for({**TARGET, "user": None}, {"password": "pw"})
