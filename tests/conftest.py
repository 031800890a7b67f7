"""Shared fixtures: the rig's real servers and a database per test.

Tests marked ``root`` check what only root does (handing the embedded server to the service
user, for one). They skip for an ordinary user, and tests marked ``unprivileged`` skip for
root; CI runs the suite as an ordinary user and then
``pytest -m root`` as root, so both kinds of path are exercised.
"""

import os

import pytest

from tests.fixtures.database import database_url, pg_url
from tests.fixtures.mailservers import dovecot, rig_certs, smtp_sink

__all__ = ["database_url", "dovecot", "pg_url", "rig_certs", "smtp_sink"]


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("root") is not None and os.geteuid() != 0:
        pytest.skip("root only: CI runs these as root with `pytest -m root`")
    if item.get_closest_marker("unprivileged") is not None and os.geteuid() == 0:
        pytest.skip("ordinary users only: CI runs the suite as one")
