#!/usr/bin/env bash
# Build the collection artifact from the work tree, check that it carries no
# caches, virtualenvs or test output, install it into an empty directory and
# check that ansible-doc reads every module, role and filter from there.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV_BIN="${VENV_BIN:-$REPO_ROOT/.venv/bin}"
WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/gaap-genai-build.XXXXXX")"
trap 'rm -rf "$WORK_DIR"' EXIT

export PATH="$VENV_BIN:$PATH"

echo "== Build"
ansible-galaxy collection build --output-path "$WORK_DIR/dist" "$REPO_ROOT"
artifact="$(ls "$WORK_DIR"/dist/gaap-genai-*.tar.gz)"
tar -tzf "$artifact" | sed 's:/$::' | grep -v -x -e MANIFEST.json -e FILES.json | sort > "$WORK_DIR/contents.txt"
echo "$artifact: $(wc -l < "$WORK_DIR/contents.txt") entries"

echo "== Check the artifact's contents"
failed=0

# Print each line of $1 indented, under a message on stderr.
report_paths() {
    local message="$1" paths="$2" path

    echo "$message" >&2
    while IFS= read -r path; do
        echo "  $path" >&2
    done <<< "$paths"
}

# Files that git ignores are outputs of local runs (virtualenvs, caches,
# test output), so none of them may reach the artifact.
ignored="$(git -C "$REPO_ROOT" check-ignore --no-index --stdin < "$WORK_DIR/contents.txt")" || true
if [[ -n "$ignored" ]]; then
    report_paths "FAILED: the artifact contains paths that .gitignore ignores; add them to build_ignore in galaxy.yml:" "$ignored"
    failed=1
fi

cache_pattern='(^|/)(__pycache__|\.pytest_cache|\.hypothesis|\.mypy_cache|\.ruff_cache|\.tox|\.venv|\.cache|\.ansible|\.molecule)(/|$)|\.pyc$|^tests/output(/|$)'
cached="$(grep -E "$cache_pattern" "$WORK_DIR/contents.txt" || true)"
if [[ -n "$cached" ]]; then
    report_paths "FAILED: the artifact contains caches, virtualenvs or test output; add them to build_ignore in galaxy.yml:" "$cached"
    failed=1
fi

# Files that are neither committed nor ignored are work in progress; they
# would ship, so they are listed, but they do not fail the check.
untracked="$(git -C "$REPO_ROOT" ls-files --others --exclude-standard | grep -x -F -f - "$WORK_DIR/contents.txt")" || true
if [[ -n "$untracked" ]]; then
    report_paths "WARNING: the artifact contains files that are not committed:" "$untracked"
fi

[[ "$failed" == 0 ]] || exit 1

echo "== Install into an empty collections directory"
# Running from an empty directory keeps the repository's ansible.cfg and its
# collections symlink out of the way. kubernetes.core, the dependency in galaxy.yml,
# comes with the ansible package; --no-deps keeps the install offline.
cd "$WORK_DIR"
export ANSIBLE_CONFIG="$WORK_DIR/ansible.cfg"
printf '[defaults]\n' > "$ANSIBLE_CONFIG"
export ANSIBLE_COLLECTIONS_PATH="$WORK_DIR/collections"
ansible-galaxy collection install --offline --no-deps --force -p "$ANSIBLE_COLLECTIONS_PATH" "$artifact"
installed="$ANSIBLE_COLLECTIONS_PATH/ansible_collections/gaap/genai"
ansible-galaxy collection list kubernetes.core

echo "== ansible-doc from the installed copy"
check_doc() {
    local plugin_type="$1" name="$2"

    if ansible-doc -t "$plugin_type" "gaap.genai.$name" > "$WORK_DIR/doc.txt" 2> "$WORK_DIR/doc.err" \
        && [[ -s "$WORK_DIR/doc.txt" ]] && ! grep -q "WARNING\|ERROR" "$WORK_DIR/doc.err"; then
        echo "ok: ansible-doc -t $plugin_type gaap.genai.$name"
    else
        echo "FAILED: ansible-doc -t $plugin_type gaap.genai.$name" >&2
        sed 's/^/  /' "$WORK_DIR/doc.err" >&2
        failed=1
    fi
}

for path in "$installed"/plugins/modules/*.py; do
    check_doc module "$(basename "$path" .py)"
done

for path in "$installed"/roles/*/; do
    check_doc role "$(basename "$path")"
done

# A filter file may define several filters, so the names come from
# ansible-doc's own listing rather than from file names.
for name in $(ansible-doc -t filter -l gaap.genai 2>/dev/null | awk '{print $1}' | sed 's/^gaap\.genai\.//'); do
    check_doc filter "$name"
done

[[ "$failed" == 0 ]] || exit 1
echo "Build check passed."
