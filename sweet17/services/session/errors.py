"""Errors of the recording session. All are ``UserError``: one translated line, exit status 2."""

from __future__ import annotations

from sweet17.errors import UserError


class SessionError(UserError):
    """A session action that cannot be done now (wrong state, unknown student, bad value)."""


class SessionIdle(SessionError):
    """The session ended after the idle timeout: the operator must sign in again."""


class NoSession(SessionError):
    """No open session to continue."""


class DiskFull(SessionError):
    """The disk (or the database's size limit) is full; nothing was half-written."""


class WorkspaceMissing(SessionError):
    """The workspace folder disappeared (unplugged drive, deleted folder)."""


class DeviceProblem(SessionError):
    """A capture device failed; the step stays open and can be retried once the device is fixed."""

    def __init__(self, message: str, *, kind: str = "", device: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.device = device
