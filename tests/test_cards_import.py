"""Printed-card list import: formats, per-row errors, atomicity, reprints."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import text

from sweet17.services.cards import normalise_uid

NIK_A = "6311065708080012"
NIK_B = "6311061708080013"
NIK_C = "6311034202090001"


def _xlsx(path, header, rows, title_rows=()):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for t in title_rows:
        ws.append(t)
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _count(ws_path) -> int:
    from sweet17.services.workspace import Workspace

    w = Workspace.open(ws_path)
    with w.engine.connect() as conn:
        n = conn.execute(text("SELECT COUNT(*) FROM printed_card")).scalar()
    w.close()
    return n


@pytest.fixture
def ws(cli, tmp_path):
    path = tmp_path / "ws"
    assert cli("--workspace", path, "init")[0] == 0
    return path


def test_uid_forms():
    assert normalise_uid("04:a2:b3:c4:d5:e6:f7") == "04A2B3C4D5E6F7"
    assert normalise_uid("0x DEADBEEF") == "DEADBEEF"
    assert normalise_uid("04 A2 B3") is None           # 3 bytes
    assert normalise_uid("ZZZZZZZZ") is None


def test_import_xlsx_with_title_rows_and_formats(cli, ws, tmp_path):
    f = _xlsx(tmp_path / "cetak.xlsx", ["No", "NIK", "Nama", "Tanggal Cetak", "No Seri Kartu", "UID Chip"], [
        [1, NIK_A, "SITI AMINAH", date(2026, 11, 10), "6311A0000123", "04:A2:B3:C4:D5:E6:F7"],
        [2, "'" + NIK_B, "AHMAD FAUZI", "11/11/2026", None, None],
        [3, NIK_C, "NOR HIDAYAH", "12 November 2026", "6311A0000125", "deadbeef"],
        [4, NIK_C, "NOR HIDAYAH", "12 November 2026", "6311A0000125", "deadbeef"],   # repeated line: harmless
    ], title_rows=[["DAFTAR KTP-EL TERCETAK"], ["Kabupaten Balangan"], []])
    code, out, err = cli("--workspace", ws, "cards", "import", f, "--json")
    assert code == 0, err
    res = json.loads(out)
    assert res["rows"] == 3 and res["new"] == 3 and res["with_uid"] == 2 and res["with_serial"] == 2
    assert res["matching_recordings"] == 0
    from sweet17.services.cards import card_by_uid, printed_card
    from sweet17.services.workspace import Workspace

    w = Workspace.open(ws)
    assert printed_card(w, NIK_B).printed_on == date(2026, 11, 11)
    assert card_by_uid(w, "04A2B3C4D5E6F7").nik == NIK_A
    assert printed_card(w, NIK_C).chip_uid == "DEADBEEF"
    w.close()
    # the same file again changes nothing
    code, out, err = cli("--workspace", ws, "cards", "import", f, "--json")
    assert json.loads(out)["unchanged"] == 3
    # a reprint with a later date replaces the card; an older print is ignored
    g = tmp_path / "reprint.csv"
    g.write_text(f"NIK;Tgl Cetak;UID\n{NIK_A};2026-11-20;04A2B3C4D5E6FF\n{NIK_B};2026-01-01;\n", encoding="cp1252")
    code, out, err = cli("--workspace", ws, "cards", "import", g, "--json")
    assert code == 0, err
    res = json.loads(out)
    assert res["reprinted"] == 1 and res["older_kept"] == 1
    w = Workspace.open(ws)
    assert printed_card(w, NIK_A).chip_uid == "04A2B3C4D5E6FF" and card_by_uid(w, "04A2B3C4D5E6F7") is None
    w.close()
    code, out, err = cli("--workspace", ws, "cards", "import", g)
    assert code == 0 and "KTP-el tercetak" in out


def test_bad_rows_named_and_nothing_stored(cli, ws, tmp_path):
    f = _xlsx(tmp_path / "bad.xlsx", ["NIK", "Tanggal Cetak", "UID"], [
        [NIK_A, date(2026, 11, 10), "04A2B3C4"],
        [6311061708080013, date(2026, 11, 10), None],            # stored as a number by Excel
        ["63110617", date(2026, 11, 10), None],                  # too short
        [NIK_C, "besok", None],                                  # not a date
        ["6311034202090002", date(2026, 11, 10), "04A2B3C4"],    # UID of another NIK
        ["6311034202090003", date(2026, 11, 10), "XYZ"],         # not a UID
        ["6311034202090004", date(2099, 1, 1), None],            # in the future
    ])
    code, out, err = cli("--workspace", ws, "cards", "import", f)
    assert code == 2
    assert "bad.xlsx, baris 3, kolom NIK" in err and "angka" in err
    assert "baris 4, kolom NIK" in err and "baris 5, kolom Tanggal Cetak" in err
    assert "baris 6, kolom UID" in err and "baris 7, kolom UID" in err
    assert "dan 1 masalah lain" in err
    assert _count(ws) == 0


def test_unreadable_files(cli, ws, tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    code, out, err = cli("--workspace", ws, "cards", "import", broken)
    assert code == 2 and "broken.xlsx" in err and "Traceback" not in err
    code, out, err = cli("--workspace", ws, "cards", "import", tmp_path / "nothing.csv")
    assert code == 2 and "nothing.csv" in err
    empty = tmp_path / "empty.csv"
    empty.write_text("NIK,Tanggal Cetak\n", encoding="utf-8")
    code, out, err = cli("--workspace", ws, "cards", "import", empty)
    assert code == 2 and "kosong" in err
    nohead = tmp_path / "nohead.csv"
    nohead.write_text("a,b\n1,2\n", encoding="utf-8")
    code, out, err = cli("--workspace", ws, "cards", "import", nohead)
    assert code == 2 and "nohead.csv" in err
    assert _count(ws) == 0
