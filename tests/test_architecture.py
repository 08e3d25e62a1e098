"""Layering rules and a fast `sweet17 --help`."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import sweet17

PKG = Path(sweet17.__file__).parent
FORBIDDEN_IN_DOMAIN = {
    "sweet17.adapters", "sweet17.services", "sweet17.entrypoints",
    "sqlite3", "sqlalchemy", "sqlmodel", "httpx", "requests", "socket", "subprocess", "openpyxl",
    "python_calamine", "pandas", "cv2", "smartcard", "fastapi", "uvicorn", "shutil", "tempfile", "os",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _hits(mods: set[str], forbidden: set[str]) -> set[str]:
    return {m for m in mods for f in forbidden if m == f or m.startswith(f + ".")}


def test_domain_is_pure():
    bad = {}
    for py in (PKG / "domain").rglob("*.py"):
        hits = _hits(_imports(py), FORBIDDEN_IN_DOMAIN)
        if hits:
            bad[str(py.relative_to(PKG))] = hits
    assert not bad, bad


def test_adapters_do_not_import_services_or_entrypoints():
    bad = {}
    for py in (PKG / "adapters").rglob("*.py"):
        hits = _hits(_imports(py), {"sweet17.services", "sweet17.entrypoints"})
        if hits:
            bad[str(py.relative_to(PKG))] = hits
    assert not bad, bad


def test_services_do_not_import_entrypoints():
    bad = {}
    for py in (PKG / "services").rglob("*.py"):
        hits = _hits(_imports(py), {"sweet17.entrypoints"})
        if hits:
            bad[str(py.relative_to(PKG))] = hits
    assert not bad, bad


HEAVY = ["pandas", "cv2", "ortools", "openpyxl", "python_calamine", "sqlmodel", "sqlalchemy", "fastapi",
         "httpx", "smartcard", "numpy", "matplotlib", "reportlab", "textual", "holidays", "rapidfuzz",
         "cryptography", "uvicorn", "PIL", "babel"]


def test_help_imports_no_heavy_library():
    code = ("import sys; from sweet17.entrypoints.cli.main import run; "
            "import contextlib, io\n"
            "with contextlib.redirect_stdout(io.StringIO()): run(['--help'])\n"
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "SWEET17_LANG": "id"})
    loaded = [m for m in out.stdout.strip().split(",") if m]
    assert loaded == [], f"sweet17 --help imports heavy modules: {loaded}"
