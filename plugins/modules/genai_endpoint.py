#!/usr/bin/python
# Copyright: gaap.genai contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: genai_endpoint
short_description: Manage a GenAI inference endpoint on a GPU Kubernetes cluster
version_added: 0.1.0
description:
  - An endpoint is the HTTPS access point through which inference requests reach the models
    on a GPU compute cluster. On the cluster it consists of a C(kubernetes.io/tls) Secret with the
    certificate chain and private key, and a Gateway (Gateway API v1) with one HTTPS listener
    for the endpoint's hostname that references the Secret. Envoy Gateway then starts the
    endpoint's proxy Deployment.
  - Every input is validated before the cluster is contacted, and every problem found is reported
    at once in RV(problems), each with a code from the list below. Nothing is written to the
    cluster unless all inputs are valid.
  - "Problem codes: V(name_invalid) (the name is not an RFC 1123 label of at most 63 characters),
    V(namespace_invalid), V(option_invalid) (a number out of its range), V(hostname_invalid) (not a DNS name, an IP address, a label over 63 or a
    name over 253 characters), V(certificate_unreadable), V(private_key_unreadable),
    V(private_key_encrypted) (no or wrong passphrase), V(key_mismatch) (the key does not belong
    to the leaf certificate), V(hostname_mismatch) (no SAN dNSName of the leaf covers the hostname;
    matching is case-insensitive, a wildcard covers exactly one left-most label and never the apex,
    and the subject CN is ignored), V(certificate_expired), V(certificate_not_yet_valid),
    V(chain_order), V(chain_incomplete), V(chain_signature_invalid), V(weak_key),
    V(unsupported_key_type), V(weak_signature), V(not_server_certificate), V(chain_untrusted)
    (only when O(ca_bundle) is given), V(cluster_unreachable) (the API server cannot be reached
    or rejects the credentials), V(namespace_not_found), V(resource_not_served) (the Gateway API
    CRDs are missing), V(object_conflict) (an object of the same name exists and is not managed by
    this collection or belongs to another endpoint), V(hostname_conflict) (another endpoint in the
    namespace serves the hostname), V(proxy_not_removed) (after O(state=absent), proxy pods were still
    there after O(wait_timeout)) and V(cluster_request_failed) (the API server rejected a request)."
  - "Warning codes, reported in RV(validation_warnings) and as Ansible warnings without failing:
    V(self_signed), V(root_included), V(chain_untrusted), V(leaf_is_ca),
    V(duplicate_certificate) and V(expiring_soon)."
  - The private key never appears in the module's output, its diff or its logs.
author:
  - gaap.genai maintainers (@gaap-genai)
options:
  name:
    description:
      - Name of the endpoint, and of its Gateway. An RFC 1123 label of at most 63 characters.
    type: str
    required: true
  description:
    description:
      - Free text stored in the Gateway's C(genai.gaap.io/description) annotation.
    type: str
    default: ""
  hostname:
    description:
      - DNS name clients use to reach the endpoint. It must be covered by a SAN of the certificate.
      - Compared and stored in lowercase; an internationalized name is converted to its A-label.
      - Required when O(state=present).
    type: str
  certificate:
    description:
      - PEM text of the certificate chain, leaf first, then the intermediates.
      - Mutually exclusive with O(certificate_path).
    type: str
  certificate_path:
    description:
      - Path on the controller of a PEM file with the certificate chain.
    type: path
  private_key:
    description:
      - PEM text of the leaf certificate's private key (PKCS#8, PKCS#1 or SEC1, encrypted or not).
      - Mutually exclusive with O(private_key_path).
    type: str
  private_key_path:
    description:
      - Path on the controller of a PEM file with the private key.
    type: path
  private_key_passphrase:
    description:
      - Passphrase of an encrypted private key. The Secret always receives the key unencrypted,
        because Envoy cannot read encrypted keys.
    type: str
  ca_bundle:
    description:
      - PEM text of trust anchors (root certificates) the chain must lead to.
      - When given, a chain that does not anchor in it is an error; when not, the chain is checked
        against the system trust store and a private CA only gives a warning.
      - Mutually exclusive with O(ca_bundle_path).
    type: str
  ca_bundle_path:
    description:
      - Path on the controller of a PEM file with trust anchors, as O(ca_bundle).
    type: path
  expiring_soon_days:
    description:
      - A leaf certificate that expires within this many days gives the V(expiring_soon) warning.
      - From 0 to 3650.
    type: int
    default: 30
  namespace:
    description:
      - Namespace of the endpoint's Gateway and Secret, where Envoy Gateway and the Envoy AI Gateway
        controller run.
    type: str
    default: gaap-controller
  gateway_class:
    description:
      - GatewayClass of the endpoint's Gateway, handled by Envoy Gateway.
    type: str
    default: gaap-genai
  cluster:
    description:
      - Name of the compute cluster in the inventory, stored in the Gateway's C(genai.gaap.io/cluster)
        annotation.
    type: str
    default: ""
  state:
    description:
      - V(present) creates or updates the endpoint; V(absent) removes its Gateway and Secret.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description:
      - With O(state=absent), wait until Envoy Gateway has removed the endpoint's proxy pods.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait for the proxy pods to go away when O(wait=true). At least 0.
    type: int
    default: 120
  validate_only:
    description:
      - Validate the inputs and return the endpoint's facts without contacting the cluster.
      - The role uses it to check every endpoint before it changes any cluster.
    type: bool
    default: false
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
requirements:
  - python >= 3.11
  - kubernetes >= 24.2.0
  - cryptography >= 42
attributes:
  check_mode:
    support: full
    description: Validates and sends every write to the API server as a dry run; nothing is changed.
  diff_mode:
    support: full
    description: Shows the Gateway and Secret before and after, with Secret data hidden.
notes:
  - The namespace and the GatewayClass must exist; the role C(gaap.genai.genai_endpoint) creates
    them together with Envoy Gateway and the Envoy AI Gateway controller.
  - The proxy Deployment is started by Envoy Gateway, not by this module; the role waits for it.
seealso:
  - name: Gateway API
    description: The Gateway resource and its TLS listener.
    link: https://gateway-api.sigs.k8s.io/reference/spec/
"""

EXAMPLES = r"""
- name: Create an endpoint from files on the controller
  gaap.genai.genai_endpoint:
    name: chat-endpoint
    description: Chat models for the support team
    hostname: chat.genai.example.com
    certificate_path: /etc/gaap/chat/fullchain.pem
    private_key_path: /etc/gaap/chat/privkey.pem
    kubeconfig: ~/.kube/gpu-cluster-1
    cluster: gpu-cluster-1

- name: Create an endpoint from vaulted variables, anchored in a private CA
  gaap.genai.genai_endpoint:
    name: chat-endpoint
    hostname: chat.genai.example.com
    certificate: "{{ chat_certificate_pem }}"
    private_key: "{{ chat_private_key_pem }}"
    private_key_passphrase: "{{ chat_private_key_passphrase }}"
    ca_bundle: "{{ corporate_root_ca_pem }}"
    context: gpu-cluster-1

- name: Remove an endpoint
  gaap.genai.genai_endpoint:
    name: chat-endpoint
    state: absent
"""

RETURN = r"""
endpoint:
  description: Facts about the endpoint and the names of the objects it is made of.
  returned: success
  type: dict
  contains:
    name:
      description: Name of the endpoint and of its Gateway.
      type: str
      sample: chat-endpoint
    namespace:
      description: Namespace of the Gateway, the Secret and the proxy Deployment.
      type: str
      sample: gaap-controller
    hostname:
      description: Hostname of the HTTPS listener, lowercase and in A-label form.
      type: str
      sample: chat.genai.example.com
    description:
      description: The endpoint's description.
      type: str
    cluster:
      description: Inventory name of the compute cluster.
      type: str
    gateway:
      description: Name of the Gateway.
      type: str
      sample: chat-endpoint
    secret:
      description: Name of the kubernetes.io/tls Secret.
      type: str
      sample: chat-endpoint-tls
    proxy_deployment:
      description: Name of the proxy Deployment and Service that Envoy Gateway creates for the Gateway.
      type: str
      sample: envoy-gaap-controller-chat-endpoint-5b0e4a1c
    proxy_selector:
      description: Label selector of the proxy pods.
      type: str
      sample: gateway.envoyproxy.io/owning-gateway-name=chat-endpoint,gateway.envoyproxy.io/owning-gateway-namespace=gaap-controller
    certificate:
      description: The leaf certificate.
      returned: when O(state=present)
      type: dict
      contains:
        fingerprint_sha256:
          description: SHA-256 fingerprint of the leaf certificate, colon-separated hex.
          type: str
        not_before:
          description: Start of validity, ISO 8601 in UTC.
          type: str
        not_after:
          description: End of validity, ISO 8601 in UTC.
          type: str
        subject:
          description: Subject of the leaf certificate.
          type: str
        dns_names:
          description: SAN dNSNames of the leaf certificate.
          type: list
          elements: str
objects:
  description: What happened to each object of the endpoint.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: Kind of the object.
      type: str
    name:
      description: Name of the object.
      type: str
    namespace:
      description: Namespace of the object.
      type: str
    action:
      description: V(create), V(update), V(delete) or V(none).
      type: str
problems:
  description: Every problem found, each with a code (see the module description) and a message.
  returned: failure
  type: list
  elements: dict
  sample: [{code: hostname_mismatch, message: "The certificate does not cover chat.example.com ..."}]
validation_warnings:
  description: Warnings about the certificate chain that did not stop the run, each with a code and a message.
  returned: always
  type: list
  elements: dict
  sample: [{code: chain_untrusted, message: "The chain ends at a root that is not in the system trust store ..."}]
"""

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule

from ansible_collections.gaap.genai.plugins.module_utils._runner import run_endpoint


def argument_spec() -> dict:
    spec = dict(
        name=dict(type="str", required=True),
        description=dict(type="str", default=""),
        hostname=dict(type="str"),
        certificate=dict(type="str"),
        certificate_path=dict(type="path"),
        private_key=dict(type="str", no_log=True),
        private_key_path=dict(type="path"),
        private_key_passphrase=dict(type="str", no_log=True),
        ca_bundle=dict(type="str"),
        ca_bundle_path=dict(type="path"),
        expiring_soon_days=dict(type="int", default=30),
        namespace=dict(type="str", default="gaap-controller"),
        gateway_class=dict(type="str", default="gaap-genai"),
        cluster=dict(type="str", default=""),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=120),
        validate_only=dict(type="bool", default=False),
    )
    spec.update(AUTH_ARG_SPEC)
    return spec


def main() -> None:
    module = AnsibleK8SModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[
            ("certificate", "certificate_path"),
            ("private_key", "private_key_path"),
            ("ca_bundle", "ca_bundle_path"),
        ],
        required_if=[
            ("state", "present", ("hostname",)),
            ("state", "present", ("certificate", "certificate_path"), True),
            ("state", "present", ("private_key", "private_key_path"), True),
        ],
        supports_check_mode=True,
    )
    run_endpoint(module)


if __name__ == "__main__":
    main()
