"""Write a fresh private CA chain for one hostname: cert.pem, key.pem and ca.pem.

Usage: python -m tlsfactory --hostname chat.example.com --out DIR [--days N]
"""

from __future__ import annotations

import argparse
import datetime
import os
from pathlib import Path

from tlsfactory.chain import build_chain


def main(argv: list[str] | None = None) -> int:
    """Build root -> intermediate -> leaf and write the files; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m tlsfactory", description=__doc__.splitlines()[0])
    parser.add_argument("--hostname", required=True, help="DNS name to put in the leaf's subjectAltName")
    parser.add_argument("--out", required=True, type=Path, help="directory to write into (created if missing)")
    parser.add_argument("--days", type=int, default=90, help="validity of the leaf in days (default: 90)")
    options = parser.parse_args(argv)

    now = datetime.datetime.now(datetime.timezone.utc)
    chain = build_chain((options.hostname,), now=now,
                        leaf_not_after=now + datetime.timedelta(days=options.days))

    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / "cert.pem").write_text(chain.chain_pem())
    (options.out / "ca.pem").write_text(chain.ca_pem())
    key_path = options.out / "key.pem"
    key_path.write_text(chain.key_pem())
    os.chmod(key_path, 0o600)

    print(f"wrote cert.pem (leaf and intermediate), key.pem and ca.pem for {options.hostname} to {options.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
