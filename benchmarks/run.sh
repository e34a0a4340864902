#!/usr/bin/env bash
# Fleet benchmark of ioconnect.fleet.system_json (see benchmarks/README.md). Arguments go to fleet_bench.py:
#   benchmarks/run.sh                 # N = 10, 50, 200; 5 repetitions; forks 10
#   benchmarks/run.sh --quick         # N = 5, 20; 3 repetitions
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-$here/../.venv/bin/python}
[ -x "$python" ] || python=python3
exec "$python" "$here/fleet_bench.py" "$@"
