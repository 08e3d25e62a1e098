"""Refusals the hub answers with (HTTP status + a protocol error code from ``sync.protocol.ERRORS``)."""

from __future__ import annotations

from typing import Any

from sweet17.errors import UserError
from sweet17.i18n import _
from sweet17.services.sync.protocol import ERRORS


class HubRefusal(Exception):
    """A request or file the hub refuses. ``code`` is a key of ``ERRORS``; ``extra`` goes into the answer."""

    def __init__(self, code: str, http_status: int, detail: str = "", **extra: Any) -> None:
        assert code in ERRORS, code
        self.code = code
        self.http_status = http_status
        self.detail = detail
        self.extra = extra
        super().__init__(f"{code}: {detail}" if detail else code)

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": ERRORS[self.code], "detail": self.detail, **self.extra}

    def user_message(self) -> str:
        msg = _(ERRORS[self.code])
        return msg + (f" ({self.detail})" if self.detail else "")


def as_user_error(refusal: HubRefusal, subject: str = "") -> UserError:
    text = refusal.user_message()
    if subject:
        text = _("{subject}: {problem}").format(subject=subject, problem=text)
    return UserError(text)
