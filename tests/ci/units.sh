#!/usr/bin/env bash
# Run `ansible-test units` (tests/unit) on the committed tree, in a managed
# virtualenv. Extra arguments go to ansible-test.
set -euo pipefail

source "$(dirname "$0")/stage.sh"

install_get_pip_standin
stage_collection

cd "$COLLECTION_DIR"
PATH="$VENV_BIN:$PATH" ansible-test units --python 3.11 --venv --color no "$@"
