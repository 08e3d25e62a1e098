"""Translations: English message ids in code, Bahasa Indonesia (default) from gettext catalogs.

Source catalogs live in ``sweet17/locale/<lang>/*.po`` (one file per area, so that areas of the
code keep their own strings). ``python -m sweet17.i18n compile`` merges them with Babel into
``sweet17/locale/<lang>/LC_MESSAGES/sweet17.mo``; if the compiled catalog is missing or older
than a source file, it is compiled on first use.

Usage::

    from sweet17.i18n import _
    raise UserError(_("File {path} has no header row").format(path=p))

Only this module decides the language: ``set_language("en")`` or ``SWEET17_LANG=en``.
"""

from __future__ import annotations

import gettext
import os
import sys
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "sweet17"
DEFAULT_LANG = "id"
SUPPORTED = ("id", "en")

_current: gettext.NullTranslations | None = None
_lang: str | None = None


def _mo_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


def _sources(lang: str) -> list[Path]:
    return sorted((LOCALE_DIR / lang).glob("*.po"))


def compile_catalogs(langs: tuple[str, ...] = ("id",)) -> list[Path]:
    """Merge every ``<lang>/*.po`` into one compiled ``.mo`` per language (Babel)."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for lang in langs:
        merged = Catalog(locale=lang, domain=DOMAIN)
        for po in _sources(lang):
            with po.open("rb") as fh:
                cat = read_po(fh, locale=lang)
            for msg in cat:
                if msg.id and msg.string and not msg.fuzzy:
                    merged.add(msg.id, msg.string, context=msg.context)
        target = _mo_path(lang)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".mo.{os.getpid()}.tmp")  # one per process: test workers compile at once
        with tmp.open("wb") as fh:
            write_mo(fh, merged)
        os.replace(tmp, target)
        written.append(target)
    return written


def _stale(lang: str) -> bool:
    mo = _mo_path(lang)
    if not mo.exists():
        return True
    mtime = mo.stat().st_mtime
    return any(p.stat().st_mtime > mtime for p in _sources(lang))


def resolve_language(explicit: str | None = None) -> str:
    lang = (explicit or os.environ.get("SWEET17_LANG") or DEFAULT_LANG).lower().split("_")[0]
    return lang if lang in SUPPORTED else DEFAULT_LANG


def set_language(lang: str | None = None) -> str:
    """Select the UI language; returns the language in force."""
    global _current, _lang
    lang = resolve_language(lang)
    if lang == "en":
        _current = gettext.NullTranslations()
    else:
        if _stale(lang):
            try:
                compile_catalogs((lang,))
            except OSError:  # read-only install: use whatever compiled catalog exists
                pass
        try:
            with _mo_path(lang).open("rb") as fh:
                _current = gettext.GNUTranslations(fh)
        except OSError:
            _current = gettext.NullTranslations()
    _lang = lang
    return lang


def current_language() -> str:
    if _lang is None:
        set_language()
    return _lang  # type: ignore[return-value]


def _(message: str) -> str:
    """Translate a user-facing message into the current language."""
    if _current is None:
        set_language()
    return _current.gettext(message)  # type: ignore[union-attr]


def ngettext(singular: str, plural: str, n: int) -> str:
    if _current is None:
        set_language()
    return _current.ngettext(singular, plural, n)  # type: ignore[union-attr]


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now (translate later with ``_``)."""
    return message


KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def extract_messages(package_dir: Path | None = None) -> dict[str, list[str]]:
    """Every message id marked in the code, with where it occurs (Babel's extractor)."""
    from babel.messages.extract import extract_from_dir

    root = package_dir or Path(__file__).parent
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _ctx in extract_from_dir(
        str(root), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=(),
    ):
        ids = message if isinstance(message, tuple) else (message,)
        for mid in ids:
            if mid:
                found.setdefault(mid, []).append(f"{filename}:{lineno}")
    return found


def catalog_messages(lang: str = "id") -> dict[str, str]:
    """msgid -> translation, from every source catalog of ``lang``."""
    from babel.messages.pofile import read_po

    out: dict[str, str] = {}
    for po in _sources(lang):
        with po.open("rb") as fh:
            for msg in read_po(fh, locale=lang):
                if msg.id:
                    key = msg.id[0] if isinstance(msg.id, tuple) else msg.id
                    out[key] = msg.string[0] if isinstance(msg.string, tuple) else msg.string
    return out


def missing_translations(lang: str = "id") -> dict[str, list[str]]:
    have = {k for k, v in catalog_messages(lang).items() if v}
    return {mid: where for mid, where in extract_messages().items() if mid not in have}


def add_translations(area: str, tsv: str, lang: str = "id") -> Path:
    """Merge 'msgid<TAB>translation' lines into ``locale/<lang>/<area>.po`` (a developer tool)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    path = LOCALE_DIR / lang / f"{area}.po"
    if path.exists():
        with path.open("rb") as fh:
            cat = read_po(fh, locale=lang)
    else:
        cat = Catalog(locale=lang, project="sweet17", charset="utf-8")
    for line in tsv.splitlines():
        if "\t" in line:
            mid, text = line.split("\t", 1)
            cat.add(mid.replace("\\n", "\n"), text.replace("\\n", "\n"))
    with path.open("wb") as fh:
        write_po(fh, cat, width=100, sort_output=False)
    return path


def _po_quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


if __name__ == "__main__":  # python -m sweet17.i18n compile | missing [--po]
    cmd = sys.argv[1:2]
    if cmd == ["compile"]:
        for path in compile_catalogs():
            print(path)
    elif cmd == ["missing"]:
        miss = missing_translations()
        for mid, where in sorted(miss.items(), key=lambda kv: kv[1][0]):
            if "--po" in sys.argv:
                print(f"#: {where[0]}\nmsgid {_po_quote(mid)}\nmsgstr \"\"\n")
            else:
                print(f"{where[0]}: {mid}")
        sys.exit(1 if miss else 0)
    elif cmd == ["add"] and len(sys.argv) == 3:
        add_translations(sys.argv[2], sys.stdin.read())
    else:
        print("usage: python -m sweet17.i18n compile | missing [--po] | add AREA < msgid<TAB>msgstr lines",
              file=sys.stderr)
        sys.exit(2)
