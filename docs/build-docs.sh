#!/usr/bin/env bash
# Build the docs site: antsibull-docs renders every plugin and role of ioconnect.fleet to RST, the Markdown
# guides of docs/ join them, Sphinx (Ansible theme) writes HTML. One command: `make docs` or
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
mkdir -p "$src/rst/guides"
chmod 700 "$src" "$src/rst"  # antsibull-docs refuses a destination others may write to
cp "$root/docs/antsibull/conf.py" "$root/docs/antsibull/antsibull-docs.cfg" "$src/"

antsibull-docs --config-file "$src/antsibull-docs.cfg" collection \
  --use-current --fail-on-error --cleanup everything --dest-dir "$src/rst" ioconnect.fleet

# The guides: getting started first, then the others in name order.
guides=()
for f in "$root"/docs/getting-started.md "$root"/docs/*.md; do
  [ -f "$f" ] || continue
  name=$(basename "$f" .md)
  [ -f "$src/rst/guides/$name.md" ] && continue
  cp "$f" "$src/rst/guides/$name.md"
  guides+=("   guides/$name")
done
{
  while IFS= read -r line; do
    if [ "$line" = "@GUIDES@" ]; then printf '%s\n' "${guides[@]}"; else printf '%s\n' "$line"; fi
  done
} < "$root/docs/antsibull/index.rst.in" > "$src/rst/index.rst"

rm -rf "$out"
sphinx-build -b html -c "$src" -W --keep-going -q "$src/rst" "$out"
echo "docs site: $out/index.html"
