"""IKM survey import and the report over the CLI (the worked example of test_ikm_domain)."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import text

from sweet17.domain.ikm import ELEMENT_NAMES_ID, ELEMENTS

WORKED = [
    (3, 3, 3, 4, 3, 3, 4, 2, 3),
    (4, 3, 3, 4, 3, 4, 4, 2, 3),
    (3, 3, 2, 4, 3, 3, 3, 3, 3),
    (3, 4, 3, 4, 4, 3, 4, 2, 2),
    (4, 3, 3, 4, 3, 4, 4, 3, 3),
]
LETTER = {1: "a", 2: "b", 3: "c", 4: "d"}


def _survey(path, rows, header=None):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["REKAP SURVEI KEPUASAN MASYARAKAT"])
    ws.append(["Layanan: Perekaman KTP-el di sekolah"])
    ws.append(header or ["No", "Tanggal", "Jenis Kelamin", "Umur", *[ELEMENT_NAMES_ID[e] for e in ELEMENTS], "Saran"])
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_import_and_report_worked_example(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ws = tmp_path / "ws"
    cli("--workspace", ws, "init")
    rows = []
    for i, scores in enumerate(WORKED):
        # the first two respondents in October, the rest in November; two answered with letters a-d
        d = date(2026, 10, 20 + i) if i < 2 else f"{3 + i:02d}/11/2026"
        cells = [LETTER[s] for s in scores] if i in (1, 3) else list(scores)
        rows.append([i + 1, d, "L" if i % 2 else "Perempuan", 17 + i, *cells, ""])
    f = _survey(tmp_path / "skm.xlsx", rows)
    code, out, err = cli("--workspace", ws, "ikm", "import", f, "--json")
    assert code == 0, err
    assert json.loads(out) == {"file": str(f), "imported": 5, "first_date": "2026-10-20", "last_date": "2026-11-07"}
    code, out, err = cli("--workspace", ws, "report", "ikm", "--period", "month", "--json", "--export")
    assert code == 0, err
    data = json.loads(out)
    overall = data["overall"]
    # 29/9 = 3.2222, x25 = 80.56, B; U8 (2.4) is the weakest (see test_ikm_domain for the arithmetic).
    assert overall["respondents"] == 5 and overall["index"] == 3.2222 and overall["converted"] == 80.56
    assert overall["category"] == "B" and overall["weakest"] == ["u8"]
    # October, respondents 1-2: element sums U1..U9 = 7,6,6,8,6,7,8,4,6; the averages add up to 58/2 = 29,
    # index 29/9 = 3.2222. November, respondents 3-5: sums 10,10,8,12,10,10,11,8,8; averages add up to
    # 87/3 = 29, index 29/9 again. U8: October 4/2 = 2.0, November 8/3 = 2.6667.
    assert [p["period"] for p in data["periods"]] == ["2026-10", "2026-11"]
    assert [p["respondents"] for p in data["periods"]] == [2, 3]
    assert data["periods"][0]["elements"][7]["average"] == 2.0
    assert data["periods"][1]["elements"][7]["average"] == 2.6667
    assert [p["index"] for p in data["periods"]] == [3.2222, 3.2222]
    assert data["exports"]["xlsx"].endswith(".xlsx") and len(data["exports"]["charts"]) == 1
    from sweet17.services.workspace import Workspace

    w = Workspace.open(ws)
    with w.engine.connect() as conn:
        sexes = [r[0] for r in conn.execute(text("SELECT sex FROM survey_response ORDER BY source_row"))]
    w.close()
    assert sexes == ["P", "L", "P", "L", "P"]


def test_bad_scores_named_and_nothing_stored(cli, tmp_path):
    ws = tmp_path / "ws"
    cli("--workspace", ws, "init")
    f = _survey(tmp_path / "skm.xlsx", [
        [1, date(2026, 10, 20), "L", 17, *[3] * 9, ""],
        [2, date(2026, 10, 21), "L", 17, 3, 3, 5, 3, 3, 3, 3, 3, 3, ""],
        [3, date(2026, 10, 22), "X", 17, *[3] * 9, ""],
        [4, None, "L", 17, *[3] * 9, ""],
        [5, date(2026, 10, 22), "L", 17, *[None] * 9, ""],
    ])
    code, out, err = cli("--workspace", ws, "ikm", "import", f)
    assert code == 2
    assert "skm.xlsx, baris 5, kolom Waktu Penyelesaian: '5' bukan nilai 1 sampai 4" in err
    assert "baris 6, kolom Jenis Kelamin" in err and "baris 7, kolom Tanggal" in err and "baris 8" in err
    code, out, err = cli("--workspace", ws, "report", "ikm", "--json")
    assert json.loads(out)["overall"]["respondents"] == 0
    # a file lacking an element column is refused naming the column
    g = tmp_path / "short.csv"
    g.write_text("Tanggal,U1,U2,U3,U4,U5,U6,U7,U8\n2026-10-01,3,3,3,3,3,3,3,3\n", encoding="utf-8")
    code, out, err = cli("--workspace", ws, "ikm", "import", g)
    assert code == 2 and "u9" in err
    code, out, err = cli("--workspace", ws, "report", "ikm", "--period", "week")
    assert code == 2 and "--period" in err


def test_csv_codes_and_same_file_twice(cli, tmp_path):
    ws = tmp_path / "ws"
    cli("--workspace", ws, "init")
    g = tmp_path / "skm.csv"
    g.write_text("Tanggal;U1;U2;U3;U4;U5;U6;U7;U8;U9\n2026-10-01;4;4;4;4;4;4;4;4;4\n2026-10-02;4;4;;4;4;4;4;4;3\n",
                 encoding="utf-8")
    code, out, err = cli("--workspace", ws, "ikm", "import", g)
    assert code == 0, err
    code, out, err = cli("--workspace", ws, "ikm", "import", g)
    assert code == 2 and "skm.csv" in err
    code, out, err = cli("--workspace", ws, "report", "ikm", "--json")
    o = json.loads(out)["overall"]
    # U3 answered once (4); U9 = (4+3)/2 = 3.5; index = (8 x 4 + 3.5)/9 = 35.5/9 = 3.9444 -> 98.61 A
    assert o["index"] == 3.9444 and o["converted"] == 98.61 and o["category"] == "A"
    assert o["elements"][2]["answers"] == 1 and o["weakest"] == ["u9"]
    code, out, err = cli("--workspace", ws, "report", "ikm")
    assert code == 0 and "98.61" in out
