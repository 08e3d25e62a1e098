"""Errors shared by every layer.

``UserError`` is a problem the user can fix (bad file, bad option, missing workspace): the CLI
prints its message on one line and exits with status 2. Its message is already translated.
Anything else that escapes is unexpected: the CLI logs it and exits with status 1.
"""

from __future__ import annotations


class Sweet17Error(Exception):
    """Base class of sweet17's own errors."""


class UserError(Sweet17Error):
    """A problem the user can fix; ``str(err)`` is one translated line."""

    exit_code = 2

    def __init__(self, message: str, *, path: object | None = None, row: int | None = None,
                 field: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.row = row
        self.field = field


class WorkspaceError(UserError):
    """No workspace, or one that cannot be opened."""


class ValidationError(UserError):
    """An input file or value that does not pass validation."""
