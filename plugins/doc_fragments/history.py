# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    """Where the drift history is kept: the drift_report callback writes it, the remediation modules share it.

    The callback adds its own ``env`` and ``ini`` entries to these options (ansible-core merges an option's keys
    from the plugin over the fragment's).
    """

    DOCUMENTATION = r"""
options:
  history_path:
    description:
      - The SQLite file of the drift history. Default, C(drift-history.sqlite) in the report folder of the
        P(ioconnect.fleet.drift_report#callback) callback (its O(ioconnect.fleet.drift_report#callback:output_dir),
        E(IOCONNECT_DRIFT_REPORT_DIR), else C(drift-report)); E(IOCONNECT_DRIFT_REPORT_HISTORY_PATH) sets it for
        the callback and the remediation modules alike.
      - The callback creates the file (and its folder) when missing; the remediation modules need it to exist (a
        drift scan with the callback creates it).
      - Ignored when O(history_dsn) is set.
    type: path
  history_dsn:
    description:
      - A PostgreSQL connection string (C(postgresql://user@db.example.com:5432/drift) or
        C(host=db.example.com dbname=drift user=fleet)); when set, the history is kept there instead of in
        O(history_path), with the same schema. E(IOCONNECT_DRIFT_REPORT_HISTORY_DSN) sets it for the callback and
        the remediation modules alike. Needs psycopg 3 on the controller.
      - The user needs to create tables in the database the first time (the schema is created and upgraded on
        demand), then to select, insert, update and delete rows.
      - Prefer a password file (E(PGPASSFILE)) or E(PGPASSWORD) to a password in the string. The string is never
        printed unmasked.
    type: str
  history_timeout:
    description:
      - Seconds to wait for the history's database (a connection, or another run that is writing) before giving
        up.
    type: float
    default: 30.0
"""
