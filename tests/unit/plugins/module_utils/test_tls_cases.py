"""Validate each stored TLS case and compare with the result its cases.json entry expects.

The cases live outside the repository; GAAP_TLS_CASES_DIR points at the
folder with cases.json and one sub-folder per case.
"""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path

import pytest

from ansible_collections.gaap.genai.plugins.module_utils._tls import TlsValidation, validate_tls

try:
    from ansible_collections.gaap.genai.plugins.module_utils._naming import endpoint_name_problems
except ImportError:
    endpoint_name_problems = None

CASES_ENV = "GAAP_TLS_CASES_DIR"


def _cases_dir() -> Path | None:
    value = os.environ.get(CASES_ENV)
    if not value or not (Path(value) / "cases.json").is_file():
        return None
    return Path(value)


def _load_cases() -> tuple[list, datetime.datetime | None]:
    cases_dir = _cases_dir()
    if cases_dir is None:
        skip = pytest.mark.skip(reason=f"{CASES_ENV} is unset or has no cases.json; pass TLS_CASES_DIR=/path/to/cases to make test")
        return [pytest.param(None, marks=skip, id="no-cases")], None

    index = json.loads((cases_dir / "cases.json").read_text())
    # The cases carry dates relative to when they were generated, so they are
    # checked at that moment to give the same result on any later day.
    generated = index.get("generated")
    now = datetime.datetime.fromisoformat(generated) if generated else None
    params = [pytest.param(case, id=case["id"]) for case in index["cases"]]
    return params, now


CASES, CASES_NOW = _load_cases()
PASSING_CASES = [case for case in CASES if case.values[0] is None or case.values[0]["expect"] == "ok"]


def _run(case: dict) -> tuple[TlsValidation, list[str]]:
    folder = _cases_dir() / case["id"]
    passphrase = (folder / "passphrase.txt").read_text().strip() if case.get("passphrase") else None
    ca_bundle = (folder / "ca.pem").read_bytes() if case.get("ca_bundle") else None
    result = validate_tls(case["hostname"], (folder / "cert.pem").read_bytes(), (folder / "key.pem").read_bytes(),
                          passphrase=passphrase, ca_bundle=ca_bundle, now=CASES_NOW)

    codes = [problem.code for problem in result.problems]
    if endpoint_name_problems is not None:
        codes += [problem.code for problem in endpoint_name_problems(case["endpoint"])]
    elif "name_invalid" in (case["expect"] if isinstance(case["expect"], list) else []):
        pytest.skip("endpoint names are checked by _naming, which is not importable")
    return result, codes


@pytest.mark.parametrize("case", CASES)
def test_case_gives_expected_result(case: dict) -> None:
    result, codes = _run(case)

    if case["expect"] == "ok":
        assert codes == [], [problem.message for problem in result.problems]
    else:
        assert set(case["expect"]) & set(codes), f"expected one of {case['expect']}, got {codes}"


@pytest.mark.parametrize("case", PASSING_CASES)
def test_case_reports_expected_warnings(case: dict) -> None:
    result, codes = _run(case)

    warning_codes = {warning.code for warning in result.warnings}
    for code in case.get("warnings", []):
        assert code in warning_codes, f"missing warning {code}; got {sorted(warning_codes)}"


@pytest.mark.parametrize("case", PASSING_CASES)
def test_passing_case_gives_canonical_pem(case: dict) -> None:
    result, codes = _run(case)

    assert result.certificate_chain_pem.startswith("-----BEGIN CERTIFICATE-----\n")
    assert "\r" not in result.certificate_chain_pem
    assert result.private_key_pem.startswith("-----BEGIN PRIVATE KEY-----\n")
    assert result.hostname == case["hostname"].lower()
