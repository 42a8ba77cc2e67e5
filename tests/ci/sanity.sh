#!/usr/bin/env bash
# Run `ansible-test sanity` on the committed tree, in managed virtualenvs.
# Extra arguments go to ansible-test, e.g. `tests/ci/sanity.sh --test pylint`.
# The first run builds one virtualenv per test from the package index and
# caches it in ~/.ansible/test/venv; later runs reuse them.
set -euo pipefail

source "$(dirname "$0")/stage.sh"

install_get_pip_standin
stage_collection

cd "$COLLECTION_DIR"
PATH="$VENV_BIN:$PATH" ansible-test sanity --python 3.11 --venv --color no "$@"
