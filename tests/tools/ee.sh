#!/usr/bin/env bash
# Prove execution-environment.yml valid: build the collection artifact it installs, then
# `ansible-builder create` the build context (Containerfile and files) into WORKDIR/context. No image is built.
#
#   tests/tools/ee.sh WORKDIR
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:?usage: $0 WORKDIR}
rm -rf "$work"
mkdir -p "$work/artifact" "$root/build"
tree=$("$root/tests/tools/collection-tree.sh" "$work/src")
ansible-galaxy collection build "$tree" --output-path "$work/artifact" --force
cp "$work"/artifact/ioconnect-fleet-*.tar.gz "$root/build/ioconnect-fleet.tar.gz"
cd "$root"
ansible-builder create -f execution-environment.yml -c "$work/context" --output-filename Containerfile -v 2
ctx="$work/context"
for f in Containerfile _build/requirements.yml _build/requirements.txt _build/collections/ioconnect-fleet.tar.gz; do
  [ -f "$ctx/$f" ] || { echo "ansible-builder create did not produce $ctx/$f" >&2; exit 1; }
done
echo "--- $ctx/_build/requirements.txt"; cat "$ctx/_build/requirements.txt"
echo "--- $ctx/_build/requirements.yml"; cat "$ctx/_build/requirements.yml"
# What ansible-builder will read from the installed collection (meta/execution-environment.yml), checked here
# because `create` only introspects inside the image build.
ansible-galaxy collection install "$work"/artifact/ioconnect-fleet-*.tar.gz -p "$work/collections" --no-deps --force >/dev/null 2>&1
ansible-builder introspect --sanitize "$work/collections" | tee "$work/introspect.txt"
for dep in jsonschema referencing openssh-clients; do
  grep -q "$dep" "$work/introspect.txt" ||
    { echo "ansible-builder introspect does not find $dep in meta/execution-environment.yml" >&2; exit 1; }
done
echo "execution environment context OK: $ctx"
