#!/usr/bin/env bash
# Install the Debian packages the tests need: the "test" profile of bindep.txt (the project's one list of
# system packages). Does nothing when all are present; otherwise runs apt-get update once, then installs only
# the missing ones. Needs root (or sudo) and bindep (in the virtualenv: run through `make deps`).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bindep=$(command -v bindep || echo "$root/.venv/bin/bindep")
[ -x "$bindep" ] || { echo "bindep not found: run make venv first" >&2; exit 2; }

# bindep -b prints the missing packages, one per line, and exits 1 when there are some.
set +e
missing=$("$bindep" -b -f "$root/bindep.txt" test)
rc=$?
set -e
if [ "$rc" -gt 1 ]; then
  echo "bindep failed on $root/bindep.txt (exit $rc)" >&2
  exit "$rc"
fi
# npm: NodeSource's nodejs ships it (and conflicts with Debian's npm package), Debian's nodejs does not. So it is
# not in bindep.txt; it is added here, from Debian, only when no npm is on PATH.
if ! command -v npm >/dev/null 2>&1; then
  missing=$(printf '%s\n%s' "$missing" npm | sed '/^$/d')
fi
if [ -z "$missing" ]; then
  echo "system packages: all present ($("$bindep" -l csv -f "$root/bindep.txt" test | tr -d '\n'), npm)"
  exit 0
fi
sudo=
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
echo "system packages to install: ${missing//$'\n'/ }"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
