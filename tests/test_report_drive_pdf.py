"""``sweet17 report drive --pdf``: the head-of-office PDF and the all-reports workbook."""

from __future__ import annotations

import json
import re

from reports_world import AS_OF, build_world


def test_drive_pdf_and_workbook(cli, tmp_path, monkeypatch):
    from openpyxl import load_workbook

    from sweet17.services.workspace import Workspace

    ws = Workspace.create(tmp_path / "ws")
    build_world(ws, tmp_path)
    ws.close()
    monkeypatch.chdir(tmp_path)
    for i, (cat, res) in enumerate((("queue", True), ("not_delivered", False))):
        cli("--workspace", tmp_path / "ws", "complaint", "add", "--channel", "wa", "--category", cat,
            "--text", f"uji {i}", "--date", "2026-11-1" + str(i))
        if res:
            cli("--workspace", tmp_path / "ws", "complaint", "resolve", f"ADU-2026-000{i + 1}", "--text", "selesai",
                "--date", "2026-11-12")
    survey = tmp_path / "skm.csv"
    survey.write_text("Tanggal,U1,U2,U3,U4,U5,U6,U7,U8,U9\n2026-11-12,4,3,3,4,3,3,4,2,3\n", encoding="utf-8")
    assert cli("--workspace", tmp_path / "ws", "ikm", "import", survey)[0] == 0
    code, out, err = cli("--workspace", tmp_path / "ws", "report", "drive", "--pdf", "--as-of", AS_OF.isoformat(),
                         "--json")
    assert code == 0, err
    res = json.loads(out)
    pdf = open(res["pdf"], "rb").read()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type /Page\b", pdf)) >= 4
    assert b"Laporan hasil perekaman KTP-el di sekolah" in pdf          # the document title (metadata)
    f = res["figures"]
    assert (f["eligible"], f["recorded"], f["drive_rate"], f["first_time_rate"]) == (8, 5, 0.625, 0.7)
    assert (f["synced"], f["printed"], f["delivered"], f["recordings_per_kit_hour"]) == (3, 2, 1, 0.7)
    assert f["complaints_share_resolved"] == 0.5 and f["ikm_category"] == "B"
    wb = load_workbook(res["xlsx"])
    assert len(wb.sheetnames) > 15 and wb.sheetnames[-1] == "Grafik"
    assert any(name.startswith("Cakupan") for name in wb.sheetnames)
    assert len(res["charts"]) >= 7 and all(p.endswith(".png") for p in res["charts"])
    # without --pdf: only the workbook and the charts
    code, out, err = cli("--workspace", tmp_path / "ws", "report", "drive", "--as-of", AS_OF.isoformat(), "--json")
    assert code == 0 and json.loads(out)["pdf"] is None
