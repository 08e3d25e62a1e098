"""JSON Web Signatures in compact form (RFC 7515) as SBI devices use them.

SBI signs ``deviceInfo``, ``digitalId`` and every captured biometric as
``base64url(header).base64url(payload).base64url(signature)``; the header carries the signing
certificate (and any intermediates) in ``x5c`` (standard base64 DER, leaf first). RS256, PS256 and
ES256/ES384 are accepted.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


class JwsError(ValueError):
    """Not a well-formed JWS, or a signature that does not verify."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    if not isinstance(text, str) or not _B64URL.match(text):
        raise JwsError("not base64url text")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as e:
        raise JwsError(f"bad base64url: {e}") from None


@dataclass(frozen=True)
class Jws:
    header: dict[str, Any]
    payload: bytes
    signing_input: bytes
    signature: bytes

    def payload_json(self) -> dict[str, Any]:
        try:
            obj = json.loads(self.payload)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise JwsError(f"payload is not JSON: {e}") from None
        if not isinstance(obj, dict):
            raise JwsError("payload is not a JSON object")
        return obj

    def certificates(self) -> list[x509.Certificate]:
        chain = self.header.get("x5c")
        if not isinstance(chain, list) or not chain:
            raise JwsError("header has no x5c certificate chain")
        certs = []
        for i, item in enumerate(chain):
            try:
                certs.append(x509.load_der_x509_certificate(base64.b64decode(item, validate=True)))
            except (TypeError, ValueError, binascii.Error) as e:
                raise JwsError(f"x5c[{i}] is not a DER certificate: {e}") from None
        return certs


def parse(token: str) -> Jws:
    if not isinstance(token, str) or token.count(".") != 2:
        raise JwsError("not a compact JWS (three dot-separated parts)")
    h, p, s = token.split(".")
    try:
        header = json.loads(unb64url(h))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise JwsError(f"header is not JSON: {e}") from None
    if not isinstance(header, dict):
        raise JwsError("header is not a JSON object")
    return Jws(header=header, payload=unb64url(p), signing_input=f"{h}.{p}".encode("ascii"),
               signature=unb64url(s))


_EC_ALGS = {"ES256": (hashes.SHA256, 32), "ES384": (hashes.SHA384, 48)}


def verify_signature(jws: Jws, public_key: Any) -> None:
    """Raise ``JwsError`` unless ``jws`` is signed by ``public_key`` with the algorithm in its header."""
    alg = jws.header.get("alg")
    try:
        if alg in ("RS256", "PS256") and isinstance(public_key, rsa.RSAPublicKey):
            pad = padding.PKCS1v15() if alg == "RS256" else padding.PSS(
                mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
            public_key.verify(jws.signature, jws.signing_input, pad, hashes.SHA256())
        elif alg in _EC_ALGS and isinstance(public_key, ec.EllipticCurvePublicKey):
            h, size = _EC_ALGS[alg]
            if len(jws.signature) != 2 * size:
                raise JwsError(f"{alg} signature has {len(jws.signature)} bytes, expected {2 * size}")
            r = int.from_bytes(jws.signature[:size], "big")
            s = int.from_bytes(jws.signature[size:], "big")
            public_key.verify(encode_dss_signature(r, s), jws.signing_input, ec.ECDSA(h()))
        else:
            raise JwsError(f"algorithm {alg!r} is not accepted for this key")
    except InvalidSignature:
        raise JwsError("signature does not verify") from None


def sign(payload: bytes | dict[str, Any], key: Any, chain: list[x509.Certificate]) -> str:
    """Compact JWS of ``payload`` signed with ``key`` (RSA: RS256, EC P-256: ES256), ``x5c`` = ``chain``."""
    if isinstance(payload, dict):
        payload = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    alg = "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"
    header = {"alg": alg, "typ": "JWT",
              "x5c": [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii") for c in chain]}
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + b64url(payload)).encode()
    if alg == "RS256":
        sig = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    else:
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return signing_input.decode("ascii") + "." + b64url(sig)
