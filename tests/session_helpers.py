"""Helpers for the session tests: a workspace with a drive, hub keys, accounts and a day's list."""

from __future__ import annotations

from datetime import date
from pathlib import Path

DAY = date(2026, 11, 23)
SCHOOL = "SMAN1PRG"
PASSWORD = "rahasia-op1"
SUP_PASSWORD = "rahasia-sup1"

DRIVE_TOML = """
[drive]
slug = "test-drive"
name = "Test drive"
regency_code = "6311"
start = 2026-11-02
end = 2026-12-18

[office]
name = "Disdukcapil Test"

[[schools]]
code = "SMAN1PRG"
name = "SMA Negeri 1 Contoh"
kecamatan_code = "631106"
kecamatan = "Paringin"
travel_minutes = 10

[[schools]]
code = "SMKN1AWY"
name = "SMK Negeri 1 Contoh"
kecamatan_code = "631103"
kecamatan = "Awayan"
travel_minutes = 40

[[teams]]
id = "t1"
kits = ["kit1"]
"""

# Synthetic students (made-up names and numbers).
STUDENTS = [
    {"student_ref": "S001", "name": "AHMAD FAUZAN RIFAI", "nisn": "0081234501", "nik": "6311061203080001",
     "birth_date": "2008-03-12", "sex": "L", "rombel": "XII IPA 1"},
    {"student_ref": "S002", "name": "SITI NURHALIZA PUTRI", "nisn": "0081234502", "nik": "6311065505080002",
     "birth_date": "2008-05-15", "sex": "P", "rombel": "XII IPA 1"},
    {"student_ref": "S003", "name": "MUHAMMAD RIZKY ANANDA", "nisn": "0091234503", "nik": "6311060107090003",
     "birth_date": "2009-07-01", "sex": "L", "rombel": "XI IPS 2"},
    {"student_ref": "S004", "name": "NOOR AISYAH RAHMAWATI", "nisn": "0091234504", "nik": "6311064109090004",
     "birth_date": "2009-09-01", "sex": "P", "rombel": "XI IPS 2"},
    {"student_ref": "S005", "name": "GUSTI MUHAMMAD ILHAM", "nisn": "0081234505", "nik": "6311062011080005",
     "birth_date": "2008-11-20", "sex": "L", "rombel": "XII IPS 1"},
    {"student_ref": "S006", "name": "RAHMAT HIDAYAT", "nisn": "0081234506", "nik": "6311060202080006",
     "birth_date": "2008-02-02", "sex": "L", "rombel": "XII IPS 1"},
]


def make_workspace(root: Path):  # type: ignore[no-untyped-def]
    """Workspace + registered drive + hub keys + op1 (operator) and sup1 (supervisor). Returns (ws, hub_private)."""
    from sweet17.adapters import crypto
    from sweet17.services import keys
    from sweet17.services.drives import load_drive, register_drive
    from sweet17.services.operators import create_operator
    from sweet17.services.workspace import Workspace

    ws = Workspace.create(root / "ws")
    drive_dir = root / "drive"
    drive_dir.mkdir(parents=True, exist_ok=True)
    (drive_dir / "drive.toml").write_text(DRIVE_TOML, encoding="utf-8")
    register_drive(ws, load_drive(drive_dir))
    hub_seal = crypto.new_sealing_key()
    hub_sign = crypto.new_signing_key()
    keys.install_hub_keys(ws, keys.HubKeys(crypto.public_raw(hub_seal), crypto.public_raw(hub_sign), "", "hub-test"))
    crypto.write_private_key(root / "hub_seal.pem", hub_seal)
    create_operator(ws, "op1", PASSWORD, full_name="Operator Satu")
    create_operator(ws, "sup1", SUP_PASSWORD, role="supervisor", full_name="Supervisor Satu")
    return ws, hub_seal
