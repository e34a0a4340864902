#!/usr/bin/env bash
# Run each gate (a make target) in turn, keep going after a failure so one run shows every problem, then print a
# summary with each gate's result and duration. Exits non-zero when any gate failed.
# Each gate's output is also kept in build/gates/GATE.log.
#
#   tests/tools/run-gates.sh GATE...
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
logs="$root/build/gates"
mkdir -p "$logs"
declare -a names results secs
passed=0 failed=0 skipped=0
total_start=$SECONDS
for gate in "$@"; do
  echo
  echo "=== gate: $gate ==="
  start=$SECONDS
  make -C "$root" --no-print-directory "$gate" 2>&1 | tee "$logs/$gate.log"
  rc=${PIPESTATUS[0]}
  took=$((SECONDS - start))
  if [ "$rc" -eq 0 ]; then
    # A gate that only reports SKIP (e.g. no molecule scenario yet) is a skip, not a pass.
    if grep -q '^SKIP: ' "$logs/$gate.log"; then result=skipped; skipped=$((skipped + 1)); else result=passed; passed=$((passed + 1)); fi
  else
    result="FAILED (exit $rc)"
    failed=$((failed + 1))
  fi
  echo "=== gate: $gate: $result in ${took}s ==="
  names+=("$gate") results+=("$result") secs+=("$took")
done
echo
echo "Gate summary (logs in build/gates/):"
for i in "${!names[@]}"; do
  printf '  %-15s %-18s %5ss\n' "${names[$i]}" "${results[$i]}" "${secs[$i]}"
done
printf '  %-15s %-18s %5ss\n' total "" "$((SECONDS - total_start))"
echo "gates: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
