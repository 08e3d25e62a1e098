from datetime import date

import pytest

from sweet17.domain.drive import DriveDefinitionError, parse_drive


def base():
    return {
        "drive": {"slug": "t-2027", "name": "T", "regency_code": "6311", "start": date(2027, 1, 11),
                  "end": date(2027, 3, 19)},
        "office": {"name": "Disdukcapil"},
        "schools": [
            {"code": "A", "name": "SMA A", "kecamatan_code": "631106", "travel_minutes": 10, "days": "mon-sat",
             "blackouts": [{"start": date(2027, 3, 1), "end": date(2027, 3, 5), "reason": "Ujian"}]},
            {"code": "B", "name": "SMK B", "kecamatan_code": "631101", "travel_minutes": 110, "days": "mon-fri"},
        ],
        "teams": [{"id": "T1", "kits": ["K1", "K2"], "working_days": "mon-sat"}],
    }


def test_parses_and_answers_calendar_questions():
    d = parse_drive(base())
    a = d.school("A")
    assert a.open_on(date(2027, 1, 16))            # Saturday, mon-sat school
    assert not d.school("B").open_on(date(2027, 1, 16))
    assert not a.open_on(date(2027, 3, 2))         # exam blackout
    assert d.kits == ("K1", "K2") and d.travel("office", "B") == 110
    assert d.recording.window_minutes == 330


@pytest.mark.parametrize("mutate,field", [
    (lambda d: d["schools"][1].__setitem__("travel_minutes", -5), "schools[1].travel_minutes"),
    (lambda d: d["schools"][1].pop("name"), "schools[1].name"),
    (lambda d: d["schools"][0]["blackouts"].append({"start": date(2028, 1, 1)}), "schools[0].blackouts[1]"),
    (lambda d: d.__setitem__("travel_between", [{"from": "A", "to": "ZZ", "minutes": 5}]), "travel_between[0].to"),
    (lambda d: d["drive"].__setitem__("end", date(2026, 1, 1)), "drive.end"),
    (lambda d: d["schools"].append(dict(d["schools"][0])), "schools[2].code"),
    (lambda d: d["teams"].append({"id": "T2", "kits": ["K1"]}), "teams[1].kits"),
    (lambda d: d["schools"][0].__setitem__("days", "mon,funday"), "schools[0].days"),
])
def test_bad_definitions_name_the_field(mutate, field):
    d = base()
    mutate(d)
    with pytest.raises(DriveDefinitionError) as e:
        parse_drive(d)
    assert e.value.field == field


def test_load_drive_error_names_file_and_field(tmp_path):
    from sweet17.errors import ValidationError
    from sweet17.services.drives import load_drive

    (tmp_path / "drive.toml").write_text(
        '[drive]\nslug="x"\nregency_code="6311"\nstart=2027-01-11\nend=2027-02-01\n[office]\nname="o"\n'
        '[[schools]]\ncode="A"\nname="A"\ntravel_minutes=-3\n[[teams]]\nid="T"\nkits=["K"]\n', encoding="utf-8")
    with pytest.raises(ValidationError) as e:
        load_drive(tmp_path)
    assert "drive.toml" in str(e.value) and "schools[0].travel_minutes" in str(e.value)
