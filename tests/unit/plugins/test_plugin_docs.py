# -*- coding: utf-8 -*-
"""Every plugin's documentation as ansible-doc reads it (fragments merged), and each module's options exactly as
its argument spec takes them: an option missing from the docs, a documented one the module refuses, or a type that
differs fails here, before ansible-test sanity."""

from __future__ import annotations

import os

import pytest
import yaml

from ansible.plugins.loader import fragment_loader
from ansible.utils.plugin_docs import get_docstring

from ansible_collections.ioconnect.fleet.plugins.module_utils.browser_manager import args as browser_args
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk import args as desk_args
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json import args as system_json_args
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation import actions as remediation

PLUGINS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "plugins"))
FILE_OPTIONS = {"mode", "owner", "group", "seuser", "serole", "setype", "selevel", "unsafe_writes", "attributes"}
# Modules made with add_file_common_args=True take the file options (ansible.builtin.files) as well.
FILE_MODULES = {"browser_manager_config"}

MODULES = {
    "system_json": system_json_args.argument_spec,
    "desk_system_json": desk_args.argument_spec,
    "browser_manager_config": browser_args.argument_spec,
    "remediation_plan": lambda: remediation.PLAN_SPEC,
    "remediation_record": lambda: remediation.RECORD_SPEC,
    "remediation_clear": lambda: remediation.CLEAR_SPEC,
}
OTHERS = [("callback", "drift_report"), ("filter", "drift_summary"), ("filter", "fleet_summary")]


def docs(kind, name):
    doc, examples, returns, _metadata = get_docstring(os.path.join(PLUGINS, kind, name + ".py"), fragment_loader,
                                                      collection_name="ioconnect.fleet", plugin_type=kind)
    return doc, examples, returns


def compare(documented, specced, where):
    # Options whose names start with _ are the private protocol between an action plugin and its module: never
    # documented (ansible-test's validate-modules treats them as hidden too).
    assert not [name for name in documented if name.startswith("_")], where
    specced = {name: entry for name, entry in specced.items() if not name.startswith("_")}
    assert set(documented) == set(specced), "%s: documented %s, spec %s" % (
        where, sorted(set(documented) - set(specced)), sorted(set(specced) - set(documented)))
    for name, entry in specced.items():
        shown = documented[name]
        assert shown.get("type", "str") == entry.get("type", "str"), (where, name)
        assert shown.get("required", False) == entry.get("required", False), (where, name)
        if "default" in entry and entry["default"] is not None:
            assert shown.get("default") == entry["default"], (where, name)
        if "choices" in entry:
            assert list(shown.get("choices")) == list(entry["choices"]), (where, name)
        if entry.get("elements"):
            assert shown.get("elements") == entry["elements"], (where, name)
        if "options" in entry:
            compare(shown.get("suboptions") or {}, entry["options"], "%s.%s" % (where, name))


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_docs_match_the_argument_spec(name):
    doc, examples, returns = docs("modules", name)
    options = {k: v for k, v in doc["options"].items() if name not in FILE_MODULES or k not in FILE_OPTIONS}
    if name in FILE_MODULES:
        assert FILE_OPTIONS <= set(doc["options"]), "the files fragment is missing"
    compare(options, MODULES[name](), name)
    assert doc["short_description"] and doc["description"] and doc["version_added"]
    assert doc["author"]
    # Fragments merged: the common attributes come with ansible-core's own descriptions.
    assert {"check_mode", "diff_mode", "platform", "action", "async"} <= set(doc["attributes"])
    for attribute, entry in doc["attributes"].items():
        assert entry["support"] in ("full", "partial", "none", "N/A"), attribute
        assert entry.get("description"), "%s: no fragment describes it" % attribute
    tasks = yaml.safe_load(examples)
    assert isinstance(tasks, list) and tasks
    assert any("ioconnect.fleet." + name in task for task in tasks), "no example uses the module by its FQCN"
    assert returns and all("description" in entry and "returned" in entry for entry in returns.values())


@pytest.mark.parametrize("kind, name", OTHERS)
def test_other_plugins_are_documented(kind, name):
    doc, examples, returns = docs(kind, name)
    assert doc["short_description"] and doc["description"]
    assert examples.strip()
    if kind == "filter":
        assert returns
