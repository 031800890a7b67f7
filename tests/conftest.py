"""Shared fixtures: the rig's real servers and a database per test."""

from tests.fixtures.database import database_url, pg_url
from tests.fixtures.mailservers import dovecot, rig_certs, smtp_sink

__all__ = ["database_url", "dovecot", "pg_url", "rig_certs", "smtp_sink"]
