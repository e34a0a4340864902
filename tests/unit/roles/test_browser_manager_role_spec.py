# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The browser_manager role maps its variables to the module's options in its task, one by one, and documents them
once, in meta/argument_specs.yml. Here: the task reads exactly the variables of the spec; the spec's defaults are
those of defaults/main.yml (ansible-core does not apply an argument spec's defaults, so they are written twice and
must agree); a variable passed unchanged to the module has the module's rules; the README does not repeat them."""

from __future__ import annotations

import os
import re

import yaml

from ansible_collections.ioconnect.fleet.plugins.module_utils.browser_manager import args

ROLE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "browser_manager"))
PREFIX = "browser_manager_"


def _read(*parts):
    with open(os.path.join(ROLE, *parts), encoding="utf-8") as handle:
        return handle.read()


OPTIONS = yaml.safe_load(_read("meta", "argument_specs.yml"))["argument_specs"]["main"]["options"]
DEFAULTS = yaml.safe_load(_read("defaults", "main.yml"))
TASKS = yaml.safe_load(_read("tasks", "main.yml"))


def _module_task():
    return next(task for task in TASKS if "ioconnect.fleet.browser_manager_config" in task)


def test_the_tasks_read_exactly_the_variables_of_the_spec():
    used = set(re.findall(r"(?<![.\w])(%s[a-z_]+)" % PREFIX, _read("tasks", "main.yml"))) - {"browser_manager_result"}
    assert used == set(OPTIONS)


def test_the_spec_defaults_are_the_defaults_of_defaults_main():
    assert set(DEFAULTS) == set(OPTIONS)
    for variable, entry in OPTIONS.items():
        if "{{" in str(DEFAULTS[variable]):
            assert "default" not in entry, variable  # from the inventory (ioconnect_env), said in the description
            assert "ioconnect_" in DEFAULTS[variable] and "ioconnect_" in entry["description"], variable
        else:
            assert entry.get("default") == DEFAULTS[variable], variable


def test_a_variable_passed_unchanged_has_the_module_rules_and_names_the_module_option():
    spec = args.argument_spec()
    mapped = _module_task()["ioconnect.fleet.browser_manager_config"].items()
    passed = {option: match.group(1) for option, match in
              ((option, re.fullmatch(r"\{\{ (%s[a-z_]+) \}\}" % PREFIX, str(value).strip())) for option, value in mapped)
              if match}
    assert set(passed) >= {"format", "esm_export", "write_defaults", "allow_plain_http", "backup", "path"}
    for option, variable in passed.items():
        if option not in spec:
            continue  # owner, group, mode: the file options every file module takes
        entry = OPTIONS[variable]
        assert entry.get("type", "str") == spec[option].get("type", "str"), variable
        assert entry.get("choices") == spec[option].get("choices"), variable
        assert "O(ioconnect.fleet.browser_manager_config#module:%s)" % option in str(entry["description"]), variable


def test_defaults_and_readme_do_not_repeat_the_docs():
    assert "ansible-doc -t role ioconnect.fleet.browser_manager" in _read("README.md")
    assert not re.search(r"^\|\s*`browser_manager_", _read("README.md"), re.MULTILINE)
    comments = [line for line in _read("defaults", "main.yml").splitlines() if line.startswith("#")]
    assert len(comments) <= 3 and "meta/argument_specs.yml" in comments[0]
