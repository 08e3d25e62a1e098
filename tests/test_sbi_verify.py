"""A device that answers with a bad signature, an untrusted certificate, a wrong transaction id, a
broken hash chain, a stale timestamp (or any other lie) is refused."""

from __future__ import annotations

import json
import shutil
import uuid

import pytest
import sbi_support
from sbi_support import devices

from sweet17.adapters.devices.base import (
    CaptureFailed,
    CaptureRequest,
    DeviceUntrusted,
    Modality,
)
from sweet17.adapters.devices.sbi import jws
from sweet17.adapters.devices.sbi.verify import TrustStore, TrustStoreError, verify_capture
from sweet17.adapters.devices.sbi_sim import pki as simpki
from sweet17.i18n import set_language

sbi_sim = sbi_support.sbi_sim      # fixtures: one simulator per module, reset around each test
sim = sbi_support.sim


REFUSALS = {
    "bad_signature": "signature does not verify",
    "untrusted_cert": "certificate chain not trusted",
    "wrong_transaction_id": "transaction id",
    "broken_hash": "hash chain broken",
    "stale_timestamp": "from the laptop clock",
    "wrong_spec_version": "spec version",
    "no_quality": "quality score",
    "extra_position": "was not asked for",
}


@pytest.mark.parametrize("fault", sorted(REFUSALS))
def test_lying_device_is_refused(sim, fault):
    slap = devices(sim)["Finger"]
    sim.set_state("finger", fault=fault)
    with pytest.raises(DeviceUntrusted) as e:
        slap.capture(CaptureRequest(Modality.FINGER, sub_id=1, exceptions=("Left LittleFinger",)))
    assert REFUSALS[fault] in e.value.detail
    set_language("id")
    assert "pemeriksaan keamanan" in e.value.operator_message      # operator message in Indonesian
    assert "SIM-SLAP-442" in e.value.operator_message               # names the device


def test_bad_record_is_a_failed_capture(sim):
    face = devices(sim)["Face"]
    sim.set_state("face", fault="bad_record")
    with pytest.raises(CaptureFailed, match="format identifier"):
        face.capture(CaptureRequest(Modality.FACE))


def test_skew_is_configurable(sim):
    sim.set_state("iris", fault="stale_timestamp")            # one hour old
    iris = devices(sim, max_skew_s=3700)["Iris"]
    assert len(iris.capture(CaptureRequest(Modality.IRIS, sub_id=1)).records) == 1
    iris = devices(sim, max_skew_s=60)["Iris"]
    with pytest.raises(DeviceUntrusted, match="at most 60 s"):
        iris.capture(CaptureRequest(Modality.IRIS, sub_id=1))


def test_another_trust_store_trusts_nothing(sim, tmp_path):
    rogue_dir = tmp_path / "rogue"
    rogue_dir.mkdir()
    from cryptography.hazmat.primitives import serialization

    (rogue_dir / "other-ca.pem").write_bytes(simpki.rogue().ca_cert.public_bytes(serialization.Encoding.PEM))
    devs = devices(sim, trust_store=str(rogue_dir))
    assert devs["Finger"].describe().extra["trusted"] is False
    with pytest.raises(DeviceUntrusted, match="not trusted"):
        devs["Finger"].capture(CaptureRequest(Modality.FINGER, sub_id=3))


def test_missing_or_empty_trust_store(sim, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README.md").write_text("no certificates here")
    slap = devices(sim, trust_store=str(empty))["Finger"]
    with pytest.raises(DeviceUntrusted) as e:
        slap.capture(CaptureRequest(Modality.FINGER, sub_id=3))
    assert "holds no certificate" in e.value.detail
    with pytest.raises(TrustStoreError) as e2:
        TrustStore.load(tmp_path / "nowhere")
    set_language("id")
    assert str(tmp_path / "nowhere") in e2.value.operator_message and "tidak ada" in e2.value.operator_message
    (empty / "junk.pem").write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    with pytest.raises(TrustStoreError, match="junk.pem"):
        TrustStore.load(empty)


def _answer(sim, sub_id=1, previous=""):
    body = {"env": "Developer", "purpose": "Registration", "specVersion": "0.9.5", "timeout": 5000,
            "transactionId": str(uuid.uuid4()),
            "bio": [{"type": "Finger", "count": 2 if sub_id == 3 else 4, "bioSubType": [], "exception": [], "requestedScore": 40,
                     "deviceId": "1", "deviceSubId": str(sub_id), "previousHash": previous}]}
    answer, _, _ = sim.capture(body)
    return body, answer


def test_reordered_or_missing_biometrics(sim):
    trust = TrustStore.load(sim.trust_dir)
    wanted = ("Left IndexFinger", "Left MiddleFinger", "Left RingFinger", "Left LittleFinger")
    body, answer = _answer(sim)
    assert len(verify_capture(answer, request=body, trust=trust, wanted=wanted)) == 4
    swapped = json.loads(json.dumps(answer))
    swapped["biometrics"][0], swapped["biometrics"][1] = swapped["biometrics"][1], swapped["biometrics"][0]
    with pytest.raises(DeviceUntrusted, match="hash chain broken"):
        verify_capture(swapped, request=body, trust=trust, wanted=wanted)
    short = {"biometrics": answer["biometrics"][:3]}
    with pytest.raises(CaptureFailed, match="Left LittleFinger"):
        verify_capture(short, request=body, trust=trust, wanted=wanted)
    # An answer replayed into another request (other transaction id) is refused.
    body2, _ = _answer(sim)
    with pytest.raises(DeviceUntrusted, match="transaction id"):
        verify_capture(answer, request=body2, trust=trust, wanted=wanted)
    # A chain that does not start from the previous hash the laptop holds is refused.
    body3 = json.loads(json.dumps(body))
    body3["bio"][0]["previousHash"] = "AB" * 32
    with pytest.raises(DeviceUntrusted, match="hash chain broken"):
        verify_capture(answer, request=body3, trust=trust, wanted=wanted)


def test_tampered_payload_with_valid_looking_signature(sim):
    trust = TrustStore.load(sim.trust_dir)
    body, answer = _answer(sim, sub_id=3)
    item = answer["biometrics"][0]
    head, payload, sig = item["data"].split(".")
    p = json.loads(jws.unb64url(payload))
    p["qualityScore"] = 99
    item["data"] = ".".join((head, jws.b64url(json.dumps(p).encode()), sig))
    with pytest.raises(DeviceUntrusted, match="signature does not verify"):
        verify_capture(answer, request=body, trust=trust, wanted=("Left Thumb", "Right Thumb"))
    item["data"] = "not.a-jws"
    with pytest.raises(DeviceUntrusted):
        verify_capture(answer, request=body, trust=trust, wanted=("Left Thumb", "Right Thumb"))


def test_expired_device_certificate(sim, tmp_path):
    """The chain is checked at the laptop's time: a certificate not yet valid then is refused."""
    from datetime import UTC, datetime, timedelta

    trust = TrustStore.load(sim.trust_dir)
    body, answer = _answer(sim, sub_id=3)
    later = datetime.now(UTC) + timedelta(days=3000)
    with pytest.raises(DeviceUntrusted, match="not trusted"):
        verify_capture(answer, request=body, trust=trust, now=later, max_skew_s=10 ** 9,
                       wanted=("Left Thumb", "Right Thumb"))
    shutil.rmtree(tmp_path, ignore_errors=True)
