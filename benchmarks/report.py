# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Summaries, targets, the Markdown table and the PNG plot of a fleet benchmark run."""

from __future__ import annotations

import statistics

SCENARIOS = ("ping", "scan", "apply_compliant", "apply_drifted", "naive", "role_drift", "role_configure")
LABELS = {
    "ping": "ping (floor)",
    "scan": "system_json --check (drift scan)",
    "apply_compliant": "system_json apply, compliant desks",
    "apply_drifted": "system_json apply, drifted desks",
    "naive": "naive slurp+from_json+combine+copy, drifted desks",
    "role_drift": "playbooks/drift.yml (desktop role), drifted desks, 2 profiles",
    "role_configure": "playbooks/configure.yml (desktop role), drifted desks, 2 profiles",
}
# (scenario, limit of its median over ping's); naive is compared with apply_drifted the other way round.
TARGETS = (("scan", 1.15), ("apply_compliant", 1.15), ("apply_drifted", 2.0), ("role_drift", 1.3),
           ("role_configure", 2.0))
NAIVE_SPEEDUP = 2.5
PLAN_LIMIT_MS = 50.0


def summarise(runs: list) -> list:
    """One row per (forks, N, scenario): median wall time, seconds per desk, ratio against ping's median."""
    groups, cpu = {}, {}
    for run in runs:
        key = (run["forks"], run["desks"], run["scenario"])
        groups.setdefault(key, []).append(run["seconds"])
        if "controller_cpu" in run:
            cpu.setdefault(key, []).append((run["controller_cpu"], run["desk_cpu"]))
    rows = []

    def order(item):
        (forks, desks, scenario), _samples = item
        return forks, desks, SCENARIOS.index(scenario)

    for (forks, desks, scenario), samples in sorted(groups.items(), key=order):
        median = statistics.median(samples)
        floor = statistics.median(groups.get((forks, desks, "ping"), [float("nan")]))
        row = {"forks": forks, "desks": desks, "scenario": scenario, "runs": len(samples),
               "median_s": round(median, 3), "min_s": round(min(samples), 3), "max_s": round(max(samples), 3),
               "per_desk_s": round(median / desks, 4), "ratio_vs_ping": round(median / floor, 3)}
        if (forks, desks, scenario) in cpu:
            pairs = cpu[(forks, desks, scenario)]
            row["controller_cpu_per_desk_s"] = round(statistics.median(p[0] for p in pairs) / desks, 4)
            row["desk_cpu_per_desk_s"] = round(statistics.median(p[1] for p in pairs) / desks, 4)
            floor_pairs = cpu.get((forks, desks, "ping"))
            if floor_pairs:
                floor_cpu = statistics.median(p[0] + p[1] for p in floor_pairs)
                row["cpu_ratio_vs_ping"] = round(statistics.median(p[0] + p[1] for p in pairs) / floor_cpu, 3)
        rows.append(row)
    return rows


def marginal(rows: list) -> list:
    """Seconds per extra desk between the smallest and largest fleet (fixed startup cost cancels out)."""
    out = []
    by = {(r["forks"], r["desks"], r["scenario"]): r["median_s"] for r in rows}
    for forks in sorted({r["forks"] for r in rows}):
        sizes = sorted({r["desks"] for r in rows if r["forks"] == forks})
        if len(sizes) < 2:
            continue
        low, high = sizes[0], sizes[-1]
        ping = (by[(forks, high, "ping")] - by[(forks, low, "ping")]) / (high - low)
        for scenario in SCENARIOS:
            if (forks, high, scenario) in by and (forks, low, scenario) in by:
                slope = (by[(forks, high, scenario)] - by[(forks, low, scenario)]) / (high - low)
                out.append({"forks": forks, "from": low, "to": high, "scenario": scenario,
                            "seconds_per_extra_desk": round(slope, 4), "ratio_vs_ping": round(slope / ping, 3)})
    return out


def targets(rows: list, controller: dict | None, validation: list | None, windows: dict | None = None) -> list:
    out = []
    if windows and windows.get("drift_drifted"):
        measured = windows["drift_drifted"]["module_executions"]
        out.append({"target": "Windows check mode = 1 module execution per desk (the win_ping floor)",
                    "forks": None, "desks": windows["desks"], "measured": measured, "met": measured <= 1})
        if windows.get("configure_drifted"):
            measured = windows["configure_drifted"]["module_executions"]
            out.append({"target": "Windows configure, drifted desk = 2 module executions per desk", "forks": None,
                        "desks": windows["desks"], "measured": measured, "met": measured <= 2})
    by = {(r["forks"], r["desks"], r["scenario"]): r for r in rows}
    for forks, desks in sorted({(r["forks"], r["desks"]) for r in rows}):
        for scenario, limit in TARGETS:
            row = by.get((forks, desks, scenario))
            if row:
                out.append({"target": "%s <= %.2fx ping" % (scenario, limit), "forks": forks, "desks": desks,
                            "measured": row["ratio_vs_ping"], "met": row["ratio_vs_ping"] <= limit})
        naive, module = by.get((forks, desks, "naive")), by.get((forks, desks, "apply_drifted"))
        if naive and module:
            speedup = round(naive["median_s"] / module["median_s"], 3)
            out.append({"target": "apply_drifted >= %.1fx faster than naive" % NAIVE_SPEEDUP, "forks": forks,
                        "desks": desks, "measured": speedup, "met": speedup >= NAIVE_SPEEDUP})
    if controller:
        # CPU time: on a loaded machine wall time measures the other processes as much as the engine.
        ms = controller["plan_drifted"].get("cpu_median_ms", controller["plan_drifted"]["median_ms"])
        out.append({"target": "plan() on a 1 MB system.json < %d ms (CPU)" % PLAN_LIMIT_MS, "forks": None,
                    "desks": None, "measured": ms, "met": ms < PLAN_LIMIT_MS})
    for item in validation or []:
        out.append({"target": "request validated once per distinct settings value per run", "forks": item["forks"],
                    "desks": item["desks"], "measured": item["validated"],
                    "met": item["validated"] == item["distinct"]})
    return out


def _fmt(value, pattern="%.2f"):
    return "n/a" if value is None else pattern % value


def markdown(results: dict) -> str:
    meta = results["meta"]
    lines = ["# Fleet benchmark, %s" % meta["date"], "",
             "ansible-core %s, Python %s, %d CPU(s), load average at start %s; %d repetitions, interleaved; "
             "pipelining on, ControlPersist on (one persistent connection per desk), gather_facts off. "
             "Wall time of each `ansible-playbook` process, nothing subtracted. CPU per desk: controller = "
             "`ansible-playbook`, its workers and ssh clients; desk = the loopback sshd's process tree (the module "
             "runs); both share the same cores here."
             % (meta["ansible_core"], meta["python"], meta["cpus"], meta["loadavg"], meta["reps"])
             + (" **Interrupted after %d runs.**" % meta["interrupted_after_runs"]
                if meta.get("interrupted_after_runs") else "")
             + (" " + meta["notes"] if meta.get("notes") else ""), "",
             "| forks | desks | scenario | median s | s/desk | × ping | min–max s | CPU s/desk: controller | desk "
             "| CPU × ping |", "|---:|---:|---|---:|---:|---:|---|---:|---:|---:|"]
    for row in results["summary"]:
        lines.append("| %d | %d | %s | %.2f | %.3f | %.2f | %.2f–%.2f | %s | %s | %s |" % (
            row["forks"], row["desks"], LABELS[row["scenario"]], row["median_s"], row["per_desk_s"],
            row["ratio_vs_ping"], row["min_s"], row["max_s"], _fmt(row.get("controller_cpu_per_desk_s"), "%.3f"),
            _fmt(row.get("desk_cpu_per_desk_s"), "%.3f"), _fmt(row.get("cpu_ratio_vs_ping"))))
    if results.get("marginal"):
        lines += ["", "Marginal cost (seconds per extra desk between the smallest and largest fleet; the fixed "
                  "start-up of ansible-playbook cancels out):", "",
                  "| forks | desks | scenario | s per extra desk | × ping |", "|---:|---|---|---:|---:|"]
        for row in results["marginal"]:
            lines.append("| %d | %d→%d | %s | %.4f | %.2f |" % (
                row["forks"], row["from"], row["to"], LABELS[row["scenario"]], row["seconds_per_extra_desk"],
                row["ratio_vs_ping"]))
    if results.get("roundtrips"):
        lines += ["", "Round trips per desk, counted from `-vvv` (one desk, warm connection):", "",
                  "| scenario | round trips | module runs | shell commands (tmp dir, chmod, rm) | file transfers |",
                  "|---|---:|---:|---:|---:|"]
        for scenario in SCENARIOS:
            item = results["roundtrips"].get(scenario)
            if item:
                lines.append("| %s | %d | %d | %d | %d |" % (LABELS[scenario], item["round_trips"], item["module_runs"],
                                                             item["shell_commands"], item["transfers"]))
    if results.get("profile"):
        lines += ["", "Where a desk's time goes (forks 1, seconds per desk; `worker` = the forked worker's whole task, "
                  "`round trips` = time waiting on ssh, `controller rest` = worker minus round trips: templating, "
                  "argument checks, payload build, result handling; `outside worker` = wall per desk minus worker: "
                  "fork, results queue, callbacks, and ansible-playbook's start-up spread over the desks):", "",
                  "| scenario | wall/desk | worker | round trips (n) | payload bytes | controller rest | of which "
                  "payload build | outside worker |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for scenario in SCENARIOS:
            item = results["profile"].get(scenario)
            if item:
                lines.append("| %s | %.3f | %.3f | %.3f (%.0f) | %d | %.3f | %.3f | %.3f |" % (
                    LABELS[scenario], item["wall_per_desk"], item["task"], item["round_trip"] + item["transfer"],
                    item["round_trips"], item["payload_bytes"], item["controller_rest"], item["configure_module"],
                    item["outside_worker"]))
    windows = results.get("windows_operations")
    if windows:
        lines += ["", "Windows desks, remote operations per desk counted at the emulated connection (tests/windesk; "
                  "%d desks, io.Connect Desktop 9 in %d profiles each; counts, not times):" % (
                      windows["desks"], windows["profiles_per_desk"]), "",
                  "| run | module executions | which | other operations |", "|---|---:|---|---:|"]
        for key, label in (("drift_drifted", "drift.yml, drifted desks"),
                           ("configure_drifted", "configure.yml, drifted desks"),
                           ("configure_compliant", "configure.yml, compliant desks"),
                           ("drift_compliant", "drift.yml, compliant desks")):
            item = windows.get(key)
            if item:
                lines.append("| %s | %d | %s | %d |" % (label, item["module_executions"], ", ".join(item["modules"]),
                                                        item["other_operations"]))
    controller = results.get("controller")
    if controller:
        lines += ["", "Controller side, in-process (%d-byte system.json, median of %d):" % (
            controller["document_bytes"], controller["plan_drifted"]["repeat"]), ""]
        for key, label in (("plan_drifted", "engine.plan, drifted (parse, merge, drift, render, diff)"),
                           ("plan_drifted_diff_mode", "engine.plan + result(diff_mode=True)"),
                           ("plan_compliant", "engine.plan, compliant"),
                           ("parse_only_json_loads", "json.loads alone (reference)"),
                           ("validate_request_cold", "validate_request, no cache (jsonschema)"),
                           ("validate_request_cached", "validate_request, cached")):
            lines.append("- %s: %s ms wall, %s ms CPU" % (
                label, _fmt(controller[key]["median_ms"]), _fmt(controller[key].get("cpu_median_ms"))))
    if results.get("validation"):
        lines += ["", "Request validation per run (system_json scenarios; 3 regions = 3 distinct settings values):",
                  "", "| forks | desks | scenario | validate_request calls | jsonschema validations | distinct values "
                  "| cache markers |", "|---:|---:|---|---:|---:|---:|---:|"]
        for item in results["validation"]:
            lines.append("| %d | %d | %s | %d | %d | %d | %d |" % (
                item["forks"], item["desks"], item["scenario"], item["calls"], item["validated"], item["distinct"],
                item["markers"]))
    lines += ["", "## Targets", "", "| target | forks | desks | measured | met |", "|---|---:|---:|---:|---|"]
    for item in results["targets"]:
        lines.append("| %s | %s | %s | %s | %s |" % (
            item["target"], _fmt(item["forks"], "%d"), _fmt(item["desks"], "%d"), item["measured"],
            "yes" if item["met"] else "**no**"))
    return "\n".join(lines) + "\n"


def plot(results: dict, path: str):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = results["summary"]
    forks_values = sorted({r["forks"] for r in rows})
    fig, axes = plt.subplots(1, len(forks_values), figsize=(6.5 * len(forks_values), 4.5), squeeze=False)
    for ax, forks in zip(axes[0], forks_values):
        for scenario in SCENARIOS:
            points = sorted((r["desks"], r["per_desk_s"]) for r in rows
                            if r["forks"] == forks and r["scenario"] == scenario)
            if points:
                ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=LABELS[scenario],
                        linestyle="--" if scenario in ("ping", "naive") else "-")
        ax.set_xscale("log")
        ax.set_xticks(sorted({r["desks"] for r in rows if r["forks"] == forks}))
        ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.set_xlabel("desks (N)")
        ax.set_ylabel("seconds per desk (median wall time / N)")
        ax.set_title("forks=%d" % forks)
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("ioconnect.fleet.system_json over SSH on loopback, %s" % results["meta"]["date"])
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
