# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Task arguments as plain JSON values, for the code that merges them on the controller.

ansible-core 2.19 hands action plugins templated values as tagged subclasses of str, dict and list (data tagging).
A module on a desk receives them as plain JSON, but an action plugin that merges on the controller (Windows desks)
would compare and render tagged values; going through JSON once gives it the same plain values a module gets.
"""

from __future__ import annotations

import json

from ansible.module_utils.common.json import AnsibleJSONEncoder


def plain(value):
    """value with every str, dict and list a plain Python one (JSON in, JSON out)."""
    return json.loads(json.dumps(value, cls=AnsibleJSONEncoder))
