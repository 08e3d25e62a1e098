"""``sweet17 sample balangan``: JSON summary, registration in the workspace, errors, replacing a sample."""

from __future__ import annotations

import json
import re
from datetime import date

from sqlalchemy import text

from sweet17.domain import nik as nikcore
from sweet17.services.sample import plan_balangan

ARGS = ("sample", "balangan", "--seed", "4", "--students", "300", "--start", "2027-01-11")


def test_json_summary_and_registration(cli, tmp_path):
    ws = tmp_path / "ws"
    code, out, err = cli("--workspace", ws, "init", "--json")
    assert code == 0, err
    drive = tmp_path / "drives" / "balangan-2027"
    code, out, err = cli("--workspace", ws, *ARGS, "--out", drive, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["drive"] == "balangan-2027" and data["registered"] is True and data["workspace"] == str(ws)
    assert data["folder"] == str(drive) and (drive / "drive.toml").is_file()
    assert data["start"] == "2027-01-11" and data["end"] == "2027-03-19" and data["min_age"] == 16
    assert data["students"] == 300 and data["school_count"] == len(data["schools"]) == 22
    assert sum(k["schools"] for k in data["kecamatan"]) == 22 and len(data["kecamatan"]) == 8
    assert sum(k["roster_rows"] for k in data["kecamatan"]) == data["roster_rows"] == 300 + data["transfers"]
    assert sum(s["eligible_at_start"] for s in data["schools"]) == data["eligible_at_start"]
    assert data["aged_min_at_start"] > data["recorded"] > 0 and data["turning_min_during_drive"] > 0

    # the findings are the NIK core's, over the cells as written: recompute them independently
    plan = plan_balangan(seed=4, students=300, start=date(2027, 1, 11))
    expected: dict[str, int] = {}
    for t in plan.truth:
        if isinstance(t.nik_cell, float):
            expected["nik.as_number"] = expected.get("nik.as_number", 0) + 1
            continue
        for f in nikcore.check(t.nik_cell, as_of=plan.start, birth_date=t.birth_date, sex=t.sex,
                               drive_regency="6311").findings:
            expected[f.code] = expected.get(f.code, 0) + 1
    got = {f["code"]: f["count"] for f in data["nik_findings"]}
    assert got == expected
    for kind in ("nik.missing", "nik.as_number", "nik.not_digits", "nik.region_before_split",
                 "nik.region_outside", "nik.birthdate_mismatch"):
        assert got.get(kind, 0) > 0, kind
    assert got["nik.missing"] == data["anomalies"]["nik_missing"]
    assert got["nik.as_number"] == data["anomalies"]["nik_as_number"]
    assert all(f["label"] and f["severity"] in ("error", "warning") for f in data["nik_findings"])

    code, out, err = cli("--workspace", ws, "info", "--json")
    assert json.loads(out)["current_drive"] == "balangan-2027"
    from sweet17.services.workspace import Workspace

    w = Workspace.open(ws)
    try:
        with w.engine.connect() as c:
            path = c.execute(text("SELECT path FROM drive WHERE slug = 'balangan-2027'")).scalar()
            actions = [r[0] for r in c.execute(text("SELECT action FROM audit_log ORDER BY seq"))]
            details = c.execute(text("SELECT details FROM audit_log WHERE action = 'sample.generate'")).scalar()
    finally:
        w.close()
    assert path == str(drive) and actions[-2:] == ["drive.register", "sample.generate"]
    assert '"seed":4' in details.replace(" ", "") and not re.search(r"\d{16}", details)   # no NIKs


def test_text_summary_in_indonesian_and_english(cli, tmp_path):
    args = ("--workspace", tmp_path / "no-ws", *ARGS)
    code, out, err = cli(*args, "--out", tmp_path / "a")
    assert code == 0, err
    for phrase in ("Sekolah per kecamatan", "Temuan NIK per jenis", "NIK kosong", "Paringin Selatan",
                   "Tidak ada ruang kerja", "sweet17 init", "genap 16 tahun selama kegiatan"):
        assert phrase in out, phrase
    code, out, err = cli(*args, "--out", tmp_path / "b", lang="en")
    assert code == 0, err
    assert "NIK findings by kind" in out and "NIK stored by Excel as a number" in out


def test_without_workspace_nothing_is_registered(cli, tmp_path):
    code, out, err = cli("--workspace", tmp_path / "none", *ARGS, "--out", tmp_path / "d", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["registered"] is False and data["workspace"] is None
    assert not (tmp_path / "none").exists()


def test_bad_options_are_one_line_user_errors(cli, tmp_path):
    base = ("--workspace", tmp_path / "none", "sample", "balangan")
    code, out, err = cli(*base, "--students", "5", "--out", tmp_path / "x")
    assert code == 2 and "--students" in err and "Traceback" not in err and err.strip().count("\n") == 0
    code, out, err = cli(*base, "--start", "2027-13-01", "--out", tmp_path / "x")
    assert code == 2 and "--start" in err
    assert not (tmp_path / "x").exists()


def test_refuses_to_overwrite_other_files_but_replaces_a_sample(cli, tmp_path):
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("penting", encoding="utf-8")
    code, out, err = cli("--workspace", tmp_path / "none", *ARGS, "--out", other)
    assert code == 2 and "--out" in err
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    code, out, err = cli("--workspace", tmp_path / "none", *ARGS, "--out", afile)
    assert code == 2 and afile.read_text(encoding="utf-8") == "x"

    drive = tmp_path / "drive"
    assert cli("--workspace", tmp_path / "none", *ARGS, "--out", drive)[0] == 0
    first = (drive / "drive.toml").read_text(encoding="utf-8")
    code, out, err = cli("--workspace", tmp_path / "none", "sample", "balangan", "--seed", "5", "--students", "300",
                         "--start", "2027-01-11", "--out", drive)
    assert code == 0, err
    second = (drive / "drive.toml").read_text(encoding="utf-8")
    assert "--seed 5" in second.splitlines()[0] and second != first
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []   # no temp folders left
