"""Fresh test certificates: chains with chosen keys, names, dates, hashes and extensions."""

from tlsfactory.chain import Chain, Issued, build_chain, issue_certificate, make_key

__all__ = ["Chain", "Issued", "build_chain", "issue_certificate", "make_key"]
