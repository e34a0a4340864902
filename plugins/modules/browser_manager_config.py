#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: browser_manager_config
short_description: Render the io.Manager C(manager) configuration of an io.Connect Browser Main app
version_added: 0.1.0
author:
  - ioconnect.fleet maintainers (@ioconnect)
description:
  - Writes the C(manager) object that an io.Connect Browser Main app passes to C(IOBrowserPlatform()) of
    C(@interopio/browser-platform), as a JSON file the app fetches at start-up or as an ES module it imports.
  - "The object is validated on the controller with C(jsonschema) before anything is sent to the target, so
    web servers and build hosts need nothing but Python. Every error names the field, for example
    C(manager.auth.basic.password: must be a non-empty string)."
  - Rendering is deterministic (fixed key order, two-space indent, UTF-8 without BOM, trailing newline). The
    file is rewritten only when its bytes differ from the rendering, so a hand-reformatted file counts as drift
    and is rewritten.
  - Credentials (C(auth.basic.password), C(auth.token.bearer), header values whose names look secret such as
    C(Authorization), C(Cookie) or C(X-Api-Key), credentials in URLs and anything else the collection's one masking
    policy hides, see M(ioconnect.fleet.system_json), plus O(secret_keys)) are never logged; diffs and results
    show them as C(********), or C(******** (changed)) when their value changes.
  - The file is written to a temporary file and moved into place atomically.
  - "Note: whatever this file holds is readable by every browser that loads the Main app. Basic credentials in
    it are not secret from users of the app; Ansible only keeps them out of logs."
extends_documentation_fragment:
  # First the collection's own fragments: ansible-core merges each fragment under what is already there.
  - ioconnect.fleet.secret_keys
  - ioconnect.fleet.attributes
  - ansible.builtin.files
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  # Unqualified, as ansible-core writes it: the FQCN form resolves to the ansible.builtin.files fragment.
  - action_common_attributes.files
options:
  path:
    description:
      - The file to write, for example V(/var/www/main-app/ioconnect/manager.json).
      - Its directory must exist.
    type: path
    required: true
  format:
    description:
      - V(json) writes the object as strict JSON, for C(fetch()).
      - V(esm) writes an ES module, for C(import) by the Main app or a bundler. See O(esm_export).
    type: str
    choices: [json, esm]
    default: json
  esm_export:
    description:
      - With O(format=esm), V(default) writes C(export default {...};).
      - V(named) writes C(export const manager = {...};) followed by C(export default manager;).
    type: str
    choices: [default, named]
    default: default
  write_defaults:
    description:
      - Write the platform's timing defaults for the keys left out, so the file states the behaviour the app
        gets and a change of the library's defaults does not change it silently. These are
        C(fetchIntervalMS=60000), C(tokenRefreshIntervalMS=3600000) and C(requests.timeout),
        C(requests.openSessionTimeout), C(requests.closeSessionTimeout), each C(10000).
      - C(requests.timeout) is not filled in when the deprecated C(responseTimeoutMS) is set.
      - Deprecated keys (C(critical)), C(cache), C(features) and C(auth.includeCredentials) are never filled in;
        the platform applies its own defaults (C(false), C(enabled=true), C(clearOld=false), all features
        C(true), C(false)).
      - With V(false) only the keys given are written.
    type: bool
    default: true
  allow_plain_http:
    description:
      - Accept an C(http://) O(manager.url) whose host is not a loopback address. Credentials and tokens then
        travel in clear text.
      - C(https://) URLs and C(http://) URLs to C(localhost), C(127.0.0.0/8) or C(::1) are always accepted.
    type: bool
    default: false
  backup:
    description:
      - Keep a timestamped copy of the previous file before replacing it.
    type: bool
    default: false
  manager:
    description:
      - The C(manager) object of C(@interopio/browser-platform) 4.4.0 (C(Manager.Config) in
        C(browser.platform.d.ts)). Keys are the library's, in camelCase.
      - Unknown keys are refused, so a misspelt key fails instead of being ignored by the browser.
    type: dict
    required: true
    suboptions:
      url:
        description:
          - URL of io.Manager's API, for example V(https://manager.example.com/api).
          - Must be absolute C(http://) or C(https://), must not carry C(user:password@); see O(allow_plain_http).
        type: str
        required: true
      auth:
        description:
          - User authentication. Holds at most one of O(manager.auth.basic), O(manager.auth.token) or
            O(manager.auth.username); an empty mapping is valid for servers without authentication.
        type: dict
        required: true
        suboptions:
          username:
            description:
              - User name sent in the C(user) header when io.Manager runs without authentication.
            type: str
          basic:
            description:
              - Basic authentication; both keys required and non-empty.
            type: dict
            suboptions:
              username:
                description: User name for Basic authentication.
                type: str
                required: true
              password:
                description:
                  - Password for Basic authentication. Use Ansible Vault. Never logged.
                type: str
                required: true
          token:
            description:
              - Bearer token authentication (for example Auth0).
            type: dict
            suboptions:
              bearer:
                description:
                  - "The token, sent as C(Authorization: Bearer). Required here, though the library's types make
                    it optional. Use Ansible Vault. Never logged."
                type: str
                required: true
          includeCredentials:
            description:
              - Make cross-site requests with credentials (C(withCredentials)). The platform's default is
                C(false).
            type: bool
      headers:
        description:
          - Header name to value, sent with every request. Values must be strings without line breaks.
          - The platform copies these over the headers it builds from O(manager.auth), whatever their letter
            case, so a header that would replace one of those is refused, naming it. C(Authorization) is refused
            beside O(manager.auth.basic) or O(manager.auth.token), C(user) beside O(manager.auth.username), and
            C(serverx-token) (the io.Manager session token, which the platform sets itself) always.
          - C(Authorization) is accepted when O(manager.auth) holds neither C(basic) nor C(token), for servers
            with their own authentication scheme. C(Proxy-Authorization) replaces nothing the platform sets and
            is accepted, but browsers never let a page send C(Proxy-*) or C(Cookie) headers.
          - The same name twice in different letter cases is refused (only one would be sent).
          - Values of secret-looking headers (C(Authorization), C(X-Api-Key), ...) are masked in output.
        type: dict
      fetchIntervalMS:
        description:
          - Milliseconds between fetches of apps and Layouts. Integer from C(1) to C(2147483647).
          - C(0) is refused. The platform reads this setting as C(fetchIntervalMS || 60000), so C(0) would not
            stop polling, it would silently poll at the default.
          - The platform's default is C(60000); see O(write_defaults).
        type: int
      tokenRefreshIntervalMS:
        description:
          - Milliseconds between refreshes of the io.Manager token. Integer from C(1) to C(2147483647).
          - C(0) is refused, for the same reason as for O(manager.fetchIntervalMS).
          - The platform's default is C(3600000).
        type: int
      requests:
        description:
          - Request timeouts, in milliseconds, each an integer from C(0) to C(2147483647), defaulting to
            C(10000) in the platform.
          - C(0) means no time limit. The platform keeps a C(0) here (it reads these settings with C(??), not
            C(||)) and hands it to the browser's C(XMLHttpRequest), where a timeout of C(0) means wait as long
            as the server and the browser allow.
        type: dict
        suboptions:
          timeout:
            description:
              - Time to wait for any response from io.Manager. C(0) means no time limit.
            type: int
          openSessionTimeout:
            description:
              - Time to wait for the C(openSession) answer before continuing from the cache. C(0) means no time
                limit, so the Main app never falls back to the cache while io.Manager does not answer.
            type: int
          closeSessionTimeout:
            description:
              - Time to wait for the C(closeSession) answer. C(0) means no time limit.
            type: int
      cache:
        description:
          - Local persistence of data received from io.Manager.
        type: dict
        suboptions:
          enabled:
            description: Cache data locally (platform default C(true)).
            type: bool
          clearOld:
            description: Delete caches of earlier sessions when a session opens (platform default C(false)).
            type: bool
      features:
        description:
          - Which stores are pulled from io.Manager (platform default, all C(true)).
        type: dict
        suboptions:
          applicationsStore:
            description: Pull app definitions.
            type: bool
          layoutsStore:
            description: Pull Layouts.
            type: bool
          preferencesStore:
            description: Pull app preferences.
            type: bool
      critical:
        description:
          - Deprecated by the library. Accepted and written as given, with a warning.
        type: bool
      responseTimeoutMS:
        description:
          - Deprecated by the library in favour of O(manager.requests.timeout). Accepted and written as given,
            with a warning.
          - Used by the platform only when O(manager.requests.timeout) is not set. C(0) means no time limit, as
            there.
        type: int
attributes:
  action:
    support: full
    details: An action plugin validates O(manager) on the controller, then runs this module on the target.
  check_mode:
    support: full
    details: Reports whether the file would change and shows the masked diff; writes nothing.
  diff_mode:
    support: full
    details: Shows the masked previous and new file text.
  platform:
    support: full
    platforms: posix
    details: Web servers and build hosts with Python. The controller needs C(jsonschema).
  safe_file_operations:
    support: full
    details: Written through a temporary file and an atomic rename.
  vault:
    support: none
notes:
  - The action plugin of the same name validates O(manager) with C(jsonschema) on the controller and fails there,
    before the target is contacted. The module validates again when C(jsonschema) is importable on the target.
  - A file that is not one this module can read is replaced, and its previous content is not shown in the diff,
    since it may hold credentials in places the module cannot locate.
seealso:
  - name: io.Connect Browser, io.Manager connection
    description: The vendor's page on the C(manager) object.
    link: https://docs.interop.io/manager/
"""

EXAMPLES = r"""
- name: Point the Main app at the EMEA production io.Manager (Basic auth from Vault)
  ioconnect.fleet.browser_manager_config:
    path: /var/www/main-app/ioconnect/manager.json
    owner: root
    group: www-data
    mode: "0644"
    backup: true
    manager:
      url: https://manager-emea.example.com/api
      auth:
        basic:
          username: main-app
          password: "{{ vault_manager_emea_password }}"
      fetchIntervalMS: 30000

- name: Bearer token, as an ES module for the bundler
  ioconnect.fleet.browser_manager_config:
    path: /srv/build/main-app/src/manager.config.js
    format: esm
    esm_export: named
    manager:
      url: https://manager.example.com/api
      auth:
        token:
          bearer: "{{ vault_manager_bearer }}"
      headers:
        X-Client: main-app
      cache:
        clearOld: true

- name: io.Manager with its own authentication scheme (no basic or token, so an Authorization header is allowed)
  ioconnect.fleet.browser_manager_config:
    path: /var/www/main-app/ioconnect/manager.json
    manager:
      url: https://manager.example.com/api
      auth: {}
      headers:
        Authorization: "Custom {{ vault_manager_custom_credential }}"
      requests:
        openSessionTimeout: 5000

- name: Local io.Manager without authentication, only the keys given
  ioconnect.fleet.browser_manager_config:
    path: /tmp/main-app/manager.json
    write_defaults: false
    manager:
      url: http://127.0.0.1:4356/api
      auth:
        username: alice
"""

RETURN = r"""
path:
  description: The file, as given.
  returned: always
  type: str
  sample: /var/www/main-app/ioconnect/manager.json
format:
  description: The format written.
  returned: always
  type: str
  sample: json
manager:
  description: The object as written to the file, credentials masked.
  returned: success
  type: dict
  sample:
    url: https://manager-emea.example.com/api
    auth:
      basic:
        username: main-app
        password: "********"
    fetchIntervalMS: 30000
    tokenRefreshIntervalMS: 3600000
    requests:
      timeout: 10000
      openSessionTimeout: 10000
      closeSessionTimeout: 10000
defaults_applied:
  description: The fields filled in from the platform's defaults (see O(write_defaults)).
  returned: success
  type: list
  elements: str
  sample: [manager.tokenRefreshIntervalMS, manager.requests.timeout]
exists:
  description: Whether the file existed before the task.
  returned: success
  type: bool
backup_file:
  description: The backup made before writing.
  returned: changed and O(backup=true) and the file existed
  type: str
  sample: /var/www/main-app/ioconnect/manager.json.2412.2026-11-24@16:00:00~
errors:
  description: Every validation problem, each naming the field.
  returned: failed validation
  type: list
  elements: str
  sample:
    - "manager.auth.basic.password: must be a non-empty string"
    - "manager.fetchIntervalMS: must be a positive integer (milliseconds, at least 1), got 0 (the platform reads 0 as its
      default, 60000 ms; leave the key out for the default)"
    - "manager.headers.Authorization: would replace the Authorization header that the platform builds from
      manager.auth.basic (it copies manager.headers over its auth headers, in any letter case); remove it from
      manager.headers and keep the value in manager.auth.basic"
error_kind:
  description:
    - On failure, the class of problem (docs/reliability.md, section 12, "Error kinds"). This module fails with
      V(schema) (invalid manager object), V(request) (jsonschema missing on the controller), V(missing) (directory
      absent) or V(io).
  returned: failure
  type: str
  choices: [request, preflight, schema, parse, root, encoding, duplicate, missing, conflict, access,
            unsafe_link, io, history, module]
msg:
  description: Human summary; on failure names the file and every invalid field.
  returned: always
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.ioconnect.fleet.plugins.module_utils.browser_manager import config as bm
from ansible_collections.ioconnect.fleet.plugins.module_utils.browser_manager.args import argument_spec
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.atomic_write import WriteError, write_file
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import fail_module
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import policy as masking_policy


def run(module: AnsibleModule) -> dict:
    params = module.params
    path = params["path"]
    manager = bm.strip_none(params["manager"])
    try:
        masking = masking_policy(params["secret_keys"])
    except ValueError as exc:
        fail_module(module, "%s: %s" % (path, exc), "schema", path=path)
    # Header values such as Authorization are secrets too, and have no argument-spec entry to mark.
    module.no_log_values.update(masking.secret_values(manager))

    errors, warnings = bm.validate(manager, params["allow_plain_http"], use_jsonschema=None)
    if errors:
        fail_module(module, "%s: the manager configuration is invalid, nothing was written: %s"
                    % (path, "; ".join(errors)), "schema", errors=errors, path=path)
    for warning in warnings:
        module.warn(warning)

    doc, applied = bm.normalize(manager, params["write_defaults"])
    fmt, export = params["format"], params["esm_export"]
    content = bm.render(doc, fmt, export)
    data = content.encode("utf-8")

    result = dict(
        changed=False,
        path=path,
        format=fmt,
        manager=masking.mask_value(doc),
        defaults_applied=applied,
    )

    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory) and module.check_mode:
        # In check mode an earlier task (the role's directory task) may only have pretended to create it.
        result.update(changed=True, exists=False,
                      msg="%s would be written (its directory %s does not exist yet)" % (path, directory))
        if module._diff:
            result["diff"] = dict(before="", after=bm.masked_text(doc, params["format"], params["esm_export"],
                                                                  policy=masking),
                                  before_header="%s (absent)" % path, after_header="%s (after)" % path)
        return result
    if not os.path.isdir(directory):
        fail_module(module, "%s: directory %s does not exist; create it first (the ioconnect.fleet.browser_manager "
                    "role does)" % (path, directory), "missing", path=path)
    if os.path.isdir(path):
        fail_module(module, "%s: is a directory; give the path of the file to write" % path, "io", path=path)

    exists = os.path.exists(path)
    before_bytes = b""
    if exists:
        try:
            with open(path, "rb") as handle:
                before_bytes = handle.read()
        except OSError as exc:
            fail_module(module, "%s: cannot be read: %s" % (path, to_native(exc)), "io", path=path)
    result["exists"] = exists
    changed = before_bytes != data or not exists

    if module._diff and changed:
        before_text, before_doc, canonical = "", None, True
        if exists:
            before_text, before_doc, canonical = bm.masked_before(before_bytes.decode("utf-8", errors="replace"),
                                                                  masking)
        header = "%s (before%s)" % (path, "" if canonical else ", re-rendered for display: its bytes differ")
        result["diff"] = dict(
            before=before_text,
            after=bm.masked_text(doc, fmt, export, previous=before_doc, policy=masking),
            before_header=header if exists else "%s (absent)" % path,
            after_header="%s (after)" % path,
        )

    if changed:
        if params["backup"] and exists and not module.check_mode:
            result["backup_file"] = module.backup_local(path)
        if not module.check_mode:
            try:
                write_file(module, path, data, unsafe_writes=module.params["unsafe_writes"])
            except WriteError as exc:
                fail_module(module, "%s: cannot be written: %s" % (path, exc), exc.kind, path=path)

    if exists or not module.check_mode:
        file_args = module.load_file_common_arguments(params, path=path)
        changed = module.set_fs_attributes_if_different(file_args, changed)

    result["changed"] = changed
    if changed:
        result["msg"] = "%s %s" % (path, "would be written" if module.check_mode else "written")
    else:
        result["msg"] = "%s already holds this configuration" % path
    return result


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), add_file_common_args=True, supports_check_mode=True)
    module.exit_json(**run(module))


if __name__ == "__main__":
    main()
