#!/usr/bin/env bash
# Shared by the tests/ci scripts: copy the committed tree into a temporary
# ansible_collections/gaap/genai (ansible-test only runs from such a path)
# and place the pip bootstrap stand-in where ansible-test looks for it.
#
# Source this file, then call `stage_collection`; it sets COLLECTION_DIR and
# STAGE_DIR and removes STAGE_DIR on exit unless KEEP_STAGE=1.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV_BIN="${VENV_BIN:-$REPO_ROOT/.venv/bin}"

# ansible-core 2.19 pins pip 24.2 for its managed virtualenvs and caches the
# bootstrap script as ~/.ansible/test/cache/get_pip_24_2.py
# (ansible_test/_internal/python_requirements.py, get_venv_packages).
ANSIBLE_TEST_PIP_VERSION="${ANSIBLE_TEST_PIP_VERSION:-24.2}"

install_get_pip_standin() {
    local cache_dir="$HOME/.ansible/test/cache"
    local target="$cache_dir/get_pip_${ANSIBLE_TEST_PIP_VERSION//./_}.py"

    mkdir -p "$cache_dir"
    cp "$REPO_ROOT/tests/ci/get_pip_standin.py" "$target"
}

stage_collection() {
    STAGE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/gaap-genai-ci.XXXXXX")"
    COLLECTION_DIR="$STAGE_DIR/ansible_collections/gaap/genai"

    if [[ "${KEEP_STAGE:-0}" != 1 ]]; then
        trap 'rm -rf "$STAGE_DIR"' EXIT
    fi

    mkdir -p "$COLLECTION_DIR"
    git -C "$REPO_ROOT" archive --format=tar HEAD | tar -x -C "$COLLECTION_DIR"

    # ansible-test decides which files to test from git when it finds a
    # repository, so the copy gets one with the same files committed.
    git -C "$COLLECTION_DIR" init --quiet
    git -C "$COLLECTION_DIR" add --all
    git -C "$COLLECTION_DIR" -c user.name=ci -c user.email=ci@localhost \
        commit --quiet --no-verify --message "Staged copy for ansible-test"

    stage_dependencies

    echo "Staged commit $(git -C "$REPO_ROOT" rev-parse --short HEAD) in $COLLECTION_DIR"
    if [[ -n "$(git -C "$REPO_ROOT" status --porcelain --untracked-files=no)" ]]; then
        echo "NOTE: the work tree has uncommitted changes; they are not tested. Commit them to include them." >&2
    fi
}

# Copy the collections named in galaxy.yml `dependencies` next to the staged
# copy, taken from the `ansible` package in the virtualenv, so that
# ansible-test finds their doc fragments and module_utils without a download.
stage_dependencies() {
    local name source site_collections

    site_collections="$("$VENV_BIN/python" -c 'import os, ansible; print(os.path.join(os.path.dirname(os.path.dirname(ansible.__file__)), "ansible_collections"))')"

    for name in $("$VENV_BIN/python" - "$COLLECTION_DIR/galaxy.yml" <<'PY'
import sys

import yaml

with open(sys.argv[1], encoding="utf-8") as galaxy_file:
    print("\n".join(yaml.safe_load(galaxy_file).get("dependencies") or {}))
PY
    ); do
        source="$site_collections/${name//./\/}"
        if [[ ! -d "$source" ]]; then
            echo "Dependency $name not found at $source; install it with: ansible-galaxy collection install $name" >&2
            return 1
        fi
        mkdir -p "$STAGE_DIR/ansible_collections/${name%%.*}"
        cp -a "$source" "$STAGE_DIR/ansible_collections/${name//./\/}"
    done
}
