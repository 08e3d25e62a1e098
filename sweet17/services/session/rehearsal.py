"""Preparing a rehearsal (training, ``make run``): a face video, a kit profile for the SBI simulator
and a script of actions for the first students of a school's day.

``prepare_rehearsal`` writes into ``out``:

* ``face.avi`` — a synthetic person (made up, see ``adapters.devices.facegen``) in front of a red
  and then a blue KTP-el background, so that the camera finds the right background for students
  born in odd and in even years;
* ``kit.toml`` — the SBI simulator's port and trust store (from the simulator's profile, by default
  ``devices/sim-kit.toml``, whose ``sweet17 devices simulate`` must be running) and the video as the
  face camera;
* ``script.toml`` — sign-in (password from ``SWEET17_OPERATOR_PASSWORD``), then: the first students
  of the day's list recorded (the second with a missing little finger), the next one absent, a
  walk-in recorded, and the end of the session.

The day's list comes from the eligibility service, exactly as ``session start`` takes it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sweet17.errors import UserError
from sweet17.i18n import _

PASSWORD_ENV = "SWEET17_OPERATOR_PASSWORD"


@dataclass(frozen=True)
class Rehearsal:
    folder: Path
    video: Path
    profile: Path
    script: Path
    students: int

    def to_dict(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "video": str(self.video), "profile": str(self.profile),
                "script": str(self.script), "students": self.students}


def _toml_str(s: str) -> str:
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


def prepare_rehearsal(ws, school_code: str, day: date, out: Path, *, students: int = 4,  # type: ignore[no-untyped-def]
                      username: str = "op1", sim_profile: str | None = None, drive: Any = None) -> Rehearsal:
    from sweet17.adapters.devices import facegen, profiles
    from sweet17.services.session import daylist
    from sweet17.services.session.service import _resolve_school

    if students < 1:
        raise UserError(_("Option --students: at least 1."), field="--students")
    slug, loaded, min_age = _resolve_school(ws, school_code, drive)
    listed = [daylist.as_listed(s, i) for i, s in enumerate(daylist.fetch_call_list(ws, slug, school_code, day,
                                                                                    min_age))]
    if len(listed) < students + 1:
        raise UserError(_("Only {n} students are called at {school} on {day}: ask for fewer with --students.")
                        .format(n=len(listed), school=school_code, day=day.isoformat()), field="--students")
    kp = profiles.load_kit(profiles.find_kit(sim_profile))
    sim = dict(kp.simulator)
    sim_dir = Path(sim.get("dir") or kp.path.parent / ".sim")
    port = int(sim.get("port", 4501))
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    video = facegen.write_video(out / "face.avi", itertools.chain(
        facegen.frames("walk-in", 24, background="red", seed=17),
        facegen.frames("walk-in", 24, background="blue", seed=17)))
    profile = out / "kit.toml"
    profile.write_text("\n".join([
        "# Rehearsal kit: the SBI simulator (sweet17 devices simulate) and a synthetic face video.",
        f"name = {_toml_str('Rehearsal kit')}",
        f"retries = {kp.retries}",
        "", "[thresholds]",
        *(f"{k} = {v}" for k, v in kp.thresholds.items()),
        "", "[devices.sbi]", 'driver = "sbi"', f"port = {port}", f"env = {_toml_str(sim.get('env', 'Developer'))}",
        f"trust_store = {_toml_str(str(sim_dir / 'trust'))}",
        "", "[devices.face-camera]", 'driver = "opencv"', f"source = {_toml_str(str(video))}", "loop = true", "",
    ]), encoding="utf-8")
    lines = ["# Rehearsal of a school day (sweet17 session start --script this-file).",
             "[session]", "stop_on_error = true", "",
             "[[action]]", 'do = "signin"', f"username = {_toml_str(username)}",
             f"password_env = {_toml_str(PASSWORD_ENV)}", ""]
    for i, st in enumerate(listed[:students]):
        lines += ["[[action]]", 'do = "checkin"', f"ref = {_toml_str(st.student_ref)}", ""]
        lines += ["[[action]]", 'do = "record"', "max_device_errors = 2", "retry_wait = 1"]
        if i == 1:
            lines += ["exceptions = [{ modality = \"finger\", positions = \"L4\", kind = \"missing\", "
                      "reason = \"jari kelingking kiri tidak ada sejak lahir\" }]"]
        lines.append("")
    lines += ["[[action]]", 'do = "absent"', f"ref = {_toml_str(listed[students].student_ref)}", ""]
    birth = date(day.year - min_age - 1, 6, 15)          # comfortably old enough on the day
    lines += ["[[action]]", 'do = "walkin"', 'name = "DEWI LESTARI RAHMAN"', f'birth_date = "{birth.isoformat()}"',
              'sex = "P"', 'reason = "pindahan dari sekolah lain, belum ada di Dapodik"', "",
              "[[action]]", 'do = "record"', "max_device_errors = 2", "retry_wait = 1", "",
              "[[action]]", 'do = "status"', "", "[[action]]", 'do = "end"', 'reason = "selesai"', ""]
    script = out / "script.toml"
    script.write_text("\n".join(lines), encoding="utf-8")
    return Rehearsal(folder=out, video=video, profile=profile, script=script, students=students + 1)
