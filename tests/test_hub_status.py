"""Statuses: the central system's lists imported at the hub (CSV and real xlsx, all rows or none,
idempotent), served to laptops (signed), and the office's view by NIK."""
# ruff: noqa: F811  (pytest fixtures are imported by name and used as arguments)

from __future__ import annotations

import pytest
from recording_factory import make_many, synthetic_nik
from sqlalchemy import text
from sync_fixtures import hub, hub_count, hub_db, indonesian, laptop, make_laptop, pg_cluster, served  # noqa: F401

from sweet17.errors import UserError
from sweet17.services.hub.status import import_central, status_for_nik
from sweet17.services.sync.laptop import sync_http


def _xlsx(path, rows):  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_central_lists_reach_the_laptop(hub, served, laptop, tmp_path):
    make_many(laptop, 3, status="approved")
    sync_http(laptop)
    niks = [synthetic_nik(i, female=i % 2 == 1) for i in range(3)]
    csv = tmp_path / "terekam.csv"
    csv.write_text("NIK;Keterangan;Tanggal\n" + "".join(f"{n};terekam;25-11-2026\n" for n in niks)
                   + "6311019999990001;terekam;25-11-2026\n", encoding="utf-8")
    res = import_central(hub, csv)
    assert (res["rows"], res["applied"], res["unmatched"]) == (4, 3, 1) and res["unmatched_rows"] == [5]
    again = import_central(hub, csv)
    assert (again["applied"], again["already"]) == (0, 3)
    xl = _xlsx(tmp_path / "cetak.xlsx", [["NIK", "Status", "Tanggal"], [niks[0], "printed", "2026-12-01"]])
    assert import_central(hub, xl)["by_status"] == {"printed": 1}
    plain = _xlsx(tmp_path / "diserahkan.xlsx", [["nik"], [niks[1]]])
    assert import_central(hub, plain, status="diserahkan", on="2026-12-05")["by_status"] == {"delivered": 1}
    out = sync_http(laptop)
    assert out.statuses == 5                 # 3 recorded, 1 printed, 1 delivered
    with laptop.engine.connect() as c:
        hs = dict(c.execute(text("SELECT nik, hub_status FROM recording")).all())
    assert hs == {niks[0]: "printed", niks[1]: "delivered", niks[2]: "recorded"}
    st = status_for_nik(hub, niks[0])
    assert [e["status"] for e in st["recordings"][0]["events"]] == ["received", "verified", "recorded", "printed"]
    # a delivered card is final: the laptop stops asking about it
    from sweet17.services.sync.laptop import _status_ids

    assert len(_status_ids(laptop)) == 2


@pytest.mark.parametrize("content, where", [
    ("NIK,Status,Tanggal\n6311015708090001,terekam,2026-11-25\n63110157080900,terekam,2026-11-25\n",
     "baris 3"),
    ("NIK,Status,Tanggal\n6311015708090001,hilang,2026-11-25\n", "baris 2"),
    ("NIK,Status,Tanggal\n6311015708090001,terekam,kemarin\n", "baris 2"),
    ("Nama,Status\nSiti,terekam\n", "kolom NIK"),
    ("NIK,Tanggal\n6311015708090001,2026-11-25\n", "--status"),
])
def test_bad_central_files_are_refused_whole(hub, tmp_path, content, where):
    p = tmp_path / "central.csv"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(UserError) as e:
        import_central(hub, p)
    assert where in str(e.value) and "central.csv" in str(e.value)
    assert hub_count(hub, "SELECT COUNT(*) FROM central_import") == 0


def test_nik_stored_as_a_number_in_excel_is_refused(hub, tmp_path):
    p = _xlsx(tmp_path / "angka.xlsx", [["NIK", "Status", "Tanggal"], [6311015708090001, "terekam", "2026-11-25"]])
    with pytest.raises(UserError) as e:
        import_central(hub, p)
    assert "sebagai angka" in str(e.value) and "baris 2" in str(e.value)


def test_status_answer_is_signed_and_only_for_the_asking_laptop(hub, served, laptop, tmp_path):
    from sweet17.services.hub.status import status_document
    from sweet17.services.sync import protocol as P

    ids = make_many(laptop, 2, status="approved")
    sync_http(laptop)
    other = make_laptop(tmp_path / "o", hub, served.url, name="laptop-2")
    from sweet17.services import keys as keysvc

    body, sig = status_document(hub, keysvc.laptop_id(other), ids)
    events = P.parse_status_document(body, hub.sign_public, sig, hub_id=hub.hub_id, laptop_id=keysvc.laptop_id(other))
    assert events == {}                                      # not its recordings: nothing leaks
    body, sig = status_document(hub, keysvc.laptop_id(laptop), ids)
    with pytest.raises(P.ProtocolError):
        P.parse_status_document(body.replace(b"verified", b"delivered"), hub.sign_public, sig, hub_id=hub.hub_id,
                                laptop_id=keysvc.laptop_id(laptop))
    with pytest.raises(UserError):
        status_for_nik(hub, "12345")
