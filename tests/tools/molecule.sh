#!/usr/bin/env bash
# molecule test --all over the scenarios in extensions/molecule/ (the ansible-creator layout), or a clean skip
# when there is none yet.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shopt -s nullglob
scenarios=("$root"/extensions/molecule/*/molecule.yml)
if [ ${#scenarios[@]} -eq 0 ]; then
  echo "SKIP: no molecule scenario under extensions/molecule/*/molecule.yml yet"
  exit 0
fi
echo "molecule scenarios: $(for s in "${scenarios[@]}"; do basename "$(dirname "$s")"; done | tr '\n' ' ')"
cd "$root/extensions"
exec molecule test --all
