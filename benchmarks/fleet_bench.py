#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet benchmark of ioconnect.fleet.system_json against the floor (ansible.builtin.ping) and the naive playbook.

    python benchmarks/fleet_bench.py                 # N = 10, 50, 200; 5 repetitions; forks 10
    python benchmarks/fleet_bench.py --quick         # N = 5, 20; 3 repetitions
    python benchmarks/fleet_bench.py --sizes 50 --forks 5,10,25

Starts a private sshd on a loopback port (tests/support/loopback-sshd.sh), builds N desks (inventory aliases of
127.0.0.1, each with its own folder, system.json and persistent SSH connection), runs every scenario as its own
ansible-playbook process, interleaved and rotated across repetitions, and writes results.json, results.md and
results.png to benchmarks/results/<timestamp>/ (or --out). Timings are reported, never asserted: the exit status
is 0 even when a target is missed, unless --fail-on-target is given.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import fleet  # noqa: E402
import report  # noqa: E402

SSHD = os.path.join(REPO, "tests", "support", "loopback-sshd.sh")
DEMO_FLEET = os.path.join(REPO, "tests", "support", "demo_fleet.py")
WINDESK = os.path.join(REPO, "tests", "windesk")
PLAYBOOKS = {
    "ping": ("ping.yml", [], None),
    "scan": ("system_json.yml", ["--check"], "drifted"),
    "apply_compliant": ("system_json.yml", [], "compliant"),
    "apply_drifted": ("system_json.yml", [], "drifted"),
    "naive": ("naive.yml", [], "drifted"),
    # The desktop role through the collection's own playbooks, as users run them (defaults: preflight on, the
    # configure rollout in batches of 10%, 50%, 100%).
    "role_drift": (os.path.join(REPO, "playbooks", "drift.yml"), [], "drifted"),
    "role_configure": (os.path.join(REPO, "playbooks", "configure.yml"), [], "drifted"),
}
# What each scenario must report for every desk, or the run measured something else.
EXPECT_CHANGED = {"ping": False, "scan": True, "apply_compliant": False, "apply_drifted": True, "naive": True,
                  "role_drift": True, "role_configure": True}
RECAP = re.compile(r"^(desk-\d+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def _tree_cpu(root: int) -> float:
    """CPU seconds used so far by root and all its descendants, live or reaped (utime+stime+cutime+cstime)."""
    stats = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # after "pid (comm)": state ppid ... utime(12) stime(13) cutime(14) cstime(15), 0-based from state
        stats[int(name)] = (int(fields[1]), sum(int(x) for x in fields[11:15]))
    children = {}
    for pid, (ppid, _ticks) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, (0, 0))[1]
        todo.extend(children.get(pid, []))
    return total / os.sysconf("SC_CLK_TCK")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--sizes", default=None, help="fleet sizes, comma separated (default 10,30,50,200)")
    parser.add_argument("--reps", type=int, default=None, help="repetitions of every run (default 5)")
    parser.add_argument("--forks", default="10", help="forks, or several comma separated (default 10)")
    parser.add_argument("--scenarios", default=",".join(report.SCENARIOS),
                        help="subset of %s" % ",".join(report.SCENARIOS))
    parser.add_argument("--quick", action="store_true", help="N = 5, 30 and 3 repetitions (a smoke run)")
    parser.add_argument("--no-windows", action="store_true",
                        help="skip counting the Windows remote operations per desk (emulated desks)")
    parser.add_argument("--out", default=None, help="results folder (default benchmarks/results/<timestamp>)")
    parser.add_argument("--collections-path", default=None,
                        help="use this collections path (e.g. an installed collection) instead of the work tree")
    parser.add_argument("--no-controller", action="store_true", help="skip the in-process controller measurements")
    parser.add_argument("--no-roundtrips", action="store_true", help="skip counting round trips with -vvv")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="also time the parts of each worker's task on N desks with forks 1 (default: off)")
    parser.add_argument("--keep", action="store_true", help="keep the fleet, inventories and playbook logs")
    parser.add_argument("--fail-on-target", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    args.sizes = [int(x) for x in (args.sizes or ("5,30" if args.quick else "10,30,50,200")).split(",")]
    args.reps = args.reps or (3 if args.quick else 5)
    args.forks = [int(x) for x in args.forks.split(",")]
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = set(args.scenarios) - set(report.SCENARIOS)
    if unknown:
        parser.error("unknown scenario(s): %s" % ", ".join(sorted(unknown)))
    if "ping" not in args.scenarios:
        parser.error("ping is the floor every ratio is computed against: keep it in --scenarios")
    return args


def collections_path(work: str, given: str | None) -> str:
    if given:
        return given
    root = os.path.join(work, "collections")
    link = os.path.join(root, "ansible_collections", "ioconnect", "fleet")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.islink(link):
        os.symlink(REPO, link)
    return root


def sshd_vars(state: str) -> dict:
    out = subprocess.run([SSHD, "vars", state], check=True, capture_output=True, text=True).stdout
    values = {}
    for line in out.splitlines():
        key, _sep, value = line.partition("=")
        values[key] = " ".join(shlex.split(value)) if value.startswith("'") else value
    values["ansible_python_interpreter"] = "/usr/bin/python3"  # discovery may find a broken pyenv shim
    return values


def write_config(work: str, colls: str) -> str:
    path = os.path.join(work, "ansible.cfg")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("""[defaults]
collections_path = {colls}
callback_plugins = {callbacks}
callbacks_enabled = bench_validation_count
host_key_checking = False
gathering = explicit
retry_files_enabled = False
interpreter_python = /usr/bin/python3
local_tmp = {work}/local-tmp
remote_tmp = ~/.ansible/tmp

[ssh_connection]
# As users configure it: pipelining on, persistent connections (longer than ansible's 60 s default so that
# every desk keeps its connection across the whole interleaved run).
pipelining = True
ssh_args = -C -o ControlMaster=auto -o ControlPersist=30m
""".format(colls=colls, callbacks=os.path.join(HERE, "callback_plugins"), work=work))
    return path


class Bench:
    def __init__(self, args, work: str, out: str):
        self.args = args
        self.work = work
        self.out = out
        self.logs = os.path.join(work, "logs")
        os.makedirs(self.logs, exist_ok=True)
        self.colls = collections_path(work, args.collections_path)
        self.env = dict(os.environ)
        self.env.update({
            "ANSIBLE_CONFIG": write_config(work, self.colls),
            "ANSIBLE_COLLECTIONS_PATH": self.colls,
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
        })
        self.playbook_bin = shutil.which("ansible-playbook", path=self.env["PATH"])
        self.state = os.path.join(work, "sshd")
        # Control sockets need a short path (sun_path is ~100 bytes).
        self.control_dir = tempfile.mkdtemp(prefix="fb-cp-", dir="/tmp")
        self.fleet = fleet.Fleet(os.path.join(work, "fleet"), max(args.sizes + [args.profile]))
        self.inventories = {}
        self.runs = []
        self.validation = []
        self.sshd_pid = 0
        self.last_cpu = {}
        self.stub_pidfile = os.path.join(work, "stub-iomanager.pid")

    # -- lifecycle --------------------------------------------------------------------------------------
    def start(self):
        # Stub io.Manager instances on 127.0.0.1, one per region, for the role's preflight (any answer is "up").
        base = int(subprocess.run([sys.executable, DEMO_FLEET, "free-base", "--count", "3"], check=True,
                                  capture_output=True, text=True).stdout)
        ports = [base + 1 + i for i in range(len(fleet.REGIONS))]
        for region, port in zip(fleet.REGIONS, ports):
            fleet.BASE_URLS[region] = "http://127.0.0.1:%d" % port
        subprocess.run([sys.executable, DEMO_FLEET, "serve", "--ports"] + [str(p) for p in ports] +
                       ["--pidfile", self.stub_pidfile], check=True, capture_output=True)
        port = subprocess.run([SSHD, "start", self.state], check=True, capture_output=True, text=True).stdout
        print("sshd on 127.0.0.1:%s" % port.strip(), flush=True)
        with open(os.path.join(self.state, "sshd.pid"), encoding="ascii") as handle:
            self.sshd_pid = int(handle.read().strip())
        connection = sshd_vars(self.state)
        for size in sorted(set(self.args.sizes) | {1, self.args.profile} - {0}):
            self.inventories[size] = self.fleet.inventory(size, connection, self.control_dir)

    def stop(self):
        for name in os.listdir(self.control_dir):
            subprocess.run(["ssh", "-o", "ControlPath=%s" % os.path.join(self.control_dir, name), "-O", "exit",
                            "127.0.0.1"], capture_output=True, check=False)
        subprocess.run([SSHD, "stop", self.state], capture_output=True, check=False)
        subprocess.run([sys.executable, DEMO_FLEET, "stop", "--pidfile", self.stub_pidfile], capture_output=True,
                       check=False)
        shutil.rmtree(self.control_dir, ignore_errors=True)

    # -- one playbook run ---------------------------------------------------------------------------------
    def play(self, scenario: str, desks: int, forks: int, extra=(), log_name=None, env_extra=None):
        playbook, flags, state = PLAYBOOKS[scenario]
        if state:
            self.fleet.write(state, desks)
        validation_log = os.path.join(self.work, "validation.log")
        if os.path.exists(validation_log):
            os.unlink(validation_log)
        env = dict(self.env, BENCH_VALIDATION_LOG=validation_log, **(env_extra or {}))
        cmd = [self.playbook_bin, "-i", self.inventories[desks], "-f", str(forks),
               playbook if os.path.isabs(playbook) else os.path.join(HERE, "playbooks", playbook)] + flags + list(extra)
        desk_cpu = _tree_cpu(self.sshd_pid)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=self.work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, check=False)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.last_cpu = {"controller_cpu": round(after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime, 3),
                         "desk_cpu": round(_tree_cpu(self.sshd_pid) - desk_cpu, 3)}
        log = os.path.join(self.logs, log_name or "%s-%d-f%d.log" % (scenario, desks, forks))
        with open(log, "w", encoding="utf-8") as handle:
            handle.write(proc.stdout)
        recap = RECAP.findall(proc.stdout)
        bad = [h for h, _ok, changed, unreachable, failed in recap
               if int(unreachable) or int(failed) or (int(changed) > 0) != EXPECT_CHANGED[scenario]]
        if proc.returncode != 0 or len(recap) != desks or bad:
            raise RuntimeError(
                "%s on %d desks (forks %d) did not run as expected (rc %d, %d hosts in recap, unexpected: %s); "
                "see %s\n%s" % (scenario, desks, forks, proc.returncode, len(recap), ", ".join(bad[:5]), log,
                                proc.stdout[-3000:]))
        counts = self._validation_counts(validation_log)
        return seconds, proc.stdout, counts

    @staticmethod
    def _validation_counts(path):
        if not os.path.exists(path):
            return None
        calls, validated, markers = [], [], 0
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                kind, *rest = line.split()
                if kind == "call":
                    calls.append(rest[1])
                elif kind == "validated":
                    validated.append(rest[1])
                elif kind == "markers":
                    markers = int(rest[0])
        return {"calls": len(calls), "validated": len(validated), "distinct": len(set(calls)), "markers": markers,
                "validated_per_value": {d: validated.count(d) for d in sorted(set(validated))}}

    # -- phases -------------------------------------------------------------------------------------------
    def warm_up(self):
        """Open every desk's persistent connection and fill OS caches: not measured."""
        largest = self.fleet.size
        print("warm-up: ping and drift scan of %d desks" % largest, flush=True)
        self.play("ping", largest, max(self.args.forks), log_name="warmup-ping.log")
        self.play("scan", largest, max(self.args.forks), log_name="warmup-scan.log")

    def measure(self):
        total = len(self.args.forks) * len(self.args.sizes) * len(self.args.scenarios) * self.args.reps
        done = 0
        for rep in range(self.args.reps):
            for forks in self.args.forks:
                sizes = self.args.sizes if rep % 2 == 0 else list(reversed(self.args.sizes))
                for desks in sizes:
                    shift = rep % len(self.args.scenarios)
                    order = self.args.scenarios[shift:] + self.args.scenarios[:shift]
                    for scenario in order:
                        seconds, _stdout, counts = self.play(scenario, desks, forks)
                        done += 1
                        self.runs.append(dict({"rep": rep, "forks": forks, "desks": desks, "scenario": scenario,
                                               "seconds": round(seconds, 4)}, **self.last_cpu))
                        if counts and counts["calls"] and rep == 0:
                            self.validation.append(dict(counts, forks=forks, desks=desks, scenario=scenario))
                        print("[%3d/%d] rep %d forks %2d N=%4d %-16s %7.2f s  %.3f s/desk  cpu/desk: controller %.3f "
                              "s, desk %.3f s" % (done, total, rep + 1, forks, desks, scenario, seconds,
                                                  seconds / desks, self.last_cpu["controller_cpu"] / desks,
                                                  self.last_cpu["desk_cpu"] / desks), flush=True)

    def roundtrips(self) -> dict:
        """ssh executions and file transfers for one desk, counted from -vvv output."""
        out = {}
        for scenario in self.args.scenarios:
            _s, stdout, _c = self.play(scenario, 1, 1, extra=["-vvv"], log_name="roundtrips-%s.log" % scenario)
            execs = re.findall(r"SSH: EXEC ssh .*", stdout)
            modules = [line for line in execs if "python3 && sleep 0" in line]
            transfers = len(re.findall(r"SSH: EXEC (?:sftp|scp) ", stdout))
            out[scenario] = {"round_trips": len(execs) + transfers, "module_runs": len(modules),
                             "shell_commands": len(execs) - len(modules), "transfers": transfers}
        return out

    def windows_operations(self, desks: int = 6) -> dict:
        """Remote operations per Windows desk, counted at the emulated connection (tests/windesk) for the role's
        playbooks: desks with io.Connect Desktop 9 in two profiles, drifted, then compliant. Counts, not times."""
        root = os.path.join(self.work, "windows")
        inventory = os.path.join(root, "inventory")
        os.makedirs(os.path.join(inventory, "group_vars"), exist_ok=True)
        port_base = int(subprocess.run([sys.executable, DEMO_FLEET, "free-base", "--count", "2"], check=True,
                                       capture_output=True, text=True).stdout)
        hosts = {"win-desk-%02d" % i: {"demo_state": "drifted", "demo_users": list(fleet.PROFILES)}
                 for i in range(1, desks + 1)}
        with open(os.path.join(inventory, "hosts.yml"), "w", encoding="utf-8") as handle:
            yaml.safe_dump({"all": {"hosts": hosts}}, handle)
        with open(os.path.join(inventory, "group_vars", "all.yml"), "w", encoding="utf-8") as handle:
            yaml.safe_dump({
                "ansible_connection": "ioconnect_test.windesk.desk", "ansible_user": "svc_fleet",
                "ansible_windesk_root": root + "/desks/{{ inventory_hostname }}", "demo_platform": "windows",
                "ioconnect_env": "PROD", "ioconnect_region": "EMEA", "demo_instances": {"PROD-EMEA": {
                    "port": 1, "only_app_store": True}},
                "desktop_topology": {"PROD": {"EMEA": {"url": "http://127.0.0.1:%d" % (port_base + 1),
                                                       "only_app_store": True}}}}, handle)
        env = dict(self.env, ANSIBLE_COLLECTIONS_PATH=self.colls + os.pathsep + WINDESK)
        subprocess.run([sys.executable, DEMO_FLEET, "generate", "-i", inventory, "--root", root, "--port-base",
                        str(port_base)], check=True, capture_output=True, env=env)
        pidfile = os.path.join(root, "stub.pid")
        subprocess.run([sys.executable, DEMO_FLEET, "serve", "-i", inventory, "--port-base", str(port_base),
                        "--pidfile", pidfile], check=True, capture_output=True, env=env)
        out = {"desks": desks, "profiles_per_desk": len(fleet.PROFILES)}
        try:
            for name, playbook in (("drift_drifted", "drift.yml"), ("configure_drifted", "configure.yml"),
                                   ("configure_compliant", "configure.yml"), ("drift_compliant", "drift.yml")):
                for host in hosts:
                    log = os.path.join(root, "desks", host, "operations.jsonl")
                    if os.path.exists(log):
                        os.unlink(log)
                proc = subprocess.run([self.playbook_bin, "-i", inventory, os.path.join(REPO, "playbooks", playbook)],
                                      env=env, cwd=self.work, capture_output=True, text=True, check=False)
                if proc.returncode != 0:
                    raise RuntimeError("%s on emulated Windows desks failed:\n%s" % (playbook, proc.stdout[-3000:]))
                counts = []
                for host in hosts:
                    with open(os.path.join(root, "desks", host, "operations.jsonl"), encoding="utf-8") as handle:
                        ops = [json.loads(line) for line in handle if line.strip()]
                    counts.append({"modules": [o["module"] for o in ops if o["op"] == "module"],
                                   "other": [o["op"] for o in ops if o["op"] != "module"]})
                shapes = {json.dumps(c, sort_keys=True) for c in counts}
                if len(shapes) != 1:
                    raise RuntimeError("%s: desks of one shape cost different operations: %s" % (name, shapes))
                first = counts[0]
                out[name] = {"module_executions": len(first["modules"]), "modules": first["modules"],
                             "other_operations": len(first["other"])}
                print("windows %-20s %d module executions per desk: %s" % (
                    name, len(first["modules"]), ", ".join(first["modules"])), flush=True)
        finally:
            subprocess.run([sys.executable, DEMO_FLEET, "stop", "--pidfile", pidfile], capture_output=True,
                           check=False)
        return out

    def profile(self, desks: int) -> dict:
        """Per desk, with forks 1: the worker's whole task, the payload build, the round trips, and the rest."""
        out = {}
        for scenario in self.args.scenarios:
            log = os.path.join(self.work, "profile.log")
            if os.path.exists(log):
                os.unlink(log)
            seconds, _stdout, _c = self.play(
                scenario, desks, 1, log_name="profile-%s.log" % scenario,
                env_extra={"BENCH_PROFILE_LOG": log,
                           "ANSIBLE_CALLBACKS_ENABLED": "bench_validation_count,bench_worker_profile"})
            per_pid = {}
            with open(log, encoding="utf-8") as handle:
                for line in handle:
                    what, pid, secs, size = line.split()
                    item = per_pid.setdefault(pid, {"task": 0.0, "configure_module": 0.0, "round_trip": 0.0,
                                                    "transfer": 0.0, "round_trips": 0, "payload_bytes": 0})
                    item[what] += float(secs)
                    if what == "round_trip":
                        item["round_trips"] += 1
                        item["payload_bytes"] = max(item["payload_bytes"], int(size))
            tasks = [v for v in per_pid.values() if v["task"] > 0]
            per_desk = {}
            for key in ("task", "configure_module", "round_trip", "transfer", "round_trips", "payload_bytes"):
                total = sum(v[key] for v in tasks)
                per_desk[key] = round(total / desks, 4 if isinstance(total, float) else 1)
            per_desk["controller_rest"] = round(per_desk["task"] - per_desk["round_trip"] - per_desk["transfer"], 4)
            per_desk["wall_per_desk"] = round(seconds / desks, 4)
            per_desk["outside_worker"] = round(per_desk["wall_per_desk"] - per_desk["task"], 4)
            out[scenario] = per_desk
            print("profile %-16s %s" % (scenario, per_desk), flush=True)
        return out


def meta(args) -> dict:
    ansible = subprocess.run([os.path.join(os.path.dirname(sys.executable), "python"), "-c",
                              "import ansible.release as r; print(r.__version__)"], capture_output=True, text=True,
                             check=False)
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            check=False)
    dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "plugins"], capture_output=True,
                           text=True, check=False)
    return {"date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), "ansible_core": ansible.stdout.strip(),
            "python": platform.python_version(), "cpus": os.cpu_count(),
            "loadavg": "%.2f %.2f %.2f" % os.getloadavg(), "platform": platform.platform(),
            "git_commit": commit.stdout.strip() + (" (plugins/ modified)" if dirty.stdout.strip() else ""),
            "sizes": args.sizes, "reps": args.reps, "forks": args.forks, "scenarios": args.scenarios,
            "command": " ".join([os.path.relpath(sys.argv[0], REPO)] + sys.argv[1:])}


def main(argv=None) -> int:
    args = parse_args(argv)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = os.path.abspath(args.out or os.path.join(HERE, "results", stamp))
    os.makedirs(out, exist_ok=True)
    work = os.path.join(out, "work")
    os.makedirs(work, exist_ok=True)
    results = {"meta": meta(args)}
    bench = Bench(args, work, out)

    def interrupted(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        bench.start()
        bench.warm_up()
        if not args.no_roundtrips:
            results["roundtrips"] = bench.roundtrips()
        if args.profile:
            results["profile"] = bench.profile(args.profile)
        if not args.no_windows:
            results["windows_operations"] = bench.windows_operations()
        bench.measure()
    except KeyboardInterrupt:
        # Stopped by hand: report what was measured so far, marked as such.
        results["meta"]["interrupted_after_runs"] = len(bench.runs)
        print("interrupted: reporting the %d runs done" % len(bench.runs), flush=True)
        if not bench.runs:
            raise
    finally:
        bench.stop()
    results["runs"] = bench.runs
    results["summary"] = report.summarise(bench.runs)
    results["marginal"] = report.marginal(results["summary"])
    results["validation"] = bench.validation
    if not args.no_controller:
        sys.path.insert(0, bench.colls)
        import controller_cost  # noqa: E402
        results["controller"] = controller_cost.measure()
    results["targets"] = report.targets(results["summary"], results.get("controller"), results["validation"],
                                        results.get("windows_operations"))

    with open(os.path.join(out, "results.json"), "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=2)
        handle.write("\n")
    with open(os.path.join(out, "results.md"), "w", encoding="utf-8") as handle:
        handle.write(report.markdown(results))
    report.plot(results, os.path.join(out, "results.png"))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print(report.markdown(results))
    print("results: %s/results.{json,md,png}" % out)
    missed = [t for t in results["targets"] if not t["met"]]
    return 1 if (missed and args.fail_on_target) else 0


if __name__ == "__main__":
    sys.exit(main())
