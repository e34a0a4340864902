# -*- coding: utf-8 -*-
"""Commands the README and the guides tell a user to type: each one is one that works."""

from __future__ import annotations

import glob
import os
import re
import shlex

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCS = [os.path.join(REPO, "README.md")] + sorted(glob.glob(os.path.join(REPO, "docs", "*.md")))


def test_ansible_galaxy_collection_list_takes_one_name_per_call():
    """`ansible-galaxy collection list a.b c.d` fails (it takes one collection name): never document it."""
    found = 0
    for path in DOCS:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                match = re.search(r"ansible-galaxy collection list\b([^#`]*)", line)
                if not match:
                    continue
                found += 1
                names = [w for w in shlex.split(match.group(1)) if not w.startswith("-")]
                assert len(names) <= 1, "%s:%d: %s" % (os.path.relpath(path, REPO), number, line.strip())
    assert found  # the README does document it
