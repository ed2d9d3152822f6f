"""GCN notices (Kafka messages) as trigger facts: parsers only, no Kafka and no database.

``parse_notice(topic, value)`` gives a ``Notice`` or a ``Rejected(reason)``;
``to_trigger_row(notice)`` the ``triggers`` kind's columns. docs/alerts.md,
"Notice formats", describes the formats, topics and units.
"""

from runner.alerts.model import Notice, Rejected
from runner.alerts.notices import ROUTES, Route, parse_notice, route_of, to_trigger_row

__all__ = ["ROUTES", "Notice", "Rejected", "Route", "parse_notice", "route_of", "to_trigger_row"]
