#!/usr/bin/env python
"""A year of a big fleet in the drift history (see benchmarks/README.md, "A year of history").

Fills a history with DESKS desks x PROFILES profiles x DAYS daily scans, through the collection's own write path
(history.make_batch + HistoryStore.record, one transaction per run, as the callback records a run), with drift
rates of a real fleet (below), on SQLite and on PostgreSQL (a private server, tests/integration/pg_server.py).
Then measures, REPS times each (medians reported):

- report: the fleet report from the history (what playbooks/drift_report.yml does: read, fleet view, every
  format written; the HTML holds every desk with its story);
- timeline: one desk's story (HistoryStore.desk_timeline + its Markdown), a desk that drifted several times;
- record: the callback's end of run for one DESKS-desk run, after the pruning below (a steady state): its scans
  masked and recorded, retention applied (180 days, 200 scans per desk) and the fleet report written (the same
  work the callback does in v2_playbook_on_stats);
- collect: the callback's per-result work for that run (DESKS desk_system_json results through
  DriftCollector.add_result, masking included, plus one VariableManager.get_vars per desk for its region and
  environment, on an inventory of DESKS desks with group_vars);
- size: the database's size on disk;
- prune: retention down to 180 days and 200 scans per desk, in one transaction.

The callback's overhead is (collect + record) against a DESKS-desk run's controller CPU time, taken as DESKS x the
controller CPU per desk measured for playbooks/drift.yml (docs/scale.md, 0.140 s, benchmarks/reference/
2026-12-02-role-results.md).

Drift model (per desk, per day): a compliant desk drifts with probability 1 % (an upgrade resets a file, a user
edits server.url), in one or both profiles, 1 to 3 pointers; a drifted desk stays drifted until the weekly
configure run (Mondays, applied, status changed) puts it right; 0.3 % of scans fail (a corrupt or locked file);
0.5 % of desks are unreachable on a given day (no scan: an event). Seeded: the same history every time.

    .venv/bin/python benchmarks/history_bench.py                      # 5,000 desks, 365 days, both backends
    .venv/bin/python benchmarks/history_bench.py --desks 500 --days 30 --backends sqlite   # a quick look
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CONTROLLER_CPU_PER_DESK = 0.140  # s, playbooks/drift.yml, docs/scale.md

sys.path.insert(0, os.path.join(REPO, "tests", "integration"))


def collection_on_path() -> None:
    root = os.path.join(tempfile.gettempdir(), "ioconnect-fleet-bench-collections")
    link = os.path.join(root, "ansible_collections", "ioconnect", "fleet")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.islink(link):
        os.symlink(REPO, link)
    if os.path.realpath(link) != REPO:
        os.unlink(link)
        os.symlink(REPO, link)
    sys.path.insert(0, root)


collection_on_path()

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.aggregate import DriftCollector  # noqa: E402
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.fleet_report import (  # noqa: E402
    HistorySettings,
    build_fleet_report,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history import (  # noqa: E402
    make_batch,
    open_store,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.timeline import (  # noqa: E402
    render_story_markdown,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.write import write_reports  # noqa: E402

REGIONS = ("EMEA", "AMER", "APAC")
ENVS = ("PROD", "UAT")
USERS = ("kim", "ola")
POINTERS = ("/server/url", "/server/enabled", "/crashReporter/output/serverUrl", "/appStores", "/server/fetchInterval")


def desk_name(index: int) -> str:
    return "desk-%05d" % index


def labels(index: int) -> tuple:
    return REGIONS[index % 3], ENVS[(index // 3) % 2]


def file_result(user: str, drifted: bool, rng: random.Random, failed: bool = False) -> dict:
    path = "C:\\Users\\%s\\AppData\\Local\\interop.io\\io.Connect Desktop\\Desktop\\config\\system.json" % user
    item = {"path": path, "profile": user, "root": "C:\\Users\\%s" % user, "product": "io.Connect Desktop 9",
            "kind": "base", "pair": "PROD-EMEA", "exists": True, "changed": drifted, "drift": []}
    if failed:
        item.update(failed=True, error_kind="parse", msg="%s is not valid JSON: a trailing comma" % path)
    elif drifted:
        item["drift"] = [{"pointer": p, "op": "replace", "before": "https://legacy.example.com/api",
                          "after": "https://iomanager.example.com/api"} for p in rng.sample(POINTERS, rng.randint(1, 3))]
    return item


def desk_result(name: str, drifted_users: set, rng: random.Random, check_mode: bool, failed: bool = False) -> dict:
    files = [file_result(u, u in drifted_users, rng, failed and u == USERS[0]) for u in USERS]
    status = "failed" if failed else ("drifted" if drifted_users and check_mode else
                                      "changed" if drifted_users else "compliant")
    return {"desk": name, "status": status, "files": files, "check_mode": check_mode, "changed": bool(drifted_users),
            "failed": failed}


class Fleet:
    """The state of every desk, day by day (seeded)."""

    def __init__(self, desks: int, seed: int = 2026) -> None:
        self.rng = random.Random(seed)
        self.desks = desks
        self.drifted = {}  # desk index -> set of users whose file drifted

    def day(self, weekday: int) -> tuple:
        """(check_mode, {index: result or None for unreachable})."""
        rng = self.rng
        configure = weekday == 0
        out = {}
        for index in range(self.desks):
            if rng.random() < 0.005:
                out[index] = None  # unreachable today
                continue
            if index not in self.drifted and rng.random() < 0.01:
                self.drifted[index] = set(rng.sample(USERS, rng.randint(1, 2)))
            failed = rng.random() < 0.003
            users = self.drifted.get(index, set())
            out[index] = desk_result(desk_name(index), users, rng, check_mode=not configure, failed=failed)
            if configure and not failed:
                self.drifted.pop(index, None)
        return not configure, out


def run_desks(day_results: dict) -> list:
    """The run's desks as the callback builds them (DriftCollector, masking included)."""
    collector = DriftCollector()
    for index, result in day_results.items():
        region, env = labels(index)
        if result is None:
            collector.add_result(desk_name(index), {"unreachable": True, "msg": "ssh: connect to host: timed out"},
                                 region, env, task_name="Scan the desk", outcome="unreachable")
        else:
            collector.add_result(desk_name(index), result, region, env, task_name="Scan the desk",
                                 check_mode=result["check_mode"])
    return collector.run_desks()


def iso(day: datetime.datetime, offset_s: float = 0.0) -> str:
    return (day + datetime.timedelta(seconds=offset_s)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def fill(store, desks: int, days: int, progress=True) -> dict:
    """A year of daily runs in the history. The rows are those make_batch builds for a run (checked on the first
    day: the first run goes through make_batch + HistoryStore.record, the callback's own path), written in bulk,
    one transaction per run: filling is the set-up, not what is measured."""
    fleet = Fleet(desks)
    start = datetime.datetime(2025, 12, 1, 6, 0, tzinfo=datetime.timezone.utc)
    began = time.monotonic()
    most = {}
    for number in range(days):
        when = start + datetime.timedelta(days=number)
        check_mode, results = fleet.day(when.weekday())
        run = {"run_id": "run-%04d" % number, "group": "run-%04d" % number, "check_mode": check_mode,
               "playbooks": ["playbooks/%s.yml" % ("drift" if check_mode else "configure")],
               "started_at": iso(when), "finished_at": iso(when, desks * 0.01 + 1),
               "outcome": "incomplete", "stop_reason": "unreachable desks", "targeted": desks}
        if number == 0:
            desks_today = run_desks(results)
            for position, desk in enumerate(desks_today):
                desk["scanned_at"] = iso(when, position * 0.01)
            store.record(make_batch(run, desks_today, iso(when, desks * 0.01 + 2)))
            continue
        batch = bulk_rows(run, results, when)
        for name in batch["drifted"]:
            most[name] = most.get(name, 0) + 1
        store._run(write_bulk, store, run, batch, iso(when, desks * 0.01 + 2), write=True)
        if progress and (number % 60 == 59 or number == days - 1):
            print("  day %d/%d filled, %.0f s" % (number + 1, days, time.monotonic() - began), flush=True)
    return {"fill_s": round(time.monotonic() - began, 1), "busiest_desk": max(most, key=most.get) if most else None,
            "last_day": iso(start + datetime.timedelta(days=days - 1))}


def bulk_rows(run: dict, results: dict, when) -> dict:
    """The rows of one run, as make_batch + record write them (values already plain: nothing secret here)."""
    scans, files, pointers, events, drifted = [], [], [], [], []
    for index, result in results.items():
        name = desk_name(index)
        region, env = labels(index)
        at = iso(when, index * 0.01)
        if result is None:
            events.append((run["run_id"], name, 0, at, "unreachable", region, env,
                           json.dumps({"reason": "ssh: connect to host: timed out"})))
            continue
        status = result["status"]
        count = sum(len(f["drift"]) for f in result["files"]) if status != "failed" else 0
        if status in ("drifted", "changed"):
            drifted.append(name)
        scans.append((run["run_id"], name, run["group"], at, region, env, status, "", count, "[]"))
        for file_no, item in enumerate(result["files"]):
            file_status = "failed" if item.get("failed") else (
                ("drifted" if run["check_mode"] else "changed") if item["drift"] else "compliant")
            files.append((run["run_id"], name, file_no, item["path"], item["profile"], item["root"], item["product"],
                          item["kind"], item["pair"], "Scan the desk", file_status, int(bool(item["drift"])), 1,
                          item.get("error_kind"), item.get("msg") or "", None))
            for pointer_no, entry in enumerate(item["drift"]):
                pointers.append((run["run_id"], name, file_no, pointer_no, entry["pointer"], entry["op"],
                                 json.dumps(entry["before"]), json.dumps(entry["after"])))
    return {"scans": scans, "files": files, "pointers": pointers, "events": events, "drifted": drifted}


def write_bulk(store, run: dict, batch: dict, recorded_at: str) -> None:
    store._insert_run(dict(run, controller="bench", pid=1), recorded_at, run["outcome"], run["stop_reason"],
                      len(batch["scans"]))
    store._many("INSERT INTO desk_scans (run_id, desk, run_group, scanned_at, region, environment, status, reason, "
                "drift_count, errors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch["scans"])
    store._many("INSERT INTO file_scans (run_id, desk, file_no, path, profile, root, product, kind, pair, task, "
                "status, changed, file_exists, error_kind, msg, backup_file) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch["files"])
    store._many("INSERT INTO drifted_pointers (run_id, desk, file_no, pointer_no, pointer, op, before_value, "
                "after_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch["pointers"])
    store._many("INSERT INTO desk_events (run_id, desk, event_no, event_at, kind, region, environment, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch["events"])


def label_lookup_cpu(desks: int, work: str) -> float:
    """CPU seconds the callback spends reading each desk's region and environment from its variables (one
    VariableManager.get_vars per desk, as _labels_for does), on an inventory of DESKS desks in region x environment
    groups with group_vars: the part of the callback's per-result cost that DriftCollector does not include."""
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.vars.manager import VariableManager

    folder = os.path.join(work, "inventory")
    os.makedirs(os.path.join(folder, "group_vars"), exist_ok=True)
    groups = {}
    for index in range(desks):
        region, env = labels(index)
        groups.setdefault("%s_%s" % (region.lower(), env.lower()), []).append(desk_name(index))
    with open(os.path.join(folder, "hosts.yml"), "w", encoding="utf-8") as handle:
        json.dump({"all": {"children": {g: {"hosts": {h: None for h in hosts}} for g, hosts in groups.items()}}},
                  handle)
    for group in groups:
        region, env = group.split("_")
        with open(os.path.join(folder, "group_vars", group + ".yml"), "w", encoding="utf-8") as handle:
            handle.write("ioconnect_region: %s\nioconnect_env: %s\ndesktop_state_dir: /var/lib/x\n"
                         % (region.upper(), env.upper()))
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[os.path.join(folder, "hosts.yml")])
    manager = VariableManager(loader=loader, inventory=inventory)
    began = time.process_time()
    for host in inventory.get_hosts("all"):
        values = manager.get_vars(host=host, include_hostvars=False)
        assert values["ioconnect_region"]
    return round(time.process_time() - began, 3)


def median_time(func, reps: int) -> tuple:
    times = []
    result = None
    for _rep in range(reps):
        began = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - began)
    return round(statistics.median(times), 3), result


def size_of(store, where: dict) -> int:
    if where.get("path"):
        return sum(os.path.getsize(where["path"] + suffix) for suffix in ("", "-wal")
                   if os.path.exists(where["path"] + suffix))
    return int(store.backend.conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])


def reuse(store) -> dict:
    """What fill() returns, read from a history an earlier run filled (--reuse-sqlite, --reuse-dsn); the runs a
    measurement added are removed first."""
    def step():
        for table in ("drifted_pointers", "file_scans", "desk_scans", "desk_events", "runs"):
            store._x("DELETE FROM %s WHERE run_id LIKE ?" % table, ("bench-run-%",))
    store._run(step, write=True)
    busiest = store._run(lambda: store._x(
        "SELECT desk FROM desk_scans WHERE status = 'drifted' GROUP BY desk ORDER BY count(*) DESC, desk "
        "LIMIT 1").fetchone()[0])
    last = store._run(lambda: store._x("SELECT MAX(started_at) FROM runs WHERE run_id LIKE ?",
                                       ("run-%",)).fetchone()[0])
    return {"fill_s": None, "busiest_desk": busiest, "last_day": last}


def measure(backend: str, where: dict, desks: int, days: int, reps: int, out_dir: str, reused=False) -> dict:
    settings = HistorySettings(enabled=True, path=where.get("path", ""), dsn=where.get("dsn", ""), timeout=600,
                               retention_days=0, max_scans_per_desk=0, window=10, rounds=20,
                               pending_dir=os.path.join(out_dir, "pending"))
    print("%s: %s %d desks x %d profiles x %d days" % (backend, "reusing" if reused else "filling", desks,
                                                       len(USERS), days), flush=True)
    store = open_store(settings.path, settings.dsn or None, 600)
    try:
        filled = reuse(store) if reused else fill(store, desks, days)
        if backend == "postgresql":
            store.backend.conn.execute("ANALYZE")
        else:
            store.backend.conn.execute("ANALYZE")
        counts = {t: store.count(t) for t in ("runs", "desk_scans", "file_scans", "drifted_pointers", "desk_events")}
        size = size_of(store, where)
    finally:
        store.close()
    row = {"backend": backend, "desks": desks, "profiles": len(USERS), "days": days, "rows": counts,
           "size_mb": round(size / 1e6, 1), "fill_s": filled["fill_s"]}
    print("  rows %s, %.1f MB" % (counts, size / 1e6), flush=True)

    report_dir = os.path.join(out_dir, backend)

    def report():
        rep, warning = build_fleet_report([], {"run_id": "report", "playbooks": ["playbooks/drift_report.yml"]},
                                          settings)
        assert not warning, warning
        write_reports(rep, report_dir, ["json", "markdown", "html", "junit"])
        return rep

    row["report_s"], rep = median_time(report, reps)
    assert rep["summary"]["desks"] == desks, rep["summary"]
    row["report_html_mb"] = round(os.path.getsize(os.path.join(report_dir, "drift-report.html")) / 1e6, 1)
    print("  fleet report from history: %.2f s" % row["report_s"], flush=True)

    def timeline():
        with open_store(settings.path, settings.dsn or None, 600) as st:
            story = st.desk_timeline(filled["busiest_desk"])
        return render_story_markdown(story), story

    row["timeline_s"], (_text, story) = median_time(timeline, reps)
    row["timeline_entries"] = len(story["entries"])
    print("  one desk's timeline (%d entries): %.3f s" % (row["timeline_entries"], row["timeline_s"]), flush=True)

    # Retention: 180 days and 200 scans per desk, in one transaction (as a run applies it).
    store = open_store(settings.path, settings.dsn or None, 600)
    try:
        cutoff = (datetime.datetime.strptime(filled["last_day"][:10], "%Y-%m-%d")
                  - datetime.timedelta(days=180)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        names = [desk_name(i) for i in range(desks)]
        began = time.perf_counter()
        store._run(store._retain, cutoff, 200, names, write=True)
        row["prune_s"] = round(time.perf_counter() - began, 2)
        row["rows_after_prune"] = {t: store.count(t) for t in ("desk_scans", "file_scans", "drifted_pointers")}
        if backend == "sqlite":
            store.backend.conn.execute("VACUUM")
        row["size_after_prune_mb"] = round(size_of(store, where) / 1e6, 1)
    finally:
        store.close()
    print("  retention to 180 days: %.2f s, %s rows left" % (row["prune_s"], row["rows_after_prune"]), flush=True)
    # The callback for one more run of the whole fleet: per-result collection, then record + report at the end.
    # With retention on (180 days, 200 scans per desk, as after the prune above): each run also removes what fell
    # out of the history, as the callback's defaults (400 days, 200 scans) do every day.
    steady = settings._replace(retention_days=180, max_scans_per_desk=200)
    fleet = Fleet(desks, seed=99)
    _check, results = fleet.day(3)
    collect_times, record_times = [], []
    for rep_no in range(reps):
        began = time.process_time()
        desks_run = run_desks(results)
        collect_times.append(time.process_time() - began)
        run = {"run_id": "bench-run-%d" % rep_no, "check_mode": True, "playbooks": ["playbooks/drift.yml"],
               "outcome": "complete", "targeted": desks}
        began = time.process_time()
        wall = time.perf_counter()
        rep, warning = build_fleet_report(desks_run, run, steady)
        write_reports(rep, os.path.join(out_dir, backend + "-run"), ["json", "markdown", "html", "junit"])
        record_times.append((time.process_time() - began, time.perf_counter() - wall))
        assert not warning, warning
    row["callback_labels_cpu_s"] = label_lookup_cpu(desks, os.path.join(out_dir, backend + "-labels"))
    row["callback_collect_cpu_s"] = round(statistics.median(collect_times) + row["callback_labels_cpu_s"], 3)
    row["callback_end_cpu_s"] = round(statistics.median(t[0] for t in record_times), 3)
    row["callback_end_wall_s"] = round(statistics.median(t[1] for t in record_times), 3)
    run_cpu = desks * CONTROLLER_CPU_PER_DESK
    row["callback_overhead_pct"] = round(100 * (row["callback_collect_cpu_s"] + row["callback_end_cpu_s"]) / run_cpu, 2)
    print("  callback: collect %.2f s CPU (of which variables %.2f s), end of run %.2f s CPU (%.2f s wall): %.2f %% of %.0f s controller CPU"
          % (row["callback_collect_cpu_s"], row["callback_labels_cpu_s"], row["callback_end_cpu_s"], row["callback_end_wall_s"],
             row["callback_overhead_pct"], run_cpu), flush=True)

    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--desks", type=int, default=5000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--reuse-sqlite", help="measure an SQLite history an earlier run filled (no fill)")
    parser.add_argument("--reuse-dsn", help="measure a PostgreSQL history an earlier run filled (no fill)")
    parser.add_argument("--out", default=os.path.join(HERE, "reference"),
                        help="folder of the results (history-<date>.json and .md)")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="ioconnect-history-bench-") as work:
        for backend in args.backends.split(","):
            if backend == "sqlite" and args.reuse_sqlite:
                rows.append(measure(backend, {"path": args.reuse_sqlite}, args.desks, args.days, args.reps, work,
                                    reused=True))
            elif backend == "postgresql" and args.reuse_dsn:
                rows.append(measure(backend, {"dsn": args.reuse_dsn}, args.desks, args.days, args.reps, work,
                                    reused=True))
            elif backend == "sqlite":
                where = {"path": os.path.join(work, "history.sqlite")}
                rows.append(measure(backend, where, args.desks, args.days, args.reps, work))
            elif backend == "postgresql":
                import pg_server

                server = pg_server.Server().start()
                try:
                    rows.append(measure(backend, {"dsn": server.dsn()}, args.desks, args.days, args.reps, work))
                finally:
                    server.stop()
            else:
                parser.error("unknown backend %s" % backend)
    stamp = datetime.date.today().isoformat()
    os.makedirs(args.out, exist_ok=True)
    base = os.path.join(args.out, "%s-history-%dx%d" % (stamp, args.desks, args.days))
    with open(base + ".json", "w", encoding="utf-8") as handle:
        json.dump({"generated": stamp, "cpus": os.cpu_count(), "rows": rows}, handle, indent=2)
    lines = ["# Drift history: %d desks x %d profiles x %d days (%s, %d CPUs, medians of %d)" % (
        args.desks, len(USERS), args.days, stamp, os.cpu_count(), args.reps), "",
        "| backend | desk scans | file scans | pointers | events | size MB | fill s | fleet report s | timeline s | "
        "callback CPU s (collect + end) | overhead % | prune s | size after prune MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        rc = row["rows"]
        lines.append("| %s | %d | %d | %d | %d | %.1f | %s | %.2f | %.3f | %.2f + %.2f | %.2f | %.2f | %.1f |" % (
            row["backend"], rc["desk_scans"], rc["file_scans"], rc["drifted_pointers"], rc["desk_events"],
            row["size_mb"], "%.0f" % row["fill_s"] if row["fill_s"] is not None else "reused", row["report_s"],
            row["timeline_s"], row["callback_collect_cpu_s"], row["callback_end_cpu_s"], row["callback_overhead_pct"],
            row["prune_s"], row["size_after_prune_mb"]))
    with open(base + ".md", "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    print("results: %s.json, %s.md" % (base, base))
    return 0


if __name__ == "__main__":
    sys.exit(main())
