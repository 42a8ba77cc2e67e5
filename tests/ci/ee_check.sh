#!/usr/bin/env bash
# Check the execution environment definition without a container engine:
# build the collection artifact, generate the build context with
# `ansible-builder create`, check what the context contains, and let
# `ansible-builder introspect` read the dependencies of the installed
# collection.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV_BIN="${VENV_BIN:-$REPO_ROOT/.venv/bin}"
WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/gaap-genai-ee.XXXXXX")"
[[ "${KEEP_WORK_DIR:-0}" == 1 ]] || trap 'rm -rf "$WORK_DIR"' EXIT

export PATH="$VENV_BIN:$PATH"
failed=0

fail() {
    echo "FAILED: $*" >&2
    failed=1
}

echo "== Build the artifact"
version="$(python -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["version"])' "$REPO_ROOT/galaxy.yml")"
artifact_name="gaap-genai-$version.tar.gz"
if ! grep -q -F "src: $artifact_name" "$REPO_ROOT/execution-environment.yml" \
    || ! grep -q -F "name: collections/$artifact_name" "$REPO_ROOT/execution-environment.yml"; then
    fail "execution-environment.yml does not install $artifact_name (galaxy.yml version $version); update its additional_build_files src and galaxy collection name"
    exit 1
fi

# The definition refers to files next to it, so it is checked from a copy
# of them, which keeps the artifact out of the work tree.
mkdir -p "$WORK_DIR/project"
cp "$REPO_ROOT/execution-environment.yml" "$REPO_ROOT/requirements.txt" "$REPO_ROOT/bindep.txt" "$WORK_DIR/project/"
ansible-galaxy collection build --output-path "$WORK_DIR/project" "$REPO_ROOT" > /dev/null

echo "== ansible-builder create"
ansible-builder create --file "$WORK_DIR/project/execution-environment.yml" \
    --context "$WORK_DIR/context" --output-filename Containerfile
build_dir="$WORK_DIR/context/_build"

[[ -s "$WORK_DIR/context/Containerfile" ]] || fail "no Containerfile in the build context"
[[ -s "$build_dir/collections/$artifact_name" ]] || fail "the build context has no collections/$artifact_name"
grep -q -F "collections/$artifact_name" "$build_dir/requirements.yml" \
    || fail "_build/requirements.yml does not install collections/$artifact_name"
grep -q -x -F "kubernetes>=24.2.0" "$build_dir/requirements.txt" \
    || fail "_build/requirements.txt lacks kubernetes>=24.2.0 from requirements.txt"
grep -q -F "ansible-core==2.19.14" "$WORK_DIR/context/Containerfile" \
    || fail "the Containerfile does not install ansible-core==2.19.14"

echo "== ansible-builder introspect on the installed collection"
# From an empty directory, so that the repository's ansible.cfg and the
# collections it points at do not count as already installed.
cd "$WORK_DIR"
export ANSIBLE_CONFIG="$WORK_DIR/ansible.cfg"
printf '[defaults]\n' > "$ANSIBLE_CONFIG"
ansible-galaxy collection install --offline --no-deps --force -p "$WORK_DIR/collections" \
    "$WORK_DIR/project/$artifact_name" > /dev/null
ansible-builder introspect --sanitize "$WORK_DIR/collections" > "$WORK_DIR/introspect.txt"
cat "$WORK_DIR/introspect.txt"

for requirement in "cryptography>=42" "kubernetes>=24.2.0"; do
    grep -q -F "$requirement" "$WORK_DIR/introspect.txt" \
        || fail "introspection of gaap.genai does not list $requirement; check meta/execution-environment.yml"
done

[[ "$failed" == 0 ]] || exit 1
echo "Execution environment check passed."
