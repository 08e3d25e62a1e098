"""The simulator's own test PKI: a test device-provider CA and one device certificate.

Written into the simulator's folder (``[simulator] dir`` of the kit profile)::

    <dir>/trust/sweet17-sim-ca.pem   the test CA certificate: the sim kit's trust store
    <dir>/keys/ca.key, device.key     private keys (mode 0600)
    <dir>/keys/device.pem             the device certificate (signed by the test CA)

The files are reused while valid, so a running kit keeps trusting a restarted simulator. This
CA must never be copied into a production trust store (``devices/trust/``): anything signed by it
is a simulation. ``rogue()`` makes a second, untrusted CA and device in memory, for tests of
refusal.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

CA_NAME = "sweet17 SBI simulator TEST CA (not for production)"
CA_FILE = "sweet17-sim-ca.pem"


@dataclass(frozen=True)
class SimPki:
    ca_cert: x509.Certificate
    device_cert: x509.Certificate
    device_key: rsa.RSAPrivateKey
    trust_dir: Path | None = None

    @property
    def chain(self) -> list[x509.Certificate]:
        return [self.device_cert]


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sweet17 simulator"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _key_usage(ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=not ca, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                         encipher_only=False, decipher_only=False)


def _make(ca_name: str, device_cn: str, days: int = 825) -> tuple[rsa.RSAPrivateKey, x509.Certificate,
                                                                  rsa.RSAPrivateKey, x509.Certificate]:
    now = dt.datetime.now(dt.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (x509.CertificateBuilder().subject_name(_name(ca_name)).issuer_name(_name(ca_name))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=days * 2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(_key_usage(True), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    dev_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    dev = (x509.CertificateBuilder().subject_name(_name(device_cn)).issuer_name(ca.subject)
           .public_key(dev_key.public_key()).serial_number(x509.random_serial_number())
           .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=days))
           .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
           .add_extension(_key_usage(False), critical=True)
           .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
           .sign(ca_key, hashes.SHA256()))
    return ca_key, ca, dev_key, dev


def _write(path: Path, data: bytes, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _pem_key(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _load(folder: Path) -> SimPki | None:
    try:
        ca = x509.load_pem_x509_certificate((folder / "trust" / CA_FILE).read_bytes())
        dev = x509.load_pem_x509_certificate((folder / "keys" / "device.pem").read_bytes())
        key = serialization.load_pem_private_key((folder / "keys" / "device.key").read_bytes(), password=None)
    except (OSError, ValueError):
        return None
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=7)
    if not isinstance(key, rsa.RSAPrivateKey) or dev.not_valid_after_utc < soon or ca.not_valid_after_utc < soon \
            or dev.issuer != ca.subject:
        return None
    try:
        dev.verify_directly_issued_by(ca)
    except (ValueError, TypeError, Exception):  # noqa: BLE001  invalid signature: make new ones
        return None
    return SimPki(ca_cert=ca, device_cert=dev, device_key=key, trust_dir=folder / "trust")


def ensure(folder: Path | str) -> SimPki:
    """The simulator's PKI in ``folder``, created on first use (or when expired or broken)."""
    folder = Path(folder)
    found = _load(folder)
    if found:
        return found
    ca_key, ca, dev_key, dev = _make(CA_NAME, "sweet17 SBI simulator device")
    _write(folder / "keys" / "ca.key", _pem_key(ca_key), private=True)
    _write(folder / "keys" / "device.key", _pem_key(dev_key), private=True)
    _write(folder / "keys" / "device.pem", dev.public_bytes(serialization.Encoding.PEM))
    _write(folder / "trust" / CA_FILE, ca.public_bytes(serialization.Encoding.PEM))
    return SimPki(ca_cert=ca, device_cert=dev, device_key=dev_key, trust_dir=folder / "trust")


@lru_cache(maxsize=1)
def rogue() -> SimPki:
    """A CA and device nobody trusts (in memory), to sign answers that must be refused."""
    _ca_key, ca, dev_key, dev = _make("rogue test CA", "rogue device")
    return SimPki(ca_cert=ca, device_cert=dev, device_key=dev_key)
