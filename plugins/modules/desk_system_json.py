#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: desk_system_json
short_description: Point every io.Connect Desktop install of a desk at its io.Manager, in one task
version_added: 0.2.0
author:
  - ioconnect.fleet maintainers (@ioconnect)
description:
  - One task per desk. Finds every io.Connect Desktop 9.x, 10.x and Glue42 Enterprise install of the desk, in every
    profile (or the named ones, or those of the logged-on users), follows the links it may follow and handles each
    file once; works
    out from O(topology) which io.Manager instance each environment/region pair of the desk uses; merges the
    settings into each C(system.json) (layout V(base)) or each pair's C(system-<ENV>-<REGION>.json) (layout
    V(overrides)) with the same engine as M(ioconnect.fleet.system_json); writes, unless in check mode; records what
    it wrote in a rollback ledger on the desk; and returns one result per file and the desk's status.
  - Everything is checked on the controller before the desk is contacted (O(validate_only) checks and stops there),
    and each io.Manager instance is asked once per run whether it answers (O(preflight)).
  - "On POSIX desks the module does the work on the desk. On Windows desks nothing needs installing: the action
    plugin reads the desk with M(ansible.windows.win_powershell) (the SCAN script lists the profiles, finds the
    installs and reads every file), plans on the controller, and writes with the COMMIT script, which writes every
    changed file beside itself, replaces it in one step, and makes the backups and the ledger entry; with
    O(layout=overrides) and O(shortcuts), missing Start-menu shortcuts are made with
    M(community.windows.win_shortcut). How many remote operations each case takes is in the scale guide (see
    below)."
  - "Links inside a profile (symbolic links, junctions, mount points on Windows) are followed only when an
    administrator owns them or their target stays inside the same profile; any other one fails the file, or the
    profile, alone with RV(files[].error_kind=unsafe_link), naming the link, its owner and its target, and nothing
    is read from it or written through it (docs/windows-connection.md)."
  - A file that cannot be read or parsed fails alone; the desk's other files are still handled and reported, and the
    task fails. A desk whose discovery fails (a profile the connecting account cannot read, a profile folder that
    cannot be listed) fails alone, with the reason, and nothing of it is written.
  - O(state=rolled_back) undoes the last O(rollback_runs) runs recorded in the ledger. A file is restored only while
    it still holds what the run wrote; a file edited since fails with its path, what changed and what to do, and the
    other files go on.
  - "It runs as an administrator in folders users own. On POSIX desks a profile's work (search, read, write, backup,
    restore, delete) is done as the profile's owner, so files it creates there are the owner's. A link (a symbolic
    link; on Windows also a junction or mount point) is followed only when an administrator owns it (root,
    Administrators, SYSTEM, TrustedInstaller) or when it points inside the same profile; any other link is refused
    with RV(files[].error_kind=unsafe_link) naming the link, its owner and its target: the file fails alone, or the
    profile when the link is a folder of the search. Backups and temporary files are created exclusively under
    unpredictable names. The state folder (O(state_dir)) must be one only root can change."
  - Environment and region names must be letters, digits, C(-) and C(_) (they become part of file names), and
    profile names and O(shortcut_folder_name) one folder's name; checked on the controller before the desk is
    contacted.
  - Use M(ioconnect.fleet.system_json) to edit one file in your own playbooks; the role P(ioconnect.fleet.desktop#role)
    wraps this module.
options:
  options_from_vars:
    description:
      - "A variable name prefix: every option the task does not set is taken from the variable of that prefix and
        the option's name, when the desk has it (V(desktop_) reads O(topology) from C(desktop_topology), O(env)
        from C(desktop_env), and so on). Options set in the task win."
      - The action plugin templates those variables itself, once per desk, so a task that takes its thirty options
        from the inventory costs a worker a fraction of what thirty templated arguments would. A variable that is
        null, or an empty string for an option without a default, leaves the option unset.
      - Messages name the variables (C(desktop_server_settings)) rather than the options. The
        P(ioconnect.fleet.desktop#role) role sets V(desktop_).
      - The desk's name is never read from variables.
    type: str
    version_added: 0.2.0
  state:
    description:
      - V(configured) points the installs at io.Manager. V(rolled_back) undoes the last O(rollback_runs) runs of the
        ledger (the topology options are then not needed).
    type: str
    choices: [configured, rolled_back]
    default: configured
  validate_only:
    description:
      - Check every option of the desk on the controller (topology, pairs, the requested settings against
        io.Connect Desktop's schema and the URL policy), and with O(preflight) ask its io.Manager instances whether they
        answer, then stop; the desk is never contacted. C(playbooks/configure.yml) runs this for every desk (without
        preflight) before any desk is touched.
    type: bool
    default: false
  desk:
    description:
      - The desk's name in results and messages. The action plugin sets it to the inventory host name.
    type: str
    default: ''
  topology:
    description:
      - Environment -> region -> io.Manager instance. Each instance is a mapping with C(url), the base URL of
        io.Manager (C(https://iomanager-emea.example.com)); C(server.url) becomes C(<url>/api) (unless C(url) already
        ends in C(/api)).
      - "Optional keys of an instance: C(server_url) (the desktop's C(server.url)), C(crash_url)
        (C(crashReporter.output.serverUrl), default C(<server_url>/crashes)), C(preflight_url) (default
        C(<server_url>/v2/server/info)), C(only_app_store) and C(crashes_to_manager) (booleans overriding
        O(manager_only_app_store) and O(crashes_to_manager) for that pair), C(server) (extra server settings for that
        pair, merged over O(server_settings))."
      - Any other key, a missing C(url), or a pair the desk names that is not here fails before the desk is touched.
    type: dict
    default: {}
  env:
    description:
      - The desk's environment (a key of O(topology)), when O(pairs) is empty.
    type: str
    default: ''
  region:
    description:
      - The desk's region (a key under the environment), when O(pairs) is empty.
    type: str
    default: ''
  pairs:
    description:
      - "Layout V(overrides): every environment/region pair the desk runs, as C({env: PROD, region: EMEA}) items; one
        override file and one shortcut per pair and install. Empty means the one pair of O(env)/O(region)."
    type: list
    elements: dict
    default: []
    suboptions:
      env:
        description: Environment.
        type: str
        required: true
      region:
        description: Region.
        type: str
        required: true
  layout:
    description:
      - V(base) merges the settings into C(system.json) (one pair per desk).
      - V(overrides) writes one C(system-<ENV>-<REGION>.json) per pair beside C(system.json), created when missing
        (C(env), C(region), C(server), C(crashReporter.output) and C(appStores)), plus a Start-menu shortcut per pair
        that selects it with C(configOverrides). Arrays in an override replace the base ones, so C(appStores) is
        written there only when set, and removed otherwise. Override files hold only differences; their rules are
        checked in the desktop's merged view (the override over C(system.json)).
    type: str
    choices: [base, overrides]
    default: base
  set_env_region:
    description:
      - Layout V(base) writes C(env) and C(region) into C(system.json) (io.Connect Desktop keeps user data per
        C(<ENV>-<REGION>)). Override files always carry them.
    type: bool
    default: true
  manager_only_app_store:
    description:
      - 'Make io.Manager the only app store (C("appStores": [])).'
    type: bool
    default: false
  app_stores:
    description:
      - When io.Manager is not the only store, the C(appStores) list to write (it replaces the list). Unset leaves
        C(appStores) alone (layout V(base)) or removes it from the override file (layout V(overrides)).
    type: list
    elements: dict
  crashes_to_manager:
    description:
      - "Send crash reports to io.Manager: C(crashReporter.output) becomes C({type: server, serverUrl: <crash_url>})."
    type: bool
    default: true
  crash_reporter_defaults:
    description:
      - The values a C(crashReporter) created in a C(system.json) that has none gets for the keys io.Connect Desktop's
        schema requires, as O(ioconnect.fleet.system_json#module:crash_reporter_defaults). Unset means the vendor's
        own defaults.
    type: dict
  server_settings:
    description:
      - "Extra C(server) settings for every pair: C(clientAuth) (no-auth, negotiate, kerberos), C(fetchInterval),
        C(startRetries), C(startRetryInterval), C(tokenRefreshInterval) (seconds), C(features), C(requests)
        (milliseconds), C(cache). Checked against io.Connect Desktop's schema on the controller, for every desk,
        before any desk is touched."
    type: dict
    default: {}
  allow_plain_http:
    description:
      - Accept C(http://) io.Manager URLs to hosts that are not loopback.
    type: bool
    default: false
  validate_with:
    description:
      - A folder on the controller with a JSON Schema set (the C(schemas/) folder of C(@interopio/schemas)) every
        merged file must satisfy before anything is written, as O(ioconnect.fleet.system_json#module:validate_with).
        Override files are validated in the desktop's merged view.
      - On POSIX desks the changed files are merged on the desk, validated on the controller, then written only if
        each still holds the bytes that were merged, so a concurrent edit is never overwritten
        (RV(files[].error_kind=conflict)).
    type: path
  profiles:
    description:
      - Whose installs to look for.
      - V(all) (default) looks at every profile folder under O(profile_root) but those in O(skip_profiles); a profile
        without an install simply yields nothing.
      - V(named) looks at the profiles in O(users).
      - V(logged_on) looks at the profiles of the users logged on now (Windows, from C(Win32_UserProfile) with a
        loaded hive; POSIX, from C(who)).
      - V(current) looks at the connecting account's own profile only. Fleets usually connect with a support or
        service account, whose profile holds no io.Connect Desktop, so this is rarely what you want.
      - A profile the connecting account cannot read is reported in RV(profiles) with the reason, and fails the
        desk (nothing is written). Add it to O(skip_profiles), or give the account the right to read it.
    type: str
    choices: [all, named, logged_on, current]
    default: all
  users:
    description:
      - Profile names for O(profiles=named).
    type: list
    elements: str
    default: []
  skip_profiles:
    description:
      - Profile folders never looked into with O(profiles=all) (compared case-insensitively).
    type: list
    elements: str
    default: [All Users, Default, Default User, Public, defaultuser0, WDAGUtilityAccount]
  profile_root:
    description:
      - Folder holding the profiles. Empty means C(C:\Users) on Windows. POSIX desks must set it (for example
        C(/srv/desks/desk-01/Users); see docs/simulated-desks.md).
    type: str
    default: ''
  current_user:
    description:
      - "POSIX desks with O(profiles=current): the profile name under O(profile_root). Empty: the connecting user
        (C(ansible_user)). On Windows the connecting account's profile is asked of the desk."
    type: str
    default: ''
  install_roots:
    description:
      - Extra folders searched for io.Connect Desktop 10.x installs (folders holding C(io-connect-desktop.exe)), for
        example C(C:\Program Files\interop.io) for a repackaged machine-wide install.
      - Absolute paths. Environment variables are refused on Windows, because the search runs as the connecting
        account, whose environment is not the desk users'.
    type: list
    elements: str
    default: []
  install_search_depth:
    description:
      - How deep below each searched folder C(io-connect-desktop.exe) may be (1 is in the folder itself; the default 3 is two folders down).
    type: int
    default: 3
  backup:
    description:
      - Keep a backup of each file before it changes and record it in the ledger (needed to roll back a change to a
        file that existed).
    type: bool
    default: true
  state_dir:
    description:
      - Folder on the desk for the rollback ledger (one C(runs/<run>.json) per configure run that changed something).
        Empty means C(C:\ProgramData\ioconnect.fleet) on Windows and C(/var/lib/ioconnect-fleet) on POSIX; which one
        is decided by the connection's shell, the same way for writing and for rolling back.
    type: str
    default: ''
  shortcuts:
    description:
      - "Layout V(overrides): a Start-menu shortcut per install and pair (a C(.lnk) with
        M(community.windows.win_shortcut) on Windows; a C(.lnk.json) descriptor on POSIX desks). A missing shortcut
        is created by a configure run; an existing one is left as it is. Not in check mode."
    type: bool
    default: true
  shortcut_folder_name:
    description:
      - Start-menu folder of the shortcuts.
    type: str
    default: io.Connect Desktop
  preflight:
    description:
      - Before writing, ask the io.Manager instance of each pair (from the controller, once per instance per run)
        whether it answers, at its C(preflight_url). Any HTTP answer counts, even 401 or 404. A desk whose instance
        does not answer fails before anything is written (or read). With O(validate_only), the preflight is all that
        is done besides the checks.
    type: bool
    default: true
  preflight_timeout:
    description:
      - Seconds the preflight waits for an answer.
    type: int
    default: 10
  preflight_validate_certs:
    description:
      - Check io.Manager's TLS certificate in the preflight.
    type: bool
    default: true
  rollback_runs:
    description:
      - O(state=rolled_back) undoes this many of the last runs recorded in the ledger.
    type: int
    default: 1
extends_documentation_fragment:
  # First the collection's own fragments: ansible-core merges each fragment under what is already there.
  - ioconnect.fleet.secret_keys
  - ioconnect.fleet.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: full
    details: A drift scan. Nothing is written, no ledger entry, no shortcut; RV(files[].drift) is what a run would change.
  diff_mode:
    support: full
    details:
      - Each changed file has a diff as M(ioconnect.fleet.system_json) makes it (unified hunks of the file's text
        around what changed, with the file's line numbers, secrets masked), in RV(diff) and in RV(files[].diff).
        Its size follows the change, not the file.
  platform:
    support: full
    platforms: [posix, windows]
    details: POSIX desks run the module; Windows desks are read and written through C(ansible.windows).
requirements:
  - jsonschema and referencing on the controller.
  - Python on POSIX desks; nothing on Windows desks (C(ansible.windows) and, for shortcuts, C(community.windows)).
notes:
  - io.Connect Desktop reads C(system.json) when it starts. A changed desk reports RV(restart_pending); Ansible never
    restarts it.
seealso:
  - module: ioconnect.fleet.system_json
  - module: ansible.windows.win_powershell
  - ref: ansible_collections.ioconnect.fleet.docsite.scale
    description: Remote operations per desk, and running at thousands of desks.
"""

EXAMPLES = r"""
- name: Point every install of the desk at its io.Manager
  ioconnect.fleet.desk_system_json:
    topology:
      PROD:
        EMEA: {url: https://iomanager-emea.example.com, only_app_store: true}
    env: PROD
    region: EMEA
    server_settings:
      clientAuth: negotiate
  register: desk

- name: Drift scan of the desk (nothing is written)
  ioconnect.fleet.desk_system_json:
    topology: "{{ my_topology }}"
    env: "{{ ioconnect_env }}"
    region: "{{ ioconnect_region }}"
  check_mode: true

- name: A shared desk running two environments, through override files and shortcuts
  ioconnect.fleet.desk_system_json:
    topology: "{{ my_topology }}"
    layout: overrides
    pairs:
      - {env: PROD, region: EMEA}
      - {env: UAT, region: EMEA}

- name: Every option from the inventory's fleet_* variables (fleet_topology, fleet_env, ...), as the desktop role does
  ioconnect.fleet.desk_system_json:
    options_from_vars: fleet_
    backup: false  # set here: wins over fleet_backup

- name: Undo the last configure run on the desk
  ioconnect.fleet.desk_system_json:
    state: rolled_back
"""

RETURN = r"""
status:
  description: The desk's status.
  returned: always
  type: str
  choices: [changed, drifted, compliant, not_installed, failed]
  sample: drifted
desk:
  description: The desk (inventory host name).
  returned: always
  type: str
  sample: lon-prod-01
env_region:
  description: The environment/region pairs of the desk, as C(ENV-REGION).
  returned: always
  type: list
  elements: str
  sample: [PROD-EMEA]
layout:
  description: The layout used.
  returned: always
  type: str
  sample: base
check_mode:
  description: Whether this was a drift scan (nothing written).
  returned: always
  type: bool
profiles:
  description: The profiles looked at, and whether the connecting account could read them.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Profile name.
      type: str
    path:
      description: Profile folder.
      type: str
    readable:
      description: Whether it could be read; an unreadable profile fails the desk.
      type: bool
    reason:
      description: Why not, or a note (C(no such profile folder)).
      type: str
files:
  description: One item per file handled.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The file, as found (a link's own path).
      type: str
    target:
      description: What was read and written (a link's target).
      type: str
    profile:
      description: The profile that owns it, or C((all users)) for an install folder.
      type: str
    root:
      description: The profile or install folder it lives under (for showing relative paths).
      type: str
    product:
      description: C(io.Connect Desktop 9), C(io.Connect Desktop 10) or C(Glue42 Enterprise 3).
      type: str
    kind:
      description: C(base) (system.json) or C(override) (system-<ENV>-<REGION>.json).
      type: str
    pair:
      description: The environment/region pair, C(ENV-REGION).
      type: str
    exists:
      description: Whether the file existed before.
      type: bool
    changed:
      description: Whether it was (in check mode, would be) written.
      type: bool
    drift:
      description: The differences, as M(ioconnect.fleet.system_json) returns them (masked).
      type: list
      elements: dict
    checksum:
      description: SHA-1 of the file as read (C(absent) when it did not exist).
      type: str
    backup_file:
      description: The backup made before writing.
      type: str
    failed:
      description: Whether this file failed.
      type: bool
    error_kind:
      description: On failure, the class of problem (docs/reliability.md, section 12, "Error kinds"); V(unsafe_link)
        for a link, hard link or special file the collection does not follow or read.
      type: str
      choices: [request, preflight, schema, parse, root, encoding, duplicate, missing, conflict, access,
                unsafe_link, io, history, module]
    msg:
      description: What happened to the file, or why it failed.
      type: str
    diff:
      description: With C(--diff), the file's diff as M(ioconnect.fleet.system_json) returns it (C(prepared),
        C(before_header), C(after_header)), masked.
      type: dict
installs:
  description: One item per install found.
  returned: always
  type: list
  elements: dict
  contains:
    user:
      description: The profile, or C((all users)).
      type: str
    product:
      description: The product.
      type: str
    system_json:
      description: Its system.json.
      type: str
    files:
      description: The files handled for it.
      type: list
      elements: str
    changed:
      description: Whether one of them changed.
      type: bool
    drift:
      description: The drifted JSON pointers.
      type: list
      elements: str
changed_files:
  description: The files written (in check mode, that would be).
  returned: always
  type: list
  elements: str
shortcuts_changed:
  description: The shortcuts created.
  returned: always
  type: list
  elements: str
restart_pending:
  description: A file changed, so io.Connect Desktop must restart to use it (never forced).
  returned: always
  type: bool
ledger:
  description: The ledger entry written for this run.
  returned: when a file or shortcut was written
  type: str
  sample: C:\ProgramData\ioconnect.fleet\runs\20261201T205905Z-4f2a9c.json
rolled_back:
  description: With O(state=rolled_back), the runs undone (their run ids).
  returned: state=rolled_back
  type: list
  elements: str
diff:
  description:
    - With C(--diff), one diff per changed file (the list form ansible-core's callbacks print), each as
      M(ioconnect.fleet.system_json) returns it; the same as RV(files[].diff).
  returned: diff mode, when a file changed or would change
  type: list
  elements: dict
error:
  description: The failure messages, joined (empty when none).
  returned: always
  type: str
error_kind:
  description: When the desk fails as a whole (its options, its io.Manager preflight, a profile it cannot read),
    the class of problem (docs/reliability.md, section 12, "Error kinds"); each file's own is RV(files[].error_kind).
  returned: failed
  type: str
  choices: [request, preflight, schema, parse, root, encoding, duplicate, missing, conflict, access,
            unsafe_link, io, history, module]
msg:
  description: What happened on the desk, in one line.
  returned: always
  type: str
  sample: "lon-prod-01 (PROD-EMEA): 2 install(s) (io.Connect Desktop 9); drift in 2 file(s): /server/url."
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError, fail_module
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import policy as masking_policy
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk import topology, workflow
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk.args import VALUE_OPTIONS, argument_spec
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk.posix_desk import PosixDesk


def main():
    """The POSIX adapter of workflow.py: the desk's pairs and requests come resolved from the action plugin
    (_pairs); the whole workflow runs here, on the desk, in one round trip."""
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    name = params["desk"] or "desk"
    try:
        masking = masking_policy(params["secret_keys"])
    except ValueError as exc:
        fail_module(module, str(exc), "request", status="failed", files=[])
    for option in VALUE_OPTIONS:
        module.no_log_values.update(masking.secret_values(params[option]))
    desk = PosixDesk(module)
    merged = {}

    def keep_merged(outcomes):
        # _plan_only: the action plugin validates these documents against validate_with on the controller.
        merged.update((o.target.path, o.plan.merged_view()) for o in outcomes if o.changed)

    try:
        if params["state"] == "rolled_back":
            result = workflow.roll_back(desk, name, params, module.check_mode)
        else:
            names = topology.Names(prefix=params["_variable_prefix"] or "")
            desk_pairs = [workflow.Pair.from_dict(p) for p in params["_pairs"].values()] if params["_pairs"] else \
                workflow.pairs(name, params, names)
            result = workflow.configure(desk, desk_pairs, params, module.check_mode or bool(params["_plan_only"]),
                                        module._diff, names, expected=params["_expected_checksums"],
                                        before_commit=keep_merged if params["_plan_only"] else None)
            for item in result["files"]:
                if item["target"] in merged:
                    item["merged"] = merged[item["target"]]
    except FleetError as exc:
        fail_module(module, "%s: %s" % (name, exc), exc.kind, status="failed", desk=name, files=[], error=str(exc))
    if result.pop("failed"):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
