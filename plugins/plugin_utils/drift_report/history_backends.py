# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The two homes of the drift history: an SQLite file on the controller, or a PostgreSQL server (psycopg 3).

Only what differs between them lives here: how to connect, how a transaction starts and excludes other writers,
the placeholder style, and which driver error means what. The schema and every query are shared (history.py).
Both backends run one writer at a time (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-scoped advisory
lock), waiting up to the timeout for the other, so two runs that finish together both land, whole.
"""

from __future__ import annotations

import os
import re
import sqlite3

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import DEFAULT_POLICY, MASK
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.redact import redact_text

# Problems a history can have; each has its advice in history.py.
UNREACHABLE = "unreachable"
LOCKED = "locked"
CORRUPT = "corrupt"
NEWER = "newer_schema"
REFUSED = "refused"
MISSING_DRIVER = "missing_driver"
FAILED = "failed"

# Any 64-bit number the collection owns: the advisory lock of the history's writers on PostgreSQL.
_PG_WRITER_LOCK = 0x10C0_2E57_D41F_0001


class HistoryError(FleetError):
    """A history that cannot be used now: a FleetError of kind ``history``, whose ``problem`` is one of the problems
    above; the text never holds a secret."""

    def __init__(self, problem: str, detail: str) -> None:
        super().__init__(detail, kind="history")
        self.problem = problem
        self.detail = redact_text(detail, 1000)


class SQLiteBackend:
    name = "sqlite"

    def __init__(self, path: str, timeout: float) -> None:
        self.path = os.path.abspath(os.path.expanduser(path))
        self.location = self.path
        self.timeout = timeout
        self.conn = None

    def connect(self) -> None:
        folder = os.path.dirname(self.path)
        try:
            os.makedirs(folder, exist_ok=True)
            # isolation_level=None: transactions are ours (BEGIN IMMEDIATE), not the module's implicit ones.
            self.conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            self.conn.execute("PRAGMA busy_timeout = %d" % int(self.timeout * 1000))
            # Reads the header: a file that is not an SQLite database fails here, not halfway through a write.
            self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except (sqlite3.Error, OSError) as exc:
            self.close()
            raise self.translate(exc) from exc

    def sql(self, query: str) -> str:
        return query

    def begin_write(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def begin_read(self) -> None:
        self.conn.execute("BEGIN")

    def table_exists(self, name: str) -> bool:
        row = self.conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
                                (name,)).fetchone()
        return bool(row[0])

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except sqlite3.Error:
                pass
            self.conn = None

    def errors(self) -> tuple:
        return (sqlite3.Error, OSError)

    def translate(self, exc: BaseException) -> HistoryError:
        text = str(exc)
        low = text.lower()
        if isinstance(exc, HistoryError):
            return exc
        if "locked" in low or "busy" in low:
            return HistoryError(LOCKED, "database is locked (%s)" % text)
        if "not a database" in low or "malformed" in low or "corrupt" in low:
            return HistoryError(CORRUPT, text)
        if isinstance(exc, (sqlite3.OperationalError, OSError)) and (
                "unable to open" in low or "readonly" in low or "read-only" in low or "disk i/o" in low
                or "permission" in low or isinstance(exc, OSError)):
            return HistoryError(UNREACHABLE, text)
        if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
            return HistoryError(CORRUPT, text)
        return HistoryError(FAILED, text)


class PostgreSQLBackend:
    name = "postgresql"

    def __init__(self, dsn: str, timeout: float) -> None:
        self.dsn = dsn
        self.location = mask_dsn(dsn)
        self.timeout = timeout
        self.conn = None
        self._psycopg = None

    def connect(self) -> None:
        try:
            import psycopg
        except ImportError as exc:
            raise HistoryError(MISSING_DRIVER, "the Python package psycopg is not installed on the controller (%s)"
                               % exc) from exc
        self._psycopg = psycopg
        millis = max(1, int(self.timeout * 1000))
        try:
            # autocommit: transactions are started explicitly, as on SQLite. The timeouts bound every wait for a
            # lock (another writer) and every statement, so a stuck server never hangs the end of a run.
            self.conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=max(1, int(self.timeout)),
                                        options="-c lock_timeout=%d -c statement_timeout=%d" % (millis, 4 * millis),
                                        application_name="ioconnect.fleet.drift_report")
        except Exception as exc:  # psycopg raises OperationalError, ProgrammingError (bad DSN), ...
            self.close()
            raise self.translate(exc) from exc

    def sql(self, query: str) -> str:
        # The shared queries use qmark placeholders and hold no literal '?' or '%'.
        return query.replace("?", "%s")

    def begin_write(self) -> None:
        self.conn.execute("BEGIN")
        self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_PG_WRITER_LOCK,))

    def begin_read(self) -> None:
        self.conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def table_exists(self, name: str) -> bool:
        row = self.conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()
        return bool(row[0])

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:
                pass
            self.conn = None

    def errors(self) -> tuple:
        return (self._psycopg.Error,) if self._psycopg else (Exception,)

    def translate(self, exc: BaseException) -> HistoryError:
        if isinstance(exc, HistoryError):
            return exc
        text = mask_dsn_message(str(exc).strip(), self.dsn) if self.dsn else str(exc)
        errors = getattr(self._psycopg, "errors", None)
        if errors is not None:
            if isinstance(exc, (errors.LockNotAvailable, errors.QueryCanceled, errors.DeadlockDetected)):
                return HistoryError(LOCKED, text)
            if isinstance(exc, (errors.InsufficientPrivilege, errors.InvalidAuthorizationSpecification,
                                errors.InvalidPassword)):
                return HistoryError(REFUSED, text)
            if isinstance(exc, errors.DataCorrupted):
                return HistoryError(CORRUPT, text)
        if self._psycopg is not None and isinstance(exc, self._psycopg.OperationalError):
            return HistoryError(UNREACHABLE, text)
        if self._psycopg is not None and isinstance(exc, self._psycopg.ProgrammingError) and self.conn is None:
            return HistoryError(UNREACHABLE, "invalid history_dsn: %s" % text)
        return HistoryError(FAILED, text)


# libpq's next keyword in a keyword/value DSN: " sslmode=" or " user =".
_DSN_NEXT_KEYWORD = re.compile(r"\s+[A-Za-z_]+\s*=")
# A piece of a DSN that libpq quotes in its messages: missing "=" after "words", failed to resolve host 'ss@db'.
_QUOTED_PIECE = re.compile(r"\"([^\"]+)\"|'([^']+)'")


def in_transaction(backend, func, *args, write: bool = False):
    """func(*args) in one transaction of backend (a write transaction excludes every other writer of the database);
    a driver error becomes a HistoryError, and the transaction is undone. Used by the history and by the
    remediation loop's tables beside it."""
    try:
        if write:
            backend.begin_write()
        else:
            backend.begin_read()
        result = func(*args)
        backend.conn.execute("COMMIT")
        return result
    except BaseException as exc:
        try:
            backend.conn.execute("ROLLBACK")
        except Exception:  # pylint: disable=broad-except
            pass  # the connection is gone or no transaction is open: the original error is the one to report
        if isinstance(exc, HistoryError):
            raise
        if isinstance(exc, backend.errors()):
            raise backend.translate(exc) from exc
        raise


def _dsn_secret_spans(dsn: str) -> list:
    """[(start, end)] of the secrets of a DSN: the masking policy's, and a password typed with spaces but without
    quotes (invalid for libpq, which then quotes the rest in its error) to the next keyword, or in a URL to the next
    parameter."""
    spans = DEFAULT_POLICY.secret_spans(dsn)
    out = []
    for start, end in spans:
        if end < len(dsn) and dsn[end] in " \t":
            following = dsn.find("&", end) if "://" in dsn else -1
            if "://" not in dsn:
                keyword = _DSN_NEXT_KEYWORD.search(dsn, end)
                following = keyword.start() if keyword else -1
            end = following if following != -1 else len(dsn.rstrip())
        out.append((start, end))
    return out


def mask_dsn(dsn: str) -> str:
    """A DSN fit for messages: ``postgresql://user:pw@host/db``, ``password=pw`` and ``password = 'two words'``
    masked whole."""
    pieces, pos = [], 0
    for start, end in _dsn_secret_spans(dsn):
        pieces.extend((dsn[pos:start], MASK))
        pos = end
    pieces.append(dsn[pos:])
    return redact_text("".join(pieces), 1000)


def mask_dsn_message(message: str, dsn: str) -> str:
    """A driver's message about dsn, fit for the report: the DSN masked where it appears whole, and every quoted
    piece of it that overlaps one of its secrets (libpq's 'missing "=" after "words"', 'failed to resolve host
    "ss@db"' for a raw '@' in a URL's password) masked."""
    spans = _dsn_secret_spans(dsn)

    def piece(match):
        text = match.group(1) or match.group(2)
        at = dsn.find(text)
        while at != -1:
            if any(at < end and start < at + len(text) for start, end in spans):
                return match.group(0)[0] + MASK + match.group(0)[-1]
            at = dsn.find(text, at + 1)
        return match.group(0)

    message = message.replace(dsn, mask_dsn(dsn)) if dsn else message
    return redact_text(_QUOTED_PIECE.sub(piece, message), 1000)
