# -*- coding: utf-8 -*-
"""Bad inputs and faults for ioconnect.fleet.system_json, as data.

Each Case lays out one desk's file (or its absence, or a fault around it) in its own folder, names the task
arguments to run against it, and says what must come out:

- ``expect="unchanged"``: the task fails with ``error_kind`` in ``kinds``; the file is byte-identical (or still
  absent); ``msg`` names the file and matches every regex of ``msg_has``.
- ``expect="new"``: the task succeeds; ``check(case_dir, path, result)`` asserts the new file is exactly right.

Cases that need a privilege (chattr, mount) say so in ``needs``; their setup raises Unavailable with the reason
when the kernel refuses, and the test is skipped with that reason.
"""

from __future__ import annotations

import codecs
import json
import os
import shutil
import subprocess

URL = "https://iomanager.example.com/api"
SERVER = {"enabled": True, "url": URL}

# A small file of the shape io.Connect Desktop ships (4-space indent, LF), without a server section.
BASE = {
    "region": "EMEA",
    "env": "PROD",
    "gw": {"embedded": True, "configuration": {"port": 8385}},
    "appStores": [{"type": "path", "details": {"path": "./config/apps"}}],
    "folders": {"cache": "%IO_CD_USER_DATA_DIR%/Büro – Zürich"},
}
BASE_TEXT = json.dumps(BASE, indent=4, ensure_ascii=False) + "\n"
BASE_BYTES = BASE_TEXT.encode("utf-8")
OWNER = (4242, 4343)  # a non-root owner and group, to see that a write keeps them


class Unavailable(Exception):
    """This machine cannot set up the fault (no privilege, kernel refuses); the case is skipped."""


class Case:
    def __init__(self, cid, content=None, args=None, expect="unchanged", kinds=(), msg_has=(), setup=None,
                 teardown=None, check=None, filename="system.json", needs=None):
        self.id = cid
        self.content = content
        self.args = dict(server=SERVER) if args is None else args
        self.expect = expect
        self.kinds = set(kinds)
        self.msg_has = list(msg_has)
        self.setup = setup
        self.teardown = teardown
        self.check = check
        self.filename = filename
        self.needs = needs
        self.unavailable = None  # reason, when setup raised Unavailable

    def path(self, root):
        return os.path.join(root, self.id, self.filename)

    def prepare(self, root):
        folder = os.path.join(root, self.id)
        os.makedirs(folder, exist_ok=True)
        path = self.path(root)
        if self.content is not None:
            with open(path, "wb") as handle:
                handle.write(self.content)
        if self.setup is not None:
            try:
                self.setup(folder, path)
            except Unavailable as exc:
                self.unavailable = str(exc)

    def cleanup(self, root):
        if self.teardown is not None and self.unavailable is None:
            self.teardown(os.path.join(root, self.id), self.path(root))


def parsed(path) -> dict:
    with open(path, "rb") as handle:
        return json.loads(handle.read().decode("utf-8-sig"))


def with_server(doc: dict) -> dict:
    out = dict(doc)
    out["server"] = dict(out.get("server") or {}, **SERVER)
    return out


def expect_merged(base: dict):
    """The new file is the old one with server merged in; nothing else changed."""
    def check(_folder, path, _result):
        assert parsed(path) == with_server(base), "the new file holds exactly the old keys plus server"
    return check


# -- fault set-ups ----------------------------------------------------------------------------------------
def _run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise Unavailable("%s refused: %s" % (" ".join(cmd), (proc.stderr or proc.stdout).strip()))


def _chattr(flag, target):
    if shutil.which("chattr") is None:
        raise Unavailable("chattr (e2fsprogs) is not installed")
    _run(["chattr", flag, target])


def immutable_file(_folder, path):
    _chattr("+i", path)


def mutable_file(folder, _path):
    for name in os.listdir(folder):
        subprocess.run(["chattr", "-i", os.path.join(folder, name)], check=False)


def immutable_folder(folder, _path):
    _chattr("+i", folder)


def mutable_folder(folder, _path):
    subprocess.run(["chattr", "-i", folder], check=False)


def tiny_full_tmpfs(folder, path):
    """A 64 KiB tmpfs on the case folder holding the desk's file and a filler that leaves no room for a copy."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        raise Unavailable("mounting a tmpfs needs root and mount(8)")
    content = open(path, "rb").read()
    os.unlink(path)
    _run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", folder])
    with open(path, "wb") as handle:
        handle.write(content)
    fd = os.open(os.path.join(folder, "filler"), os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while os.write(fd, b"\0" * 512):
            pass
    except OSError:
        pass  # full: exactly what we want
    finally:
        os.close(fd)


def unmount(folder, _path):
    subprocess.run(["umount", folder], check=False)


def path_is_directory(_folder, path):
    os.mkdir(path)
    with open(os.path.join(path, "keep.txt"), "w") as handle:
        handle.write("a file inside the directory")


def dangling_link(folder, path):
    os.symlink(os.path.join(folder, "gone", "system.json"), path)


def link_to_file(folder, path):
    target_dir = os.path.join(folder, "real")
    os.mkdir(target_dir)
    target = os.path.join(target_dir, "system.json")
    with open(target, "wb") as handle:
        handle.write(BASE_BYTES)
    os.symlink(target, path)


def check_link_kept(folder, path, _result):
    assert os.path.islink(path), "the symbolic link is kept"
    target = os.path.join(folder, "real", "system.json")
    assert os.readlink(path) == target
    assert parsed(target) == with_server(BASE), "the link's target holds the merged file"
    assert sorted(os.listdir(folder)) == ["real", "system.json"], "the link is not replaced by a file"


def owned_0640(_folder, path):
    os.chown(path, *OWNER)
    os.chmod(path, 0o640)


def check_mode_owner(_folder, path, _result):
    info = os.stat(path)
    assert (info.st_mode & 0o7777, info.st_uid, info.st_gid) == (0o640, OWNER[0], OWNER[1])
    assert parsed(path) == with_server(BASE)


def remove_folder(folder, _path):
    os.rmdir(folder)


def check_created(_folder, path, _result):
    assert parsed(path) == {"server": SERVER}
    assert not open(path, "rb").read().startswith(codecs.BOM_UTF8), "a new file never gets a BOM"


def check_bom_crlf(_folder, path, _result):
    data = open(path, "rb").read()
    assert data.startswith(codecs.BOM_UTF8) and not data.startswith(codecs.BOM_UTF8 * 2), "the BOM is kept, once"
    body = data[3:]
    assert body.count(b"\r\n") == body.count(b"\n"), "CRLF everywhere, as before"
    assert parsed(path) == with_server(BASE)


def check_deep_kept(_folder, path, result):
    data = open(path, "rb").read()
    deep = b"[" * 300 + b"]" * 300
    assert deep in data, "the deep unmanaged value is kept byte for byte"
    assert json.loads(data)["server"] == SERVER and result["changed"]


def check_deep_objects_kept(_folder, path, result):
    data = open(path, "rb").read()
    assert b"\"x\":" + nested(499) in data, "the deep value is kept byte for byte"
    server = json.loads(data)["server"]
    assert {k: server[k] for k in SERVER} == SERVER and list(server) == ["x"] + list(SERVER) and result["changed"]


def nested(depth: int, leaf=b"1") -> bytes:
    return b'{"x":' * depth + leaf + b"}" * depth


def _doc(member: bytes) -> bytes:
    return b'{\n    "region": "EMEA",\n    "env": "PROD",\n    "gw": {},\n' + member + b"\n}\n"


PARSE_POS = r"line \d+, column \d+"

CASES = [
    # -- not JSON: fail with line and column, file untouched
    Case("trailing-comma", _doc(b'    "server": {"url": "x",},'), kinds={"parse"}, msg_has=[r"line 5, column \d+"]),
    Case("line-comment", _doc(b'    // io.Manager\n    "server": {}'), kinds={"parse"}, msg_has=[r"line 5, column"]),
    Case("block-comment", _doc(b'    "server": /* off */ {}'), kinds={"parse"}, msg_has=[PARSE_POS]),
    Case("single-quotes", _doc(b"    'server': {}"), kinds={"parse"}, msg_has=[r"line 5, column 5"]),
    Case("truncated", BASE_BYTES[: len(BASE_BYTES) // 2], kinds={"parse"}, msg_has=[PARSE_POS]),
    Case("nan", _doc(b'    "scale": NaN'), kinds={"parse"}, msg_has=["NaN"]),
    Case("infinity", _doc(b'    "scale": -Infinity'), kinds={"parse"}, msg_has=["Infinity"]),
    Case("unquoted-keys", _doc(b"    server: {}"), kinds={"parse"}, msg_has=[r"line 5, column 5"]),
    Case("control-char", _doc(b'    "title": "a\x01b"'), kinds={"parse"}, msg_has=[r"control character at line 5"]),
    Case("raw-newline-in-string", _doc(b'    "title": "a\nb"'), kinds={"parse"}, msg_has=[PARSE_POS]),
    Case("extra-data", BASE_BYTES + b"{}\n", kinds={"parse"}, msg_has=[PARSE_POS]),
    Case("nul-after-root", BASE_BYTES + b"\0", kinds={"parse"}, msg_has=[PARSE_POS]),
    Case("hex-number", _doc(b'    "port": 0x10'), kinds={"parse"}, msg_has=[PARSE_POS]),
    # -- wrong roots, empty files
    Case("root-array", b'[{"server": {}}]\n', kinds={"root"}, msg_has=["an array"]),
    Case("root-string", b'"system.json"', kinds={"root"}, msg_has=["a string"]),
    Case("root-null", b"null", kinds={"root"}, msg_has=["null"]),
    Case("root-number", b"42\n", kinds={"root"}, msg_has=["a number"]),
    Case("root-true", b"true", kinds={"root"}, msg_has=["a boolean"]),
    Case("empty", b"", kinds={"parse"}, msg_has=["empty"]),
    Case("whitespace-only", b" \r\n\t\n  ", kinds={"parse"}, msg_has=["empty"]),
    Case("bom-only", codecs.BOM_UTF8, kinds={"parse"}, msg_has=["empty"]),
    # -- encodings other than UTF-8
    Case("utf16-le-bom", codecs.BOM_UTF16_LE + BASE_TEXT.encode("utf-16-le"), kinds={"encoding"}, msg_has=["UTF-16"]),
    Case("utf16-be-bom", codecs.BOM_UTF16_BE + BASE_TEXT.encode("utf-16-be"), kinds={"encoding"}, msg_has=["UTF-16"]),
    Case("utf16-le", BASE_TEXT.encode("utf-16-le"), kinds={"encoding"}, msg_has=["UTF-16"]),
    Case("utf16-be", BASE_TEXT.encode("utf-16-be"), kinds={"encoding"}, msg_has=["UTF-16"]),
    Case("utf32-bom", BASE_TEXT.encode("utf-32"), kinds={"encoding"}, msg_has=["UTF-32"]),
    Case("utf32-be", BASE_TEXT.encode("utf-32-be"), kinds={"encoding"}, msg_has=["UTF"]),
    Case("windows-1252", BASE_TEXT.replace("–", "-").encode("cp1252"), kinds={"encoding"},
         msg_has=["not valid UTF-8", "Windows-1252"]),
    Case("double-bom", codecs.BOM_UTF8 * 2 + BASE_BYTES, kinds={"encoding"}, msg_has=["two byte order marks"]),
    # -- duplicate keys anywhere
    Case("duplicate-top", _doc(b'    "server": {"url": "a"},\n    "server": {"url": "b"}'), kinds={"duplicate"},
         msg_has=['"server" twice', "lines 5, 6"]),
    Case("duplicate-nested", _doc(b'    "server": {"url": "a", "url": "b"}'), kinds={"duplicate"},
         msg_has=['"url" twice']),
    Case("duplicate-in-array", _doc(b'    "appStores": [{"type": "path", "type": "rest"}]'), kinds={"duplicate"},
         msg_has=['"type" twice']),
    # -- nesting: deep but sane values are kept; absurd depth is a clear error, never a traceback
    Case("deep-300-kept", _doc(b'    "deep": ' + b"[" * 300 + b"]" * 300), expect="new", check=check_deep_kept),
    Case("deep-500", _doc(b'    "deep": ' + b"[" * 500 + b"]" * 500), kinds={"parse"}, msg_has=["too deeply"]),
    # Objects 500 deep inside a key the task merges into: merged, the deep value kept byte for byte (it used to be
    # refused only because the old diff re-rendered the whole key, which recursed once per level).
    Case("deep-500-objects-in-server", _doc(b'    "server": ' + nested(500)), expect="new",
         check=check_deep_objects_kept),
    Case("deep-100000", _doc(b'    "deep": ' + b"[" * 100000 + b"]" * 100000), kinds={"parse"},
         msg_has=["too deeply"]),
    # -- the file system around the file
    Case("read-only-file", BASE_BYTES, kinds={"io"}, setup=immutable_file, teardown=mutable_file, needs="chattr"),
    Case("read-only-folder", BASE_BYTES, kinds={"io"}, setup=immutable_folder, teardown=mutable_folder,
         needs="chattr"),
    Case("no-space-left", BASE_BYTES.replace(b'"PROD"', b'"PROD", "pad": "%s"' % (b"p" * 30000)), kinds={"io"},
         setup=tiny_full_tmpfs, teardown=unmount, msg_has=["space"], needs="mount"),
    Case("no-space-left-no-backup", BASE_BYTES.replace(b'"PROD"', b'"PROD", "pad": "%s"' % (b"p" * 30000)),
         kinds={"io"}, setup=tiny_full_tmpfs, teardown=unmount, msg_has=["No space left"], needs="mount",
         args=dict(server=SERVER, backup=False)),
    Case("path-is-directory", None, kinds={"io"}, setup=path_is_directory, msg_has=["is a directory"]),
    Case("dangling-symlink", None, kinds={"io"}, setup=dangling_link, msg_has=["does not exist"]),
    Case("missing-folder-create", None, kinds={"io"}, setup=remove_folder, msg_has=["does not exist"],
         args=dict(server=SERVER, when_missing="create")),
    Case("missing-file-fail", None, kinds={"missing"}, msg_has=["does not exist", "when_missing"]),
    # -- good files that must come out exactly right
    Case("symlink-to-file", None, expect="new", setup=link_to_file, check=check_link_kept),
    Case("mode-and-owner-kept", BASE_BYTES, expect="new", setup=owned_0640, check=check_mode_owner),
    Case("bom-crlf-kept", codecs.BOM_UTF8 + BASE_TEXT.replace("\n", "\r\n").encode("utf-8"), expect="new",
         check=check_bom_crlf),
    Case("missing-file-create", None, expect="new", args=dict(server=SERVER, when_missing="create"),
         check=check_created),
    Case("plain", BASE_BYTES, expect="new", check=expect_merged(BASE)),
]

# Cases whose file a real run rewrites; check mode must leave every one of them byte-identical.
CHECK_MODE_IDS = ["plain", "bom-crlf-kept", "mode-and-owner-kept", "symlink-to-file", "missing-file-create",
                  "deep-300-kept", "deep-500-objects-in-server"]


def snapshot(path):
    """What is at path, to compare before and after: bytes, a link, a directory listing, or None."""
    if os.path.islink(path):
        return ("link", os.readlink(path))
    if os.path.isdir(path):
        return ("dir", sorted(os.listdir(path)))
    if os.path.exists(path):
        with open(path, "rb") as handle:
            return ("file", handle.read())
    return None


def stray_files(folder, keep=()):
    """Files in folder that neither the case nor the module should leave behind."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted(n for n in names if n not in keep and n not in ("system.json", "filler", "real"))
