# -*- coding: utf-8 -*-
"""The collection's doc fragments (plugins/doc_fragments/) are what each plugin that extends them shows, as
ansible-doc --json renders it; and an option or attribute a fragment documents is written in that fragment only,
never again in a plugin's own DOCUMENTATION (one wording)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys

import pytest
import yaml

PLUGINS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "plugins"))

# (plugin type, plugin name) -> the fragments (name or name.variant) it must show, in its extends list.
USERS = {
    ("module", "system_json"): ["secret_keys", "attributes"],
    ("module", "desk_system_json"): ["secret_keys", "attributes"],
    ("module", "browser_manager_config"): ["secret_keys", "attributes"],
    ("module", "remediation_plan"): ["history", "attributes", "attributes.controller"],
    ("module", "remediation_record"): ["history", "attributes", "attributes.controller"],
    ("module", "remediation_clear"): ["history", "attributes", "attributes.controller"],
    ("callback", "drift_report"): ["history", "secret_keys.callback"],
}
# A plugin may add keys to a fragment's option (the callback adds env and ini) but never replace these.
SHARED_KEYS = ("description", "type", "elements", "details", "platforms")


def fragment(ref):
    """The YAML of one fragment variant, read from the fragment class as ansible-core reads it."""
    name, _sep, variant = ref.partition(".")
    module = importlib.import_module("ansible_collections.ioconnect.fleet.plugins.doc_fragments." + name)
    return yaml.safe_load(getattr(module.ModuleDocFragment, (variant or "documentation").upper()))


def own_documentation(kind, name):
    """A plugin's DOCUMENTATION before any fragment is merged."""
    folder = "modules" if kind == "module" else kind
    module = importlib.import_module("ansible_collections.ioconnect.fleet.plugins.%s.%s" % (folder, name))
    return yaml.safe_load(module.DOCUMENTATION)


@pytest.fixture(scope="module")
def rendered():
    """ansible-doc --json of every plugin that uses a fragment: one run per plugin type."""
    shown = {}
    ansible_doc = os.path.join(os.path.dirname(sys.executable), "ansible-doc")
    for kind in sorted({kind for kind, _name in USERS}):
        names = ["ioconnect.fleet." + name for plugin_kind, name in USERS if plugin_kind == kind]
        run = subprocess.run([ansible_doc, "--json", "-t", kind] + names, capture_output=True, text=True,
                             check=False)
        assert run.returncode == 0, run.stderr
        for fqcn, entry in json.loads(run.stdout).items():
            shown[(kind, fqcn.rsplit(".", 1)[1])] = entry["doc"]
    return shown


@pytest.mark.parametrize("kind, name", sorted(USERS))
def test_each_plugin_shows_its_fragments(rendered, kind, name):
    doc = rendered[(kind, name)]
    own = own_documentation(kind, name)
    assert [ref.split("ioconnect.fleet.", 1)[1] for ref in own["extends_documentation_fragment"]
            if ref.startswith("ioconnect.fleet.")] == USERS[(kind, name)]
    for ref in USERS[(kind, name)]:
        for section in ("options", "attributes"):
            for key, entry in (fragment(ref).get(section) or {}).items():
                assert key in doc.get(section, {}), "%s %s: %s.%s missing" % (kind, name, section, key)
                for field in SHARED_KEYS:
                    if field in entry:
                        assert doc[section][key][field] == entry[field], (name, ref, section, key, field)
                        # One wording: the plugin does not write the fragment's text again.
                        assert field not in ((own.get(section) or {}).get(key) or {}), (name, ref, key, field)


def test_no_plugin_words_a_fragment_option_again():
    """Every plugin with an option named as a fragment's option takes that option from the fragment."""
    fragment_options = set()
    for ref in ("secret_keys", "history"):
        fragment_options |= set(fragment(ref)["options"])
    for folder, kind in (("modules", "module"), ("callback", "callback")):
        for filename in sorted(os.listdir(os.path.join(PLUGINS, folder))):
            if not filename.endswith(".py") or filename.startswith("_"):
                continue
            own = own_documentation(kind, filename[:-3])
            for option in fragment_options & set(own.get("options") or {}):
                assert "description" not in own["options"][option], "%s: %s is worded again" % (filename, option)


def test_the_common_attributes_come_with_core_descriptions(rendered):
    """The collection's attribute fragments give support only; listed before ansible-core's, both are kept."""
    for (kind, name), doc in rendered.items():
        if kind != "module":
            continue
        for attribute in ("action", "async", "bypass_host_loop", "platform"):
            assert doc["attributes"][attribute]["description"], (name, attribute)
            assert doc["attributes"][attribute]["support"] in ("full", "none"), (name, attribute)
