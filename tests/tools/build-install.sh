#!/usr/bin/env bash
# Build the collection artifact from a git snapshot of the work tree, install it into a fresh collections path
# (no Galaxy: --no-deps; ansible.windows comes from the `ansible` pip package in site-packages), and run
# tests/tools/smoke.yml with ONLY that installed copy and site-packages on the collections path.
#
#   tests/tools/build-install.sh WORKDIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:?usage: $0 WORKDIR}
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)

tree=$("$here/collection-tree.sh" "$work/src")
ansible-galaxy collection build "$tree" --output-path "$work/dist"
artifact=$(ls "$work"/dist/ioconnect-fleet-*.tar.gz)
echo "artifact: $artifact ($(tar tzf "$artifact" | wc -l) entries)"
# The emulated Windows desks are a test tool: never part of what users install.
if tar tzf "$artifact" | grep -q '^tests/windesk'; then
  echo "the artifact holds tests/windesk (the test-only Windows desk emulator): check build_ignore in galaxy.yml" >&2
  exit 1
fi

site=$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
export ANSIBLE_COLLECTIONS_PATH="$work/collections:$site"
ansible-galaxy collection install "$artifact" --collections-path "$work/collections" --no-deps --force
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
export ANSIBLE_RETRY_FILES_ENABLED=false
# Fail unless the collection resolves to the installed copy, with its dependency present.
ansible-galaxy collection list ioconnect.fleet --format yaml | tee "$work/list.yml"
grep -q "^$work/collections/ansible_collections:" "$work/list.yml" ||
  { echo "ioconnect.fleet is not loaded from $work/collections" >&2; exit 1; }
ansible-galaxy collection list ansible.windows >/dev/null ||
  { echo "ansible.windows (a dependency) is missing from $site" >&2; exit 1; }
ansible-doc ioconnect.fleet.system_json >/dev/null
ansible-doc ioconnect.fleet.desk_system_json >/dev/null

# Run from the work dir, away from the source tree, so nothing can pick up the work tree's plugins.
cp "$here/smoke.yml" "$work/smoke.yml"
cd "$work"
ansible-playbook -i localhost, -c local smoke.yml
