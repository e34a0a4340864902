# -*- coding: utf-8 -*-
"""Fixtures shared by the integration tests."""

from __future__ import annotations

import pytest

import pg_server


@pytest.fixture(scope="session")
def postgres():
    """One private PostgreSQL server for the session (pg_server.py), stopped at the end."""
    if pg_server.binaries() is None:
        pytest.skip("PostgreSQL is not installed: apt-get install postgresql (bindep.txt, profile test)")
    server = pg_server.Server().start()
    yield server
    server.stop()
