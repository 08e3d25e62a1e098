"""Keys, sealing and signatures (``cryptography``).

* Sealing (biometrics at rest and in transit): an anonymous sealed box to the hub's X25519
  public key — ephemeral X25519 key agreement, HKDF-SHA256, ChaCha20-Poly1305 — so a laptop
  that sealed a payload cannot open it again. ``aad`` binds the box to its context (the
  recording id), so a box cannot be moved to another recording.
  Layout: ``MAGIC(8) | ephemeral public key(32) | nonce(12) | ciphertext+tag``.
* Signatures: Ed25519 (each laptop has its own key, created at ``sweet17 init``; the hub signs
  receipts with its own).

Private keys are written as PKCS#8 PEM files readable by the owner only.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"S17SEAL1"
_RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


class CryptoError(Exception):
    """A box that cannot be opened or a signature that does not verify."""


# ------------------------------------------------------------------------- keys

def write_private_key(path: Path, key: Ed25519PrivateKey | X25519PrivateKey) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_private_key(path: Path) -> Ed25519PrivateKey | X25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey | X25519PrivateKey):
        raise CryptoError(f"{path}: not an Ed25519 or X25519 key")
    return key


def public_raw(key: Ed25519PrivateKey | X25519PrivateKey | Ed25519PublicKey | X25519PublicKey) -> bytes:
    pub = key.public_key() if hasattr(key, "public_key") else key
    return pub.public_bytes(*_RAW)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def fingerprint(public: bytes) -> str:
    """Short, human-comparable key fingerprint (first 16 hex digits of SHA-256)."""
    h = hashlib.sha256(public).hexdigest()[:16].upper()
    return " ".join(h[i:i + 4] for i in range(0, 16, 4))


def new_signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def new_sealing_key() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


# ------------------------------------------------------------------------- signatures

def sign(key: Ed25519PrivateKey, data: bytes) -> bytes:
    return key.sign(data)


def verify(public: bytes, signature: bytes, data: bytes) -> None:
    """Raise ``CryptoError`` unless ``signature`` is ``public``'s Ed25519 signature of ``data``."""
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, data)
    except (InvalidSignature, ValueError) as e:
        raise CryptoError("signature does not verify") from e


# ------------------------------------------------------------------------- sealed boxes

def _box_key(shared: bytes, eph_pub: bytes, recipient_pub: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=eph_pub + recipient_pub,
                info=b"sweet17 sealed box v1").derive(shared)


def seal(recipient_public: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """Encrypt ``plaintext`` so that only the holder of the X25519 private key can read it."""
    eph = X25519PrivateKey.generate()
    eph_pub = public_raw(eph)
    shared = eph.exchange(X25519PublicKey.from_public_bytes(recipient_public))
    key = _box_key(shared, eph_pub, recipient_public)
    nonce = os.urandom(12)
    return MAGIC + eph_pub + nonce + ChaCha20Poly1305(key).encrypt(nonce, plaintext, aad)


def unseal(private: X25519PrivateKey, box: bytes, aad: bytes = b"") -> bytes:
    if len(box) < len(MAGIC) + 32 + 12 + 16 or not box.startswith(MAGIC):
        raise CryptoError("not a sweet17 sealed box")
    eph_pub = box[8:40]
    nonce = box[40:52]
    shared = private.exchange(X25519PublicKey.from_public_bytes(eph_pub))
    key = _box_key(shared, eph_pub, public_raw(private))
    try:
        return ChaCha20Poly1305(key).decrypt(nonce, box[52:], aad)
    except InvalidTag as e:
        raise CryptoError("sealed box cannot be opened (wrong key, wrong context or tampered)") from e


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
