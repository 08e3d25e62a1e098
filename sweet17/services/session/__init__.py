"""Recording sessions at the school (issue 6), usable as a library::

    from sweet17.services import operators
    from sweet17.services.session import start_session, resume_session, load_kit

    op = operators.authenticate(ws, "op1", password)
    s = start_session(ws, op, "SMAN1PRG", load_kit(ws, "sim-kit"))
    ck, _ = s.check_in(s.search("0081234502")[0].student.student_ref)
    s.consent(ck.id)
    while s.capture_next(ck.id).state != "complete": ...
    s.review(ck.id); s.commit(ck.id)

Modules: ``service`` (the session), ``daylist`` (the day's list and search), ``kit`` (devices and
rules), ``payloads`` (sealing, ``open_payload`` for the hub), ``script`` (scripted mode),
``summary`` (end of day), ``audit_trail`` (verify the audit log).
"""

from __future__ import annotations

from typing import Any

__all__ = ["start_session", "resume_session", "open_session", "load_kit", "RecordingSession"]


def __getattr__(name: str) -> Any:   # lazy: importing the package stays cheap
    if name in ("start_session", "resume_session", "open_session", "RecordingSession"):
        from sweet17.services.session import service

        return getattr(service, name)
    if name == "load_kit":
        from sweet17.services.session.kit import load_kit

        return load_kit
    raise AttributeError(name)
