"""Shared fixtures. Area-specific fixtures live in their own conftest or test modules."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("SWEET17_LANG", "id")
os.environ["COLUMNS"] = "200"  # wide, stable rich tables in CLI output captured by tests

# Fixtures of the PC/SC test stack (pcscd + vpcd + virtual cards), available to every test module.
pytest_plugins = ["pcsc_stack"]


@pytest.fixture(autouse=True)
def _indonesian_by_default():
    """Each test starts in the default language, whatever an earlier test chose."""
    from sweet17.i18n import set_language

    set_language(None)
    yield


@pytest.fixture
def workspace(tmp_path: Path):
    """A fresh, migrated workspace in a temporary folder."""
    from sweet17.services.workspace import Workspace

    ws = Workspace.create(tmp_path / "ws")
    yield ws
    ws.close()


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run ``sweet17`` in-process: ``cli("nik", "123", lang="en")`` -> (exit code, stdout, stderr)."""
    from sweet17.entrypoints.cli.main import run

    monkeypatch.setenv("SWEET17_LOG_DIR", str(tmp_path / "logs"))

    def invoke(*args: str, lang: str | None = None) -> tuple[int, str, str]:
        import contextlib
        import io

        out, err = io.StringIO(), io.StringIO()
        argv = ([f"--lang={lang}"] if lang else []) + [str(a) for a in args]
        monkeypatch.setenv("COLUMNS", "200")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run(argv)
        return code, out.getvalue(), err.getvalue()

    return invoke
