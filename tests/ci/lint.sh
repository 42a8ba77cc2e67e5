#!/usr/bin/env bash
# Lint the Ansible content with ansible-lint's production profile
# (.ansible-lint), then syntax-check every playbook, including the AWX ones
# that no test runs.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV_BIN="${VENV_BIN:-$REPO_ROOT/.venv/bin}"

export PATH="$VENV_BIN:$PATH"
export ANSIBLE_COLLECTIONS_PATH="${ANSIBLE_COLLECTIONS_PATH:-$REPO_ROOT/.cache/collections}"

cd "$REPO_ROOT"

echo "== ansible-lint (profile production)"
ansible-lint --nocolor

echo "== ansible-playbook --syntax-check"
for playbook in playbooks/site.yml awx/register.yml awx/create_endpoint.yml; do
    ansible-playbook --syntax-check "$playbook"
done
