"""Build fresh certificate chains (root -> intermediate -> leaf) for tests and the demo."""

from __future__ import annotations

import datetime
import warnings
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CURVES = {
    "secp256r1": ec.SECP256R1,
    "secp384r1": ec.SECP384R1,
    "secp521r1": ec.SECP521R1,
    "secp256k1": ec.SECP256K1,
    "secp224r1": ec.SECP224R1,
}
HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}
# cryptography 50 raises when asked to sign a certificate with SHA-1 or MD5,
# so those are signed by hand (RSA keys only). The signature algorithm identifier in
# the to-be-signed part is swapped for one of the same length.
_RSA_SIGNATURE_OIDS = {
    "sha256": bytes.fromhex("06092a864886f70d01010b"),
    "sha1": bytes.fromhex("06092a864886f70d010105"),
    "md5": bytes.fromhex("06092a864886f70d010104"),
}
ORGANIZATION = "Example Test Platform"


def make_key(key_type: str = "ec", key_size: int = 2048, curve: str = "secp256r1") -> Any:
    """Generate a private key: key_type is ec, rsa, ed25519, ed448 or dsa."""
    if key_type == "ec":
        return ec.generate_private_key(CURVES[curve]())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if key_type == "ed448":
        return ed448.Ed448PrivateKey.generate()
    if key_type == "dsa":
        return dsa.generate_private_key(key_size=key_size)
    raise ValueError(f"unknown key_type {key_type!r}; use ec, rsa, ed25519, ed448 or dsa")


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


def _der(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(content)) + content


def _read_length(der: bytes, offset: int) -> tuple[int, int]:
    """Return (content length, offset of the content) for the DER header at offset."""
    first = der[offset + 1]
    if first < 0x80:
        return first, offset + 2
    size = first & 0x7F
    return int.from_bytes(der[offset + 2:offset + 2 + size], "big"), offset + 2 + size


def _resign(draft: x509.Certificate, key: Any, tbs: bytes, hash_name: str) -> x509.Certificate:
    """Sign edited to-be-signed bytes by hand, for certificates that CertificateBuilder rejects."""
    if hash_name in ("sha1", "md5"):
        algorithm = _der(0x30, _RSA_SIGNATURE_OIDS[hash_name] + b"\x05\x00")
        legacy_hash = hashes.SHA1() if hash_name == "sha1" else hashes.MD5()
        signature = key.sign(tbs, padding.PKCS1v15(), legacy_hash)
    else:
        # Keep the draft's AlgorithmIdentifier, which follows the to-be-signed part.
        der = draft.public_bytes(serialization.Encoding.DER)
        certificate_length, tbs_start = _read_length(der, 0)
        tbs_length, tbs_content = _read_length(der, tbs_start)
        algorithm_start = tbs_content + tbs_length
        algorithm_length, algorithm_content = _read_length(der, algorithm_start)
        algorithm = der[algorithm_start:algorithm_content + algorithm_length]
        chosen_hash = HASHES[hash_name]()
        if isinstance(key, rsa.RSAPrivateKey):
            signature = key.sign(tbs, padding.PKCS1v15(), chosen_hash)
        else:
            signature = key.sign(tbs, ec.ECDSA(chosen_hash))

    certificate = _der(0x30, tbs + algorithm + _der(0x03, b"\x00" + signature))
    with warnings.catch_warnings():
        # A negative serial number loads with a deprecation warning, on purpose here.
        warnings.simplefilter("ignore")
        return x509.load_der_x509_certificate(certificate)


def _negate_serial(tbs: bytes) -> bytes:
    """Set the sign bit of the serial number, keeping its length."""
    tbs_length, content = _read_length(tbs, 0)
    version_length, version_content = _read_length(tbs, content)
    serial_tag = version_content + version_length
    serial_length, serial_content = _read_length(tbs, serial_tag)
    return tbs[:serial_content] + bytes([tbs[serial_content] | 0x80]) + tbs[serial_content + 1:]


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


@dataclass
class Issued:
    """A certificate with its private key."""

    certificate: x509.Certificate
    key: Any

    @property
    def pem(self) -> str:
        """The certificate as PEM."""
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def issue_certificate(
    common_name: str,
    key: Any,
    issuer: Issued | None = None,
    *,
    ca: bool | None = False,
    dns_names: tuple[str, ...] | None = None,
    not_before: datetime.datetime,
    not_after: datetime.datetime,
    hash_name: str = "sha256",
    extended_key_usage: tuple[Any, ...] | None = None,
    key_usage: str | None = "default",
    negative_serial: bool = False,
) -> Issued:
    """Issue one certificate for key, signed by issuer (self-signed when issuer is None).

    ca=None leaves out basicConstraints. key_usage "default" sets the usual
    bits for a CA or a server, None leaves the extension out and
    "no_digital_signature" sets keyEncipherment only. negative_serial
    writes a serial number below zero, which RFC 5280 forbids.
    """
    subject = _name(common_name)
    signer = issuer.key if issuer else key
    issuer_name = issuer.certificate.subject if issuer else subject
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer_name)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(not_before)
               .not_valid_after(not_after))

    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    if key_usage == "default":
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=not ca, data_encipherment=False,
            key_agreement=False, key_cert_sign=bool(ca), crl_sign=bool(ca), encipher_only=False,
            decipher_only=False), critical=True)
    elif key_usage == "no_digital_signature":
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=True, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False,
            decipher_only=False), critical=True)
    if dns_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name) for name in dns_names]), critical=False)
    if extended_key_usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(extended_key_usage)), critical=False)

    builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)

    if isinstance(signer, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)):
        return Issued(builder.sign(signer, None), key)
    draft = builder.sign(signer, hashes.SHA256())
    if hash_name not in ("sha1", "md5") and not negative_serial:
        return Issued(builder.sign(signer, HASHES[hash_name]()), key)

    tbs = draft.tbs_certificate_bytes
    if hash_name in ("sha1", "md5"):
        tbs = tbs.replace(_RSA_SIGNATURE_OIDS["sha256"], _RSA_SIGNATURE_OIDS[hash_name], 1)
    if negative_serial:
        tbs = _negate_serial(tbs)
    return Issued(_resign(draft, signer, tbs, hash_name), key)


@dataclass
class Chain:
    """A leaf, its intermediates (nearest to the leaf first) and the root that anchors them."""

    leaf: Issued
    intermediates: list[Issued] = field(default_factory=list)
    root: Issued | None = None

    def chain_pem(self, include_root: bool = False) -> str:
        """The leaf followed by the intermediates (and the root if asked) as PEM."""
        items = [self.leaf, *self.intermediates]
        if include_root and self.root is not None:
            items.append(self.root)
        return "".join(item.pem for item in items)

    def key_pem(self, passphrase: str | None = None, key_format: str = "pkcs8") -> str:
        """The leaf key as PEM: key_format pkcs8 or traditional (PKCS#1 for RSA, SEC1 for EC)."""
        private_format = (serialization.PrivateFormat.PKCS8 if key_format == "pkcs8"
                          else serialization.PrivateFormat.TraditionalOpenSSL)
        encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                      else serialization.NoEncryption())
        return self.leaf.key.private_bytes(serialization.Encoding.PEM, private_format, encryption).decode("ascii")

    def ca_pem(self) -> str:
        """The root certificate as PEM, for ca_bundle."""
        return self.root.pem if self.root is not None else self.leaf.pem


def build_chain(
    dns_names: tuple[str, ...] = ("demo.example.com",),
    *,
    now: datetime.datetime | None = None,
    key_type: str = "ec",
    key_size: int = 2048,
    curve: str = "secp256r1",
    leaf_not_before: datetime.datetime | None = None,
    leaf_not_after: datetime.datetime | None = None,
    intermediate_not_before: datetime.datetime | None = None,
    intermediate_not_after: datetime.datetime | None = None,
    hash_name: str = "sha256",
    intermediate_hash_name: str = "sha256",
    root_hash_name: str = "sha256",
    extended_key_usage: tuple[Any, ...] | None = (ExtendedKeyUsageOID.SERVER_AUTH,),
    key_usage: str | None = "default",
    leaf_ca: bool | None = False,
    intermediate_ca: bool | None = True,
    self_signed: bool = False,
    intermediate_count: int = 1,
    common_name: str | None = None,
    ca_key: Any = None,
    negative_serial: bool = False,
) -> Chain:
    """Build root -> intermediates -> leaf valid around now, or one self-signed leaf.

    Key options apply to the leaf. CA certificates use ca_key if given
    (an RSA key is needed for SHA-1 or MD5 signatures), else a new EC P-256
    key. Dates default to: CAs from now-30d to now+3650d, the leaf from
    now-1d to now+90d.
    """
    now = now or datetime.datetime.now(datetime.timezone.utc)
    day = datetime.timedelta(days=1)
    leaf_key = make_key(key_type, key_size, curve)
    leaf_cn = common_name or (dns_names[0] if dns_names else "leaf")
    leaf_dates = {"not_before": leaf_not_before or now - day, "not_after": leaf_not_after or now + 90 * day}

    if self_signed:
        leaf = issue_certificate(leaf_cn, leaf_key, None, ca=leaf_ca, dns_names=dns_names, hash_name=hash_name,
                                 extended_key_usage=extended_key_usage, key_usage=key_usage,
                                 negative_serial=negative_serial, **leaf_dates)
        return Chain(leaf=leaf)

    def new_ca_key() -> Any:
        return ca_key if ca_key is not None else make_key("ec")

    root = issue_certificate("Example Test Root CA", new_ca_key(), None, ca=True, hash_name=root_hash_name,
                             not_before=now - 30 * day, not_after=now + 3650 * day)
    intermediates: list[Issued] = []
    issuer = root
    for number in range(intermediate_count, 0, -1):
        intermediate = issue_certificate(
            f"Example Test Issuing CA {number}", new_ca_key(), issuer, ca=intermediate_ca,
            hash_name=intermediate_hash_name,
            not_before=intermediate_not_before or now - 30 * day,
            not_after=intermediate_not_after or now + 1825 * day)
        intermediates.insert(0, intermediate)
        issuer = intermediate

    leaf = issue_certificate(leaf_cn, leaf_key, issuer, ca=leaf_ca, dns_names=dns_names, hash_name=hash_name,
                             extended_key_usage=extended_key_usage, key_usage=key_usage,
                             negative_serial=negative_serial, **leaf_dates)
    return Chain(leaf=leaf, intermediates=intermediates, root=root)
