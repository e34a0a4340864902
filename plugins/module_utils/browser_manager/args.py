# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument spec of ioconnect.fleet.browser_manager_config, shared by the module and its action plugin."""

from __future__ import annotations

from ansible_collections.ioconnect.fleet.plugins.module_utils.browser_manager import config as bm


def manager_spec() -> dict:
    """The argument spec of the manager option; credentials are no_log suboptions."""
    timer = dict(type="int")
    return dict(
        url=dict(type="str", required=True),
        auth=dict(
            type="dict",
            required=True,
            options=dict(
                username=dict(type="str"),
                basic=dict(
                    type="dict",
                    options=dict(
                        username=dict(type="str", required=True),
                        password=dict(type="str", required=True, no_log=True),
                    ),
                ),
                token=dict(type="dict", no_log=False, options=dict(bearer=dict(type="str", required=True, no_log=True))),
                includeCredentials=dict(type="bool"),
            ),
        ),
        headers=dict(type="dict"),
        fetchIntervalMS=timer,
        tokenRefreshIntervalMS=dict(type="int", no_log=False),
        requests=dict(
            type="dict",
            options=dict(timeout=timer, openSessionTimeout=timer, closeSessionTimeout=timer),
        ),
        cache=dict(type="dict", options=dict(enabled=dict(type="bool"), clearOld=dict(type="bool"))),
        features=dict(
            type="dict",
            options=dict(
                applicationsStore=dict(type="bool"),
                layoutsStore=dict(type="bool"),
                preferencesStore=dict(type="bool"),
            ),
        ),
        critical=dict(type="bool"),
        responseTimeoutMS=timer,
    )


def argument_spec(manager_options: bool = True) -> dict:
    """The module's options. The action plugin checks them without ``manager``'s suboptions
    (``manager_options=False``): it validates the object itself, with jsonschema, whose messages name the field
    and say what is wrong with it."""
    return dict(
        path=dict(type="path", required=True),
        format=dict(type="str", choices=list(bm.FORMATS), default="json"),
        esm_export=dict(type="str", choices=list(bm.ESM_EXPORTS), default="default"),
        write_defaults=dict(type="bool", default=True),
        allow_plain_http=dict(type="bool", default=False),
        backup=dict(type="bool", default=False),
        manager=dict(type="dict", required=True, **(dict(options=manager_spec()) if manager_options else {})),
        # Names of keys, not secrets: no_log=False tells ansible-test's no_log heuristic ("key") so.
        secret_keys=dict(type="list", elements="str", default=[], no_log=False),
    )
