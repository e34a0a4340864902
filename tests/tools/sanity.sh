#!/usr/bin/env bash
# ansible-test sanity, offline-safe. ansible-test wants the collection at .../ansible_collections/NS/NAME and
# reads the file list from git, so it runs on a git snapshot of the work tree (tests/tools/collection-tree.sh).
# Each sanity test gets its own virtualenv under ~/.ansible/test/venv, installed from PyPI; the pip bootstrap
# it downloads from elsewhere is replaced by tests/tools/ansible-test-offline-pip.sh.
#
#   tests/tools/sanity.sh WORKDIR [ansible-test sanity args...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:?usage: $0 WORKDIR [ansible-test sanity args...]}
shift
# The pip version this ansible-test bootstraps, which names the seeded cache file.
at_dir=$(python -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')
pip_version=$(grep -oE "pip='[0-9.]+'" "$at_dir/_internal/python_requirements.py" | head -1 | tr -dc '0-9.')
"$here/ansible-test-offline-pip.sh" "${pip_version:-24.2}"
if ! command -v shellcheck >/dev/null; then
  echo "WARNING: shellcheck is missing, its sanity test will be skipped: run make deps" >&2
fi
tree=$("$here/collection-tree.sh" "$work")
cd "$tree"
exec ansible-test sanity --python 3.11 --color no "$@"
