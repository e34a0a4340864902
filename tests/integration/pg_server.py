# -*- coding: utf-8 -*-
"""A private PostgreSQL server for tests: Debian's own binaries (package postgresql, /usr/lib/postgresql/*/bin),
a fresh cluster in a temporary folder, listening on a free port of 127.0.0.1 only, stopped at the end.

PostgreSQL refuses to run as root, and CI runs as root: the cluster then belongs to the unprivileged `postgres`
account Debian's package creates (initdb and pg_ctl run through runuser). A non-root user runs it as itself.
The tests connect as a non-superuser role that owns its database, as a history's user would.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

SUPERUSER = "fleet_admin"
USER = "drift"
PASSWORD = "Pg-7c1e-never-in-a-report"
DATABASE = "drift_history"


def binaries() -> str | None:
    """The bin folder of the newest PostgreSQL installed from Debian's packages, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return os.path.dirname(found[-1]) if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self) -> None:
        self.bin = binaries()
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql (bindep.txt, profile test)")
        self.owner = "postgres" if os.geteuid() == 0 else None
        self.folder = tempfile.mkdtemp(prefix="ioconnect-pg-")
        self.data = os.path.join(self.folder, "data")
        self.port = None
        if self.owner:
            entry = pwd.getpwnam(self.owner)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)

    def _cmd(self, *args, **kwargs):
        cmd = list(args)
        if self.owner:
            cmd = ["runuser", "-u", self.owner, "--"] + cmd
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True, cwd=self.folder, **kwargs)

    def start(self) -> "Server":
        pwfile = os.path.join(self.folder, "pw")
        with open(pwfile, "w", encoding="utf-8") as handle:
            handle.write(PASSWORD + "\n")
        if self.owner:
            entry = pwd.getpwnam(self.owner)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        self._cmd(os.path.join(self.bin, "initdb"), "-D", self.data, "-U", SUPERUSER, "--pwfile", pwfile,
                  "-A", "scram-sha-256", "--no-sync", "-E", "UTF8", "--locale", "C.UTF-8")
        for _attempt in range(5):
            self.port = _free_port()
            try:
                self._cmd(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-w", "-t", "60", "-l",
                          os.path.join(self.folder, "server.log"), "-o",
                          "-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s -c fsync=off"
                          % (self.port, self.folder), "start")
                break
            except subprocess.CalledProcessError:
                time.sleep(0.2)
        else:
            raise RuntimeError("PostgreSQL did not start: %s" % self.log())
        import psycopg

        with psycopg.connect(self.dsn(SUPERUSER), autocommit=True) as conn:
            conn.execute("CREATE ROLE %s LOGIN PASSWORD '%s'" % (USER, PASSWORD))
            conn.execute("CREATE DATABASE %s OWNER %s" % (DATABASE, USER))
        return self

    def dsn(self, user: str = USER, database: str | None = None, password: str = PASSWORD) -> str:
        return "postgresql://%s:%s@127.0.0.1:%d/%s" % (user, password, self.port, database or (
            "postgres" if user == SUPERUSER else DATABASE))

    def passfile(self, path: str) -> str:
        """A libpq password file for the history's user (what a DSN without a password then uses)."""
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("127.0.0.1:%d:*:%s:%s\n" % (self.port, USER, PASSWORD))
        os.chmod(path, 0o600)
        return path

    def fresh_database(self, name: str) -> str:
        """A new empty database owned by the history's user; its DSN."""
        import psycopg

        with psycopg.connect(self.dsn(SUPERUSER), autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS %s" % name)
            conn.execute("CREATE DATABASE %s OWNER %s" % (name, USER))
        return self.dsn(database=name)

    def log(self) -> str:
        try:
            with open(os.path.join(self.folder, "server.log"), encoding="utf-8") as handle:
                return handle.read()[-3000:]
        except OSError:
            return ""

    def stop(self) -> None:
        try:
            if self.port:
                self._cmd(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
