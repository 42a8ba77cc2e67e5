"""Command line: run the simulated cluster until SIGTERM or SIGINT.

PYTHONPATH=tests python -m kubesim --kubeconfig FILE [--port N] [--pod-start-seconds S]
    [--gpu-nodes N] [--crds DIR-or-FILE ...] [--state-file PATH] [--fault-rate R] [--log-file PATH]
    [--deny VERB:RESOURCE[.GROUP] ...]
"""

from __future__ import annotations

import argparse
import logging
import secrets
import signal
import ssl
import sys
import tempfile
import threading
from pathlib import Path

from .authorization import Authorizer, DenyRule, parse_deny_rule
from .certs import create_credentials
from .cluster import Cluster, ClusterOptions
from .faults import FaultInjector
from .kubeconfig import write_kubeconfig
from .server import KubesimServer
from .state import load_state, save_state

log = logging.getLogger("kubesim")

STATE_SAVE_SECONDS = 5.0


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="kubesim", description="Run a simulated Kubernetes API server with simulated controllers on 127.0.0.1.")
    parser.add_argument("--kubeconfig", type=Path, required=True, help="path of the kubeconfig to write once the server listens")
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 picks a free port; default 0)")
    parser.add_argument("--pod-start-seconds", type=float, default=2.0, help="seconds a bound pod stays Pending before it runs (default 2.0)")
    parser.add_argument("--gpu-nodes", type=int, default=2, help="number of GPU nodes with 8 nvidia.com/gpu each (default 2)")
    parser.add_argument("--crds", type=Path, action="extend", nargs="+", default=[],
                        help="CRD YAML files or directories to install at start-up (several after one flag, or the flag repeated)")
    parser.add_argument("--state-file", type=Path, help="JSON file to restore objects from at start-up and save them to at stop")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of API requests (0 to 1) answered with 500, 503 or 429 (default 0)")
    parser.add_argument("--log-file", type=Path, help="write the log here instead of standard error")
    parser.add_argument("--deny", action="append", default=[], metavar="VERB:RESOURCE[.GROUP]",
                        help="deny the token user this verb on this resource (plural; any group without .GROUP; * matches all); repeatable")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="log level (default INFO)")
    arguments = parser.parse_args(argv)
    if not 0.0 <= arguments.fault_rate <= 1.0:
        parser.error(f"--fault-rate {arguments.fault_rate} is out of range; use a share between 0 and 1")
    if arguments.gpu_nodes < 0:
        parser.error(f"--gpu-nodes {arguments.gpu_nodes} is negative; use 0 or more")
    deny_rules: list[DenyRule] = []
    for text in arguments.deny:
        try:
            deny_rules.append(parse_deny_rule(text))
        except ValueError as error:
            parser.error(f"--deny: {error}")
    arguments.deny_rules = deny_rules
    for path in arguments.crds:
        if not path.exists():
            parser.error(f"--crds {path} does not exist; pass a CRD YAML file or a directory of them")
    return arguments


def _ssl_context(cert_pem: bytes, key_pem: bytes) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory() as directory:
        cert_file = Path(directory) / "tls.crt"
        key_file = Path(directory) / "tls.key"
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(key_pem)
        key_file.chmod(0o600)
        context.load_cert_chain(cert_file, key_file)
    return context


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    handler: logging.Handler = logging.FileHandler(arguments.log_file) if arguments.log_file else logging.StreamHandler()
    logging.basicConfig(level=arguments.log_level, handlers=[handler], format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    credentials = create_credentials()
    faults = FaultInjector(arguments.fault_rate)
    options = ClusterOptions(pod_start_seconds=arguments.pod_start_seconds, gpu_nodes=arguments.gpu_nodes, crds=arguments.crds)
    cluster = Cluster(options, credentials.ca_pem, faults)
    if arguments.state_file and load_state(cluster.store, arguments.state_file):
        cluster.register_stored_crds()
        log.info("restored state from %s", arguments.state_file)
    cluster.bootstrap()

    token = secrets.token_urlsafe(32)
    try:
        server = KubesimServer(("127.0.0.1", arguments.port), cluster.api, token, _ssl_context(credentials.cert_pem, credentials.key_pem), faults,
                               Authorizer(arguments.deny_rules))
    except OSError as error:
        log.error("cannot listen on 127.0.0.1:%d: %s; choose another --port, or 0 for a free one", arguments.port, error.strerror)
        return 1
    port = server.server_address[1]
    url = f"https://127.0.0.1:{port}"

    stop = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="kubesim-http", daemon=True)
    serving.start()
    cluster.start()
    write_kubeconfig(arguments.kubeconfig, url, credentials.ca_pem, token)
    for rule in arguments.deny_rules:
        log.info("denying %s to the token user", rule)
    log.info("kubesim listening on %s (kubeconfig %s, %d GPU nodes, pods start after %.1fs)",
             url, arguments.kubeconfig, options.gpu_nodes, options.pod_start_seconds)

    saved_revision = cluster.store.revision
    while not stop.wait(STATE_SAVE_SECONDS):
        # Save while running too, so a killed kubesim loses at most a few seconds of changes.
        if arguments.state_file and cluster.store.revision != saved_revision:
            saved_revision = cluster.store.revision
            save_state(cluster.store, arguments.state_file)
    server.stopping.set()
    server.shutdown()
    cluster.stop()
    server.server_close()
    if arguments.state_file:
        save_state(cluster.store, arguments.state_file)
        log.info("saved state to %s", arguments.state_file)
    log.info("kubesim stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
