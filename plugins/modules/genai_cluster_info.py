#!/usr/bin/python
# Copyright: gaap.genai contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: genai_cluster_info
short_description: Tell whether a Kubernetes cluster can run GenAI inference endpoints
version_added: 0.1.0
description:
  - Reads the API server's version, the nodes' GPU capacity, whether the Gateway API CRDs are
    served, and whether the credentials may do what the role C(gaap.genai.genai_endpoint) does,
    and reports every reason the cluster is not supported at once.
  - Each reason is one entry in RV(problems) with the code V(cluster_unsupported) and a message
    that names the value and the fix. RV(supported) is V(true) when there is none.
  - "Version: the API server must run Kubernetes 1.31 to 1.35. 1.31 is the first release that
    accepts every object of the Gateway API v1.6.1 standard bundle the role applies: its
    TLSRoute CRD's validation rules call C(isIP()), which API servers accept in new rules from
    1.31, and its ValidatingAdmissionPolicy uses C(admissionregistration.k8s.io/v1), served
    from 1.30. 1.35 is the newest release the collection declares support for."
  - "GPUs: at least one node must offer C(nvidia.com/gpu) capacity, unless O(require_gpu=false)."
  - "CRDs: the cluster must serve Gateway and GatewayClass in C(gateway.networking.k8s.io/v1),
    unless O(crds_will_be_installed=true)."
  - "Permissions: the credentials must be allowed C(create), C(get), C(list), C(patch) and
    C(delete) on namespaces, secrets, services, configmaps, serviceaccounts, deployments,
    clusterroles, clusterrolebindings, gateways, gatewayclasses and customresourcedefinitions.
    The module sends one SelfSubjectAccessReview per verb and resource, as
    C(kubectl auth can-i) does; namespaced resources are checked in O(namespace)."
  - The module does not fail for an unsupported cluster; test RV(supported) or RV(problems).
    It fails only when the cluster cannot be read.
author:
  - gaap.genai maintainers (@gaap-genai)
options:
  require_gpu:
    description:
      - Require at least one node with C(nvidia.com/gpu) capacity. Set to V(false) for test
        clusters without GPUs.
    type: bool
    default: true
  crds_will_be_installed:
    description:
      - The caller installs the Gateway API CRDs itself (the role does so when
        C(genai_endpoint_crd_sources) is set), so missing CRDs are not a problem.
    type: bool
    default: false
  namespace:
    description:
      - Namespace in which the permissions on namespaced resources are checked.
    type: str
    default: gaap-controller
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
requirements:
  - python >= 3.11
  - kubernetes >= 24.2.0
attributes:
  check_mode:
    support: full
    description: The module never changes the cluster. SelfSubjectAccessReviews are not stored.
  diff_mode:
    support: none
    description: The module changes nothing, so there is no diff.
notes:
  - An API server that does not serve SelfSubjectAccessReview gives a warning, and
    RV(permissions_checked) is V(false).
seealso:
  - module: gaap.genai.genai_endpoint_info
  - name: kubectl auth can-i
    description: The same permission check from the command line.
    link: https://kubernetes.io/docs/reference/access-authn-authz/authorization/#checking-api-access
"""

EXAMPLES = r"""
- name: Check the cluster before installing anything
  gaap.genai.genai_cluster_info:
    kubeconfig: ~/.kube/gpu-cluster-1
    crds_will_be_installed: true
  register: cluster

- name: Stop with every reason the cluster is not supported
  ansible.builtin.assert:
    that: cluster.supported
    fail_msg: "{{ cluster.problems | map(attribute='message') | join(' ') }}"

- name: Check a CPU-only test cluster
  gaap.genai.genai_cluster_info:
    context: kind-test
    require_gpu: false
  register: test_cluster
"""

RETURN = r"""
supported:
  description: Whether the cluster passed every check.
  returned: success
  type: bool
  sample: false
problems:
  description: One entry per failed check, each with the code V(cluster_unsupported) and a message.
    On failure, the problem that stopped the module (V(cluster_unreachable), V(resource_not_served)
    or V(cluster_request_failed)).
  returned: always
  type: list
  elements: dict
  sample: [{code: cluster_unsupported, message: "No node of the cluster offers nvidia.com/gpu capacity ..."}]
version:
  description: Kubernetes version of the API server, from C(/version).
  returned: success
  type: dict
  contains:
    major:
      description: Major version, null when unreadable.
      type: int
      sample: 1
    minor:
      description: Minor version without a provider's suffix, null when unreadable.
      type: int
      sample: 33
    git_version:
      description: The full version string.
      type: str
      sample: v1.33.2
nodes:
  description: Every node with its C(nvidia.com/gpu) capacity, sorted by name.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Name of the node.
      type: str
    gpus:
      description: C(nvidia.com/gpu) capacity, 0 when the node has none.
      type: int
gpu_nodes:
  description: Number of nodes with at least one GPU.
  returned: success
  type: int
crds:
  description: For each required CRD, whether the API server serves its kind.
  returned: success
  type: dict
  sample: {gateways.gateway.networking.k8s.io: true, gatewayclasses.gateway.networking.k8s.io: true}
permissions_checked:
  description: Whether the permissions were checked (false when SelfSubjectAccessReview is not served).
  returned: success
  type: bool
permissions_missing:
  description: Each verb on a resource that the credentials may not do.
  returned: success
  type: list
  elements: dict
  sample: [{verb: create, group: rbac.authorization.k8s.io, resource: clusterroles, namespace: null}]
"""

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule

from ansible_collections.gaap.genai.plugins.module_utils._support import run_cluster_info


def argument_spec() -> dict:
    spec = dict(
        require_gpu=dict(type="bool", default=True),
        crds_will_be_installed=dict(type="bool", default=False),
        namespace=dict(type="str", default="gaap-controller"),
    )
    spec.update(AUTH_ARG_SPEC)
    return spec


def main() -> None:
    module = AnsibleK8SModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_cluster_info(module)


if __name__ == "__main__":
    main()
