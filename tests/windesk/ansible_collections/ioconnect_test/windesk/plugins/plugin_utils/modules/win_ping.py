# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible.windows.win_ping (what ansible.builtin.ping runs on a PowerShell host), after win_ping.ps1."""

from __future__ import annotations

from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.basic import basic_params, basic_result

SPEC = {"data": {"type": "str", "default": "pong"}}


def run(ctx):
    params = basic_params(ctx, "win_ping", SPEC)
    if params["data"] == "crash":
        raise Exception("boom")
    return basic_result(ctx, {"ping": params["data"]}, params)
