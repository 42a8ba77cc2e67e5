#!/usr/bin/python
# Copyright: gaap.genai contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: genai_endpoint_info
short_description: Show the GenAI inference endpoints of a cluster and whether they serve
version_added: 0.1.0
description:
  - Lists the endpoints of a cluster, that is the Gateways labelled
    C(app.kubernetes.io/managed-by=gaap.genai) in O(namespace), or the one named O(name).
  - For each endpoint it reads the Gateway, the C(<name>-tls) Secret, and the proxy Deployment,
    proxy Service and proxy pods that Envoy Gateway created for the Gateway, and reports a state
    with the reason for it.
  - "States, decided by the first rule that matches:"
  - "V(Failed): the Secret is missing, its C(tls.crt) has no readable certificate, or the leaf
    certificate has expired; the Gateway's C(Accepted) condition is C(False) for a reason other
    than C(Pending); a listener's C(ResolvedRefs) condition is C(False) (for example
    C(InvalidCertificateRef)); a proxy pod is C(Unschedulable) or one of its containers waits in
    C(ImagePullBackOff), C(ErrImagePull), C(InvalidImageName), C(CrashLoopBackOff) or
    C(CreateContainerConfigError); or the proxy Deployment asks for 0 replicas."
  - "V(Initializing): the proxy Deployment does not exist yet, no proxy pod is ready yet (for
    example C(Pending) while its containers are created), or the Gateway's C(Programmed)
    condition is not C(True)."
  - "V(Degraded): some but not all proxy pods are ready, or one of the controller Deployments
    C(envoy-gateway) and C(ai-gateway-controller) is not ready while the proxy serves."
  - "V(Active): the Gateway is C(Programmed), both controllers are ready, and every proxy pod
    is C(Running) and ready, as many as the Deployment asks for (at least one)."
  - Pods that are being deleted or have finished (for example C(Evicted)) are left out, because
    their Deployment has replaced them.
  - The module only reads. The Secret's certificate is parsed to report its expiry; no Secret
    data appears in the result.
author:
  - gaap.genai maintainers (@gaap-genai)
options:
  name:
    description:
      - Name of one endpoint (its Gateway). When omitted, every endpoint in O(namespace) is listed.
      - An endpoint that does not exist gives an empty RV(endpoints) list, not a failure.
    type: str
  namespace:
    description:
      - Namespace of the endpoints' Gateways and Secrets, where Envoy Gateway, the Envoy AI
        Gateway controller and the proxy Deployments run.
    type: str
    default: gaap-controller
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
requirements:
  - python >= 3.11
  - kubernetes >= 24.2.0
  - cryptography >= 42
attributes:
  check_mode:
    support: full
    description: The module never changes the cluster, so it runs the same in check mode.
  diff_mode:
    support: none
    description: The module changes nothing, so there is no diff.
notes:
  - The credentials need C(get) and C(list) on Gateways, Secrets, Services, Pods and Deployments
    in O(namespace).
seealso:
  - module: gaap.genai.genai_endpoint
  - module: gaap.genai.genai_cluster_info
"""

EXAMPLES = r"""
- name: List the endpoints of a cluster
  gaap.genai.genai_endpoint_info:
    kubeconfig: ~/.kube/gpu-cluster-1
  register: endpoints

- name: Show each endpoint's state
  ansible.builtin.debug:
    msg: "{{ item.name }} ({{ item.hostname }}) is {{ item.state }}: {{ item.reason }}"
  loop: "{{ endpoints.endpoints }}"

- name: Wait until one endpoint is Active
  gaap.genai.genai_endpoint_info:
    name: chat-endpoint
    context: gpu-cluster-1
  register: chat
  until: chat.endpoints | length == 1 and chat.endpoints[0].state == 'Active'
  retries: 60
  delay: 5

- name: Fail when a certificate expires within 30 days
  ansible.builtin.assert:
    that: item.certificate_days_left is none or item.certificate_days_left >= 30
    fail_msg: "The certificate of {{ item.name }} expires on {{ item.certificate_not_after }}."
  loop: "{{ endpoints.endpoints }}"
"""

RETURN = r"""
endpoints:
  description: One entry per endpoint, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the endpoint and of its Gateway.
      type: str
      sample: chat-endpoint
    namespace:
      description: Namespace of the Gateway.
      type: str
      sample: gaap-controller
    description:
      description: The Gateway's C(genai.gaap.io/description) annotation.
      type: str
      sample: Chat models for the support team
    hostname:
      description: Hostname of the Gateway's HTTPS listener.
      type: str
      sample: chat.genai.example.com
    cluster:
      description: The Gateway's C(genai.gaap.io/cluster) annotation, the inventory name of the cluster.
      type: str
      sample: gpu-cluster-1
    state:
      description: V(Initializing), V(Active), V(Degraded) or V(Failed), by the rules in the module description.
      type: str
      sample: Active
    reason:
      description: Why the endpoint is in its state, naming the object or condition that decided it.
      type: str
      sample: "1 of 2 proxy pods ready; pod envoy-gaap-controller-chat-endpoint-5b0e4a1c-7d9f8-x2k4q: ContainerCreating"
    pods_ready:
      description: Proxy pods that are Running with every container ready.
      type: int
      sample: 2
    pods_desired:
      description: C(spec.replicas) of the proxy Deployment; 0 while it does not exist.
      type: int
      sample: 2
    address:
      description: First load balancer ingress IP or hostname of the proxy Service, or null while it has none.
      type: str
      sample: 203.0.113.10
    certificate_not_after:
      description: End of validity of the leaf certificate in the Secret, ISO 8601 in UTC; null when there is none.
      type: str
      sample: "2027-03-01T12:00:00+00:00"
    certificate_days_left:
      description: Whole days until C(certificate_not_after), negative once expired; null when there is no certificate.
      type: int
      sample: 87
    gateway:
      description: Name of the Gateway.
      type: str
    secret:
      description: Name of the kubernetes.io/tls Secret.
      type: str
      sample: chat-endpoint-tls
    proxy_deployment:
      description: Name of the proxy Deployment and Service that Envoy Gateway creates for the Gateway.
      type: str
      sample: envoy-gaap-controller-chat-endpoint-5b0e4a1c
controllers:
  description: Readiness of the controller Deployments C(envoy-gateway) and C(ai-gateway-controller).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the Deployment.
      type: str
      sample: envoy-gateway
    ready:
      description: Whether the Deployment has rolled out its current spec to ready replicas.
      type: bool
    reason:
      description: V(ready), V(Deployment not found), or how many replicas are ready.
      type: str
      sample: 0 of 1 replicas ready
problems:
  description: The problem that stopped the module, with a code (V(cluster_unreachable),
    V(resource_not_served) or V(cluster_request_failed)) and a message.
  returned: failure
  type: list
  elements: dict
"""

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule

from ansible_collections.gaap.genai.plugins.module_utils._info import run_endpoint_info


def argument_spec() -> dict:
    spec = dict(
        name=dict(type="str"),
        namespace=dict(type="str", default="gaap-controller"),
    )
    spec.update(AUTH_ARG_SPEC)
    return spec


def main() -> None:
    module = AnsibleK8SModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_endpoint_info(module)


if __name__ == "__main__":
    main()
