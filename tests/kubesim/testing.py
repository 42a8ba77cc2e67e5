"""Test helper: run kubesim as a subprocess for the duration of a `with` block.

    with running_kubesim(tmp_path, pod_start_seconds=0.5, crds=[path]) as cluster:
        config.load_kube_config(str(cluster.kubeconfig))
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

PACKAGE_PARENT = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0


class RunningKubesim:
    """A started kubesim process: its kubeconfig, URL, log file and a stop() method."""

    def __init__(self, process: subprocess.Popen[bytes], kubeconfig: Path, log_file: Path) -> None:
        self.process = process
        self.kubeconfig = kubeconfig
        self.log_file = log_file
        config = yaml.safe_load(kubeconfig.read_text(encoding="utf-8"))
        self.url: str = config["clusters"][0]["cluster"]["server"]
        self.token: str = config["users"][0]["user"]["token"]

    def stop(self) -> int:
        """Send SIGTERM and wait; return the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def log_text(self) -> str:
        return self.log_file.read_text(encoding="utf-8") if self.log_file.exists() else ""


def _arguments(options: dict[str, Any]) -> list[str]:
    arguments = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        values = value if isinstance(value, (list, tuple)) else [value]
        for entry in values:
            if entry is None or entry is False:
                continue
            arguments += [flag] if entry is True else [flag, str(entry)]
    return arguments


def start_kubesim(directory: Path, **options: Any) -> RunningKubesim:
    """Start kubesim with options named like its flags (pod_start_seconds=0.5) and wait until it listens."""
    directory.mkdir(parents=True, exist_ok=True)
    kubeconfig = Path(options.pop("kubeconfig", directory / "kubeconfig"))
    log_file = Path(options.pop("log_file", directory / "kubesim.log"))
    if kubeconfig.exists():
        kubeconfig.unlink()
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_PARENT), environment.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "kubesim", "--kubeconfig", str(kubeconfig), "--log-file", str(log_file)] + _arguments(options)
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not kubeconfig.exists():
        if process.poll() is not None:
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            log = log_file.read_text(encoding="utf-8") if log_file.exists() else ""
            raise RuntimeError(f"kubesim exited with code {process.returncode} before listening: {error}{log}")
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"kubesim did not write {kubeconfig} within {START_TIMEOUT_SECONDS:.0f}s; see {log_file}")
        time.sleep(0.05)
    return RunningKubesim(process, kubeconfig, log_file)


@contextlib.contextmanager
def running_kubesim(tmp_path: Path, **options: Any) -> Iterator[RunningKubesim]:
    """Run kubesim for a `with` block and stop it afterwards."""
    cluster = start_kubesim(Path(tmp_path), **options)
    try:
        yield cluster
    finally:
        cluster.stop()
