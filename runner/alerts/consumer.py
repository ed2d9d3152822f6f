"""The Kafka consumer's settings: one code path for GCN's brokers and for a plain one.

Both go through ``gcn_kafka``'s own ``get_config``: for GCN (``alerts.gcn_domain``)
it adds TLS with certifi's CAs and OpenID Connect with the client id and secret,
which come from ``VASTOBS_GCN_CLIENT_ID`` / ``VASTOBS_GCN_CLIENT_SECRET`` or the
files the stack names, never from argv or the stack itself; for a plain broker
(tests, ``make alerts``) it is told ``plaintext``. The client commits only the
offsets the listener stores, after their rows are durable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vastobs.config import AlertsConfig
from vastobs.errors import ParameterError

CLIENT_ID_ENV = "VASTOBS_GCN_CLIENT_ID"
CLIENT_SECRET_ENV = "VASTOBS_GCN_CLIENT_SECRET"
# The broker's bound on a silent consumer: a listener restarted after a crash (kill -9)
# gets the partitions once its dead predecessor's session has run out.
SESSION_TIMEOUT_MS = 10_000
SOCKET_TIMEOUT_MS = 10_000  # every network call of the client has a timeout
COMMIT_INTERVAL_MS = 1_000  # how stale the group's committed offsets may be (monitor's lag)


def _secret(env: str, file: str | None, project_dir: Path, environ: Mapping[str, str]) -> str:
    if environ.get(env):
        return environ[env]
    if file:
        path = project_dir / file
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ParameterError(f"{path}: cannot read it ({exc.strerror})") from None
    return ""


def consumer_config(
    alerts: AlertsConfig, project_dir: Path, environ: Mapping[str, str] = os.environ
) -> dict[str, Any]:
    """The confluent-kafka settings of the listener's consumer (holds the secret: never log it)."""
    from gcn_kafka.core import get_config  # confluent-kafka: only for the commands that consume

    ours: dict[str, Any] = {
        "group.id": alerts.group,
        # Dynamic membership (no group.instance.id): a static member is fenced for good when
        # a commit of its old session reaches a broker that restarted after the member had
        # rejoined, which an outage can bring about (1 broker-restart test in 14 met it).
        #
        # The client commits only the offsets the listener stored, once their rows are
        # durable (runner/alerts/listener.py).
        "enable.auto.commit": True,
        "auto.commit.interval.ms": COMMIT_INTERVAL_MS,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": SESSION_TIMEOUT_MS,
        "socket.timeout.ms": SOCKET_TIMEOUT_MS,
        "client.id": "vastobs-listener",
        # syslog 2 (critical): librdkafka logs every failed reconnect at 3 (about 20 lines a
        # second in a broker outage); the errors the consumer hands over are the listener's.
        "log_level": 2,
    }
    if not alerts.gcn_domain:
        ours.update({"bootstrap.servers": alerts.brokers, "security.protocol": "plaintext"})
        return get_config("consumer", ours)
    client_id = _secret(CLIENT_ID_ENV, alerts.client_id_file, project_dir, environ)
    secret = _secret(CLIENT_SECRET_ENV, alerts.client_secret_file, project_dir, environ)
    if not (client_id and secret):
        raise ParameterError(
            f"alerts.gcn_domain {alerts.gcn_domain} needs a GCN client id and secret: set "
            f"{CLIENT_ID_ENV} and {CLIENT_SECRET_ENV}, or alerts.client_id_file and "
            "alerts.client_secret_file"
        )
    return get_config(
        "consumer", ours, client_id=client_id, client_secret=secret, domain=alerts.gcn_domain
    )
