"""Shared fixtures: the rig's real servers and a database per test."""

from tests.fixtures.database import database_url, pg_url

__all__ = ["database_url", "pg_url"]
