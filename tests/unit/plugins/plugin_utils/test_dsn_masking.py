# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drift history's PostgreSQL DSN is masked whole in every place it is shown: the location in the warning and
the report, and the driver's own messages, which quote pieces of an invalid DSN (libpq's 'missing "=" after
"words"'). Real psycopg errors: a DSN libpq cannot parse (no server is contacted) and a refused connection on
127.0.0.1 port 1."""

from __future__ import annotations

import json

import pytest

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.aggregate import DriftCollector, utc_now
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.fleet_report import (
    HistorySettings,
    build_fleet_report,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history_backends import (
    mask_dsn,
    mask_dsn_message,
)

FIRST, SECOND = "first-9a8b7c-SECRET", "words-1d2e3f-SECRET"
PIECES = [FIRST, SECOND, "SECRET"]

DSNS = {
    # Quoted, with a space, ;, &, a raw @ and an escaped quote inside: libpq's documented syntax.
    "libpq quoted": "host=127.0.0.1 port=1 dbname=drift user=fleet password = '%s %s;&@x\\'q' connect_timeout=1"
                    % (FIRST, SECOND),
    # The same typed without quotes: libpq refuses it and quotes the second word in its message.
    "libpq unquoted": "host=127.0.0.1 port=1 dbname=drift user=fleet password=%s %s connect_timeout=1"
                      % (FIRST, SECOND),
    "libpq unterminated": "host=127.0.0.1 port=1 password='%s %s" % (FIRST, SECOND),
    "URL": "postgresql://fleet:%s%%20%s@127.0.0.1:1/drift?connect_timeout=1" % (FIRST, SECOND),
    "URL query with a space": "postgresql://127.0.0.1:1/drift?user=fleet&password=%s %s" % (FIRST, SECOND),
}


def _run_desks():
    collector = DriftCollector()
    collector.add_result("desk-1", {"changed": False, "path": "/p/system.json", "exists": True, "drift": []},
                         "emea", "prod")
    return collector.run_desks()


@pytest.mark.parametrize("name", sorted(DSNS))
def test_the_dsn_is_masked_whole_in_the_warning_and_the_report(name, tmp_path):
    dsn = DSNS[name]
    run = {"run_id": "r1", "group": "r1", "check_mode": True, "playbooks": ["drift.yml"], "started_at": utc_now(),
           "finished_at": utc_now()}
    report, warning = build_fleet_report(_run_desks(), run, HistorySettings(dsn=dsn, timeout=2.0,
                                                                            pending_dir=str(tmp_path / "pending")))
    assert report["history"]["status"] == "unavailable" and warning, (report["history"], warning)
    shown = warning + json.dumps(report)
    for piece in PIECES:
        assert piece not in shown, "%s leaked: %s" % (piece, warning)
    assert "127.0.0.1" in shown, "what is not secret stays, so the warning still says where"
    assert "********" in report["history"]["location"]


@pytest.mark.parametrize("message, dsn, shown", [
    ('missing "=" after "words" in connection info string', "host=h password=two words user=x",
     'missing "=" after "********" in connection info string'),
    ("failed to resolve host 'ss@127.0.0.1': [Errno -2] Name or service not known",
     "postgresql://fleet:p@ss@127.0.0.1:1/drift", "failed to resolve host '********': [Errno -2] Name or service "
                                                  "not known"),
    ('unexpected spaces found in "a b", use percent-encoded spaces (%20) instead',
     "postgresql://127.0.0.1/drift?password=a b", 'unexpected spaces found in "********", use percent-encoded '
                                                  "spaces (%20) instead"),
    ('connection to server at "127.0.0.1", port 1 failed', "postgresql://u:pw@127.0.0.1:1/drift",
     'connection to server at "127.0.0.1", port 1 failed'),
    ('invalid connection option "pasword"', "host=h pasword=x", 'invalid connection option "pasword"'),
])
def test_driver_messages_lose_the_pieces_of_secrets_they_quote(message, dsn, shown):
    assert mask_dsn_message(message, dsn) == shown


def test_mask_dsn_keeps_everything_else():
    assert mask_dsn("host=db port=5432 user=fleet password = 'a b' sslmode=require") == \
        "host=db port=5432 user=fleet password = '********' sslmode=require"
    assert mask_dsn("host=db password=a b c user=fleet") == "host=db password=******** user=fleet"
    assert mask_dsn("postgresql://fleet@db:5432/drift") == "postgresql://********@db:5432/drift"
    assert mask_dsn("host=db dbname=drift") == "host=db dbname=drift"
