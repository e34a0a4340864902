#!/usr/bin/env bash
# galaxy-importer, the check Galaxy runs on every upload, on the artifact `ansible-galaxy collection build` makes of
# a git snapshot of the work tree. It runs from a virtualenv of its own (pins: requirements/galaxy-importer.txt),
# so its ansible-core and ansible-lint never meet the project's. ansible-test is left to the sanity gate
# (RUN_ANSIBLE_TEST=False: the importer would run it in a container). Fails on any ERROR the importer logs, or if it
# fails itself; its warnings are shown. (One is expected: ansible-lint, in that venv, has no ansible.windows, so it
# cannot resolve ansible.windows.slurp in extensions/molecule/windows/verify.yml, as on Galaxy itself.)
#
#   tests/tools/galaxy-importer.sh WORKDIR [VENV]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${1:?usage: $0 WORKDIR [VENV]}
venv=${2:-$root/build/galaxy-importer-venv}
pins="$root/requirements/galaxy-importer.txt"

stamp="$venv/.installed-$(md5sum < "$pins" | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  echo "galaxy-importer: building its virtualenv $venv from $(basename "$pins")"
  rm -rf "$venv"
  "${PYTHON:-python3}" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$pins"
  touch "$stamp"
fi

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
tree=$(PATH="$venv/bin:$PATH" "$here/collection-tree.sh" "$work/src")
"$venv/bin/ansible-galaxy" collection build "$tree" --output-path "$work/dist" >/dev/null
artifact=$(ls "$work"/dist/ioconnect-fleet-*.tar.gz)

cat > "$work/galaxy-importer.cfg" <<CFG
[galaxy-importer]
RUN_ANSIBLE_TEST = False
RUN_ANSIBLE_LINT = True
LOG_LEVEL_MAIN = INFO
CFG
cd "$work"
set +e
GALAXY_IMPORTER_CONFIG="$work/galaxy-importer.cfg" PATH="$venv/bin:$PATH" \
  "$venv/bin/python" -m galaxy_importer.main "$artifact" > "$work/importer.log" 2>&1
rc=$?
set -e
errors=$(grep -c '^ERROR' "$work/importer.log" || true)
warnings=$(grep -c '^WARNING' "$work/importer.log" || true)
grep -E '^(ERROR|WARNING)' "$work/importer.log" || true
echo "galaxy-importer $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("galaxy-importer"))') on $(basename "$artifact"): exit $rc, $errors error(s), $warnings warning(s); log: $work/importer.log"
if [ "$rc" -ne 0 ] || [ "$errors" -ne 0 ]; then
  tail -n 30 "$work/importer.log" >&2
  exit 1
fi
