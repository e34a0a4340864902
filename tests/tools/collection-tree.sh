#!/usr/bin/env bash
# Copy the collection into DEST/ansible_collections/ioconnect/fleet, the layout ansible-test and
# antsibull-docs need, and make that copy a git repository so ansible-test sees exactly the files
# git would ship (tracked files plus new, not ignored ones). Prints the copy's path.
#
#   tests/tools/collection-tree.sh DEST
set -euo pipefail
dest=${1:?usage: $0 DEST}
root=$(cd "$(dirname "$0")/../.." && pwd)
ns=$(sed -n 's/^namespace: *//p' "$root/galaxy.yml")
name=$(sed -n 's/^name: *//p' "$root/galaxy.yml")
tree="$dest/ansible_collections/$ns/$name"

rm -rf "$tree"
mkdir -p "$tree"
# Tracked plus untracked-but-not-ignored files, so a work in progress is tested as it stands on disk;
# files deleted from the work tree but still in the index are skipped.
(cd "$root" && git ls-files -z --cached --others --exclude-standard) |
  (cd "$root" && while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done) |
  (cd "$root" && tar --null -T - -cf -) | tar -xf - -C "$tree"
(
  cd "$tree"
  git init -q
  git add -A .
  git -c user.name=gate -c user.email=gate@localhost commit -q -m snapshot --no-verify
)
echo "$tree"
