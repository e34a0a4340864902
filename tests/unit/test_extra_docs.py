# -*- coding: utf-8 -*-
"""hacking/update_extra_docs.py: the guides' RST (docs/docsite, what Galaxy shows) is made from docs/*.md alone, with
links that resolve on the docsite; and the committed RST is what the Markdown makes now."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(REPO, "hacking", "update_extra_docs.py")
LABEL = "ansible_collections.ioconnect.fleet.docsite."


def load():
    spec = importlib.util.spec_from_file_location("update_extra_docs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def convert(markdown, names=("topology", "scale")):
    """One Markdown text through the generator's pandoc pipeline."""
    return load().to_rst(markdown, set(names))


def test_a_link_to_another_guide_becomes_a_reference_to_its_label():
    rst = convert("See [the topology](topology.md) and [figures](scale.md#what-a-desk-costs).\n")
    assert ":ref:`the topology <%stopology>`" % LABEL in rst
    assert ":ref:`figures <%sscale>`" % LABEL in rst
    assert ".md" not in rst


def test_a_link_to_a_repository_file_becomes_its_path():
    rst = convert("Cases in [`cases.py`](../tests/integration/faults/cases.py), the "
                  "[schema](drift-report.schema.json), [docs](https://docs.ansible.com/).\n")
    assert "``tests/integration/faults/cases.py``" in rst
    assert "schema (``docs/drift-report.schema.json``)" in rst
    assert "`docs <https://docs.ansible.com/>`__" in rst  # an absolute URL stays a link
    assert "../tests" not in rst


def test_headings_get_no_label_without_the_collection_prefix():
    rst = convert("# Title\n\n## A section\n\ntext\n")
    assert "A section\n---------" in rst
    assert ".. _" not in rst  # antsibull-docs refuses labels without the collection's prefix


def test_the_committed_docsite_is_what_the_guides_make():
    run = subprocess.run([sys.executable, SCRIPT, "--check"], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    with open(os.path.join(REPO, "docs", "docsite", "extra-docs.yml"), encoding="utf-8") as handle:
        index = yaml.safe_load(handle)
    guides = sorted(f[:-3] for f in os.listdir(os.path.join(REPO, "docs")) if f.endswith(".md"))
    assert sorted(index["sections"][0]["toctree"]) == guides
    assert index["sections"][0]["toctree"][0] == "getting-started"


def test_an_html_comment_stays_a_comment():
    rst = convert("text\n\n<!-- figures: benchmarks/reference -->\n\nmore\n")
    assert ".. figures: benchmarks/reference" in rst
    assert "raw::" not in rst
