"""Every user-facing string is translated into Indonesian; English on request."""

import re
from pathlib import Path

from sweet17 import i18n

PKG = Path(i18n.__file__).parent


def test_every_marked_string_has_an_indonesian_translation():
    missing = i18n.missing_translations("id")
    listing = "\n".join(f"{where[0]}: {mid}" for mid, where in sorted(missing.items()))
    assert not missing, f"{len(missing)} strings missing from sweet17/locale/id/*.po:\n{listing}"


def test_translations_keep_placeholders():
    bad = []
    for mid, text in i18n.catalog_messages("id").items():
        if text and set(re.findall(r"\{(\w*)\}", mid)) != set(re.findall(r"\{(\w*)\}", text)):
            bad.append((mid, text))
    assert not bad, bad


def test_no_translation_call_inside_fstrings():
    """Babel cannot see _() inside an f-string, so such strings would never be translated."""
    offenders = []
    for py in PKG.rglob("*.py"):
        for n, line in enumerate(py.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"""f["'][^"']*\{_\(""", line):
                offenders.append(f"{py.relative_to(PKG)}:{n}")
    assert not offenders, offenders


def test_language_switch():
    assert i18n.set_language("en") == "en"
    assert i18n._("Cancelled.") == "Cancelled."
    assert i18n.set_language("id") == "id"
    assert i18n._("Cancelled.") == "Dibatalkan."
    assert i18n.set_language("xx") == "id"  # unknown languages fall back to Indonesian


def test_catalog_recompiled_when_source_changes(tmp_path, monkeypatch):
    src = tmp_path / "locale" / "id"
    src.mkdir(parents=True)
    (src / "t.po").write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                              'msgid "Hello"\nmsgstr "Halo"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path / "locale")
    i18n.set_language("id")
    assert i18n._("Hello") == "Halo"
    monkeypatch.undo()
    i18n.set_language("id")
