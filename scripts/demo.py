"""Run the demo: create an endpoint on a simulated cluster and show it Active.

Starts kubesim, makes a fresh certificate chain for the example endpoint,
runs playbooks/site.yml with the demo inventory twice (the second run must
report no changes), shows the endpoint's objects with kubectl when it is
installed, and stops kubesim. Run it through `make demo`, which prepares
the virtualenv and the environment it reads.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from kubesim.testing import running_kubesim  # noqa: E402

DEMO_DIR = ROOT / ".demo"
HOSTNAME = "demo.genai.example.test"
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)


def make_certificates(directory: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "tlsfactory", "--hostname", HOSTNAME, "--out", str(directory)],
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "tests")},
    )


def run_playbook(environment: dict[str, str]) -> str:
    """Run site.yml, echo its output, and return it; exit on failure."""
    command = [str(Path(sys.executable).with_name("ansible-playbook")), "playbooks/site.yml"]
    process = subprocess.run(command, cwd=ROOT, env=environment, text=True, capture_output=True, check=False)
    print(process.stdout, end="")
    print(process.stderr, end="", file=sys.stderr)
    if process.returncode != 0:
        sys.exit(f"demo: ansible-playbook failed with exit code {process.returncode}")
    return process.stdout


def changed_count(output: str) -> int:
    return sum(int(match.group(3)) for match in RECAP.finditer(output))


def show_objects(kubeconfig: Path) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return
    print("\n== Objects in namespace gaap-controller (kubectl) ==")
    subprocess.run(
        [kubectl, "--kubeconfig", str(kubeconfig), "-n", "gaap-controller", "get", "gateways,deployments,pods"],
        check=False,
    )


def main() -> int:
    if not os.environ.get("GAAP_CRDS_DIR") or not Path(os.environ["GAAP_CRDS_DIR"]).is_dir():
        sys.exit(
            "demo: the Gateway API CRD manifests were not found. Set CRDS_DIR to the directory "
            "that holds gateway-api-standard-v1.6.1.yaml, e.g. make demo CRDS_DIR=/path/to/crds"
        )

    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir()
    make_certificates(DEMO_DIR / "certs")

    with running_kubesim(DEMO_DIR, pod_start_seconds=2) as cluster:
        environment = {
            **os.environ,
            "GAAP_DEMO_KUBECONFIG": str(cluster.kubeconfig),
            "GAAP_DEMO_DIR": str(DEMO_DIR / "certs"),
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        }
        print(f"== Simulated cluster at {cluster.url}; kubeconfig {cluster.kubeconfig} ==\n")

        print("== First run: create the endpoint ==")
        run_playbook(environment)

        print("== Second run: nothing to change ==")
        second = run_playbook(environment)
        changes = changed_count(second)
        if changes:
            sys.exit(f"demo: the second run reported {changes} changes; expected none")

        show_objects(cluster.kubeconfig)

    print(f"\nThe endpoint demo-endpoint ({HOSTNAME}) is Active, and a second run changed nothing.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
