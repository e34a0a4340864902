#!/usr/bin/env python
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Regenerate the collection's extra docs (docs/docsite/) from the Markdown guides of docs/.

    python3 hacking/update_extra_docs.py           # rewrite docs/docsite/extra-docs.yml and docs/docsite/rst/
    python3 hacking/update_extra_docs.py --check   # exit 1, naming the stale files, when they are out of date

The guides are written ONCE, in Markdown (docs/*.md, read on GitHub and in the repository). Galaxy and the Ansible
docsite show a collection's guides only as reStructuredText under docs/docsite/rst/, listed in
docs/docsite/extra-docs.yml (antsibull-docs' "extra docs"), and they read them from the collection artifact, so the
RST is generated here and committed; `make docs-lint` runs --check, so a guide edited without regenerating fails.

Pandoc (Debian's pandoc, bindep.txt) converts each guide; its document tree is adjusted on the way:
- a link to another guide (topology.md, scale.md#anchor) becomes an RST reference to that guide's label
  (ansible_collections.ioconnect.fleet.docsite.<name>), which antsibull-docs checks and both sites resolve;
- a link to another file of the repository (a test, the report's JSON schema) becomes its path as literal text,
  since the collection artifact (and so Galaxy) has no page for it;
- each guide starts with its label and a comment naming its source; headings get no labels of their own;
- an HTML comment (an authoring marker such as "<!-- figures: ... -->") becomes an RST comment.
"""

from __future__ import annotations

import argparse
import json
import os
import posixpath
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DOCS = os.path.join(ROOT, "docs")
DOCSITE = os.path.join(DOCS, "docsite")
LABEL_PREFIX = "ansible_collections.ioconnect.fleet.docsite."
FIRST = "getting-started"  # then the other guides in name order
COLUMNS = "10000"  # no wrapping: pandoc 2.17 breaks inline literals when it wraps table cells


def pandoc_version() -> str:
    """The first line of pandoc --version, e.g. "pandoc 2.17.1.1": the generated files name it."""
    return pandoc(["--version"], "").splitlines()[0].strip()


def guides() -> list:
    """The guides' names (docs/<name>.md), getting started first."""
    names = sorted(f[:-3] for f in os.listdir(DOCS) if f.endswith(".md") and os.path.isfile(os.path.join(DOCS, f)))
    return sorted(names, key=lambda name: (name != FIRST, name))


def pandoc(args: list, text: str) -> str:
    """Run pandoc on text; a clear message when it is missing."""
    try:
        run = subprocess.run(["pandoc"] + args, input=text, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        sys.exit("update_extra_docs.py: pandoc is not installed; run `make deps` (bindep.txt, profile test)")
    if run.returncode != 0:
        sys.exit("update_extra_docs.py: pandoc %s failed: %s" % (" ".join(args), run.stderr.strip()))
    return run.stdout


def _text(inlines: list) -> str:
    """The plain text of a list of pandoc inlines."""
    parts = []
    for node in inlines:
        kind, content = node["t"], node.get("c")
        if kind in ("Str", "Code"):
            parts.append(content if kind == "Str" else content[1])
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            parts.append(" ")
        elif kind in ("Emph", "Strong", "Strikeout", "Underline", "SmallCaps"):
            parts.append(_text(content))
        elif kind in ("Link", "Span"):
            parts.append(_text(content[1]))
    return "".join(parts)


def _rst_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("`", "\\`").replace("<", "\\<")


def _relink(node: dict, names: set) -> dict:
    """A Link node rewritten for the docsite, or the node itself for an absolute URL or an anchor of the page."""
    _attr, inlines, (target, _title) = node["c"]
    if "://" in target or target.startswith(("#", "mailto:")):
        return node
    path, _sep, _anchor = target.partition("#")
    repo_path = posixpath.normpath(posixpath.join("docs", path))
    name = posixpath.basename(path)[:-3] if path.endswith(".md") else None
    text = _text(inlines)
    if name in names and repo_path == "docs/%s.md" % name:
        return {"t": "RawInline", "c": ["rst", ":ref:`%s <%s%s>`" % (_rst_escape(text), LABEL_PREFIX, name)]}
    literal = {"t": "Code", "c": [["", [], []], repo_path]}
    if text.strip() in (path, repo_path, ""):
        return literal
    after = [{"t": "Space"}, {"t": "Str", "c": "("}, literal, {"t": "Str", "c": ")"}]
    return {"t": "Span", "c": [["", [], []], inlines + after]}


def _walk(value, names: set):
    if isinstance(value, list):
        return [_walk(item, names) for item in value]
    if isinstance(value, dict):
        if value.get("t") == "RawBlock" and value["c"][0] == "html":
            text = value["c"][1].strip()
            if text.startswith("<!--") and text.endswith("-->"):
                # An authoring marker stays a comment of the source, not raw HTML of the page.
                comment = "\n   ".join(line.strip() for line in text[4:-3].strip().splitlines())
                return {"t": "RawBlock", "c": ["rst", ".. " + comment]}
        if value.get("t") == "Header":
            # No heading labels: the docsite wants every label to carry the collection's prefix, and a heading
            # is already a link target by its title.
            level, (_ident, classes, pairs), inlines = value["c"]
            return {"t": "Header", "c": [level, ["", classes, pairs], _walk(inlines, names)]}
        if value.get("t") == "Link":
            value = _relink(value, names)
            if value.get("t") == "Link":
                return value
        return {key: _walk(item, names) for key, item in value.items()}
    return value


def to_rst(markdown: str, names: set) -> str:
    """GitHub Markdown as RST, with links to the guides (names) and to repository files rewritten."""
    tree = json.loads(pandoc(["--from", "gfm", "--to", "json"], markdown))
    tree["blocks"] = _walk(tree["blocks"], names)
    return pandoc(["--from", "json", "--to", "rst", "--wrap", "none", "--columns", COLUMNS], json.dumps(tree))


def render(name: str, names: set, version: str) -> str:
    """One guide as RST."""
    with open(os.path.join(DOCS, name + ".md"), encoding="utf-8") as handle:
        body = to_rst(handle.read(), names)
    header = (".. Generated from docs/%s.md by hacking/update_extra_docs.py (make extra-docs) with %s.\n"
              "   Edit the Markdown, not this file.\n\n.. _%s%s:\n\n" % (name, version, LABEL_PREFIX, name))
    return header + body


def index(names: list) -> str:
    lines = [
        "---",
        "# Generated by hacking/update_extra_docs.py (make extra-docs) from the guides in docs/*.md.",
        "sections:",
        "  - title: Guides",
        "    toctree:",
    ]
    lines += ["      - %s" % name for name in names]
    return "\n".join(lines) + "\n"


def wanted() -> dict:
    """Path (relative to the repository) -> the content it must have."""
    names = guides()
    version = pandoc_version()
    files = {"docs/docsite/extra-docs.yml": index(names)}
    for name in names:
        files["docs/docsite/rst/%s.rst" % name] = render(name, set(names), version)
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--check", action="store_true", help="only check that docs/docsite is up to date")
    args = parser.parse_args()
    files = wanted()
    rst_dir = os.path.join(DOCSITE, "rst")
    present = {"docs/docsite/rst/" + f for f in (os.listdir(rst_dir) if os.path.isdir(rst_dir) else [])}
    stale = []
    for path, content in files.items():
        full = os.path.join(ROOT, path)
        try:
            with open(full, encoding="utf-8") as handle:
                same = handle.read() == content
        except FileNotFoundError:
            same = False
        if same:
            continue
        stale.append(path)
        if not args.check:
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", encoding="utf-8") as handle:
                handle.write(content)
    extra = sorted(present - set(files))
    if not args.check:
        for path in extra:
            os.remove(os.path.join(ROOT, path))
        for path in stale + extra:
            print("updated %s" % path)
        return 0
    if stale or extra:
        print("docs/docsite is out of date with the guides in docs/*.md (%s): run `make extra-docs` and commit. "
              "The files name the pandoc that made them; another pandoc version writes other RST (this machine "
              "has %s, bindep.txt installs Debian's)." % (", ".join(stale + extra), pandoc_version()), file=sys.stderr)
        return 1
    print("docs/docsite: %d guides, up to date" % (len(files) - 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
