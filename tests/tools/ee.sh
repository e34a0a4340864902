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
ansible-galaxy collection build "$root" --output-path "$work/artifact" --force
cp "$work"/artifact/ioconnect-fleet-*.tar.gz "$root/build/ioconnect-fleet.tar.gz"
cd "$root"
ansible-builder create -f execution-environment.yml -c "$work/context" --output-filename Containerfile -v 2
ctx="$work/context"
for f in Containerfile _build/requirements.yml _build/requirements.txt _build/collections/ioconnect-fleet.tar.gz; do
  [ -f "$ctx/$f" ] || { echo "ansible-builder create did not produce $ctx/$f" >&2; exit 1; }
done
echo "--- $ctx/_build/requirements.txt"; cat "$ctx/_build/requirements.txt"
echo "--- $ctx/_build/requirements.yml"; cat "$ctx/_build/requirements.yml"
echo "execution environment context OK: $ctx"
