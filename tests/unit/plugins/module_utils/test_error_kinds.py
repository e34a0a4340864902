# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One list of error kinds (module_utils/common/errors.KINDS), held to what the sources use, what the docs say and
what the modules' RETURN docs offer as choices.

The sources are scanned, not trusted: every ``kind``/``error_kind`` a Python file of plugins/ or of the Windows
emulator (tests/windesk) can give, followed through a local variable, and every ``error_kind`` the PowerShell of
plugin_utils/windows_scripts.py sets or Get-Kind returns.
"""

from __future__ import annotations

import ast
import os
import re

import pytest
import yaml

from ansible.errors import AnsibleActionFail

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.atomic_write import WriteError, write_file
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import KINDS, FleetError, fail_module
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.action_base import action_failure
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history_backends import HistoryError

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
PLUGINS = os.path.join(ROOT, "plugins")
EMULATOR = os.path.join(ROOT, "tests", "windesk", "ansible_collections", "ioconnect_test", "windesk", "plugins")
SCRIPTS = os.path.join(PLUGINS, "plugin_utils", "windows_scripts.py")
RELIABILITY = os.path.join(ROOT, "docs", "reliability.md")

# Where a kind is a positional argument: the callable's name -> the argument's index.
KIND_POSITION = {"FleetError": 1, "WriteError": 1, "fail_module": 2, "action_failure": 1, "check_kind": 0}
# Functions whose return value is a kind (the emulator's copy of the scripts' Get-Kind).
KIND_RETURNING = {"_cause"}


def _name(func) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _strings(node) -> list:
    """The str constants an expression can evaluate to: not the keys it looks up (x.get("kind"), x["kind"]) nor
    the words a condition tests ("access" if "denied" in msg else "io")."""
    found = []

    def walk(n):
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            found.append(n.value)
        elif isinstance(n, ast.Call):
            if _name(n.func) != "get":
                for arg in n.args:
                    walk(arg)
            walk(n.func)
        elif isinstance(n, ast.Subscript):
            walk(n.value)
        elif isinstance(n, ast.IfExp):
            walk(n.body)
            walk(n.orelse)
        else:
            for child in ast.iter_child_nodes(n):
                walk(child)

    walk(node)
    return found


class _KindScanner(ast.NodeVisitor):
    """Collects (kind, line) for every expression in a position that gives a kind."""

    def __init__(self) -> None:
        self.found = []
        self.scopes = [{}]  # per function: local name -> the expressions assigned to it
        self.pending = [[]]  # per function: local names used as a kind

    def _give(self, expr) -> None:
        if isinstance(expr, ast.Name):
            self.pending[-1].append(expr.id)
        for text in _strings(expr):
            if text:
                self.found.append((text, expr.lineno))

    def visit_FunctionDef(self, node):
        self.scopes.append({})
        self.pending.append([])
        if node.name in KIND_RETURNING:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Return) and sub.value is not None:
                    self._give(sub.value)
        self.generic_visit(node)
        assigned, used = self.scopes.pop(), self.pending.pop()
        for name in used:
            for expr in assigned.get(name, ()):
                self._give(expr)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node):
        name = _name(node.func)
        kind_taker = name.endswith("Error") or name in KIND_POSITION or name == "__init__"
        for keyword in node.keywords:
            if keyword.arg == "error_kind" or (keyword.arg == "kind" and kind_taker):
                self._give(keyword.value)
        position = KIND_POSITION.get(name)
        if position is not None and len(node.args) > position:
            self._give(node.args[position])
        self.generic_visit(node)

    def visit_Dict(self, node):
        for key, value in zip(node.keys, node.values):
            if isinstance(key, ast.Constant) and key.value == "error_kind":
                self._give(value)
        self.generic_visit(node)

    def visit_Assign(self, node):
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.scopes[-1].setdefault(target.id, []).append(node.value)
                if target.id.endswith("ERROR_KIND"):
                    self._give(node.value)
            elif isinstance(target, ast.Attribute) and target.attr in ("error_kind", "kind"):
                self._give(node.value)
            elif isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) \
                    and target.slice.value == "error_kind":
                self._give(node.value)
        self.generic_visit(node)


def python_kinds(source: str) -> list:
    """(kind, line) for every kind a Python source can give."""
    scanner = _KindScanner()
    scanner.visit(ast.parse(source))
    return scanner.found


def powershell_kinds(source: str) -> list:
    """(kind, line) for every error_kind the PowerShell in source sets, compares with, or Get-Kind returns."""
    found = []
    for number, line in enumerate(source.splitlines(), 1):
        for match in re.finditer(r"error_kind\s*(?:=|-eq)\s*'([^']*)'", line):
            found.append((match.group(1), number))
    body = re.search(r"function Get-Kind \{(.*?)\n\}", source, re.S)
    assert body, "Get-Kind is no longer in windows_scripts.py: teach this test where the scripts' kinds come from"
    start = source[:body.start()].count("\n") + 1
    for match in re.finditer(r"'([^']*)'", body.group(1)):
        found.append((match.group(1), start + body.group(1)[:match.start()].count("\n")))
    return [(kind, number) for kind, number in found if kind]


def _sources():
    for top in (PLUGINS, EMULATOR):
        for folder, _dirs, files in os.walk(top):
            for name in sorted(files):
                if name.endswith(".py"):
                    yield os.path.join(folder, name)


def used_kinds() -> dict:
    """kind -> ["path:line", ...] over plugins/, the emulator, and the PowerShell scripts."""
    used = {}
    for path in _sources():
        with open(path, encoding="utf-8") as handle:
            source = handle.read()
        found = python_kinds(source)
        if path == SCRIPTS:
            found += powershell_kinds(source)
        for kind, line in found:
            used.setdefault(kind, []).append("%s:%d" % (os.path.relpath(path, ROOT), line))
    return used


def test_every_kind_the_sources_give_is_in_the_list_and_every_listed_kind_is_used():
    used = used_kinds()
    unknown = {kind: where for kind, where in used.items() if kind not in KINDS}
    assert not unknown, "kinds not in module_utils/common/errors.KINDS: %s" % unknown
    assert sorted(used) == sorted(KINDS), "listed but used nowhere: %s" % sorted(set(KINDS) - set(used))


def test_the_powershell_scripts_give_the_kinds_of_a_desk():
    with open(SCRIPTS, encoding="utf-8") as handle:
        kinds = {kind for kind, _line in powershell_kinds(handle.read())}
    assert kinds == {"io", "access", "unsafe_link", "conflict", "missing", "request"}


@pytest.mark.parametrize("source, kind", [
    ('raise FleetError("x", kind="nope")', "nope"),
    ('raise WriteError("x", "nope")', "nope"),
    ('def f(exc):\n    kind = "nope" if exc else "io"\n    raise FleetError("x", kind=kind)', "nope"),
    ('result["error_kind"] = "nope"', "nope"),
    ('out = {"path": p, "error_kind": item.get("error_kind") or "nope"}', "nope"),
    ('fail_module(module, "msg", "nope", path=p)', "nope"),
    ('raise action_failure("msg", "nope", path=p)', "nope"),
    ('def _cause(exc):\n    return "nope" if exc else "io"', "nope"),
])
def test_the_scanner_sees_a_kind_in_each_place_a_kind_is_given(source, kind):
    assert kind in [k for k, _line in python_kinds(source)]


def test_the_scanner_does_not_take_the_keys_looked_up_or_other_kinds_for_error_kinds():
    source = ('kind = item.get("error_kind") or "io"\n'
              'plan(raw, request, kind="override")\n'
              'entry = {"kind": "rollback", "at": now}\n'
              'raise FleetError("x", kind=str(answer.get("kind") or "io"))\n'
              'raise FleetError("x", kind="access" if "denied" in msg else "io")\n')
    assert sorted(k for k, _line in python_kinds(source)) == ["access", "io", "io"]


def test_the_powershell_scanner_reads_assignments_comparisons_and_get_kind():
    source = ("$out.error_kind = 'conflict'\n@{ error_kind = ''; x = 1 }\nif ($out.error_kind -eq 'unsafe_link') {}\n"
              "function Get-Kind {\n    param ($Cause)\n    if ($x) { return 'access' }\n    'io'\n}\n")
    assert sorted(k for k, _line in powershell_kinds(source)) == ["access", "conflict", "io", "unsafe_link"]


def documented_kinds() -> list:
    """(kind, meaning) rows of the "Error kinds" table of docs/reliability.md."""
    with open(RELIABILITY, encoding="utf-8") as handle:
        text = handle.read()
    section = re.search(r"^## \d+\. Error kinds\n(.*?)(?=^## )", text, re.S | re.M)
    assert section, "docs/reliability.md has no section 'Error kinds'"
    return re.findall(r"^\| `([a-z_]+)` \| (.+?) \|$", section.group(1), re.M)


def test_the_docs_list_the_same_kinds_with_the_same_meanings():
    assert documented_kinds() == list(KINDS.items())


def _error_kinds_in(returns: dict, where: str = "") -> dict:
    found = {}
    for key, spec in (returns or {}).items():
        name = "%s.%s" % (where, key) if where else key
        if key == "error_kind":
            found[name] = spec
        found.update(_error_kinds_in(spec.get("contains"), name))
    return found


def _returns(module: str) -> dict:
    with open(os.path.join(PLUGINS, "modules", module + ".py"), encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and [_name(t) for t in node.targets] == ["RETURN"]:
            return yaml.safe_load(node.value.value)
    raise AssertionError("%s has no RETURN" % module)


MODULES = sorted(name[:-3] for name in os.listdir(os.path.join(PLUGINS, "modules")) if name.endswith(".py"))


def test_every_documented_error_kind_offers_the_list_as_its_choices():
    documented = {}
    for module in MODULES:
        documented.update({"%s: %s" % (module, name): spec for name, spec in _error_kinds_in(_returns(module)).items()})
    assert set(documented) >= {"system_json: error_kind", "browser_manager_config: error_kind",
                               "desk_system_json: error_kind", "desk_system_json: files.error_kind"}
    for name, spec in documented.items():
        assert spec.get("choices") == list(KINDS), name
        assert "docs/reliability.md" in str(spec["description"]), name


def test_a_fleet_error_refuses_a_kind_not_in_the_list():
    with pytest.raises(ValueError, match="unknown error kind 'nope'"):
        raise FleetError("x", kind="nope")
    with pytest.raises(ValueError):
        raise WriteError("x", kind="Conflict")
    with pytest.raises(ValueError):
        action_failure("x", "nope", path="/p")
    assert FleetError("x").kind == "request"


def test_the_user_facing_errors_are_fleet_errors_with_listed_kinds(tmp_path):
    history = HistoryError("locked", "database is locked")
    assert isinstance(history, FleetError) and (history.kind, history.problem) == ("history", "locked")
    target = tmp_path / "report.json"
    target.write_bytes(b"old")
    with pytest.raises(FleetError) as caught:
        write_file(None, str(target), b"new", expected="0" * 40)
    assert isinstance(caught.value, WriteError) and caught.value.kind == "conflict"
    assert target.read_bytes() == b"old"
    with pytest.raises(WriteError) as caught:
        write_file(None, str(tmp_path / "absent" / "report.json"), b"new")
    assert caught.value.kind == "io" and "does not exist" in str(caught.value)


def test_the_failure_helpers_put_the_kind_in_the_result():
    failure = action_failure("bad", "schema", path="/p", errors=["e"])
    assert isinstance(failure, AnsibleActionFail) and failure.message == "bad"
    # ansible-core before 2.19 also puts the (empty) traceback of the exception into its result.
    result = {k: v for k, v in failure.result.items() if k != "exception"}
    assert result == {"changed": False, "error_kind": "schema", "path": "/p", "errors": ["e"], "failed": True,
                      "msg": "bad"}

    class Module:
        def fail_json(self, **result):
            raise SystemExit(result)

    with pytest.raises(SystemExit) as caught:
        fail_module(Module(), "bad", "io", path="/p")
    assert caught.value.args[0] == {"msg": "bad", "error_kind": "io", "changed": False, "path": "/p"}
    with pytest.raises(ValueError):
        fail_module(Module(), "bad", "nope", path="/p")
