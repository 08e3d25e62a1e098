"""The payload container (pure) and the sealed payload: unreadable without the hub's private key."""

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sweet17.adapters import crypto
from sweet17.domain import payload as pl


def sample_payload(n=3):
    blobs = tuple(pl.Blob.raw(f"image-{i}".encode() * (i + 1)) for i in range(n))
    recs = tuple(pl.PayloadRecord(modality="Finger", sub_type=f"pos{i}", data_format="ISO19794-4:2011", blob=i,
                                  quality=50.0 + i, nfiq2=40 + i, device={"make": "Fake"}, step="left_slap",
                                  attempt=1) for i in range(n))
    ex = (pl.PayloadException("Finger", "Left LittleFinger", "missing", "amputasi", "op1", "t", 0, "image/jpeg"),)
    return pl.Payload(recording_id="rid-1", created_at="2026-11-23T01:00:00+00:00",
                      subject={"name": "SITI", "corrections": []}, records=recs, exceptions=ex,
                      force_captures=({"step": "thumbs", "reason": "kering", "supervisor": "sup1", "at": "t"},),
                      blobs=blobs)


def test_round_trip_and_determinism():
    p = sample_payload()
    data = pl.encode(p)
    assert data.startswith(pl.MAGIC) and pl.encode(p) == data
    q = pl.decode(data)
    assert q == p
    assert q.blob(2) == b"image-2" * 3
    assert pl.summary(q)["Finger"]["count"] == 3


@pytest.mark.parametrize("damage", ["magic", "version", "blob", "trailing", "truncate", "header"])
def test_damaged_payloads_are_refused(damage):
    data = bytearray(pl.encode(sample_payload()))
    if damage == "magic":
        data[0] ^= 1
    elif damage == "version":
        data[8:10] = (99).to_bytes(2, "big")
    elif damage == "blob":
        data[-1] ^= 0xFF
    elif damage == "trailing":
        data += b"x"
    elif damage == "truncate":
        data = data[:-5]
    elif damage == "header":
        hl = int.from_bytes(data[10:14], "big")  # header starts after the 32-byte hash
        data[46 + hl // 2] ^= 0x01
    with pytest.raises(pl.PayloadFormatError):
        pl.decode(bytes(data))


def test_bad_references_are_refused():
    p = sample_payload()
    bad = pl.Payload(recording_id="r", records=(pl.PayloadRecord("Face", "", "image/jpeg", blob=7),),
                     blobs=p.blobs)
    with pytest.raises(pl.PayloadFormatError):
        pl.encode(bad)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=6), st.text(max_size=20))
def test_round_trip_any_blobs(blobs, name):
    p = pl.Payload(recording_id="r", subject={"name": name}, blobs=tuple(pl.Blob.raw(b) for b in blobs),
                   records=tuple(pl.PayloadRecord("Iris", "Left", "x", blob=i) for i in range(len(blobs))))
    assert pl.decode(pl.encode(p)) == p


def test_sealed_blobs_open_only_with_the_right_key():
    hub = crypto.new_sealing_key()
    other = crypto.new_sealing_key()
    from sweet17.services.session.payloads import seal_blob

    b = seal_blob(crypto.public_raw(hub), b"secret finger", "rid/left_slap/1/0")
    p = pl.Payload(recording_id="rid", blobs=(b,), records=(pl.PayloadRecord("Finger", "x", "f", blob=0),))
    q = pl.decode(pl.encode(p))
    opened = q.opened(lambda blob: crypto.unseal(hub, blob.data, blob.aad.encode()))
    assert opened.blob(0) == b"secret finger"
    with pytest.raises(crypto.CryptoError):
        q.opened(lambda blob: crypto.unseal(other, blob.data, blob.aad.encode()))
    with pytest.raises(crypto.CryptoError):   # moved to another recording: the aad no longer matches
        crypto.unseal(hub, b.data, b"rid2/left_slap/1/0")
    # a box whose plaintext does not match its recorded hash is refused
    liar = pl.Payload(recording_id="rid", blobs=(pl.Blob(b.data, "sealed", b.aad, "0" * 64),))
    with pytest.raises(pl.PayloadFormatError):
        liar.opened(lambda blob: crypto.unseal(hub, blob.data, blob.aad.encode()))


def test_committed_payload_unreadable_without_hub_key(tmp_path):
    """Record a student, then: the hub key opens the payload; any other key, or the laptop, cannot;
    and no biometric byte is readable anywhere in the laptop's database files."""
    from fakes_devices import fake_kit
    from session_helpers import DAY, PASSWORD, SCHOOL, STUDENTS, make_workspace
    from sqlalchemy import text

    from sweet17.services.operators import authenticate
    from sweet17.services.session.payloads import open_payload
    from sweet17.services.session.service import start_session

    ws, hub = make_workspace(tmp_path)
    s = start_session(ws, authenticate(ws, "op1", PASSWORD), SCHOOL, fake_kit(), day=DAY, students=STUDENTS)
    ck, _ = s.check_in("S001")
    s.consent(ck.id)
    s.mark_exception(ck.id, "finger", "L4", "missing", "amputasi sejak kecil")
    while s.capture_next(ck.id).state != "complete":
        pass
    # partial capture on disk (before commit): only sealed boxes
    raw = b"".join(p.read_bytes() for p in ws.path.glob("sweet17.db*"))
    assert b"SYNTHETIC-BIOMETRIC" not in raw and b"FAKEJPEG" not in raw
    s.review(ck.id)
    res = s.commit(ck.id)
    with ws.engine.connect() as c:
        sealed = c.execute(text("SELECT sealed FROM recording_payload WHERE recording_id = :i"),
                           {"i": res.recording_id}).scalar()
        leftover = c.execute(text("SELECT COUNT(*) FROM capture_step WHERE data IS NOT NULL")).scalar()
    assert leftover == 0
    p = open_payload(sealed, hub, res.recording_id)
    assert len([r for r in p.records if r.modality == "Finger"]) == 9       # 3 + 4 + 2, the little finger missing
    assert all(p.blob(r.blob).startswith(b"SYNTHETIC-BIOMETRIC") for r in p.records if r.modality != "Signature")
    assert p.exceptions[0].position == "Left LittleFinger" and p.blob(p.exceptions[0].proof_blob)
    assert p.subject["nisn"] == STUDENTS[0]["nisn"]
    # nobody else can open it: another X25519 key, nor the laptop's own keys
    with pytest.raises(crypto.CryptoError):
        open_payload(sealed, crypto.new_sealing_key(), res.recording_id)
    with pytest.raises(crypto.CryptoError):   # bound to its recording id
        open_payload(sealed, hub, "another-recording")
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    laptop_keys = [crypto.read_private_key(pem) for pem in ws.keys_dir.glob("*.pem")]
    assert laptop_keys and not any(isinstance(k, X25519PrivateKey) for k in laptop_keys)   # no opening key here
    raw = b"".join(p.read_bytes() for p in ws.path.rglob("*") if p.is_file())
    assert b"SYNTHETIC-BIOMETRIC" not in raw and b"FAKEJPEG" not in raw
    con = sqlite3.connect(ws.db_path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    ws.close()
