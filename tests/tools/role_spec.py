#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write roles/desktop/meta/argument_specs.yml from the two places the desk options live:

- their rules (type, default, choices, elements, suboptions, no_log) from ``argument_spec()`` of
  plugins/module_utils/desk/args.py, the spec desk_system_json's action plugin validates the role's variables with;
- their text from the DOCUMENTATION of plugins/modules/desk_system_json.py, as ansible-doc reads it (doc fragments
  merged), with the role's names: O(topology) becomes O(desktop_topology), a return value names the module.

So an option is described once (in the module) and checked with one spec, whether the role's check
(validate_argument_spec, which ansible-core inserts before an entry point) or the action plugin applies it.
tests/unit/roles/test_desktop_role_spec.py fails when the committed file differs from what this writes.

  make role-spec                               write the file
  python tests/tools/role_spec.py --check      exit 1 with a diff when the committed file is stale
                                               (with the collection on ANSIBLE_COLLECTIONS_PATH, as make does)
"""

from __future__ import annotations

import argparse
import copy
import difflib
import os
import re
import sys

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SPEC_FILE = os.path.join(REPO, "roles", "desktop", "meta", "argument_specs.yml")
MODULE_FILE = os.path.join(REPO, "plugins", "modules", "desk_system_json.py")
ROLE = "ioconnect.fleet.desktop"
MODULE = "ioconnect.fleet.desk_system_json"
PREFIX = "desktop_"
AUTHOR = ["ioconnect.fleet maintainers (@ioconnect)"]

# Options of args.py no role variable stands for: the desk's name (the inventory host name), the prefix itself,
# and what each entry point's own task sets (state, validate_only). Private protocol options (a leading _) and
# those args.NOT_FROM_VARS names (set by the action plugin itself) are left out as well.
NOT_ROLE_VARIABLES = ("desk", "options_from_vars", "state", "validate_only")

# The entry points (tasks/<name>.yml) and the options each one reads. main lists every option the role exposes but
# those named in its "except": an option added to args.py reaches main by itself (desk.yml takes every desktop_*
# variable), so only a regeneration is needed. There is deliberately no entry point "desk": ansible-core would
# insert the role's check before tasks_from: desk.yml, the per-desk task of playbooks/drift.yml and configure.yml.
ENTRY_POINTS = {
    "main": {
        "except": ("rollback_runs",),
        "short_description": "Point io.Connect Desktop installs at the io.Manager instance of their environment and "
                             "region",
        "description": [
            "One task per desk (M(ioconnect.fleet.desk_system_json)). On the controller, before the desk is "
            "contacted, it checks the desk's pairs, their io.Manager instances and every setting against io.Connect "
            "Desktop's schema, and asks each io.Manager instance once per run whether it answers. Then it finds every "
            "io.Connect Desktop 9.x/10.x and Glue42 Enterprise install of the desk (every profile by default), merges "
            "C(server), C(crashReporter), C(appStores), C(env) and C(region), writes the changed files and records "
            "them in a rollback ledger on the desk.",
            "Check mode is a drift scan that touches nothing. The result is the fact C(desktop_report); a pending "
            "restart is reported, never forced.",
            "Each option is the module's option of the same name without the C(desktop_) prefix, checked with the "
            "module's own argument spec. C(tasks_from: desk.yml) is this entry point without the role's check "
            "ansible-core inserts first: the module applies the same spec to the same variables.",
        ],
    },
    "validate": {
        "only": ("topology", "env", "region", "pairs", "layout", "set_env_region", "manager_only_app_store",
                 "app_stores", "crashes_to_manager", "crash_reporter_defaults", "server_settings", "secret_keys",
                 "allow_plain_http", "validate_with", "profiles", "users", "profile_root", "install_roots"),
        "short_description": "Validate a desk's variables on the controller, touching nothing",
        "description": [
            "The checks of the main entry point, and nothing else. C(playbooks/configure.yml) runs this for every "
            "desk before any desk is touched. The result is C(desktop_validation).",
        ],
    },
    "preflight": {
        "only": ("topology", "env", "region", "pairs", "layout", "server_settings", "allow_plain_http", "profiles",
                 "users", "profile_root", "install_roots", "preflight_timeout", "preflight_validate_certs"),
        "short_description": "Ask a desk's io.Manager instances whether they answer, from the controller",
        "description": [
            "Once per instance per run, whatever the number of desks. The main entry point does it itself before "
            "writing. The result is C(desktop_preflight_result).",
        ],
    },
    "rollback": {
        "only": ("state_dir", "rollback_runs"),
        "short_description": "Undo the last configure run(s) recorded in a desk's ledger, file by file, guarded",
        "description": [
            "A file is restored from its backup (or removed, if the run created it) only while it still holds what "
            "the run wrote. A file edited since fails with its path, what changed and what to do; the other files go "
            "on. The result is C(desktop_rollback).",
        ],
    },
}

# ---- The role's own words: the one place the role says more than the module ---------------------------------------
# Variables of the role that are not options of the module, with the entry points that list them.
ROLE_ONLY_VARIABLES = {
    "desktop_platform": {
        "entry_points": ("main",),
        "spec": {
            "type": "str",
            "choices": ["auto", "windows", "posix"],
            "default": "auto",
            "description": [
                "Deprecated and ignored. The desk's platform is its connection's shell (C(ansible_shell_type=powershell)"
                " for Windows desks, over WinRM, PSRP or SSH).",
            ],
        },
    },
}
# Options whose role default is not the module's: defaults/main.yml sets them (and only them), so the spec shows
# no default, and says where the value comes from.
ROLE_DEFAULTS = {
    "env": "Defaults to C(ioconnect_env), normally set by the group_vars of an environment group.",
    "region": "Defaults to C(ioconnect_region), normally set by the group_vars of a region group.",
}
# ---------------------------------------------------------------------------------------------------------------------

HEADER = """\
# GENERATED by tests/tools/role_spec.py (make role-spec): do not edit. The rules of each option come from
# plugins/module_utils/desk/args.py, its text from the DOCUMENTATION of plugins/modules/desk_system_json.py;
# tests/unit/roles/test_desktop_role_spec.py fails when this file is not what the generator writes.
# Read it with: ansible-doc -t role ioconnect.fleet.desktop
"""

_REFERENCE = re.compile(r"\b(O|RV)\(([^()]*)\)")
_SPEC_KEYS = ("type", "required", "default", "choices", "elements", "no_log")


def module_options() -> dict:
    """The module's documented options, as ansible-doc reads them (doc fragments merged)."""
    from ansible.plugins.loader import fragment_loader  # pylint: disable=import-outside-toplevel
    from ansible.utils.plugin_docs import get_docstring  # pylint: disable=import-outside-toplevel

    doc = get_docstring(MODULE_FILE, fragment_loader, collection_name="ioconnect.fleet", is_module=True)[0]
    return doc["options"]


def desk_argument_spec() -> dict:
    from ansible_collections.ioconnect.fleet.plugins.module_utils.desk import args  # pylint: disable=import-outside-toplevel

    return args.argument_spec()


def role_options(spec: dict) -> list:
    """The options of args.py the role exposes as desktop_<option>, in args.py's order."""
    from ansible_collections.ioconnect.fleet.plugins.module_utils.desk import args  # pylint: disable=import-outside-toplevel

    hidden = set(NOT_ROLE_VARIABLES) | set(getattr(args, "NOT_FROM_VARS", ()))
    return [name for name in spec if not name.startswith("_") and name not in hidden]


def entry_point_options(name: str, exposed: list) -> list:
    entry = ENTRY_POINTS[name]
    if "only" in entry:
        unknown = sorted(set(entry["only"]) - set(exposed))
        if unknown:
            raise ValueError("role_spec.py: entry point %s lists %s, not options of args.py the role exposes"
                             % (name, ", ".join(unknown)))
        return [option for option in exposed if option in entry["only"]]
    return [option for option in exposed if option not in entry["except"]]


def _reference(kind: str, body: str, here: set, main: set) -> str:
    if "#" in body:
        return "%s(%s)" % (kind, body)
    if kind == "RV":
        return "RV(%s#module:%s)" % (MODULE, body)
    name = re.split(r"[.=\[]", body, maxsplit=1)[0]
    rest = body[len(name):]
    if name in here:
        return "O(%s%s%s)" % (PREFIX, name, rest)
    if name in main:
        return "O(%s#role:main:%s%s%s)" % (ROLE, PREFIX, name, rest)
    return "O(%s#module:%s)" % (MODULE, body)


def role_text(description, here: set, main: set) -> list:
    """The module's description of an option in the role's names: O(x) is the role's desktop_x where the entry
    point (or else main) has it, the module's option otherwise; return values are the module's."""
    lines = [description] if isinstance(description, str) else list(description)
    return [_REFERENCE.sub(lambda m: _reference(m.group(1), m.group(2), here, main), line) for line in lines]


def option_spec(rules: dict, doc: dict, here: set, main: set) -> dict:
    out = {}
    for key in _SPEC_KEYS:
        if key in rules and not (key == "default" and rules[key] is None) and not (key == "no_log" and not rules[key]):
            out[key] = copy.deepcopy(list(rules[key]) if key == "choices" else rules[key])
    out["description"] = role_text(doc.get("description", []), here, main)
    if rules.get("options"):
        documented = doc.get("suboptions") or {}
        out["options"] = {sub: option_spec(sub_rules, documented.get(sub, {}), set(), set())
                          for sub, sub_rules in rules["options"].items()}
    return out


def build(spec: dict = None, docs: dict = None) -> dict:
    """The argument_specs document: every entry point, each with the options it reads."""
    spec = desk_argument_spec() if spec is None else spec
    docs = module_options() if docs is None else docs
    exposed = role_options(spec)
    undocumented = [name for name in exposed if name not in docs]
    if undocumented:
        raise ValueError("role_spec.py: %s in args.py but not in the DOCUMENTATION of %s: document it there first"
                         % (", ".join(undocumented), os.path.relpath(MODULE_FILE, REPO)))
    main = set(entry_point_options("main", exposed))
    specs = {}
    for entry_name, entry in ENTRY_POINTS.items():
        names = entry_point_options(entry_name, exposed)
        options = {}
        for name in names:
            option = option_spec(spec[name], docs[name], set(names), main)
            if name in ROLE_DEFAULTS:
                option.pop("default", None)
                option["description"].append(ROLE_DEFAULTS[name])
            options[PREFIX + name] = option
        for variable, own in ROLE_ONLY_VARIABLES.items():
            if entry_name in own["entry_points"]:
                options[variable] = copy.deepcopy(own["spec"])
        specs[entry_name] = {
            "short_description": entry["short_description"],
            "description": list(entry["description"]),
            "author": list(AUTHOR),
            "options": options,
        }
    return {"argument_specs": specs}


class _Dumper(yaml.SafeDumper):  # pylint: disable=too-many-ancestors
    """Block style with indented sequences, as the collection's other YAML files are written."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def render(document: dict = None) -> str:
    document = build() if document is None else document
    text = yaml.dump(document, Dumper=_Dumper, default_flow_style=False, sort_keys=False, width=100,
                     allow_unicode=True, explicit_start=True)
    return text.replace("---\n", "---\n" + HEADER, 1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file instead of writing")
    options = parser.parse_args(argv)
    from ansible.plugins.loader import init_plugin_loader  # pylint: disable=import-outside-toplevel

    init_plugin_loader()
    try:
        text = render()
    except ImportError as exc:
        sys.stderr.write("role_spec.py: %s. Put the collection on ANSIBLE_COLLECTIONS_PATH (make role-spec does).\n"
                         % exc)
        return 2
    if options.check:
        with open(SPEC_FILE, encoding="utf-8") as handle:
            committed = handle.read()
        if committed == text:
            return 0
        sys.stdout.writelines(difflib.unified_diff(committed.splitlines(True), text.splitlines(True),
                                                   "committed", "generated"))
        sys.stderr.write("%s is stale: run make role-spec\n" % os.path.relpath(SPEC_FILE, REPO))
        return 1
    with open(SPEC_FILE, "w", encoding="utf-8") as handle:
        handle.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
