"""Helpers that run the collection and its tools in end-to-end tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@dataclass
class Certificates:
    directory: Path
    hostname: str

    @property
    def certificate(self) -> Path:
        return self.directory / "cert.pem"

    @property
    def private_key(self) -> Path:
        return self.directory / "key.pem"


def crds_dir() -> Path:
    value = os.environ.get("GAAP_CRDS_DIR", "")
    if not value or not Path(value, "gateway-api-standard-v1.6.1.yaml").is_file():
        pytest.skip("GAAP_CRDS_DIR does not name a directory with the Gateway API CRD manifests; pass CRDS_DIR=/path/to/crds to make test")
    return Path(value)


def make_certificates(directory: Path, hostname: str) -> Certificates:
    subprocess.run(
        [sys.executable, "-m", "tlsfactory", "--hostname", hostname, "--out", str(directory)],
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "tests")},
    )
    return Certificates(directory, hostname)


def ansible_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    environment = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".cache" / "collections"),
        "ANSIBLE_NOCOLOR": "1",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    environment.update(extra or {})
    return environment


def run_module(kubeconfig: Path, args: dict[str, Any], check: bool = False, diff: bool = False) -> dict:
    """Run gaap.genai.genai_endpoint once on localhost and return its result."""
    command = [
        str(BIN / "ansible"),
        "localhost",
        "-m",
        "gaap.genai.genai_endpoint",
        "-a",
        json.dumps({"kubeconfig": str(kubeconfig), **args}),
    ]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    environment = ansible_environment(
        {"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"}
    )
    process = subprocess.run(command, cwd=ROOT, env=environment, text=True, capture_output=True, check=False)
    report = json.loads(process.stdout)
    return report["plays"][0]["tasks"][0]["hosts"]["localhost"]
