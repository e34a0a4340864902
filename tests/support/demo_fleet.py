#!/usr/bin/env python
"""The demo fleet: simulated io.Connect Desktop desks, each a folder on this machine, and stub io.Manager servers.

    demo_fleet.py generate -i INVENTORY --root ROOT [--port-base N]   build ROOT/desks/<desk>/ from scratch
    demo_fleet.py tamper   -i INVENTORY --root ROOT [--port-base N]   simulate drift (demo_tamper host var)
    demo_fleet.py serve    -i INVENTORY --port-base N --pidfile F      stub io.Manager instances, in the background
    demo_fleet.py stop     --pidfile F                                stop them
    demo_fleet.py free-base [--count 6]                               a port base with free ports after it
    demo_fleet.py summary  FILE [FILE...]                             print the run summaries (configure, drift)

Each desk is described in the inventory by demo_* host variables (see inventories/demo/hosts.yml); the inventory
is read with ansible-inventory, so group_vars (ioconnect_env, ioconnect_region, demo_instances) apply as usual.
Besides demo_state, demo_format, demo_product, demo_users and demo_tamper (hosts.yml), a desk may have:
  demo_platform: windows   an emulated Windows desk (tests/windesk; fs/C/ is its drive, desk.json its account)
  demo_link: true          each system.json is a symbolic link to a file under Configs/
  demo_deny: [user, ...]   (Windows) profiles the connecting account cannot read
The layout of both kinds of desk is docs/simulated-desks.md.
The files are of the shape io.Connect Desktop 10.2 ships and its schema (@interopio/schemas system.json) accepts:
required region, env, gw; only known top-level keys.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

BOM = b"\xef\xbb\xbf"
OLD_MANAGER = "https://iomanager-legacy.corp.example.com/api"
PRODUCTS = {
    # product: (folder under LocalAppData or None for a machine-wide 10.x install, executable)
    "v9": (("interop.io", "io.Connect Desktop", "Desktop"), "io-connect-desktop.exe"),
    "glue42": (("Tick42", "GlueDesktop"), "tick42-glue-desktop.exe"),
    "v10": (None, "io-connect-desktop.exe"),
}
V10_FOLDER = ("Program Files", "interop.io", "io.Connect Desktop")


# -- inventory ------------------------------------------------------------------------------------------------------
def read_inventory(inventory: str) -> dict:
    """hostvars of every desk (raw, untemplated), from ansible-inventory."""
    exe = os.path.join(os.path.dirname(sys.executable), "ansible-inventory")
    if not os.path.exists(exe):
        exe = shutil.which("ansible-inventory") or "ansible-inventory"
    out = subprocess.run([exe, "-i", inventory, "--list"], check=True, capture_output=True, text=True).stdout
    hostvars = json.loads(out)["_meta"]["hostvars"]
    return {host: hv for host, hv in hostvars.items() if "demo_state" in hv}


def instance_urls(hv: dict, pair: str, port_base: int) -> dict:
    inst = hv["demo_instances"][pair]
    base = "http://127.0.0.1:%d" % (port_base + int(inst["port"]))
    return {"server": base + "/api", "crashes": base + "/api/crashes", "only": bool(inst["only_app_store"])}


# -- documents --------------------------------------------------------------------------------------------------------
def vendor_document(env: str, region: str, product: str) -> dict:
    """system.json as io.Connect Desktop installs it (io.Manager off), for env/region."""
    doc = {
        "region": region,
        "env": env,
        "gw": {"embedded": True, "configuration": {"port": 8385, "ip": "127.0.0.1", "maxSize": 1048576}},
        "appStores": [{"type": "path", "details": {"path": "./config/apps"}}],
        "layouts": {"store": {"type": "file"}},
        "folders": {"cache": "%IO_CD_USER_DATA_DIR%/Cache", "remoteConfig": "%IO_CD_USER_DATA_DIR%/remoteConfig"},
        "splash": {"disabled": False, "blockStartup": True, "timeout": 30000},
        "server": {"enabled": False, "url": "http://localhost:4356/api"},
        "crashReporter": {"enabled": True, "folderPath": "%IO_CD_USER_DATA_DIR%/crashes",
                          "companyName": "Interop Inc", "productName": "io.Connect Desktop",
                          "output": {"type": "local"}},
        "logging": {"streaming": {"enabled": False}},
    }
    if product == "glue42":
        doc["gw"]["configuration"]["port"] = 8385
        doc["folders"] = {"cache": "%GLUE-USER-DATA%/Cache"}
        doc["crashReporter"] = {"enabled": True, "folderPath": "%GLUE-USER-DATA%/crashes", "companyName": "Tick42",
                                "productName": "Glue42 Enterprise", "output": {"type": "local"}}
    return doc


def compliant(doc: dict, env: str, region: str, urls: dict, settings: dict) -> dict:
    """What ioconnect.fleet.desktop (layout base) makes of doc, keys in the same order."""
    doc = json.loads(json.dumps(doc))
    doc["env"], doc["region"] = env, region
    doc["server"] = dict(doc.get("server", {}), enabled=True, url=urls["server"], **settings)
    doc["crashReporter"]["output"] = {"type": "server", "serverUrl": urls["crashes"]}
    if urls["only"]:
        doc["appStores"] = []
    return doc


def render(doc: dict, fmt: str) -> bytes:
    if fmt == "tabs":
        return (json.dumps(doc, indent="\t", ensure_ascii=False) + "\n").encode("utf-8")
    if fmt == "bom_crlf4":
        return BOM + (json.dumps(doc, indent=4, ensure_ascii=False) + "\n").replace("\n", "\r\n").encode("utf-8")
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def desk_document(hv: dict, port_base: int) -> bytes:
    env, region = hv["ioconnect_env"], hv["ioconnect_region"]
    product = hv.get("demo_product", "v9")
    fmt = hv.get("demo_format", "lf2")
    state = hv["demo_state"]
    doc = vendor_document(env, region, product)
    if state == "compliant":
        doc = compliant(doc, env, region, instance_urls(hv, "%s-%s" % (env, region), port_base),
                        hv.get("desktop_server_settings", {}))
    elif state == "drifted":
        # Pointed at a decommissioned io.Manager by a hand-made image; crashes kept locally.
        doc["server"] = {"enabled": True, "url": OLD_MANAGER, "fetchInterval": 120}
    data = render(doc, fmt)
    if state == "corrupt":
        # A hand edit that left a trailing comma and a comment: not strict JSON, io.Connect Desktop would not start.
        text = data.decode("utf-8-sig").replace('"logging"', '// TODO ask desk support\r\n    "logging"', 1)
        text = text.replace('"enabled": false\r\n', '"enabled": false,\r\n', 1)
        data = BOM + text.encode("utf-8")
    return data


# -- desks ------------------------------------------------------------------------------------------------------------
# A POSIX simulated desk is <root>/desks/<desk>/ with Users/<user>/AppData/Local/... (docs/simulated-desks.md). A
# desk with demo_platform: windows is an emulated Windows desk for the test-only connection ioconnect_test.windesk.desk
# (tests/windesk): <root>/desks/<desk>/fs/C/ is its C: drive, desk.json its connecting account and denied folders.
WINDOWS_ACCOUNT = "svc_fleet"


def drive(root: str, desk: str, hv: dict) -> str:
    """The folder that stands for the desk's system drive."""
    desk_dir = os.path.join(root, "desks", desk)
    return os.path.join(desk_dir, "fs", "C") if hv.get("demo_platform") == "windows" else desk_dir


def install_dirs(root: str, desk: str, hv: dict) -> list:
    """The install folders of a desk (one per user for per-user products, one for 10.x)."""
    product = hv.get("demo_product", "v9")
    base = drive(root, desk, hv)
    under, _exe = PRODUCTS[product]
    if under is None:
        return [os.path.join(base, *V10_FOLDER)]
    return [os.path.join(base, "Users", user, "AppData", "Local", *under) for user in hv.get("demo_users", ["jdoe"])]


def write_run_config(root: str, port_base: int) -> None:
    """<root>/port-base (read by the demo's group_vars when IOCONNECT_DEMO_PORT_BASE is unset) and <root>/ansible.cfg,
    so the demo inventory also works outside `make demo`: the desks were built for that port base, and a run with
    another one would find every desk drifted."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    link = os.path.join(root, "collections", "ansible_collections", "ioconnect", "fleet")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.islink(link):
        os.symlink(repo, link)
    with open(os.path.join(root, "port-base"), "w", encoding="utf-8") as handle:
        handle.write("%d\n" % port_base)
    with open(os.path.join(root, "ansible.cfg"), "w", encoding="utf-8") as handle:
        handle.write(
            "# Written by tests/support/demo_fleet.py generate. Run the demo fleet outside `make demo` with:\n"
            "#   export ANSIBLE_CONFIG=%(root)s/ansible.cfg IOCONNECT_DEMO_ROOT=%(root)s\n"
            "#   ansible-playbook -i inventories/demo playbooks/drift.yml\n"
            "# (the stub io.Manager instances, for configure.yml: tests/support/demo_fleet.py serve -i inventories/demo "
            "--port-base %(base)d --pidfile %(root)s/stub-iomanager.pid)\n"
            "[defaults]\ncollections_path = %(root)s/collections\n"
            "callbacks_enabled = ioconnect.fleet.drift_report\nretry_files_enabled = false\n"
            "\n[ioconnect_drift_report]\noutput_dir = %(root)s/report\n" % {"root": root, "base": port_base})


def generate(args) -> None:
    desks = read_inventory(args.inventory)
    write_run_config(os.path.abspath(args.root), args.port_base)
    desks_root = os.path.join(args.root, "desks")
    if os.path.isdir(desks_root):
        shutil.rmtree(desks_root)
    for desk, hv in sorted(desks.items()):
        base = drive(args.root, desk, hv)
        users = hv.get("demo_users", ["jdoe"])
        windows = hv.get("demo_platform") == "windows"
        for user in users + ["Public"] + ([WINDOWS_ACCOUNT] if windows else []):
            os.makedirs(os.path.join(base, "Users", user, "AppData", "Local", "Temp"), exist_ok=True)
        if windows:
            os.makedirs(os.path.join(base, "ProgramData"), exist_ok=True)
            with open(os.path.join(args.root, "desks", desk, "desk.json"), "w", encoding="utf-8") as handle:
                json.dump({"account": WINDOWS_ACCOUNT, "logged_on": users[:1],
                           "deny": ["C:\\Users\\%s" % u for u in hv.get("demo_deny", [])]}, handle, indent=2)
        if hv["demo_state"] == "absent":
            continue
        data = desk_document(hv, args.port_base)
        exe = PRODUCTS[hv.get("demo_product", "v9")][1]
        for index, install in enumerate(install_dirs(args.root, desk, hv)):
            os.makedirs(os.path.join(install, "config", "apps"), exist_ok=True)
            with open(os.path.join(install, exe), "wb") as handle:
                handle.write(b"MZ (simulated executable)\n")
            target = os.path.join(install, "config", "system.json")
            if hv.get("demo_link"):
                # system.json is a link to a file kept elsewhere (a shared configuration folder)
                shared = os.path.join(base, "Configs", "%s-%d-system.json" % (desk, index))
                os.makedirs(os.path.dirname(shared), exist_ok=True)
                os.symlink(shared, target)
                if windows:
                    # planted by an administrator (a shared configuration, as VDI images do): the link rule follows it
                    desk_json = os.path.join(args.root, "desks", desk, "desk.json")
                    with open(desk_json, encoding="utf-8") as handle:
                        settings = json.load(handle)
                    windows_path = "C:\\" + os.path.relpath(target, base).replace(os.sep, "\\")
                    settings.setdefault("owners", {})[windows_path.lower()] = "BUILTIN\\Administrators"
                    with open(desk_json, "w", encoding="utf-8") as handle:
                        json.dump(settings, handle, indent=2)
                target = shared
            with open(target, "wb") as handle:
                handle.write(data)
    print("demo fleet: %d desks under %s" % (len(desks), desks_root))


def tamper(args) -> None:
    """Simulate what happens to desks between two runs: an upgrade replaces system.json; a user edits it."""
    desks = read_inventory(args.inventory)
    done = []
    for desk, hv in sorted(desks.items()):
        how = hv.get("demo_tamper")
        if not how:
            continue
        for install in install_dirs(args.root, desk, hv):
            path = os.path.join(install, "config", "system.json")
            if how == "upgrade":
                doc = vendor_document(hv["ioconnect_env"], hv["ioconnect_region"], hv.get("demo_product", "v9"))
                with open(path, "wb") as handle:
                    handle.write(render(doc, "bom_crlf4"))
            else:
                with open(path, "rb") as handle:
                    raw = handle.read()
                bom = raw.startswith(BOM)
                doc = json.loads(raw.decode("utf-8-sig"))
                doc["server"]["url"] = OLD_MANAGER
                text = json.dumps(doc, indent=4, ensure_ascii=False) + "\n"
                if b"\r\n" in raw:
                    text = text.replace("\n", "\r\n")
                with open(path, "wb") as handle:
                    handle.write((BOM if bom else b"") + text.encode("utf-8"))
        done.append("%s (%s)" % (desk, "upgrade reset system.json" if how == "upgrade" else "server.url hand-edited"))
    print("simulated drift on %d desk(s): %s" % (len(done), ", ".join(done)))


# -- stub io.Manager ----------------------------------------------------------------------------------------------
class StubManager(http.server.BaseHTTPRequestHandler):
    """Answers like an io.Manager would on the paths the preflight and the desktop use; 404 elsewhere."""

    instance = "?"

    def do_GET(self):  # noqa: N802 (http.server API)
        if self.path.rstrip("/") in ("/api/v2/server/info", "/api"):
            body = json.dumps({"name": "io.Manager (demo stub)", "instance": self.instance, "version": "0.0.0"})
            self._send(200, body)
        else:
            self._send(404, json.dumps({"error": "not found"}))

    def _send(self, status, body):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args):
        pass


def _serve_forever(ports: dict) -> None:
    servers = []
    for name, port in ports.items():
        handler = type("Stub_" + name.replace("-", "_"), (StubManager,), {"instance": name})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    for server in servers:
        server.shutdown()


def _ports(args) -> dict:
    if args.inventory:
        any_desk = next(iter(read_inventory(args.inventory).values()))
        return {name: args.port_base + int(v["port"]) for name, v in any_desk["demo_instances"].items()}
    return {"stub-%d" % p: p for p in args.ports}


def serve(args) -> None:
    ports = _ports(args)
    if args.foreground:
        _serve_forever(ports)
        return
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "_serve", json.dumps(ports)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    with open(args.pidfile, "w", encoding="utf-8") as handle:
        handle.write(str(proc.pid))
    deadline = time.time() + 10
    for name, port in ports.items():
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    sys.exit("stub io.Manager %s could not listen on 127.0.0.1:%d (port taken?)" % (name, port))
                time.sleep(0.05)
    print("stub io.Manager: %s" % ", ".join("%s on 127.0.0.1:%d" % item for item in ports.items()))


def free_base(args) -> None:
    """Print a port base whose next `count` ports are free on 127.0.0.1 (and outside the usual ephemeral range)."""
    for base in range(args.start, 32760 if args.start < 32760 else 65000, 10):
        socks = []
        try:
            for port in range(base + 1, base + 1 + args.count):
                sock = socket.socket()
                socks.append(sock)
                sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
        print(base)
        return
    sys.exit("no free port range found")


def stop(args) -> None:
    try:
        with open(args.pidfile, encoding="utf-8") as handle:
            pid = int(handle.read().strip())
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    os.unlink(args.pidfile)


# -- summary ----------------------------------------------------------------------------------------------------------
def summary(args) -> None:
    for path in args.files:
        if not os.path.exists(path):
            print("(no summary at %s: the run stopped before its last play)" % path)
            continue
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        desks = data["desks"]
        by = {}
        for desk in desks:
            by.setdefault(desk["status"], []).append(desk)
        title = "Drift scan (check mode, nothing written)" if data.get("check_mode") else "Configure"
        print("\n== %s: %d desk(s) ==" % (title, len(desks)))
        labels = [("changed", "switched to their io.Manager (restart of io.Connect Desktop pending)"),
                  ("drifted", "drifted from their io.Manager settings"),
                  ("compliant", "already compliant, nothing changed"),
                  ("not_installed", "without io.Connect Desktop (reported, not failed)"),
                  ("failed", "failed"),
                  ("not_checked", "stopped before configure (validation, io.Manager preflight or a stopped batch)")]
        for status, label in labels:
            rows = by.get(status, [])
            if not rows:
                continue
            print("  %3d %s" % (len(rows), label))
            for desk in rows:
                detail = ""
                if status in ("changed", "drifted"):
                    installs = [i for i in desk.get("installs", []) if i.get("changed")]
                    pointers = sorted({p for i in installs for p in i.get("drift", [])})
                    detail = "%d file(s): %s" % (len(desk.get("changed_files", [])),
                                                 ", ".join(sorted({"%s/%s" % (i["user"], i["product"])
                                                                   for i in installs})))
                    if status == "drifted":
                        detail += "; " + ", ".join(pointers)
                elif status == "failed":
                    detail = desk.get("error", "")[:400]
                elif status == "compliant":
                    detail = ", ".join(sorted({i["product"] for i in desk.get("installs", [])}))
                if status in ("changed", "drifted", "failed") or args.verbose:
                    print("        %-12s %-22s %s" % (desk["desk"], "/".join(desk.get("env_region", [])), detail))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("generate", "tamper"):
        p = sub.add_parser(name)
        p.add_argument("-i", "--inventory", required=True)
        p.add_argument("--root", required=True)
        p.add_argument("--port-base", type=int, default=43560)
    p = sub.add_parser("serve")
    p.add_argument("-i", "--inventory")
    p.add_argument("--port-base", type=int, default=43560)
    p.add_argument("--ports", type=int, nargs="*", default=[])
    p.add_argument("--pidfile", required=True)
    p.add_argument("--foreground", action="store_true")
    p = sub.add_parser("free-base")
    p.add_argument("--count", type=int, default=6)
    p.add_argument("--start", type=int, default=24560)
    p = sub.add_parser("stop")
    p.add_argument("--pidfile", required=True)
    p = sub.add_parser("summary")
    p.add_argument("files", nargs="+")
    p.add_argument("-v", "--verbose", action="store_true")
    p = sub.add_parser("_serve")
    p.add_argument("ports")
    args = parser.parse_args(argv)
    if args.cmd == "_serve":
        _serve_forever(json.loads(args.ports))
        return
    {"generate": generate, "tamper": tamper, "serve": serve, "stop": stop, "summary": summary,
     "free-base": free_base}[args.cmd](args)


if __name__ == "__main__":
    main()
