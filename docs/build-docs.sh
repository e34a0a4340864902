#!/usr/bin/env bash
# Build the docs site: antsibull-docs renders every plugin and role of ioconnect.fleet and its guides (the extra
# docs of docs/docsite/) to RST, Sphinx (Ansible theme) writes HTML. One command: `make docs` or
#
#   docs/build-docs.sh [OUTPUT_DIR]      # default docs/site; open OUTPUT_DIR/index.html
#
# Needs the dev virtualenv (make venv). Works offline. Warnings fail the build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/docs/site}
mkdir -p "$out"
out=$(cd "$out" && pwd)
src="$root/build/docs-src"
# Outside the work tree, so the copy is never nested in another ansible_collections/ tree.
colls=$(mktemp -d)
trap 'rm -rf "$colls"' EXIT

# antsibull-docs looks the collection up by name: give it a collections path holding a copy of this work tree
# (a copy, not a symlink: ansible-doc does not list the roles of a symlinked collection).
"$root/tests/tools/collection-tree.sh" "$colls" >/dev/null
export ANSIBLE_COLLECTIONS_PATH="$colls"

rm -rf "$src"
mkdir -p "$src/rst"
chmod 700 "$src" "$src/rst"  # antsibull-docs refuses a destination others may write to
cp "$root/docs/antsibull/conf.py" "$root/docs/antsibull/antsibull-docs.cfg" "$src/"

antsibull-docs --config-file "$src/antsibull-docs.cfg" collection \
  --use-current --fail-on-error --cleanup everything --dest-dir "$src/rst" ioconnect.fleet

# The guides are the collection's extra docs (docs/docsite/extra-docs.yml, generated from docs/*.md by
# hacking/update_extra_docs.py): antsibull-docs has rendered them above, under collections/ioconnect/fleet/docsite/,
# as the Ansible docsite and Galaxy show them. The site's own index lists them too, in extra-docs.yml's order.
mapfile -t guides < <(python -c '
import sys, yaml
for section in yaml.safe_load(open(sys.argv[1]))["sections"]:
    for entry in section["toctree"]:
        print("   collections/ioconnect/fleet/docsite/" + (entry if isinstance(entry, str) else entry["ref"]))
' "$root/docs/docsite/extra-docs.yml")
{
  while IFS= read -r line; do
    if [ "$line" = "@GUIDES@" ]; then printf '%s\n' "${guides[@]}"; else printf '%s\n' "$line"; fi
  done
} < "$root/docs/antsibull/index.rst.in" > "$src/rst/index.rst"

rm -rf "$out"
sphinx-build -b html -c "$src" -W --keep-going -q "$src/rst" "$out"
echo "docs site: $out/index.html"
