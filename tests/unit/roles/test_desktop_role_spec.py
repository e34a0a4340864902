# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""roles/desktop/meta/argument_specs.yml is generated (tests/tools/role_spec.py, make role-spec) from the argument
spec of desk_system_json (plugins/module_utils/desk/args.py) and the module's DOCUMENTATION. Here:

- the committed file is what the generator writes, so an option added to args.py, or a description changed in the
  module, fails until the file is regenerated;
- read without the generator: every option the role exposes is a variable of the main entry point, and each
  variable of each entry point has exactly the rules of the option the action plugin validates it with. So the
  role's check that ansible-core inserts before an entry point and the plugin's own check are the same check, which
  is why tasks_from: desk.yml (no entry point "desk", so no inserted check) loses nothing;
- defaults/main.yml sets only the variables whose role default is not the module's.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import re

import pytest
import yaml

from ansible_collections.ioconnect.fleet.plugins.module_utils.desk import args

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ROLE = os.path.join(REPO, "roles", "desktop")
RULES = ("type", "required", "default", "choices", "elements", "no_log")


def _generator():
    spec = importlib.util.spec_from_file_location("role_spec", os.path.join(REPO, "tests", "tools", "role_spec.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR = _generator()


def _load(*parts):
    with open(os.path.join(ROLE, *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _committed_text():
    with open(GENERATOR.SPEC_FILE, encoding="utf-8") as handle:
        return handle.read()


ENTRY_POINTS = _load("meta", "argument_specs.yml")["argument_specs"]


def _exposed():
    """What the role exposes, worked out here from args.py itself, not with the generator's code."""
    hidden = {"desk", "options_from_vars", "state", "validate_only"} | set(getattr(args, "NOT_FROM_VARS", ()))
    return [name for name in args.argument_spec() if not name.startswith("_") and name not in hidden]


def _rules(entry: dict, role_default: bool = False) -> dict:
    """An option's rules as a validator applies them: no text, no null default, no no_log=False."""
    out = {}
    for key in RULES:
        value = entry.get(key)
        if value is None or (key == "no_log" and not value) or (key == "default" and role_default):
            continue
        out[key] = list(value) if key == "choices" else value
    out.setdefault("type", "str")
    if entry.get("options"):
        out["options"] = {name: _rules(sub) for name, sub in entry["options"].items()}
    return out


def test_the_committed_file_is_what_the_generator_writes():
    assert _committed_text() == GENERATOR.render(), (
        "roles/desktop/meta/argument_specs.yml is stale: run make role-spec (tests/tools/role_spec.py)")


def test_every_option_the_role_exposes_is_a_variable_of_main():
    main = ENTRY_POINTS["main"]["options"]
    missing = [name for name in _exposed() if name != "rollback_runs" and "desktop_" + name not in main]
    assert not missing, "options of args.py not in the main entry point: %s (make role-spec)" % missing
    assert "desktop_rollback_runs" in ENTRY_POINTS["rollback"]["options"]


@pytest.mark.parametrize("entry_point", sorted(ENTRY_POINTS))
def test_each_variable_has_the_rules_the_plugin_validates_it_with(entry_point):
    spec = args.argument_spec()
    own = set(GENERATOR.ROLE_ONLY_VARIABLES)
    for variable, entry in ENTRY_POINTS[entry_point]["options"].items():
        assert entry.get("description"), (entry_point, variable)
        if variable in own:
            continue
        name = variable[len("desktop_"):]
        assert variable.startswith("desktop_") and name in _exposed(), (entry_point, variable)
        role_default = name in GENERATOR.ROLE_DEFAULTS
        assert _rules(entry, role_default) == _rules(spec[name], role_default), (entry_point, variable)


def test_no_private_or_internal_option_is_a_role_variable():
    for entry_point, entry in ENTRY_POINTS.items():
        for variable in entry["options"]:
            name = variable[len("desktop_"):]
            assert not name.startswith("_"), (entry_point, variable)
            assert name not in ("desk", "options_from_vars", "plan_only", "expected_checksums"), (entry_point, variable)


def test_the_desk_task_file_is_no_entry_point_so_it_runs_without_the_inserted_check():
    """ansible-core inserts validate_argument_spec before tasks_from: X when argument_specs has an entry point X:
    desk.yml, the per-desk task of the fleet playbooks, must stay without one."""
    assert "desk" not in ENTRY_POINTS
    for entry_point in ENTRY_POINTS:
        assert os.path.isfile(os.path.join(ROLE, "tasks", entry_point + ".yml")), entry_point
    with open(os.path.join(ROLE, "tasks", "desk.yml"), encoding="utf-8") as handle:
        text = handle.read()
    assert "options_from_vars: desktop_" in text
    assert "tests/tools/role_spec.py" in text and "test_desktop_role_spec.py" in text


def test_defaults_set_only_what_differs_from_the_module():
    defaults = _load("defaults", "main.yml")
    assert sorted(defaults) == sorted("desktop_" + name for name in GENERATOR.ROLE_DEFAULTS)
    for variable, value in defaults.items():
        assert "ioconnect_" in value, variable  # from the inventory groups, not a copy of a module default


def test_readme_does_not_repeat_the_option_docs():
    with open(os.path.join(ROLE, "README.md"), encoding="utf-8") as handle:
        text = handle.read()
    assert "ansible-doc -t role ioconnect.fleet.desktop" in text
    assert not re.search(r"^\|\s*`desktop_", text, re.MULTILINE), "README.md has a variable table again"


def test_a_new_option_in_args_reaches_main_with_the_module_text():
    spec = args.argument_spec()
    spec["restart_grace"] = dict(type="int", default=30)
    spec["_private_protocol"] = dict(type="bool", default=False)
    docs = copy.deepcopy(GENERATOR.module_options())
    docs["restart_grace"] = {"description": ["Seconds to wait; see O(layout) and RV(status)."], "type": "int"}
    document = GENERATOR.build(spec, docs)
    main = document["argument_specs"]["main"]["options"]
    assert main["desktop_restart_grace"] == {
        "type": "int", "default": 30,
        "description": ["Seconds to wait; see O(desktop_layout) and RV(ioconnect.fleet.desk_system_json#module:status)."]}
    assert not any("private" in name for ep in document["argument_specs"].values() for name in ep["options"])
    assert GENERATOR.render(document) != _committed_text()


def test_an_undocumented_option_is_refused_with_what_to_do():
    spec = args.argument_spec()
    spec["restart_grace"] = dict(type="int", default=30)
    with pytest.raises(ValueError, match="restart_grace in args.py but not in the DOCUMENTATION"):
        GENERATOR.build(spec, GENERATOR.module_options())


def test_references_name_the_role_variable_where_the_entry_point_has_it_else_main_else_the_module():
    here, main = {"profile_root"}, {"profile_root", "skip_profiles"}
    assert GENERATOR.role_text(["O(profile_root), O(skip_profiles), O(profiles=named), O(validate_only)"],
                               here, main) == [
        "O(desktop_profile_root), O(ioconnect.fleet.desktop#role:main:desktop_skip_profiles), "
        "O(ioconnect.fleet.desk_system_json#module:profiles=named), "
        "O(ioconnect.fleet.desk_system_json#module:validate_only)"]
    assert GENERATOR.role_text("as O(ioconnect.fleet.system_json#module:secret_keys)", here, main) == [
        "as O(ioconnect.fleet.system_json#module:secret_keys)"]


SAMPLES = ["x", "", 5, "7", 1.5, True, "maybe", "yes", None, [], ["s"], "a,b", {}, {"a": 1}, "a=1",
           [{"env": "P"}], [{"env": "P", "region": "E"}], [{"env": "P", "region": "E", "x": 1}], "/srv/x", "nope",
           "base", "overrides", "all", "named"]


@pytest.mark.parametrize("entry_point", sorted(ENTRY_POINTS))
def test_the_role_check_and_the_plugin_check_answer_alike(entry_point):
    """The check ansible-core inserts before an entry point (validate_argument_spec: an ArgumentSpecValidator of the
    entry point's options, ansible/plugins/action/validate_argument_spec.py) and the action plugin's (ActionBase
    .validate_argument_spec with args.argument_spec()) accept and refuse the same values, converted alike."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # pylint: disable=import-outside-toplevel

    role_options = ENTRY_POINTS[entry_point]["options"]
    role = ArgumentSpecValidator(role_options)
    plugin = ArgumentSpecValidator(args.argument_spec())
    for variable in role_options:
        if variable in GENERATOR.ROLE_ONLY_VARIABLES:
            continue
        name = variable[len("desktop_"):]
        for value in SAMPLES:
            if value is None and name in GENERATOR.ROLE_DEFAULTS:
                continue  # null is unset (options_from_vars drops it); the role's default is defaults/main.yml's
            by_role = role.validate({variable: copy.deepcopy(value)}, validate_role_argument_spec=True)
            by_plugin = plugin.validate({name: copy.deepcopy(value)})
            assert bool(by_role.error_messages) == bool(by_plugin.error_messages), (entry_point, variable, value)
            if not by_role.error_messages:
                assert by_role.validated_parameters[variable] == by_plugin.validated_parameters[name], (variable, value)
