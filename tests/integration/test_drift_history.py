# -*- coding: utf-8 -*-
"""The drift history on both its backends: an SQLite file, and a real PostgreSQL server (Debian's packages, a
private cluster on a loopback port, pg_server.py). The same tests run on both: round trip, masking before storing,
migrations from an older schema, a newer schema refused, retention, two writers at once, the fleet view across
--limit-style runs; and the problems that must never cost a run its report (corrupt, locked, unreachable).
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3

import pytest

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report import history_pending
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.aggregate import DriftCollector, utc_now
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.fleet_report import (
    HistorySettings,
    build_fleet_report,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history import (
    HistoryStore,
    make_batch,
    open_store,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history_backends import (
    CORRUPT,
    LOCKED,
    NEWER,
    UNREACHABLE,
    HistoryError,
    PostgreSQLBackend,
    SQLiteBackend,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history_schema import SCHEMA_VERSION

SECRET = "Hist-3b9d-secret-never-stored"


_dbs = iter(range(10 ** 6))


@pytest.fixture(params=["sqlite", "postgresql"])
def where(request, tmp_path):
    """Where a fresh, empty history lives: {"path": ...} (SQLite) or {"dsn": ...} (PostgreSQL)."""
    if request.param == "sqlite":
        return {"path": str(tmp_path / "history.sqlite"), "dsn": ""}
    server = request.getfixturevalue("postgres")
    return {"path": "", "dsn": server.fresh_database("h%d" % next(_dbs)), "server": server}


def store_at(where, timeout=10.0):
    return open_store(where["path"], where["dsn"] or None, timeout)


def desks(statuses: dict, region="emea", env="prod", secret=False) -> list:
    """Desk records of a run: {name: status}."""
    collector = DriftCollector()
    for name, status in statuses.items():
        path = "C:\\Users\\kim\\AppData\\Local\\interop.io\\io.Connect Desktop\\Desktop\\config\\system.json"
        if status == "drifted":
            drift = [{"pointer": "/server/url", "op": "replace", "before": "https://old.example/api",
                      "after": "https://new.example/api"}]
            if secret:
                drift.append({"pointer": "/appStores/0/details/auth/password", "op": "replace", "before": SECRET,
                              "after": "new-" + SECRET})
            collector.add_result(name, {"changed": True, "path": path, "exists": True, "drift": drift,
                                        "msg": "token=%s" % SECRET if secret else ""}, region, env, check_mode=True)
        elif status == "compliant":
            collector.add_result(name, {"changed": False, "path": path, "exists": True, "drift": []}, region, env)
        elif status == "failed":
            collector.add_result(name, {"failed": True, "path": path, "msg": "bad JSON", "error_kind": "parse"},
                                 region, env)
        elif status == "not_installed":
            collector.add_result(name, {"changed": False, "path": path, "exists": False}, region, env)
    return collector.run_desks()


def run_meta(run_id, group=None):
    return {"run_id": run_id, "group": group or run_id, "check_mode": True, "playbooks": ["drift.yml"],
            "started_at": utc_now(), "finished_at": utc_now()}


def settings_for(where, tmp_path, **extra):
    base = dict(enabled=True, path=where["path"], dsn=where["dsn"], timeout=5.0, window=10, rounds=20,
                pending_dir=str(tmp_path / history_pending.FOLDER))
    base.update(extra)
    return HistorySettings(**base)


def test_round_trip_and_masked_before_storing(where, tmp_path):
    report, warning = build_fleet_report(desks({"a": "drifted", "b": "compliant"}, secret=True), run_meta("r1"),
                                         settings_for(where, tmp_path))
    assert warning == "" and report["history"]["status"] == "recorded"
    report, warning = build_fleet_report(desks({"c": "failed"}, region="amer"), run_meta("r2"),
                                         settings_for(where, tmp_path))
    assert warning == ""
    fleet = {d["name"]: d for d in report["desks"]}
    assert set(fleet) == {"a", "b", "c"}  # the second run scanned only c: a and b stay, from the first run
    assert fleet["a"]["run_id"] == "r1" and not fleet["a"]["in_this_run"]
    assert fleet["c"]["in_this_run"] and fleet["c"]["status"] == "failed"
    a = fleet["a"]
    assert a["status"] == "drifted" and a["installs"][0]["profile"] == "kim"
    assert a["installs"][0]["root"] == "C:\\Users\\kim"
    by_pointer = {e["pointer"]: e for e in a["drift"]}
    assert by_pointer["/server/url"]["before"] == "https://old.example/api"
    assert by_pointer["/appStores/0/details/auth/password"]["before"] == "********"
    assert report["summary"]["desks"] == 3 and report["run"]["summary"]["desks"] == 1
    # Nothing secret reached the store, whatever the caller passed.
    if where["path"]:
        raw = open(where["path"], "rb").read()
        assert SECRET.encode() not in raw
    with store_at(where) as store:
        rows = store.fleet_rows(10, 20)
    assert SECRET not in repr(rows)


def test_secrets_masked_even_when_the_caller_passes_them(where):
    leaky = [{"name": "d", "region": "emea", "environment": "prod", "status": "drifted", "reason": "",
              "drift_count": 1, "errors": [{"kind": "failed", "task": "t", "msg": "password=" + SECRET}],
              "installs": [{"path": "https://u:%s@x/system.json" % SECRET, "status": "drifted", "task": "",
                            "msg": "Authorization: Bearer %s" % SECRET, "drift": [
                                {"pointer": "/server/token", "op": "replace", "before": SECRET, "after": SECRET}]}]}]
    with store_at(where) as store:
        store.record(make_batch(run_meta("leak"), leaky, utc_now(precise=True)))
        rows = store.fleet_rows(10, 20)
    assert SECRET not in repr(rows)
    if where["path"]:
        assert SECRET.encode() not in open(where["path"], "rb").read()


def test_history_per_desk_over_limited_runs(where, tmp_path):
    """drifted since, times drifted (flapping) and last compliant, over runs that each scan part of the fleet."""
    sequence = [
        ("r1", {"flap": "compliant", "steady": "drifted", "ok": "compliant"}),
        ("r2", {"flap": "drifted"}),
        ("r3", {"flap": "compliant", "steady": "failed"}),
        ("r4", {"flap": "drifted", "steady": "drifted"}),
        ("r5", {"ok": "compliant"}),
    ]
    times = {}
    for run_id, statuses in sequence:
        report, warning = build_fleet_report(desks(statuses), run_meta(run_id), settings_for(where, tmp_path))
        assert warning == ""
        for name in statuses:
            times[(run_id, name)] = next(d["scanned_at"] for d in report["desks"] if d["name"] == name)
    fleet = {d["name"]: d for d in report["desks"]}
    assert set(fleet) == {"flap", "steady", "ok"}
    flap, steady, ok = fleet["flap"]["history"], fleet["steady"]["history"], fleet["ok"]["history"]
    assert fleet["flap"]["status"] == "drifted" and fleet["flap"]["run_id"] == "r4"
    assert flap["times_drifted"] == 2 and flap["drifted_scans"] == 2 and flap["scans"] == 4
    assert flap["drifted_since"] == times[("r4", "flap")]
    assert flap["last_compliant_at"] == times[("r3", "flap")]
    # A failed scan does not end a drift: nothing says it was fixed.
    assert steady["drifted_since"] == times[("r1", "steady")] and steady["times_drifted"] == 1
    assert steady["last_compliant_at"] is None
    assert ok["drifted_since"] is None and ok["last_compliant_at"] == times[("r5", "ok")]
    # The trend: one point per round that touched emea, carrying forward what a round did not scan.
    points = report["trend"]["by_region"]["emea"]
    assert [p["drifted"] for p in points] == [1, 2, 0, 2, 2]  # r3: flap put right, steady failed
    assert [p["desks"] for p in points] == [3, 3, 3, 3, 3]


def test_runs_of_one_group_are_one_round(where, tmp_path):
    """The slices of one sliced job (one group) make one point, the same as one run over the whole fleet."""
    build_fleet_report(desks({"a": "drifted", "b": "compliant"}), run_meta("s1", "job-7"), settings_for(where, tmp_path))
    report, _warning = build_fleet_report(desks({"c": "drifted", "d": "compliant"}), run_meta("s2", "job-7"),
                                          settings_for(where, tmp_path))
    assert len(report["trend"]["rounds"]) == 1
    assert report["trend"]["by_region"]["emea"] == [dict(report["trend"]["by_region"]["emea"][0], desks=4, drifted=2)]


def test_migration_from_an_older_schema(where):
    backend = PostgreSQLBackend(where["dsn"], 5) if where["dsn"] else SQLiteBackend(where["path"], 5)
    old = HistoryStore(backend)
    old.open(target=1)
    assert old.version == 1
    old._run(lambda: old._x(
        "INSERT INTO desk_scans (run_id, desk, scanned_at, region, environment, status, reason, drift_count, errors) "
        "VALUES ('old-run', 'veteran', '2025-01-01T00:00:00.000000Z', 'emea', 'prod', 'compliant', '', 0, '[]')"),
        write=True)
    old.close()
    with store_at(where) as store:
        assert store.version == SCHEMA_VERSION == store.stored_version()
        rows = store.fleet_rows(10, 20)
    assert [(r[1], r[2]) for r in rows["latest"]] == [("veteran", "old-run")]  # group = its run id since v2


def test_newer_schema_is_refused_and_the_report_still_written(where, tmp_path):
    with store_at(where) as store:
        store._run(lambda: store._x("UPDATE history_meta SET meta_value = '999' WHERE meta_key = 'schema_version'"),
                   write=True)
    with pytest.raises(HistoryError) as info:
        store_at(where)
    assert info.value.problem == NEWER and info.value.kind == "history"
    report, warning = build_fleet_report(desks({"a": "drifted"}), run_meta("r1"), settings_for(where, tmp_path))
    assert report["history"]["problem"] == NEWER and "upgrade the collection" in warning
    assert [d["name"] for d in report["desks"]] == ["a"]
    assert len(history_pending.pending(str(tmp_path / history_pending.FOLDER))) == 1


def _writer(where: dict, prefix: str, runs: int, queue) -> None:
    try:
        for index in range(runs):
            statuses = {"%s-%02d-%d" % (prefix, index, n): ("drifted" if n % 3 == 0 else "compliant")
                        for n in range(5)}
            _report, warning = build_fleet_report(desks(statuses), run_meta("%s-%02d" % (prefix, index)),
                                                  HistorySettings(path=where["path"], dsn=where["dsn"],
                                                                  timeout=60.0, pending_dir=""))
            if warning:
                queue.put(warning)
        queue.put("ok")
    except BaseException as exc:  # reported to the test, not lost in a child
        queue.put("error: %r" % exc)


def test_two_parallel_writers_lose_nothing(where):
    """Two processes record 25 runs each at the same time, through the callback's own code path."""
    with store_at(where):
        pass  # create the schema first, as the first run of a fleet would
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    clean = {k: v for k, v in where.items() if k != "server"}
    procs = [ctx.Process(target=_writer, args=(clean, prefix, 25, queue)) for prefix in ("w1", "w2")]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(240)
    messages = [queue.get(timeout=5) for _proc in procs]
    assert messages == ["ok", "ok"], messages
    with store_at(where) as store:
        assert store.count("runs") == 50
        assert store.count("desk_scans") == 250
        assert store.count("drifted_pointers") == 50 * 2
        rows = store.fleet_rows(10, 100)
    assert len(rows["latest"]) == 250 and len(rows["rounds"]) == 50


def test_retention(where, tmp_path):
    for index in range(6):
        build_fleet_report(desks({"a": "drifted" if index % 2 else "compliant", "b": "compliant"}),
                           run_meta("r%d" % index), settings_for(where, tmp_path, max_scans_per_desk=4))
    with store_at(where) as store:
        assert store.count("desk_scans") == 8  # 4 per desk
        assert store.count("runs") == 4
        old = make_batch(run_meta("ancient"), desks({"z": "drifted"}), "2020-01-01T00:00:00.000000Z")
        old["desks"][0]["scanned_at"] = "2020-01-01T00:00:00.000000Z"
        store.record(old)
        assert store.count("desk_scans") == 9
        store.record(make_batch(run_meta("today"), desks({"y": "compliant"}), utc_now(precise=True)),
                     retention_cutoff="2021-01-01T00:00:00.000000Z")
        assert store.count("desk_scans") == 9  # z's only scan went; y came
        names = {r[1] for r in store.fleet_rows(10, 20)["latest"]}
    assert names == {"a", "b", "y"}


def test_corrupt_sqlite_file_never_costs_the_report(tmp_path):
    path = tmp_path / "history.sqlite"
    path.write_bytes(b"this is not an SQLite database, it was overwritten by mistake" * 100)
    where = {"path": str(path), "dsn": ""}
    report, warning = build_fleet_report(desks({"a": "drifted", "b": "compliant"}), run_meta("r1"),
                                         settings_for(where, tmp_path))
    assert report["history"]["status"] == "unavailable" and report["history"]["problem"] == CORRUPT
    assert "is corrupt" in warning and "move the file aside" in warning and str(path) in warning
    assert {d["name"] for d in report["desks"]} == {"a", "b"}
    kept = history_pending.pending(str(tmp_path / history_pending.FOLDER))
    assert len(kept) == 1 and "kept in" in warning
    # Moved aside, as the warning says: the next run starts a new history and adds the waiting scans.
    path.rename(str(path) + ".corrupt")
    report, warning = build_fleet_report(desks({"c": "compliant"}), run_meta("r2"), settings_for(where, tmp_path))
    assert warning == "" and report["history"]["pending_imported"] == 1
    assert {d["name"] for d in report["desks"]} == {"a", "b", "c"}
    assert history_pending.pending(str(tmp_path / history_pending.FOLDER)) == []


def test_locked_sqlite_file_times_out_with_a_warning(tmp_path):
    where = {"path": str(tmp_path / "history.sqlite"), "dsn": ""}
    with store_at(where):
        pass
    holder = sqlite3.connect(where["path"], isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        report, warning = build_fleet_report(desks({"a": "drifted"}), run_meta("r1"),
                                             settings_for(where, tmp_path, timeout=0.5))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert report["history"]["problem"] == LOCKED and "history_timeout" in warning
    assert [d["name"] for d in report["desks"]] == ["a"]


def test_unreachable_postgresql_masks_the_password(tmp_path):
    dsn = "postgresql://drift:%s@127.0.0.1:1/drift" % SECRET
    report, warning = build_fleet_report(desks({"a": "drifted"}), run_meta("r1"),
                                         settings_for({"path": "", "dsn": dsn}, tmp_path, timeout=2))
    assert report["history"]["problem"] == UNREACHABLE and "cannot be reached" in warning
    assert SECRET not in warning and SECRET not in repr(report)
    assert "postgresql://********@127.0.0.1:1/drift" in warning


def test_wrong_password_is_refused_not_leaked(postgres, tmp_path):
    dsn = postgres.dsn(password=SECRET)
    report, warning = build_fleet_report(desks({"a": "compliant"}), run_meta("r1"),
                                         settings_for({"path": "", "dsn": dsn}, tmp_path, timeout=5))
    assert report["history"]["status"] == "unavailable" and SECRET not in warning
    assert report["history"]["problem"] in ("refused", "unreachable")


def test_an_unwritable_folder_is_unreachable(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the history's folder should be")
    where = {"path": str(blocker / "history.sqlite"), "dsn": ""}
    report, warning = build_fleet_report(desks({"a": "compliant"}), run_meta("r1"), settings_for(where, tmp_path))
    assert report["history"]["problem"] == UNREACHABLE and "writable" in warning


def test_history_off(tmp_path):
    report, warning = build_fleet_report(desks({"a": "compliant"}), run_meta("r1"), HistorySettings(enabled=False))
    assert warning == "" and report["history"]["status"] == "disabled"
    assert not os.listdir(tmp_path)


def test_the_loops_ledger_in_the_story_the_report_and_retention(where, tmp_path):
    """The closed loop's ledger (eda_remediations, created by the loop in the same database) read by the desk's
    story and the fleet report, and pruned by retention, on both backends; nothing asked of it before it exists."""
    import datetime

    from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation import ledger
    from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.guardrails import (
        Candidate,
        parse_policy,
    )
    from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.store import RemediationStore

    settings = settings_for(where, tmp_path)
    build_fleet_report(desks({"a": "compliant", "b": "compliant"}), run_meta("r0"), settings)
    with store_at(where) as store:
        assert store.count("eda_remediations") == 0 and store.desk_timeline("a")["entries"][0]["kind"] == "scan"
    report, warning = build_fleet_report(desks({"a": "drifted", "b": "drifted"}), run_meta("r1"), settings)
    assert warning == "" and {d["history"]["remediation"] for d in report["desks"]} == {None}
    since = {d["name"]: d["history"]["drifted_since"] for d in report["desks"]}
    decided = datetime.datetime.now(datetime.timezone.utc)
    with RemediationStore(where["path"] or None, where["dsn"] or None) as loop:
        wave_id, plan = ledger.plan_wave(loop, [
            Candidate(desk=name, scan_run_id="r1", scanned_at=since[name], drifted_since=since[name],
                      region="emea", environment="prod") for name in ("a", "b")],
            parse_policy(canary_threshold=99), "ansible-rulebook ruleset 'r' rule 'x', eda@ctl", now=decided)
        assert plan.desks == ["a", "b"]
        ledger.record_outcomes(loop, wave_id, {"a": ("succeeded", "changed"), "b": ("failed", "write refused")},
                               now=decided + datetime.timedelta(seconds=21))
    report, _warning = build_fleet_report(desks({"a": "compliant", "b": "drifted"}), run_meta("r2"), settings)
    fixed = {d["name"]: d["history"]["remediation"] for d in report["desks"]}
    assert (fixed["a"]["outcome"], fixed["b"]["outcome"]) == ("succeeded", "failed")
    assert fixed["a"]["drifted_since"] == since["a"]
    with store_at(where) as store:
        story = store.desk_timeline("a")["entries"]
        assert [(e["kind"], e.get("decision")) for e in story] == [
            ("scan", None), ("remediation", "remediate"), ("scan", None), ("scan", None)]
        # Retention drops a's ledger row with its scans; b's failed remediation stays (it blocks b until cleared).
        store.record(make_batch(run_meta("later"), desks({"y": "compliant"}), utc_now(precise=True)),
                     retention_cutoff=utc_now(precise=True))
        assert store.count("eda_remediations") == 1
        assert [e["kind"] for e in store.desk_timeline("b")["entries"]] == ["remediation"]
