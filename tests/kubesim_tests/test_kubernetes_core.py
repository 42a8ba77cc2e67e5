"""kubernetes.core's k8s and k8s_info modules against kubesim, through ansible-playbook."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kubesim.testing import RunningKubesim

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  vars:
    kubeconfig: "{{ lookup('env', 'KUBESIM_KUBECONFIG') }}"
    config_map:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: settings, namespace: ansible}
      data: {level: info}
    deployment:
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, namespace: ansible}
      spec:
        replicas: 1
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec: {containers: [{name: web, image: "registry.example/web:1"}]}
  tasks:
    - name: Create the namespace
      kubernetes.core.k8s:
        kubeconfig: "{{ kubeconfig }}"
        definition: {apiVersion: v1, kind: Namespace, metadata: {name: ansible}}

    - name: Preview a ConfigMap in check mode
      kubernetes.core.k8s:
        kubeconfig: "{{ kubeconfig }}"
        definition: "{{ config_map }}"
      check_mode: true
      register: preview

    - name: Look for the previewed ConfigMap
      kubernetes.core.k8s_info:
        kubeconfig: "{{ kubeconfig }}"
        kind: ConfigMap
        namespace: ansible
        name: settings
      register: after_preview

    - name: Apply the ConfigMap and the Deployment
      kubernetes.core.k8s:
        kubeconfig: "{{ kubeconfig }}"
        apply: true
        definition: "{{ item }}"
      loop: ["{{ config_map }}", "{{ deployment }}"]
      register: first_apply

    - name: Apply them again
      kubernetes.core.k8s:
        kubeconfig: "{{ kubeconfig }}"
        apply: true
        definition: "{{ item }}"
      loop: ["{{ config_map }}", "{{ deployment }}"]
      register: second_apply

    - name: Wait for the Deployment
      kubernetes.core.k8s_info:
        kubeconfig: "{{ kubeconfig }}"
        kind: Deployment
        namespace: ansible
        name: web
        wait: true
        wait_condition: {type: Available, status: "True"}
        wait_timeout: 60
      register: available

    - name: Apply a ConfigMap server-side
      kubernetes.core.k8s:
        kubeconfig: "{{ kubeconfig }}"
        server_side_apply: {field_manager: ansible-test}
        definition: {apiVersion: v1, kind: ConfigMap, metadata: {name: ssa, namespace: ansible}, data: {a: "1"}}
      register: server_side

    - name: Delete the Deployment and wait
      kubernetes.core.k8s:
        kubeconfig: "{{ kubeconfig }}"
        state: absent
        definition: "{{ deployment }}"
        wait: true
      register: deleted

    - name: Check the results
      ansible.builtin.assert:
        that:
          - preview is changed
          - after_preview.resources | length == 0
          - first_apply is changed
          - second_apply is not changed
          - available.resources[0].status.availableReplicas == 1
          - server_side is changed
          - deleted is changed
"""


@pytest.mark.skipif(shutil.which("ansible-playbook", path=str(Path(sys.executable).parent)) is None,
                    reason="ansible-playbook is not installed next to this Python; run `make venv`")
def test_playbook_against_kubesim(kubesim: RunningKubesim, tmp_path: Path) -> None:
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(PLAYBOOK, encoding="utf-8")
    environment = dict(os.environ, KUBESIM_KUBECONFIG=str(kubesim.kubeconfig), ANSIBLE_LOCALHOST_WARNING="false",
                       ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    command = [str(Path(sys.executable).parent / "ansible-playbook"), str(playbook)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=environment, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
