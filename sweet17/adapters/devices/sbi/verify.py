"""Verification of what an SBI device service answers, before anything of it is used.

For every biometric of an ``RCAPTURE`` response, ``verify_capture`` checks, in this order:

1. the SBI ``error`` (non-zero codes become typed errors, see ``codes``);
2. the biometric's ``specVersion`` equals the one requested;
3. ``data`` is a compact JWS whose ``x5c`` certificate chain ends at an anchor of the trust store
   (``devices/trust/`` or the profile's ``trust_store``; validity dates, CA constraints and
   signatures checked by ``cryptography``'s X.509 verifier) and whose signature verifies with the
   leaf certificate's key;
4. the payload: ``transactionId``, ``bioType``, ``purpose``, ``env`` and ``requestedScore`` are
   those of the request, ``bioSubType`` is one of the positions asked for (each at most once),
   ``timestamp`` is within ``max_skew_s`` of the laptop clock, ``qualityScore`` is a number 0-100,
   ``digitalId`` is itself a JWS signed under the trust store whose ``type`` matches the modality
   (and whose serial matches the discovered device's);
5. the hash chain: ``hash`` = uppercase hex SHA-256(previous hash bytes || SHA-256(bioValue)),
   where bioValue is the base64url-decoded ISO record, the first previous hash is SHA-256 of the
   empty string (or the request's ``previousHash``), and each biometric chains from the one before;
6. the count: exactly the positions asked for (the slap minus the exceptions) came back.

Any failure of 2-5 raises ``DeviceUntrusted``; a missing position raises ``CaptureFailed``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509

from sweet17.adapters.devices.base import CaptureFailed, DeviceUntrusted
from sweet17.adapters.devices.sbi import codes, jws
from sweet17.i18n import N_, _

EMPTY_HASH = hashlib.sha256(b"").digest()
CERT_SUFFIXES = (".pem", ".crt", ".cer", ".der")


class TrustStoreError(DeviceUntrusted):
    """The trust store is missing, empty or unreadable (a setup problem, not a device problem)."""

    message_id = N_("The device trust store {path} cannot be used: {problem}. Call the supervisor.")


def _trust_error(path: Path | str, problem: str, detail: str = "") -> TrustStoreError:
    return TrustStoreError(f"trust store {path}: {problem}{detail}",
                           message_args={"path": str(path), "problem": _(problem)})


@dataclass(frozen=True)
class TrustStore:
    """The certificates that may anchor a device's chain (device providers' CAs)."""

    anchors: tuple[x509.Certificate, ...]
    path: Path | None = None

    @classmethod
    def load(cls, path: Path | str) -> TrustStore:
        """Every certificate in ``path`` (a folder of PEM/DER files, or one file)."""
        path = Path(path)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in CERT_SUFFIXES and p.is_file())
        elif path.is_file():
            files = [path]
        else:
            raise _trust_error(path, N_("it does not exist"))
        anchors: list[x509.Certificate] = []
        for f in files:
            try:
                raw = f.read_bytes()
                if b"-----BEGIN CERTIFICATE-----" in raw:
                    anchors.extend(x509.load_pem_x509_certificates(raw))
                else:
                    anchors.append(x509.load_der_x509_certificate(raw))
            except (OSError, ValueError) as e:
                raise _trust_error(f, N_("not a certificate"), f" ({e})") from None
        if not anchors:
            raise _trust_error(path, N_("it holds no certificate"))
        return cls(anchors=tuple(anchors), path=path)

    def verify_chain(self, certs: list[x509.Certificate], when: datetime | None = None) -> x509.Certificate:
        """The leaf certificate if ``certs`` (leaf first) chains to an anchor at ``when``."""
        from cryptography.x509 import verification as xv

        if not certs:
            raise DeviceUntrusted("no certificate in the signature header")
        when = when or datetime.now(UTC)
        builder = (xv.PolicyBuilder().store(xv.Store(list(self.anchors))).time(when)
                   .extension_policies(ca_policy=xv.ExtensionPolicy.webpki_defaults_ca(),
                                       ee_policy=xv.ExtensionPolicy.permit_all()))
        try:
            builder.build_client_verifier().verify(certs[0], certs[1:])
        except xv.VerificationError as e:
            raise DeviceUntrusted(f"certificate chain not trusted: {e}") from None
        return certs[0]


def verify_jws(token: Any, trust: TrustStore, when: datetime | None = None,
               what: str = "data") -> tuple[dict[str, Any], x509.Certificate]:
    """The JSON payload of ``token`` and its signing certificate, or ``DeviceUntrusted``."""
    try:
        parsed = jws.parse(token)
        leaf = trust.verify_chain(parsed.certificates(), when)
        jws.verify_signature(parsed, leaf.public_key())
        return parsed.payload_json(), leaf
    except jws.JwsError as e:
        raise DeviceUntrusted(f"{what}: {e}") from None
    except DeviceUntrusted as e:
        if isinstance(e, TrustStoreError):
            raise
        raise DeviceUntrusted(f"{what}: {e.detail}") from None


def decode_unverified(token: Any) -> dict[str, Any]:
    """The JSON payload of a JWS or of plain base64url JSON, without checking anything (for display:
    discovery answers carry an unsigned digitalId)."""
    try:
        if isinstance(token, str) and token.count(".") == 2:
            return jws.parse(token).payload_json()
        import json

        obj = json.loads(jws.unb64url(token))
        return obj if isinstance(obj, dict) else {}
    except (jws.JwsError, ValueError, TypeError, UnicodeDecodeError):
        return {}


def chain_hash(previous: bytes, bio_value: bytes) -> bytes:
    """One link of the SBI hash chain: SHA-256(previous hash bytes || SHA-256(bioValue))."""
    return hashlib.sha256(previous + hashlib.sha256(bio_value).digest()).digest()


def previous_hash_bytes(previous_hex: str) -> bytes:
    if not previous_hex:
        return EMPTY_HASH
    try:
        raw = bytes.fromhex(previous_hex)
    except ValueError:
        raise ValueError(f"previousHash {previous_hex[:20]!r} is not hex") from None
    if len(raw) != 32:
        raise ValueError("previousHash is not a SHA-256 value")
    return raw


def parse_timestamp(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        ts = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


@dataclass(frozen=True)
class VerifiedBiometric:
    """One biometric that passed every check."""

    bio_type: str
    sub_type: str
    bio_value: bytes                      # the ISO/IEC 19794 record, as signed
    quality: float
    requested_score: int | None
    timestamp: str
    transaction_id: str
    hash: str
    spec_version: str
    device_code: str
    service_version: str
    digital_id: dict[str, Any] = field(default_factory=dict)
    certificate_subject: str = ""


def _int_or_none(v: Any) -> int | None:
    try:
        return int(str(v).strip())
    except (TypeError, ValueError):
        return None


def _quality(v: Any) -> float | None:
    try:
        q = float(str(v).strip())
    except (TypeError, ValueError):
        return None
    return q if 0 <= q <= 100 else None


def verify_capture(response: Any, *, request: dict[str, Any], trust: TrustStore, now: datetime | None = None,
                   max_skew_s: float = 120, device: str = "", serial: str | None = None,
                   wanted: Iterable[str] | None = None) -> list[VerifiedBiometric]:
    """Check an RCAPTURE response against the request that produced it (see the module docs).

    ``request`` is the JSON body that was sent; ``wanted`` the positions expected back (default:
    the request's ``bioSubType`` minus ``exception``; "" for a face).
    """
    now = now or datetime.now(UTC)
    if not isinstance(response, dict) or not isinstance(response.get("biometrics"), list):
        raise CaptureFailed("the answer has no biometrics list", device=device)
    items = response["biometrics"]
    if not items:
        raise CaptureFailed("the answer holds no biometric", device=device)
    # Device errors first: error answers are not signed.
    for item in items:
        if not isinstance(item, dict):
            raise CaptureFailed("a biometric of the answer is not an object", device=device)
        code = codes.error_code(item.get("error"))
        if code is None and item.get("error") is not None:
            raise CaptureFailed("a biometric has an unreadable error code", device=device)
        if code:
            raise codes.error_for(code, str((item.get("error") or {}).get("errorInfo", "")), device)

    bio = request["bio"][0]
    bio_type = bio["type"]
    if wanted is None:
        subs = [s for s in bio.get("bioSubType") or [] if s not in (bio.get("exception") or [])]
        wanted = subs or [""]
    wanted_set = set(wanted)
    spec = request["specVersion"]
    txn = request["transactionId"]
    requested = _int_or_none(bio.get("requestedScore"))
    previous = previous_hash_bytes(bio.get("previousHash") or "")

    def untrusted(i: int, why: str) -> DeviceUntrusted:
        return DeviceUntrusted(f"biometric {i + 1}: {why}", device=device)

    out: list[VerifiedBiometric] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.get("specVersion") != spec:
            raise untrusted(i, f"spec version {item.get('specVersion')!r}, asked {spec!r}")
        try:
            payload, leaf = verify_jws(item.get("data"), trust, now, what=f"biometric {i + 1}")
        except TrustStoreError:
            raise
        except DeviceUntrusted as e:
            raise DeviceUntrusted(e.detail, device=device) from None
        if payload.get("transactionId") != txn:
            raise untrusted(i, "transaction id differs from the request")
        if payload.get("bioType") != bio_type:
            raise untrusted(i, f"bioType {payload.get('bioType')!r}, asked {bio_type!r}")
        sub = payload.get("bioSubType") or ""
        if sub in ("UNKNOWN",) and bio_type == "Face":
            sub = ""
        if sub not in wanted_set:
            raise untrusted(i, f"position {sub!r} was not asked for")
        if sub in seen:
            raise untrusted(i, f"position {sub!r} came twice")
        seen.add(sub)
        if str(payload.get("purpose", "")).lower() != str(request.get("purpose", "")).lower():
            raise untrusted(i, f"purpose {payload.get('purpose')!r}, asked {request.get('purpose')!r}")
        if payload.get("env") != request.get("env"):
            raise untrusted(i, f"env {payload.get('env')!r}, asked {request.get('env')!r}")
        if requested is not None and _int_or_none(payload.get("requestedScore")) != requested:
            raise untrusted(i, "requested score differs from the request")
        ts = parse_timestamp(payload.get("timestamp"))
        if ts is None:
            raise untrusted(i, "timestamp missing or not ISO 8601")
        skew = abs((now - ts).total_seconds())
        if skew > max_skew_s:
            raise untrusted(i, f"timestamp {payload.get('timestamp')} is {skew:.0f} s from the laptop clock "
                               f"(at most {max_skew_s:.0f} s allowed)")
        quality = _quality(payload.get("qualityScore"))
        if quality is None:
            raise untrusted(i, "quality score missing or not a number 0-100")
        try:
            digital_id, _ = verify_jws(payload.get("digitalId"), trust, now, what="digitalId")
        except TrustStoreError:
            raise
        except DeviceUntrusted as e:
            raise untrusted(i, e.detail) from None
        if digital_id.get("type") != bio_type:
            raise untrusted(i, f"digitalId type {digital_id.get('type')!r} is not {bio_type!r}")
        if serial and digital_id.get("serialNo") != serial:
            raise untrusted(i, "digitalId serial differs from the discovered device")
        if not payload.get("deviceCode"):
            raise untrusted(i, "deviceCode missing")
        try:
            bio_value = jws.unb64url(payload.get("bioValue") or "")
        except jws.JwsError:
            raise untrusted(i, "bioValue is not base64url") from None
        if not bio_value:
            raise untrusted(i, "bioValue is empty")
        link = chain_hash(previous, bio_value)
        if item.get("hash") != link.hex().upper():
            raise untrusted(i, "hash chain broken")
        previous = link
        out.append(VerifiedBiometric(
            bio_type=bio_type, sub_type=sub, bio_value=bio_value, quality=quality, requested_score=requested,
            timestamp=str(payload.get("timestamp")), transaction_id=txn, hash=item["hash"], spec_version=spec,
            device_code=str(payload.get("deviceCode")),
            service_version=str(payload.get("deviceServiceVersion", "")),
            digital_id={k: digital_id.get(k) for k in ("serialNo", "make", "model", "type", "deviceSubType",
                                                       "deviceProvider", "deviceProviderId", "dateTime")},
            certificate_subject=leaf.subject.rfc4514_string(),
        ))
    missing = wanted_set - seen
    if missing:
        raise CaptureFailed(f"positions missing from the answer: {', '.join(sorted(missing))}", device=device,
                            code=109)
    return out


def verify_device_info(token: Any, trust: TrustStore | None, now: datetime | None = None) -> dict[str, Any]:
    """The payload of a signed ``deviceInfo`` (and its digitalId), or ``DeviceUntrusted``."""
    if trust is None:
        raise DeviceUntrusted("no trust store configured")
    info, _ = verify_jws(token, trust, now, what="deviceInfo")
    digital, _ = verify_jws(info.get("digitalId"), trust, now, what="digitalId")
    return {**info, "digitalId": digital}
