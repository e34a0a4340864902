#!/usr/bin/env bash
# The tests that depend on ansible-core's version, under every ansible-core minor version meta/runtime.yml claims
# besides the main virtualenv's (which the unit and integration gates run): the unit tests (action plugins through
# the real PowerShell shell and the emulated desk's wire, the callback, the module_utils) and the Windows and POSIX
# playbook tests. Everything else (lint, sanity, docs, molecule, the build) depends on the collection, not on the
# controller's core version, and runs once.
#
#   tests/tools/core-matrix.sh VENV_ROOT [MINOR...]      (default: every requirements/constraints-core-*.txt)
#
# Each version gets a small virtualenv VENV_ROOT/<minor> holding only ansible-core at the version pinned in
# requirements/constraints-core-<minor>.txt; a .pth file appends the main virtualenv's site-packages after its own,
# so every other package (pytest, pytest-ansible, jsonschema, the ansible package's collections, ...) is the one
# requirements/constraints.txt pins, and only ansible-core differs. A virtualenv is rebuilt when its constraints file
# changes; pip's cache makes a rebuild a few seconds. Prints each version's duration.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venvs=${1:?usage: $0 VENV_ROOT [MINOR...]}
shift
main_python="$root/.venv/bin/python"
main_site=$("$main_python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
if [ "$#" -gt 0 ]; then
  minors=("$@")
else
  minors=()
  for file in "$root"/requirements/constraints-core-*.txt; do
    name=$(basename "$file" .txt)
    minors+=("${name#constraints-core-}")
  done
fi
# The playbook tests whose outcome depends on ansible-core: Windows desks through the real shell and action plugins
# (the emulator speaks each version's wire: the role on a fleet of emulated desks, check, apply, rollback) and
# system_json on POSIX desks over the local connection. The role's other playbooks and the drift report's
# (test_roles_playbooks.py, test_drift_report.py, test_faults.py) take five times as long and exercise the same
# plugins through the same core APIs; they run once, in `make integration`, to keep `make test` under 20 minutes.
# CORE_MATRIX_ALL=1 adds them here (when this gate was written, the first two passed on 2.16, 2.17 and 2.18).
integration=(tests/integration/test_windows_fleet.py tests/integration/test_system_json.py)
if [ -n "${CORE_MATRIX_ALL:-}" ]; then
  integration+=(tests/integration/test_roles_playbooks.py tests/integration/test_drift_report.py
                tests/integration/test_faults.py)
fi
collections="$root/build/dev-collections:$root/tests/windesk"
status=0
summary=()
for minor in "${minors[@]}"; do
  constraints="$root/requirements/constraints-core-$minor.txt"
  venv="$venvs/$minor"
  stamp="$venv/.constraints"
  start=$SECONDS
  if ! cmp -s "$constraints" "$stamp" 2>/dev/null; then
    echo "building $venv (ansible-core from $constraints, the rest from the main virtualenv)"
    rm -rf "$venv"
    python3 -m venv --without-pip "$venv"
    "$main_python" -m pip --python "$venv/bin/python" install --disable-pip-version-check --progress-bar off \
      --no-deps -r "$constraints"
    site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    echo "$main_site" > "$site/zz-ioconnect-main-venv.pth"
    cp "$constraints" "$stamp"
  fi
  version=$("$venv/bin/python" -c 'from ansible.release import __version__; print(__version__)')
  case "$version" in "$minor".*) ;; *) echo "ansible-core $version in $venv, expected $minor.x" >&2; exit 2 ;; esac
  echo "=== ansible-core $version: unit tests, Windows and POSIX integration tests ==="
  rc=0
  # The unit tests in two workers (each test has its own desk); the playbook tests one at a time, as `make
  # integration` runs them.
  PATH="$venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$collections" \
    "$venv/bin/python" -m pytest "$root/tests/unit" --ansible-unit-inject-only -p no:cacheprovider -q -n 2 \
    --durations=3 || rc=$?
  PATH="$venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$collections" \
    "$venv/bin/python" -m pytest "${integration[@]/#/$root/}" --ansible-unit-inject-only -p no:cacheprovider -q \
    --durations=3 || rc=$?
  took=$((SECONDS - start))
  if [ "$rc" -eq 0 ]; then result=passed; else result="FAILED (exit $rc)"; status=1; fi
  summary+=("$(printf '  ansible-core %-9s %-16s %5ss' "$version" "$result" "$took")")
done
echo
echo "ansible-core versions:"
printf '%s\n' "${summary[@]}"
exit "$status"
