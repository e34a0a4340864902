# -*- coding: utf-8 -*-
"""The real io.Connect Browser platform in headless Chromium, for end-to-end tests.

- ``library()``: @interopio/browser-platform, pinned (version and npm integrity), fetched once with ``npm pack``
  into ``build/browser-e2e/`` and reused from there by later runs (no download when the cache is good).
- ``system_tools()``: Debian's ``chromium`` and Node.js' ``npm``; when one is missing the project's installer
  (tests/tools/install-system-deps.sh, bindep.txt profile ``test``) is run, as ``make deps`` would.
- ``webroot()``, ``serve()``: the test Main app (tests/integration/browser/site/) plus the library's bundle in a
  folder, served on a free 127.0.0.1 port for the test only.
- ``open_pages()``: each URL in its own headless Chromium with a fresh profile (the platform allows one
  instance per window), two at a time; returns what the page wrote to ``#result``.

When a tool cannot be had, the test is skipped with the reason; under CI (``CI`` set) it fails instead, since
CI installs everything itself (``make test`` runs ``make deps`` first).
"""

from __future__ import annotations

import base64
import concurrent.futures
import contextlib
import functools
import hashlib
import html
import http.server
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import threading

import pytest

from playbook_runner import REPO

PACKAGE = "@interopio/browser-platform"
VERSION = "4.4.0"
# npm's dist.integrity of that version: the tarball must match it, whatever the registry or cache hands over.
INTEGRITY = "sha512-xPdP3HdT5jZtV9Z6/GkeQWKCW6img1t5LfnbU2t8iQ4w7Ma9g2Ia7g5CcVRMXdfGB5YmJcnUQf/Wf+nlm8vlyA=="
BUNDLE = os.path.join("dist", "browser.platform.es.js")
CACHE = os.path.join(REPO, "build", "browser-e2e")
CHROMIUM = "/usr/bin/chromium"
SITE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "browser", "site")
INSTALLER = os.path.join(REPO, "tests", "tools", "install-system-deps.sh")

# Raised by the platform's start-up (PlatformController.start -> verifyLicense) for a key that is not a signed
# licence. It runs after Platform.processConfig, whose platformConfigDecoder (with managerConfigDecoder for
# `manager`) throws {kind: "DecoderError", at, message} for an invalid configuration: this message therefore
# means "the decoder accepted the configuration".
LICENCE_ERROR = "io.Connect Browser cannot initialize, because there was no license token provided or it was invalid."

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
)


def unavailable(reason: str):
    """Skip, or under CI fail: CI must have installed the tools itself."""
    if os.environ.get("CI"):
        pytest.fail("%s; CI installs it itself (make test runs make deps), so this is a failure" % reason)
    pytest.skip(reason)


# -- tools --------------------------------------------------------------------------------------------------

def _missing_tools() -> list:
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append("chromium (%s)" % CHROMIUM)
    if not shutil.which("npm"):
        missing.append("npm")
    return missing


@functools.lru_cache(maxsize=None)
def _install_system_tools() -> str:
    """'' when chromium and npm are there (installing them if needed), otherwise why not."""
    missing = _missing_tools()
    if not missing:
        return ""
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if sudo and not shutil.which("sudo"):
        return "%s missing, and not root to install it: run make deps" % ", ".join(missing)
    try:
        proc = subprocess.run(sudo + ["bash", INSTALLER], capture_output=True, text=True, timeout=900,
                              check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return "%s missing and %s failed: %s" % (", ".join(missing), INSTALLER, exc)
    still = _missing_tools()
    if still:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
        return "%s missing; %s (exit %d) did not install it: %s" % (
            ", ".join(still), os.path.relpath(INSTALLER, REPO), proc.returncode, " | ".join(tail))
    return ""


def system_tools() -> None:
    reason = _install_system_tools()
    if reason:
        unavailable(reason)


# -- the library --------------------------------------------------------------------------------------------

def _integrity(path: str) -> str:
    digest = hashlib.sha512()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha512-" + base64.b64encode(digest.digest()).decode()


def _fetch_library(dest: str) -> str:
    """npm pack the pinned version into the cache, check its integrity, unpack it to dest. '' or why not."""
    os.makedirs(CACHE, exist_ok=True)
    work = tempfile.mkdtemp(prefix=".fetch-", dir=CACHE)
    try:
        cmd = ["npm", "pack", "%s@%s" % (PACKAGE, VERSION), "--pack-destination", work, "--json",
               "--ignore-scripts", "--cache", os.path.join(CACHE, "npm-cache"), "--prefer-offline",
               "--no-audit", "--no-fund", "--loglevel", "error"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False, cwd=work,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return "npm pack %s@%s failed: %s" % (PACKAGE, VERSION, exc)
        tarballs = [n for n in os.listdir(work) if n.endswith(".tgz")]
        if proc.returncode != 0 or len(tarballs) != 1:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            return "npm pack %s@%s failed (exit %d): %s" % (PACKAGE, VERSION, proc.returncode, " | ".join(tail))
        tarball = os.path.join(work, tarballs[0])
        got = _integrity(tarball)
        if got != INTEGRITY:
            pytest.fail("%s@%s: the tarball's integrity is %s, pinned %s: refusing to use it"
                        % (PACKAGE, VERSION, got, INTEGRITY))
        unpacked = os.path.join(work, "unpacked")
        with tarfile.open(tarball) as archive:
            archive.extractall(unpacked, filter="data")
        with open(os.path.join(unpacked, "package", ".integrity"), "w", encoding="ascii") as handle:
            handle.write(INTEGRITY)
        shutil.rmtree(dest, ignore_errors=True)
        os.replace(os.path.join(unpacked, "package"), dest)  # whole or not at all
        return ""
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _cached(dest: str) -> bool:
    try:
        with open(os.path.join(dest, ".integrity"), encoding="ascii") as handle:
            if handle.read() != INTEGRITY:
                return False
        with open(os.path.join(dest, "package.json"), encoding="utf-8") as handle:
            meta = json.load(handle)
    except (OSError, ValueError):
        return False
    return meta.get("name") == PACKAGE and meta.get("version") == VERSION and os.path.isfile(os.path.join(dest, BUNDLE))


@functools.lru_cache(maxsize=None)
def _library() -> tuple:
    dest = os.path.join(CACHE, "browser-platform-%s" % VERSION)
    if _cached(dest):
        return dest, "", False
    reason = _fetch_library(dest)
    return dest, reason, True


def library() -> str:
    """The unpacked package folder of @interopio/browser-platform (pinned), from the cache or fetched once."""
    system_tools()
    dest, reason, _downloaded = _library()
    if reason:
        unavailable(reason)
    return dest


# -- serving and opening pages ------------------------------------------------------------------------------

def webroot(root) -> str:
    """The test Main app and the library's bundle (as /lib/browser.platform.es.js) in a new folder ``root``."""
    root = str(root)
    shutil.copytree(SITE, root)
    os.makedirs(os.path.join(root, "lib"))
    shutil.copy(os.path.join(library(), BUNDLE), os.path.join(root, "lib"))
    return root


class _Handler(http.server.SimpleHTTPRequestHandler):
    # ES modules load only when served as JavaScript.
    extensions_map = {".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript",
                      ".json": "application/json", "": "application/octet-stream"}

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        self.server.requested.append(self.path.split("?", 1)[0])


@contextlib.contextmanager
def serve(root):
    """Serve ``root`` on a free 127.0.0.1 port; yields (base URL, list of paths requested)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(root)))
    server.requested = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        yield "http://127.0.0.1:%d" % port, server.requested
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


_RESULT = re.compile(r'<pre id="result">(?P<json>.*?)</pre>', re.DOTALL)


def chromium(url: str, profiles: str, *flags: str) -> subprocess.CompletedProcess:
    """One headless Chromium run on ``url`` with a fresh, then removed, profile under ``profiles``."""
    os.makedirs(profiles, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="chromium-", dir=profiles)
    try:
        cmd = [CHROMIUM, *CHROMIUM_FLAGS, "--user-data-dir=%s" % profile, "--virtual-time-budget=15000", *flags, url]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False,
                              stdin=subprocess.DEVNULL)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def open_page(url: str, profiles: str) -> dict:
    """Load the test Main app at ``url``; returns its #result object plus 'dom' (the page's text)."""
    proc = chromium(url, profiles, "--dump-dom")
    match = _RESULT.search(proc.stdout)
    if proc.returncode != 0 or not match:
        return {"status": "chromium exit %d, no #result" % proc.returncode, "dom": proc.stdout,
                "stderr": proc.stderr[-2000:]}
    result = json.loads(html.unescape(match.group("json")) or "{}")
    result["dom"] = proc.stdout
    return result


def open_pages(urls, profiles: str, workers: int = 2) -> list:
    """open_page for each URL, ``workers`` Chromium processes at a time (the machine has 2 cores)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda u: open_page(u, profiles), urls))


def digest(manager) -> str:
    """What the page computes: SHA-256 of JSON.stringify(manager) (insertion order, no spaces, UTF-8)."""
    text = json.dumps(manager, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
