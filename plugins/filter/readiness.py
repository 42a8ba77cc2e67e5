# Copyright: gaap.genai contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters that tell which Pods are not ready and why."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: unready_pods
short_description: List the pods that are not Running with every container ready, and why
version_added: 0.1.0
description:
  - Takes a list of Pod objects, as returned in C(resources) by M(kubernetes.core.k8s_info),
    and returns one entry for each pod that is not ready.
  - A pod is ready when its phase is C(Running), it is not being deleted, and every container
    in its spec reports C(ready=true) in C(status.containerStatuses).
  - "The reason is, in this order: the C(PodScheduled) condition's reason when the pod is not
    scheduled (e.g. C(Unschedulable)); the waiting or terminated reasons of the containers that are
    not ready, joined by C(, ) (e.g. C(ImagePullBackOff), C(CrashLoopBackOff), C(OOMKilled));
    the pod's own status reason (e.g. C(Evicted)); C(being deleted);
    C(containers not ready: <names>); or C(phase <phase>)."
  - An empty list means every pod given is ready. It does not mean that pods exist, so test
    the input's length as well.
author:
  - gaap.genai maintainers (@gaap-genai)
positional: _input
options:
  _input:
    description: Pod objects, each a dict with C(metadata), C(spec) and C(status).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Wait until the Envoy Gateway pods are Running and ready
  kubernetes.core.k8s_info:
    kind: Pod
    namespace: gaap-controller
    label_selectors:
      - app.kubernetes.io/name=envoy-gateway
  register: envoy_gateway_pods
  until: >-
    envoy_gateway_pods.resources | length > 0
    and envoy_gateway_pods.resources | gaap.genai.unready_pods | length == 0
  retries: 60
  delay: 5

- name: Show why pods are not ready
  ansible.builtin.debug:
    msg: "{{ item.name }} is {{ item.phase }}: {{ item.reason }}"
  loop: "{{ envoy_gateway_pods.resources | gaap.genai.unready_pods }}"
  # For example: envoy-gateway-7d9f8c6b5-x2k4q is Pending: ImagePullBackOff
"""

RETURN = r"""
_value:
  description: One entry per pod that is not ready, in the order of the input.
  type: list
  elements: dict
  contains:
    name:
      description: Name of the pod.
      type: str
      sample: envoy-gaap-controller-demo-endpoint-3f1c2a9b-6d8f7c9b4-lq2zt
    phase:
      description: Phase of the pod, C(Unknown) when the status has none.
      type: str
      sample: Pending
    reason:
      description: Why the pod is not ready.
      type: str
      sample: ImagePullBackOff
"""

from collections.abc import Iterable, Mapping
from typing import Any, Callable

from ansible.errors import AnsibleFilterError

from ansible_collections.gaap.genai.plugins.module_utils._readiness import unready_pods as _unready_pods


def unready_pods(pods: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Return name, phase and reason of each pod in pods that is not ready."""
    if isinstance(pods, (str, bytes, Mapping)) or not isinstance(pods, Iterable):
        raise AnsibleFilterError(
            f"unready_pods received a {type(pods).__name__}, but its input must be a list of Pod objects, "
            "such as the resources returned by kubernetes.core.k8s_info."
        )
    for pod in pods:
        if not isinstance(pod, Mapping):
            raise AnsibleFilterError(
                f"unready_pods received a list with a {type(pod).__name__} in it, "
                "but each item must be a Pod object (a dict)."
            )
    return _unready_pods(pods)


class FilterModule:
    """Readiness filters of gaap.genai."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"unready_pods": unready_pods}
