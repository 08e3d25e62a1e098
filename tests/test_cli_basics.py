import json


def test_nik_json_and_exit_codes(cli):
    code, out, err = cli("nik", "6311065708080012", "--as-of", "2026-11-01", "--json")
    assert code == 0, err
    data = json.loads(out)
    r = data["results"][0]
    assert r["birth_date"] == "2008-08-17" and r["sex"] == "P" and r["kecamatan"] == "Paringin"
    code, out, err = cli("nik", "123")
    assert code == 2
    assert "bukan 16" in out


def test_usage_error_is_one_line_exit_2(cli):
    code, out, err = cli("--bogus")
    assert code == 2
    assert err.strip().count("\n") == 0 and "--bogus" in err


def test_missing_workspace_is_user_error(cli, tmp_path):
    code, out, err = cli("--workspace", tmp_path / "nothing", "info")
    assert code == 2
    assert "sweet17 init" in err and "Traceback" not in err


def test_english_on_request(cli, tmp_path):
    code, out, err = cli("--workspace", tmp_path / "nothing", "info", lang="en")
    assert "No sweet17 workspace" in err


def test_init_and_info(cli, tmp_path):
    ws = tmp_path / "w"
    code, out, err = cli("--workspace", ws, "init", "--json")
    assert code == 0, err
    assert json.loads(out)["schema_version"] >= 1
    code, out, err = cli("--workspace", ws, "info", "--json")
    info = json.loads(out)
    assert info["database"].endswith("sweet17.db") and info["schema_version"] == info["schema_head"]
    code, out, err = cli("--workspace", ws, "init")
    assert code == 2 and "sudah ada" in err
