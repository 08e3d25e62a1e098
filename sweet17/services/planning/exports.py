"""Plan exports for the people who use them: a workbook (openpyxl), calendars (icalendar), letters (reportlab).

All files go to ``<exports>/<drive>/`` and are written through a temporary name, then renamed,
so a failed export never leaves half a file. Names, NISN and class are the only personal data
in them (no NIK, no birth date): what a school needs to call its students.

- ``plan-v<N>.xlsx``: a summary sheet, one sheet per team (its days, schools, arrival times,
  students, kits), one sheet per school with the students to call on each visit day, and the
  follow-up sweep (students who reach the age after their school's last visit);
- ``plan-v<N>-<team>.ics`` per team and ``plan-v<N>.ics`` for all: one event per visit, arriving
  at the planned time, in the drive's time zone, UIDs stable across versions (a re-import
  updates the event);
- ``surat-v<N>/<school>.pdf``: one notification letter per school in Bahasa Indonesia (date,
  arrival time, what the school prepares, what students bring) with the list of students.

A card hand-over plan (``--purpose delivery``, KTPku Datang) is exported the same way into
``ktpku-v<N>.xlsx``, ``ktpku-v<N>[-<team>].ics`` and ``surat-ktpku-v<N>/``: the lists name the
students whose printed card is handed over, and the letters say that the cards are coming and that
each student brings their school ID card.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sweet17.domain.drive import DEFAULT_BRING, Drive
from sweet17.errors import UserError
from sweet17.i18n import N_, _, current_language, set_language
from sweet17.services.planning.instance import Visit


@dataclass
class Called:
    """A student to call on a visit day (only what the school needs to find them)."""
    name: str
    nisn: str
    rombel: str
    sex: str
    turns: date | None


@dataclass
class SchoolCalls:
    code: str
    visits: list[Visit]
    by_day: dict[date, list[Called]] = field(default_factory=dict)
    later: list[Called] = field(default_factory=list)      # of age after the first visit, not placed: follow-up
    no_room: list[Called] = field(default_factory=list)    # of age by the first visit, yet not placed


def _called(st: Any) -> Called:
    return Called(name=str(getattr(st, "name", "") or ""), nisn=str(getattr(st, "nisn", "") or ""),
                  rombel=str(getattr(st, "rombel", "") or ""), sex=str(getattr(st, "sex", "") or ""),
                  turns=getattr(st, "turns_min_age_on", None))


def call_lists(visits: list[Visit], due: Iterable[Any]) -> dict[str, SchoolCalls]:
    """Place the students due at each school on its visit days, as the plan sized them.

    Visits in date order each take their planned number of students among those of age on
    that day (earliest to reach the age first); lists are sorted by class and name.
    """
    by_school: dict[str, list[Any]] = defaultdict(list)
    for st in due:
        if getattr(st, "turns_min_age_on", None) is not None:
            by_school[st.school_code].append(st)
    visits_by: dict[str, list[Visit]] = defaultdict(list)
    for v in visits:
        visits_by[v.school].append(v)
    out: dict[str, SchoolCalls] = {}
    for code in sorted(set(by_school) | set(visits_by)):
        vs = sorted(visits_by.get(code, []), key=lambda v: (v.day, v.stop))
        pending = sorted(by_school.get(code, []), key=lambda s: (s.turns_min_age_on, str(getattr(s, "rombel", "")),
                                                               str(getattr(s, "name", ""))))
        sc = SchoolCalls(code, vs)
        for v in vs:
            take = [s for s in pending if s.turns_min_age_on <= v.day][:v.students]
            ids = {id(s) for s in take}
            pending = [s for s in pending if id(s) not in ids]
            lst = sc.by_day.setdefault(v.day, [])
            lst.extend(_called(s) for s in take)
            lst.sort(key=lambda c: (c.rombel, c.name))
        first = vs[0].day if vs else None
        for s in pending:
            # of age by the first visit yet on no list: the rosters changed since the plan
            (sc.no_room if first is not None and s.turns_min_age_on <= first else sc.later).append(_called(s))
        out[code] = sc
    return out


def _atomic(path: Path, write) -> Path:  # type: ignore[no-untyped-def]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "x"


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _fmt(d: date, long: bool = False) -> str:
    from sweet17.services.planning.service import fmt_date

    return fmt_date(d, long)


# ------------------------------------------------------------------ xlsx

def _sheet_title(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", name).strip()[:31] or "Sheet"
    title, n = base, 2
    while title.lower() in used:
        suffix = f" ({n})"
        title = base[:31 - len(suffix)] + suffix
        n += 1
    used.add(title.lower())
    return title


def export_xlsx(drive: Drive, plan, calls: dict[str, SchoolCalls], path: Path) -> Path:  # type: ignore[no-untyped-def]
    delivery = getattr(plan, "purpose", "recording") == "delivery"
    last_visit: dict[str, date] = {}
    for v in plan.visits:
        last_visit[v.school] = max(last_visit.get(v.school, v.day), v.day)
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    wb = Workbook()
    used: set[str] = set()

    def header(ws, row: int, cols: list[str]) -> None:  # type: ignore[no-untyped-def]
        for i, c in enumerate(cols, start=1):
            cell = ws.cell(row=row, column=i, value=c)
            cell.font = bold
            cell.fill = head_fill
        ws.freeze_panes = ws.cell(row=row + 1, column=1)

    def widths(ws, w: list[int]) -> None:  # type: ignore[no-untyped-def]
        for i, x in enumerate(w, start=1):
            ws.column_dimensions[get_column_letter(i)].width = x

    names = {s.code: s.name for s in drive.schools}
    teams = {t.id: t.name for t in drive.teams}
    # summary
    ws = wb.active
    ws.title = _sheet_title(_("Summary"), used)
    ws["A1"] = drive.name
    ws["A1"].font = Font(bold=True, size=13)
    rows = [
        (_("Purpose"), _("card hand-over (KTPku Datang)") if delivery else _("e-KTP recording")),
        (_("Plan version"), plan.version), (_("Made"), plan.created_at), (_("Method"), plan.method),
        (_("First visit"), plan.first_date), (_("Last visit (end of the drive)"), plan.end_date),
        (_("Lower bound of the end"), plan.bound_end), (_("Kit-days"), plan.kit_days),
        (_("Lower bound of the kit-days"), plan.bound_kit_days), (_("Team-days"), plan.team_days),
        (_("Cards to hand over") if delivery else _("Students planned"), plan.students),
        (_("Travel (minutes)"), plan.travel_minutes),
    ]
    if not delivery:
        rows.append((_("Follow-up sweep (students)"), sum(len(c.later) + len(c.no_room) for c in calls.values())))
    for r, (k, v) in enumerate(rows, start=3):
        ws.cell(row=r, column=1, value=k).font = bold
        ws.cell(row=r, column=2, value=v)
    widths(ws, [34, 30])
    # one sheet per team
    cols = [_("Date"), _("Day"), _("School"), _("Code"), _("Arrival"), _("Students"), _("Kits"), _("Ride (min)"),
            _("Note")]
    by_team: dict[str, list[Visit]] = defaultdict(list)
    for v in plan.visits:
        by_team[v.team].append(v)
    for t in drive.teams:
        ws = wb.create_sheet(_sheet_title(t.name or t.id, used))
        ws["A1"] = f"{t.name} ({t.id}) - {', '.join(t.kits)}"
        ws["A1"].font = bold
        header(ws, 3, cols)
        r = 4
        for v in sorted(by_team.get(t.id, []), key=lambda v: (v.day, v.stop)):
            note = _("kits divided") if v.split else (_("second school of the day") if v.stop == 2 else "")
            if v.fixed:
                note = (note + "; " if note else "") + _("kept")
            for i, val in enumerate([v.day, _fmt(v.day), names.get(v.school, v.school), v.school, v.arrival_hhmm,
                                     v.students, ", ".join(v.kits), v.travel, note], start=1):
                c = ws.cell(row=r, column=i, value=val)
                if i == 1:
                    c.number_format = "yyyy-mm-dd"
            r += 1
        widths(ws, [12, 16, 40, 22, 9, 9, 16, 10, 26])
    # one sheet per school: the students to call
    for s in drive.schools:
        sc = calls.get(s.code)
        if sc is None or not sc.visits:
            continue
        ws = wb.create_sheet(_sheet_title(s.code, used))
        ws["A1"] = s.name
        ws["A1"].font = bold
        visits_txt = "; ".join(f"{_fmt(v.day)} {v.arrival_hhmm} ({teams.get(v.team, v.team)})" for v in sc.visits)
        ws["A2"] = _("Visits: {visits}").format(visits=visits_txt)
        ws["A2"].alignment = Alignment(wrap_text=False)
        header(ws, 4, [_("No"), _("Name"), _("NISN"), _("Class"), _("Sex"), _("Visit day")])
        r, n = 5, 1
        for day in sorted(sc.by_day):
            for c in sc.by_day[day]:
                for i, val in enumerate([n, c.name, c.nisn, c.rombel, c.sex, day], start=1):
                    cell = ws.cell(row=r, column=i, value=val)
                    if i == 6:
                        cell.number_format = "yyyy-mm-dd"
                r += 1
                n += 1
        if not delivery and (sc.later or sc.no_room):
            # not on this school's lists: the follow-up sweep (also on the follow-up sheet)
            r += 1
            ws.cell(row=r, column=1, value=_("Follow-up sweep: not called on these visits")).font = bold
            r += 1
            for i, c in enumerate([_("No"), _("Name"), _("NISN"), _("Class"), _("Reaches the age on"), _("Why")],
                                  start=1):
                ws.cell(row=r, column=i, value=c).font = bold
            r += 1
            lst = [(c, _("reaches the age after the visit")) for c in sc.later] + \
                  [(c, _("of age, but on no list: replan")) for c in sc.no_room]
            for k, (c, why) in enumerate(sorted(lst, key=lambda x: (x[0].turns or date.max, x[0].name)), start=1):
                for i, val in enumerate([k, c.name, c.nisn, c.rombel, c.turns, why], start=1):
                    cell = ws.cell(row=r, column=i, value=val)
                    if i == 5:
                        cell.number_format = "yyyy-mm-dd"
                r += 1
        widths(ws, [5, 34, 13, 14, 16, 30])
    if delivery:
        # printed cards no visit takes (printed after the school's visits, or the list changed): replan
        ws = wb.create_sheet(_sheet_title(_("Not planned"), used))
        header(ws, 1, [_("School"), _("Code"), _("Name"), _("NISN"), _("Class"), _("Printed on")])
        r = 2
        for code in sorted(calls):
            for c in sorted(calls[code].later + calls[code].no_room, key=lambda c: (c.turns or date.max, c.name)):
                for i, val in enumerate([names.get(code, code), code, c.name, c.nisn, c.rombel, c.turns], start=1):
                    cell = ws.cell(row=r, column=i, value=val)
                    if i == 6:
                        cell.number_format = "yyyy-mm-dd"
                r += 1
        widths(ws, [36, 22, 34, 13, 14, 14])
        return _atomic(path, lambda p: wb.save(p))
    # the follow-up sweep: students who reach the age after their school's visit (and found no room on
    # a later visit of it), and students of age who are on no list because the rosters changed
    ws = wb.create_sheet(_sheet_title(_("Follow-up"), used))
    header(ws, 1, [_("School"), _("Code"), _("Name"), _("NISN"), _("Class"), _("Reaches the age on"),
                   _("School's last visit"), _("Why")])
    r = 2
    for code in sorted(calls):
        sc = calls[code]
        for why, lst in ((_("reaches the age after the visit"), sc.later),
                         (_("of age, but on no list: replan"), sc.no_room)):
            for c in sorted(lst, key=lambda c: (c.turns or date.max, c.name)):
                for i, val in enumerate([names.get(code, code), code, c.name, c.nisn, c.rombel, c.turns,
                                         last_visit.get(code), why], start=1):
                    cell = ws.cell(row=r, column=i, value=val)
                    if i in (6, 7):
                        cell.number_format = "yyyy-mm-dd"
                r += 1
    widths(ws, [36, 22, 34, 13, 14, 16, 16, 30])
    return _atomic(path, lambda p: wb.save(p))


# ------------------------------------------------------------------ ics

def export_ics(drive: Drive, plan, path: Path, team: str | None = None) -> Path:  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from icalendar import Calendar, Event

    try:
        tz = ZoneInfo(drive.tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(_("drive.timezone: unknown time zone {tz}").format(tz=drive.tz_name),
                        field="drive.timezone") from None
    names = {s.code: s for s in drive.schools}
    teams = {t.id: t.name for t in drive.teams}
    delivery = getattr(plan, "purpose", "recording") == "delivery"
    cal = Calendar()
    cal.add("prodid", "-//sweet17//visit plan//ID")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{drive.name} - {teams.get(team, team) if team else _('all teams')}")
    cal.add("x-wr-timezone", drive.tz_name)
    end_t = drive.recording.day_end
    stamp = datetime.now(tz)
    for v in plan.visits:
        if team and v.team != team:
            continue
        s = names.get(v.school)
        ev = Event()
        ev.add("uid", f"{drive.slug}-{'ktpku-' if delivery else ''}{v.day.isoformat()}-{v.team}-{v.school}@sweet17")
        ev.add("sequence", plan.version)
        ev.add("dtstamp", stamp)
        start = datetime.combine(v.day, time(v.arrival // 60, v.arrival % 60), tz)
        ev.add("dtstart", start)
        ev.add("dtend", max(datetime.combine(v.day, end_t, tz), start + timedelta(minutes=30)))
        summary = _("KTPku Datang (card hand-over): {school}") if delivery else _("e-KTP recording: {school}")
        ev.add("summary", summary.format(school=s.name if s else v.school))
        if s is not None:
            ev.add("location", ", ".join(x for x in (s.name, s.address, s.kecamatan) if x))
            if s.lat is not None and s.lon is not None:
                ev.add("geo", (s.lat, s.lon))
        desc = [_("Team: {team}").format(team=teams.get(v.team, v.team)),
                _("Kits: {kits}").format(kits=", ".join(v.kits)),
                (_("Cards to hand over: {n}") if delivery else _("Students to record: {n}")).format(n=v.students),
                _("Ride: {minutes} min").format(minutes=v.travel)]
        if v.split:
            desc.append(_("The team's kits are divided between two schools this day."))
        elif v.stop == 2:
            desc.append(_("Second school of the day."))
        ev.add("description", "\n".join(desc))
        cal.add_component(ev)
    cal.add_missing_timezones()
    return _atomic(path, lambda p: p.write_bytes(cal.to_ical()))


# ------------------------------------------------------------------ pdf letters

DELIVERY_BRING = (
    N_("The school student card (kartu pelajar), to show who they are"),
)


def _letter_strings(drive: Drive, purpose: str = "recording") -> dict[str, Any]:
    """The letter's texts, always in Bahasa Indonesia (the letter is an official document)."""
    before = current_language()
    set_language("id")
    try:
        common = _common_strings(drive)
        if purpose == "delivery":
            return {**common, **_delivery_strings(common)}
        return {
            **common,
            "subject": _("Notification of e-KTP recording at school"),
            "body": _("To record the electronic identity card (KTP-el) of students who are 16 years old or older, "
                      "the {office} will come to your school on the following day(s):"),
            "col_students": _("Students"),
            "asks": [common["ask_call"],
                     _("prepare a room with electricity sockets, tables and chairs, and a plain light wall for "
                       "the photographs;"),
                     common["ask_teacher"]],
            "bring": list(drive.letters.bring) or [_(b) for b in DEFAULT_BRING],
            "list_title": _("Attachment: students to call"),
            "none": _("(No students listed yet: the list follows once the rosters are imported.)"),
            "followup": _("{n} student(s) of your school reach the age of 16 after the visit; they will be "
                          "recorded in a follow-up sweep, of which we will inform you."),
        }
    finally:
        set_language(before)


def _common_strings(drive: Drive) -> dict[str, Any]:
    """The texts both letters share (called with the language set to id)."""
    return {
        "gov": _("GOVERNMENT OF {regency}").format(regency=_regency_title(drive)),
        "subject_label": _("Subject"), "number_label": _("Number"), "attach_label": _("Attachment"),
        "attach": _("1 (one) list of students"),
        "to": _("To the Head of {school}"), "at": _("in {place}"),
        "opening": _("With respect,"),
        "col_day": _("Day and date"), "col_time": _("Team arrives"), "col_team": _("Team"),
        "ask": _("We kindly ask the school to:"),
        "ask_call": _("call the students named in the attached list and make sure they are at school;"),
        "ask_teacher": _("assign a teacher who knows the students to help the team."),
        "bring_intro": _("Each student brings:"),
        "changed": _("This letter replaces the earlier notification: the schedule has changed."),
        "contact": _("For questions, please contact {phone}."),
        "closing": _("Thank you for your cooperation."),
        "col_no": _("No"), "col_name": _("Name"), "col_nisn": _("NISN"), "col_class": _("Class"),
        "col_visit": _("Visit day"),
        "page": _("page {n}"),
        "kits_divided": _("kits divided with a nearby school"),
        "second": _("second school of the day"),
        "date": lambda d, long=True: _fmt_id(d, long),
    }


def _delivery_strings(common: dict[str, Any]) -> dict[str, Any]:
    """KTPku Datang: the printed cards are brought to the school (called with the language set to id)."""
    return {
        "subject": _("KTPku Datang: handing over e-KTP cards at school"),
        "body": _("The electronic identity cards (KTP-el) of the students recorded at your school have been "
                  "printed. Through KTPku Datang, the {office} will come to your school to hand the cards over to "
                  "the students named in the attached list, on the following day(s):"),
        "col_students": _("Cards"),
        "asks": [common["ask_call"],
                 _("prepare a room with a table and chairs where the students can receive their card one by one;"),
                 common["ask_teacher"]],
        "bring": [_(b) for b in DELIVERY_BRING],
        "extra": _("Each card is handed to the student in person and checked on the card reader; the student "
                   "confirms receipt with a signature or fingerprint. A parent or guardian may receive the card "
                   "for a student who is absent, bringing the family card (Kartu Keluarga)."),
        "list_title": _("Attachment: students receiving their KTP-el"),
        "none": _("(No cards listed yet: the list follows once the printed-card list is imported.)"),
        "followup": "",
    }


def tz_label(name: str) -> str:
    """WIB, WITA or WIT for Indonesia's zones (the IANA name otherwise)."""
    return {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA",
            "Asia/Jayapura": "WIT"}.get(name, name)


def _fmt_id(d: date, long: bool = True) -> str:
    from babel.dates import format_date

    return format_date(d, "EEEE, d MMMM y" if long else "d MMMM y", locale="id")


def _regency_title(drive: Drive) -> str:
    r = drive.regency or drive.regency_code
    return r.upper() if r.lower().startswith(("kota", "kabupaten")) else f"KABUPATEN {r.upper()}"


def export_letters(drive: Drive, plan, calls: dict[str, SchoolCalls], folder: Path,  # type: ignore[no-untyped-def]
                   schools: Iterable[str] | None = None, changed: Iterable[str] = (),
                   letter_date: date | None = None) -> list[Path]:
    """One PDF letter per school visited (or only ``schools``) into ``folder``."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import (
        HRFlowable,
        KeepTogether,
        ListFlowable,
        ListItem,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    t = _letter_strings(drive, getattr(plan, "purpose", "recording"))
    styles = getSampleStyleSheet()
    base = ParagraphStyle("base", parent=styles["Normal"], fontName="Helvetica", fontSize=10.5, leading=14)
    small = ParagraphStyle("small", parent=base, fontSize=9, leading=11)
    head1 = ParagraphStyle("h1", parent=base, fontName="Helvetica-Bold", fontSize=12.5, leading=15,
                           alignment=TA_CENTER)
    head2 = ParagraphStyle("h2", parent=base, fontName="Helvetica-Bold", fontSize=11.5, leading=14,
                           alignment=TA_CENTER)
    centre = ParagraphStyle("c", parent=small, alignment=TA_CENTER)
    bold = ParagraphStyle("b", parent=base, fontName="Helvetica-Bold")
    teams = {x.id: x.name for x in drive.teams}
    wanted = set(schools) if schools is not None else None
    changed = set(changed)
    by_school: dict[str, list[Visit]] = defaultdict(list)
    for v in plan.visits:
        by_school[v.school].append(v)
    written = []
    today = letter_date or date.today()
    for s in drive.schools:
        vs = sorted(by_school.get(s.code, []), key=lambda v: (v.day, v.stop))
        if not vs or (wanted is not None and s.code not in wanted):
            continue
        sc = calls.get(s.code)
        story: list[Any] = [
            Paragraph(escape(t["gov"]), head1),
            Paragraph(escape(drive.office.name.upper()), head2),
            Paragraph(escape(drive.office.address), centre),
            Spacer(1, 3),
            HRFlowable(width="100%", thickness=1.6, color=colors.black, spaceAfter=1),
            HRFlowable(width="100%", thickness=0.5, color=colors.black, spaceAfter=10),
        ]
        place = drive.letters.city or drive.regency or ""
        story.append(Paragraph(escape(f"{place}, {t['date'](today, False)}".lstrip(", ")),
                               ParagraphStyle("r", parent=base, alignment=2)))
        meta = Table([[t["number_label"], ":", "......./......./Disdukcapil"],
                      [t["attach_label"], ":", t["attach"]],
                      [t["subject_label"], ":", Paragraph("<b>" + escape(t["subject"]) + "</b>", base)]],
                     colWidths=[2.6 * cm, 0.4 * cm, 13 * cm])
        meta.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "Helvetica", 10.5), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                  ("LEFTPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
        story += [meta, Spacer(1, 10),
                  Paragraph(escape(t["to"].format(school=s.name)), bold),
                  Paragraph(escape(t["at"].format(place=s.kecamatan or s.address or "-")), base), Spacer(1, 10)]
        if s.code in changed:
            story.append(Paragraph("<b>" + escape(t["changed"]) + "</b>", base))
            story.append(Spacer(1, 6))
        story += [Paragraph(escape(t["opening"]), base), Spacer(1, 4),
                  Paragraph(escape(t["body"].format(office=drive.office.name)), base), Spacer(1, 6)]
        rows = [[t["col_day"], t["col_time"], t["col_team"], t["col_students"]]]
        for v in vs:
            note = t["kits_divided"] if v.split else (t["second"] if v.stop == 2 else "")
            team_txt = teams.get(v.team, v.team) + (f" ({note})" if note else "")
            rows.append([t["date"](v.day), f"{v.arrival_hhmm} {tz_label(drive.tz_name)}",
                         Paragraph(escape(team_txt), small), str(v.students)])
        sched = Table(rows, colWidths=[5.2 * cm, 3.0 * cm, 6.0 * cm, 2.0 * cm], repeatRows=1)
        sched.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 10), ("FONT", (0, 1), (-1, -1), "Helvetica", 10),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (3, 0), (3, -1), "RIGHT")]))
        story += [sched, Spacer(1, 10), Paragraph(escape(t["ask"]), base)]
        story.append(ListFlowable([ListItem(Paragraph(escape(x), base), leftIndent=12) for x in t["asks"]],
                                  bulletType="1", start="1", leftIndent=14, bulletFontSize=10.5))
        story += [Spacer(1, 6), Paragraph(escape(t["bring_intro"]), base),
                  ListFlowable([ListItem(Paragraph(escape(x), base), leftIndent=12) for x in t["bring"]],
                               bulletType="bullet", start="\u2022", leftIndent=14)]
        if t.get("extra"):
            story += [Spacer(1, 6), Paragraph(escape(t["extra"]), base)]
        later = len(sc.later) if sc else 0
        if later and t["followup"]:
            story += [Spacer(1, 6), Paragraph(escape(t["followup"].format(n=later)), base)]
        if drive.letters.phone:
            story += [Spacer(1, 6), Paragraph(escape(t["contact"].format(phone=drive.letters.phone)), base)]
        story += [Spacer(1, 6), Paragraph(escape(t["closing"]), base), Spacer(1, 16)]
        sign = [Paragraph(escape(drive.letters.signatory_title or drive.office.name), base), Spacer(1, 42),
                Paragraph("<b><u>" + escape(drive.letters.signatory or "............................") + "</u></b>",
                          base)]
        if drive.letters.signatory_id:
            sign.append(Paragraph(escape(f"NIP. {drive.letters.signatory_id}"), base))
        sig = Table([["", sign]], colWidths=[8.5 * cm, 7.5 * cm])
        sig.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        story.append(KeepTogether([sig]))
        # attachment: the students to call
        story += [PageBreak(), Paragraph(escape(t["list_title"]), head2),
                  Paragraph(escape(s.name), centre), Spacer(1, 8)]
        lrows = [[t["col_no"], t["col_name"], t["col_nisn"], t["col_class"], t["col_visit"]]]
        n = 1
        for day in sorted(sc.by_day if sc else {}):
            for c in sc.by_day[day]:  # type: ignore[union-attr]
                lrows.append([str(n), Paragraph(escape(c.name), small), c.nisn, Paragraph(escape(c.rombel), small),
                              t["date"](day, False)])
                n += 1
        if n == 1:
            story.append(Paragraph(escape(t["none"]), base))
        else:
            lt = Table(lrows, colWidths=[1.0 * cm, 6.4 * cm, 2.6 * cm, 2.8 * cm, 3.4 * cm], repeatRows=1)
            lt.setStyle(TableStyle([
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9.5), ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#F5F5F5")]),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
            story.append(lt)
        target = folder / f"{_safe(s.code)}.pdf"

        def footer(canvas, doc, s=s) -> None:  # type: ignore[no-untyped-def]
            canvas.saveState()
            canvas.setFont("Helvetica", 8)
            canvas.setFillColor(colors.grey)
            canvas.drawString(2.2 * cm, 1.1 * cm, f"{s.name} - {t['page'].format(n=doc.page)}")
            canvas.drawRightString(A4[0] - 2 * cm, 1.1 * cm, f"{drive.slug} v{plan.version}")
            canvas.restoreState()

        def build(p: Path, story=story, s=s) -> None:  # type: ignore[no-untyped-def]
            doc = SimpleDocTemplate(str(p), pagesize=A4, leftMargin=2.2 * cm, rightMargin=2 * cm, topMargin=1.6 * cm,
                                    bottomMargin=1.8 * cm, title=f"{t['subject']} - {s.name}",
                                    author=drive.office.name, subject=t["subject"], creator="sweet17")
            doc.build(story, onFirstPage=footer, onLaterPages=footer)

        written.append(_atomic(target, build))
    return written


# ------------------------------------------------------------------ orchestration

@dataclass
class ExportResult:
    drive: str
    version: int
    folder: Path
    xlsx: Path | None = None
    ics: list[Path] = field(default_factory=list)
    letters: list[Path] = field(default_factory=list)
    followup: int = 0
    no_room: int = 0
    purpose: str = "recording"

    def to_dict(self) -> dict[str, Any]:
        return {"drive": self.drive, "purpose": self.purpose, "version": self.version, "folder": self.folder,
                "xlsx": self.xlsx, "ics": self.ics, "letters": self.letters, "followup_students": self.followup,
                "no_room_students": self.no_room}


def export_plan(ws, loaded, *, version: int | None = None, xlsx: bool = True, ics: bool = True,  # type: ignore[no-untyped-def]
                pdf: bool = True, changed_only: bool = False, out_dir: Path | None = None,
                due: Iterable[Any] | None = None, letter_date: date | None = None,
                purpose: str = "recording") -> ExportResult:
    """Write the chosen formats of a stored plan (default: the latest) into ``<exports>/<drive>/``.

    ``purpose="delivery"``: a card hand-over plan (``due``: printed cards not handed over, default
    ``cards_due``), written as ``ktpku-v<N>...``."""
    from sweet17.services.planning.service import _actor, cards_due, check_purpose, load_plan, plan_label

    drive: Drive = loaded.drive
    purpose = check_purpose(purpose)
    plan = load_plan(ws, drive.slug, version, purpose)
    if plan is None:
        if version is None:
            if purpose == "delivery":
                raise UserError(_("Drive {drive} has no card hand-over plan yet: run sweet17 drive plan --purpose "
                                  "delivery first").format(drive=drive.slug))
            raise UserError(_("Drive {drive} has no plan yet: run sweet17 drive plan first").format(drive=drive.slug))
        raise UserError(_("Drive {drive} has no plan version {version}").format(drive=drive.slug, version=version),
                        field="--version")
    if due is None:
        if purpose == "delivery":
            due = cards_due(ws, drive)
        else:
            from sweet17.services.eligibility import students_due

            due = students_due(ws, drive.slug, min_age=drive.min_age)
    calls = call_lists(plan.visits, due)
    folder = (out_dir or ws.exports_dir) / drive.slug
    stem = f"ktpku-v{plan.version}" if purpose == "delivery" else f"plan-v{plan.version}"
    letters = f"surat-ktpku-v{plan.version}" if purpose == "delivery" else f"surat-v{plan.version}"
    res = ExportResult(drive=drive.slug, version=plan.version, folder=folder,
                       followup=sum(len(c.later) for c in calls.values()),
                       no_room=sum(len(c.no_room) for c in calls.values()), purpose=purpose)
    try:
        if xlsx:
            res.xlsx = export_xlsx(drive, plan, calls, folder / f"{stem}.xlsx")
        if ics:
            res.ics.append(export_ics(drive, plan, folder / f"{stem}.ics"))
            for t in drive.teams:
                if any(v.team == t.id for v in plan.visits):
                    res.ics.append(export_ics(drive, plan, folder / f"{stem}-{_safe(t.id)}.ics", t.id))
        if pdf:
            changed = {c["school"] for c in plan.changes if c.get("letter", True)}
            only = changed if changed_only else None
            res.letters = export_letters(drive, plan, calls, folder / letters, schools=only,
                                         changed=changed, letter_date=letter_date)
    except OSError as e:
        raise UserError(_("Cannot write to {path}: {detail}").format(path=folder, detail=e.strerror),
                        path=folder) from None
    ws.audit(_actor(), "drive.export", plan_label(drive.slug, plan.version, purpose),
             {"xlsx": bool(res.xlsx), "ics": len(res.ics), "letters": len(res.letters), "folder": str(folder),
              "purpose": purpose})
    return res
