#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: system_json
short_description: Merge io.Manager settings into io.Connect Desktop's system.json, idempotently
version_added: 0.1.0
author:
  - ioconnect.fleet maintainers (@ioconnect)
description:
  - Points an io.Connect Desktop install at an io.Manager instance by merging the C(server), C(appStores),
    C(crashReporter) and any other requested top-level keys into its C(system.json), or into a
    C(system-<ENV>-<REGION>.json) override file.
  - Only what differs is rewritten. Untouched keys, key order, indentation, newline style (CRLF or LF), the UTF-8
    byte order mark, the trailing newline and non-ASCII characters stay as they were. A file that already holds the
    requested values is not rewritten, whatever its formatting.
  - Mappings are deep-merged; scalars and lists are replaced. C(appStores) follows O(app_stores_mode).
  - A file that is not strict JSON (comments, trailing commas, duplicate keys, C(NaN)), that is not UTF-8, or whose
    root is not an object is never overwritten; the task fails with the file, line and column, and what to do.
  - On POSIX desks the module runs on the desk and replaces the file atomically (a temporary file in the same
    folder, then a rename), keeping its mode and owner.
  - On Windows desks (C(ansible_shell_type=powershell) over WinRM, PSRP or SSH) the action plugin reads the file
    with M(ansible.windows.win_powershell) (the SCAN script), merges on the controller with the same code, and
    writes it with the COMMIT script, which checks that the file did not change meanwhile, creates
    the temporary file and the backup exclusively under random names, and replaces the file in one step
    (ReplaceFile), settling every documented failure so that the file holds its old or its new bytes. Links on the
    way are followed only when an administrator owns them or they stay inside the profile the path belongs to
    (error_kind C(unsafe_link) otherwise). Nothing needs installing on the desk.
  - Requested settings are validated on the controller against the shapes of io.Connect Desktop's schema before any
    desk is read, so a typo fails once, clearly, instead of on every desk.
  - "Secrets are masked in the result, drift list, diff, messages and warnings, with the collection's one masking
    policy (the same rules as the P(ioconnect.fleet.drift_report#callback) callback and
    M(ioconnect.fleet.browser_manager_config)). Secrets are values under secret-like keys (password, passwd,
    passphrase, pwd, secret, token, bearer, apiKey, privateKey, sharedKey, secretKey, accessKey, credential(s),
    connectionString, authorization, cookie, ...; case-insensitive, ignoring C(-), C(_), C(.) and spaces, matched
    at the end of the name), the value of header-style pairs (C({name: Authorization, value: ...}), also with
    C(key) or C(header) for C(name)) and header maps whose header carries credentials (C(Authorization),
    C(Proxy-Authorization), C(Cookie), C(Set-Cookie), C(X-Api-Key), C(X-Auth-Token), ...), credentials inside URLs
    (C(https://user:password@host), to the last C(@) before the path), and credentials in free text
    (C(Bearer ...), C(Basic ...), C(password=...), C(Cookie: ...), connection strings). A value is hidden whole,
    wherever it ends: quoted (C(password = 'two words') with C(\\') escapes, C(\"...\"), ODBC braces
    C(Pwd={a;b})), with C(;), C(&), C(,) or a raw C(@) inside, or in a C(;) list
    (C(Server=db;Password=two words;...)). Add a firm's own key names with O(secret_keys)."
options:
  path:
    description:
      - The file to edit, on the desk. A base C(system.json) or an override file.
      - "io.Connect Desktop 9.x, per-user install (default):
        C(%LocalAppData%\\interop.io\\io.Connect Desktop\\Desktop\\config\\system.json)."
      - "io.Connect Desktop 10.x: C(<install folder>\\config\\system.json), where the install folder holds
        C(io-connect-desktop.exe)."
      - "Glue42 Enterprise 3.x: C(%LocalAppData%\\Tick42\\GlueDesktop\\config\\system.json)."
      - "Per environment and region: C(system-<ENV>-<REGION>.json) beside C(system.json), selected with
        C(configOverrides) on the command line."
      - On Windows, environment variables such as C(%LOCALAPPDATA%) are expanded for the connecting user.
        On POSIX, C(~) and C($VARS) are expanded on the desk. A symbolic link (on its path or at the file) is
        followed and its target edited only when root owns it or it points inside the folder tree of the account
        that owns the file's folder; any other link fails with RV(error_kind=unsafe_link). Inside a folder an
        account other than root owns, the file is read and written as that account.
    type: path
    required: true
  server:
    description:
      - Deep-merged into the top-level C(server) key (C(enabled), C(url), C(fetchInterval), C(startRetries),
        C(startRetryInterval), C(tokenRefreshInterval), C(clientAuth), C(features), C(requests), C(cache)).
      - Intervals under C(server) are in seconds, C(server.requests) timeouts in milliseconds.
      - After the merge C(server) must have a C(url), as io.Connect Desktop's schema requires.
      - "Beyond the vendor's schema, which sets no minimum: C(fetchInterval), C(startRetryInterval),
        C(tokenRefreshInterval) and C(requests.timeout), C(requests.openSessionTimeout),
        C(requests.closeSessionTimeout) must be greater than 0, and C(startRetries) at least 0. An interval or a
        timeout of 0 or less is never meant: at best the desktop ignores it, at worst every desk polls io.Manager,
        retries or refreshes its token without pause, or times every request out at once. A negative retry count
        has no meaning. The task fails before any desk is read with a message that names the field and gives the
        reason, for example C(server.fetchInterval: must be greater than 0, not -5) followed by why."
    type: dict
  crash_reporter:
    description:
      - "Deep-merged into the top-level C(crashReporter) key, typically
        C({output: {type: server, serverUrl: <io.Manager>/api/crashes}})."
      - When a base file has no C(crashReporter) yet, the new one gets O(crash_reporter_defaults) under what this
        option asks, so that it holds the C(companyName), C(productName), C(folderPath), C(enabled) and C(output)
        io.Connect Desktop's schema requires.
    type: dict
  crash_reporter_defaults:
    description:
      - The values a C(crashReporter) created in a base file gets for the keys the vendor's schema requires, under
        what O(crash_reporter) asks (the task's values win).
      - "Unset means io.Connect Desktop's own defaults: C(enabled: true),
        C(folderPath: '%IO_CD_USER_DATA_DIR%/crashes'), C(companyName: Interop Inc),
        C(productName: io.Connect Desktop). C({}) gives a new C(crashReporter) only what O(crash_reporter) asks
        (the task then fails unless that holds every required key)."
      - Not used for override files (they hold only differences) nor for files that already have a C(crashReporter).
      - Must not hold C(output); that is O(crash_reporter)'s.
    type: dict
  settings:
    description:
      - Any other top-level keys, deep-merged (for example C(env), C(region), C(layouts), C(applicationPreferences)).
      - C(server), C(crashReporter) and C(appStores) must be given with their own options.
    type: dict
  app_stores:
    description:
      - App stores for the C(appStores) list; how they are applied is set by O(app_stores_mode).
      - Each store is a mapping with a C(type) (C(path), C(rest), C(server), ...), as io.Connect Desktop documents.
      - An empty list with O(app_stores_mode=replace) makes io.Manager the only app store.
      - "Beyond the vendor's schema: a REST store's C(details.pollInterval), C(details.requestTimeout),
        C(details.startRetryInterval) and C(details.readCacheAfter) (milliseconds) must be greater than 0, and
        C(details.startRetries) at least 0, for the reasons given under O(server): a store polled without pause,
        or a required store (the default) whose every request fails at once and stops the desktop at start-up."
    type: list
    elements: dict
  app_stores_mode:
    description:
      - V(replace) makes C(appStores) exactly O(app_stores).
      - V(present) ensures each listed store, matched by C(type) plus C(details.url) or C(details.path); a matching
        store is deep-merged in place (keeping the desk's spelling of its url or path, so a spelling difference is
        never drift), a missing one is appended, other stores are kept where they are.
      - How stores match follows the desk's platform. On Windows desks folder paths match case-insensitively,
        with C(/) and C(\) alike and a trailing separator ignored (C(c:\apps\config) is C(C:\Apps\Config\)).
        On POSIX desks paths are case-sensitive and only a trailing C(/) is ignored. URLs match whatever the case
        of their scheme and host, with the default port (80 for http, 443 for https) and a trailing slash ignored;
        their path and query stay case-sensitive.
      - V(absent) removes the listed stores (matched the same way) and keeps the rest.
      - V(replace) writes O(app_stores) exactly as given, spelling included.
    type: str
    choices: [replace, present, absent]
    default: replace
  remove:
    description:
      - RFC 6901 JSON pointers of values to delete, for example C(/server) to disconnect a desk from io.Manager,
        or C(/crashReporter/output/serverUrl). A pointer to nothing is not an error.
      - "A pointer may not name an array element by index (C(/appStores/0)): that would delete another element on
        every run. Remove app stores with O(app_stores) and O(app_stores_mode=absent)."
      - A pointer may not delete something the same task sets.
    type: list
    elements: str
    default: []
  when_missing:
    description:
      - What to do when O(path) does not exist.
      - V(fail) fails the task. V(skip) reports the desk as ok and unchanged, saying io.Connect Desktop is not
        installed there. V(create) creates the file (UTF-8 without BOM, 4-space indent) from the requested settings;
        its folder must exist on POSIX desks.
    type: str
    choices: [fail, skip, create]
    default: fail
  backup:
    description:
      - Keep a timestamped copy of the file before it is changed; its path is returned as RV(backup_file).
    type: bool
    default: false
  validate_with:
    description:
      - A folder on the controller holding a JSON Schema set for the whole document, such as the C(schemas/) folder
        of the vendor's C(@interopio/schemas) npm package. Every C(*.json) file of the folder is registered under
        its file name and its C($id), so C($ref)s between them resolve offline.
      - The merged document must validate before anything is written; otherwise the task fails naming the JSON
        pointer and the rule, and the desk's file is left unchanged.
      - On POSIX desks the file is then read with M(ansible.builtin.slurp), merged and validated on the controller,
        and written by the module with O(expected_checksum) set, so a concurrent edit is never overwritten.
    type: path
  validate_schema:
    description:
      - The file name, inside O(validate_with), of the schema the document must satisfy.
    type: str
    default: system.json
  allow_plain_http:
    description:
      - io.Manager URLs (C(server.url), C(crashReporter.output.serverUrl), REST app store URLs) must be C(https://),
        or C(http://) to a loopback host. Set this to V(true) to allow C(http://) to other hosts.
      - URLs with embedded credentials (C(https://user:pass@host)) are always refused.
    type: bool
    default: false
  kind:
    description:
      - Whether O(path) is a base file (a whole C(system.json)) or an override file (a C(system-<ENV>-<REGION>.json)
        that io.Connect Desktop merges over the C(system.json) of the same folder when a shortcut names it with
        C(configOverrides)).
      - V(auto) tells them apart by the file name; V(base) and V(override) say it explicitly.
      - "Override files hold only differences: the rules for a whole document (C(server.url) required, the keys a
        C(crashReporter) needs) are checked on the desktop's merged view instead, the override merged over the
        C(system.json) beside it (objects merged key by key, arrays replaced), when that file exists. Errors then
        name the merged pointer. With O(validate_with), the merged view is what is validated."
    type: str
    choices: [auto, base, override]
    default: auto
  expected_checksum:
    description:
      - The SHA-1 checksum the file must still have (V(absent) for a file that must not exist yet); otherwise the task
        fails with RV(error_kind=conflict) and writes nothing.
      - Optimistic locking for a read-merge-write across several tasks, for example with a checksum from
        M(ansible.builtin.stat). The action plugin sets it itself when O(validate_with) is used on POSIX desks.
    type: str
extends_documentation_fragment:
  # First the collection's own fragments: ansible-core merges each fragment under what is already there.
  - ioconnect.fleet.secret_keys
  - ioconnect.fleet.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  # Unqualified, as ansible-core writes it: the FQCN form resolves to the ansible.builtin.files fragment.
  - action_common_attributes.files
attributes:
  action:
    support: full
    details: An action plugin validates the request on the controller and handles Windows desks.
  check_mode:
    support: full
    details: Never writes; reports RV(ignore:changed) and RV(drift) exactly as a real run would.
  diff_mode:
    support: full
    details:
      - The diff is unified hunks of the file's own text around what changed, 3 lines of context, with the file's
        line numbers (byte order mark and CRLF included), secret values masked in place, so every line of a hunk
        other than a masked value is a line of the file. It grows with the change, not with the file (a 50 MB file
        changed in one key shows that key's lines); a line longer than 400 characters (a minified file) is cut
        around its changes.
  platform:
    support: full
    platforms: [posix, windows]
    details: POSIX desks run the module; Windows desks are read and written through C(ansible.windows).
  safe_file_operations:
    support: full
    details:
      - POSIX writes go through a temporary file in the same folder and an atomic rename.
      - Windows writes go to a temporary file beside the target, then replace it in one step.
  vault:
    support: none
requirements:
  - jsonschema and referencing on the controller (for request validation and O(validate_with)).
  - Python on POSIX desks; nothing on Windows desks.
notes:
  - io.Connect Desktop reads system.json when it starts, so a change takes effect after a restart.
  - Override files replace arrays rather than merging them, so an override's C(appStores) replaces the base list.
seealso:
  - name: io.Connect Desktop system configuration
    description: The vendor's documentation of system.json.
    link: https://docs.interop.io/desktop/developers/configuration/system/index.html
  - module: ansible.windows.win_powershell
  - ref: ansible_collections.ioconnect.fleet.docsite.scale
    description: Remote operations per desk, and running at thousands of desks.
"""

EXAMPLES = r"""
- name: Point the desk at the EMEA production io.Manager
  ioconnect.fleet.system_json:
    path: '%LOCALAPPDATA%\interop.io\io.Connect Desktop\Desktop\config\system.json'
    server:
      enabled: true
      url: https://iomanager-emea.example.com/api
    crash_reporter:
      output:
        type: server
        serverUrl: https://iomanager-emea.example.com/api/crashes
    backup: true

- name: Make io.Manager the only app store
  ioconnect.fleet.system_json:
    path: /opt/io-connect/config/system.json
    server:
      enabled: true
      url: https://iomanager.example.com/api
    app_stores: []

- name: Ensure a REST app store is present, keeping the others
  ioconnect.fleet.system_json:
    path: '{{ ioconnect_system_json }}'
    app_stores:
      - type: rest
        details:
          url: https://apps.example.com/api/apps
          auth: negotiate
    app_stores_mode: present

- name: Disconnect a desk from io.Manager
  ioconnect.fleet.system_json:
    path: '{{ ioconnect_system_json }}'
    remove:
      - /server

- name: Write a per-environment override file, created if missing
  ioconnect.fleet.system_json:
    path: 'C:\Program Files\interop.io\io.Connect Desktop\config\system-UAT-AMER.json'
    when_missing: create
    settings:
      env: UAT
      region: AMER
    server:
      enabled: true
      url: https://iomanager-uat-amer.example.com/api

- name: Drift scan (no desk is changed)
  ioconnect.fleet.system_json:
    path: '{{ ioconnect_system_json }}'
    server:
      enabled: true
      url: https://iomanager.example.com/api
    when_missing: skip
  check_mode: true
  register: scan

- name: Refuse to write anything the vendor's schema rejects
  ioconnect.fleet.system_json:
    path: '{{ ioconnect_system_json }}'
    server:
      url: https://iomanager.example.com/api
    validate_with: '{{ playbook_dir }}/files/interopio-schemas/schemas'
"""

RETURN = r"""
path:
  description: The file, as given in O(path).
  returned: always
  type: str
  sample: C:\Users\jdoe\AppData\Local\interop.io\io.Connect Desktop\Desktop\config\system.json
exists:
  description: Whether the file existed before the task.
  returned: always
  type: bool
  sample: true
drift:
  description:
    - One item per difference between the file and the requested settings; empty when the desk is compliant.
    - Arrays are compared whole, so a changed C(appStores) is one item.
    - Secrets (the masking rules above, and O(secret_keys)) are C(********); a changed secret shows
      C(******** (changed)) after, also inside a replaced list (a header-style pair whose value changed).
  returned: always
  type: list
  elements: dict
  contains:
    pointer:
      description: RFC 6901 JSON pointer of the value.
      type: str
      sample: /server/url
    op:
      description: V(add), V(replace) or V(remove).
      type: str
      sample: replace
    before:
      description: The value in the file (masked), or null for V(add).
      type: raw
      sample: http://old-iomanager:4356/api
    after:
      description: The requested value (masked), or null for V(remove).
      type: raw
      sample: https://iomanager-emea.example.com/api
  sample:
    - pointer: /server/url
      op: replace
      before: http://old-iomanager:4356/api
      after: https://iomanager-emea.example.com/api
backup_file:
  description: The copy made before writing, when O(backup=true) and the file changed.
  returned: changed and O(backup=true)
  type: str
  sample: /home/jdoe/.config/io-connect/system.json.12345.2026-11-24@10:15:01~
msg:
  description: What happened, in one line.
  returned: always
  type: str
  sample: "system.json updated: 2 setting(s) drifted (/server/url, /crashReporter/output/serverUrl)"
error_kind:
  description:
    - On failure, the class of problem, for playbooks that branch on it; docs/reliability.md (section 12, "Error
      kinds") says what each one means.
    - V(unsafe_link) is a link, hard link or special file the collection does not follow or read, such as a link owned
      by a user and pointing out of the profile; the message names the link, its owner and its target.
  returned: failed
  type: str
  choices: [request, preflight, schema, parse, root, encoding, duplicate, missing, conflict, access,
            unsafe_link, io, history, module]
  sample: parse
diff:
  description:
    - What changed in the file, for C(--diff), as ansible-core's callbacks print it (C(prepared)), as unified hunks of
      the file's text before (the desk's file as it is, empty for a file that does not exist yet) and after (the
      bytes that will be written), decoded from UTF-8 with their byte order mark, newlines and indentation as they
      are, 3 lines of context, the file's line numbers. Its size follows the change, not the file; a line longer
      than 400 characters is cut around its changes (an ellipsis marks what is left out).
    - Secrets (see the masking rules above and O(secret_keys)) are masked in place, only inside their own value
      (C("********")), so every other line is verbatim the file's. A secret whose value changes shows
      C("******** (changed)") after.
    - C(before_header) and C(after_header) name the file.
  returned: changed and diff mode
  type: dict
  contains:
    prepared:
      description: The unified diff, headers (C(--- <file> (before)), C(+++ <file> (after))) and hunks.
      type: str
      sample: "--- /home/kim/system.json (before)\n+++ /home/kim/system.json (after)\n@@ -9,2 +9,2 @@\n..."
    before_header:
      description: The file, with C((before)), or C((absent)) when it did not exist.
      type: str
    after_header:
      description: The file, with C((after)).
      type: str
  sample:
    before: |
      {
        "region": "EMEA",
        "server": {"url": "http://old:4356/api"},
        "auth": {"password": "********"}
      }
    after: |
      {
        "region": "EMEA",
        "server": {"url": "https://iomanager.example.com/api"},
        "auth": {"password": "******** (changed)"}
      }
    before_header: /opt/io-connect/config/system.json (before)
    after_header: /opt/io-connect/config/system.json (after)
"""


from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.parameters import sanitize_keys

from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.args import VALUE_OPTIONS, argument_spec
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.checksum import checksum
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk.posix_desk import read_one, replace_one
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.engine import base_path, plan
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError, fail_module
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.merge import Request, document_kind


def _read(module, given):
    """(the path with the links the rule allows resolved, the file's bytes or None when it does not exist), read as
    the owner of the folder it is in (desk/posix_desk.py)."""
    try:
        return read_one(given)
    except FleetError as exc:
        hint = "; check path (it should name system.json)" if str(exc).endswith("not a file") else ""
        # io is the documented kind for every read failure; unsafe_link for a link the rule refuses
        fail_module(module, str(exc) + hint, exc.kind if exc.kind == "unsafe_link" else "io", path=given)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    try:
        request = Request.from_params(params)
    except FleetError as exc:
        fail_module(module, str(exc), exc.kind, path=params["path"])
    # Everything the module returns (result, diff, messages, invocation at -vvv) is scrubbed of these. The
    # invocation shows params, whose mapping keys Ansible does not scrub: a credential typed as a key is.
    for option in VALUE_OPTIONS:
        module.no_log_values.update(request.masking.secret_values(params[option]))
    for option in VALUE_OPTIONS:
        params[option] = sanitize_keys(params[option], module.no_log_values)

    given = params["path"]
    path, raw = _read(module, given)

    expected = params["expected_checksum"]
    if expected is not None and checksum(raw) != expected:
        fail_module(module, "%s changed on the desk after it was read (checksum %s, expected %s): another process is "
                    "editing it. Nothing was written; run the task again." % (given, checksum(raw), expected),
                    "conflict", path=given)

    base = None
    if document_kind(given, params["kind"]) == "override":
        # The desktop merges an override over the system.json beside it: its rules hold for that merged view.
        base = _read(module, base_path(given))[1]
    try:
        result_plan = plan(raw, request, given, params["when_missing"], kind=params["kind"], base=base)
    except FleetError as exc:
        fail_module(module, str(exc), exc.kind, path=given)

    result = result_plan.result(diff_mode=module._diff)

    if result_plan.changed and not module.check_mode:
        try:
            backup_file = replace_one(path, result_plan.new_bytes, result_plan.original_checksum, given,
                                      raw is not None and params["backup"])
        except FleetError as exc:
            fail_module(module, str(exc), exc.kind, path=given)
        if backup_file:
            result["backup_file"] = backup_file
    module.exit_json(**result)


if __name__ == "__main__":
    main()
