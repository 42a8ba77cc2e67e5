"""Fixtures that run the collection against a simulated cluster."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from e2e.helpers import Certificates, crds_dir, make_certificates
from kubesim.testing import running_kubesim


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Start a simulated cluster with the Gateway API CRDs for one test module."""
    crds = crds_dir()
    with running_kubesim(tmp_path_factory.mktemp("kubesim"), pod_start_seconds=0.5, crds=[crds]) as running:
        yield running


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """Make a chain whose wildcard leaf covers <endpoint>.genai.example.test."""
    return make_certificates(tmp_path_factory.mktemp("certs"), "*.genai.example.test")
