"""Every text a page shows comes from the catalogues, in both languages.

Checks: the Vietnamese and English catalogues hold the same keys, file by file; every
``t("key")`` a template or a page module uses exists; and no template holds text outside a
``t(...)`` call (what is left after removing tags, Jinja blocks and entities is punctuation).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from api.web import i18n

WEB = Path(i18n.__file__).parent
TEMPLATES = sorted((WEB / "templates").rglob("*.html"))
MODULES = sorted(p for p in WEB.glob("*.py") if p.name != "i18n.py")
KEY_CALL = re.compile(r"""\bt\(\s*["']([\w.]+)["']\s*[,)]""")
# Literal prefixes joined with a variable, e.g. t("reason." ~ code): checked as prefixes.
PREFIX_CALL = re.compile(r"""\bt\(\s*["']([\w.]+)["']\s*~""")
# Words that are the same in every language (names of the languages themselves, units).
ALLOWED_TEXT = {"English", "Tiếng Việt", "km", "₫", "%", "—", "·", "×", "/", "|"}


def _keys(lang: str, name: str) -> set[str]:
    return set(json.loads((i18n.LOCALES / lang / name).read_text(encoding="utf-8")))


@pytest.mark.parametrize("name", sorted(p.name for p in (i18n.LOCALES / "vi").glob("*.json")))
def test_both_languages_have_the_same_keys(name):
    vi, en = _keys("vi", name), _keys("en", name)
    assert vi - en == set(), f"missing in en/{name}"
    assert en - vi == set(), f"missing in vi/{name}"


def test_catalogue_values_are_non_empty_and_keep_placeholders():
    vi, en = i18n.catalogue("vi"), i18n.catalogue("en")
    for key, text in vi.items():
        assert text.strip() and en[key].strip(), key
        fields = set(re.findall(r"\{(\w+)\}", text))
        assert fields == set(re.findall(r"\{(\w+)\}", en[key])), key


@pytest.mark.parametrize("path", TEMPLATES + MODULES, ids=lambda p: p.name)
def test_every_key_used_exists(path):
    text = path.read_text(encoding="utf-8")
    known = i18n.catalogue("vi")
    missing = [k for k in KEY_CALL.findall(text) if k not in known]
    assert missing == [], f"{path.name} uses keys not in the catalogues: {missing}"
    for prefix in PREFIX_CALL.findall(text):
        assert any(k.startswith(prefix) for k in known), f"{path.name}: no key {prefix}*"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_templates_hold_no_hard_coded_text(path):
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\{#.*?#\}", " ", text, flags=re.S)
    text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", " ", text, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]*>", " ", text, flags=re.S)
    text = re.sub(r"&\w+;|&#\d+;", " ", text)
    for allowed in ALLOWED_TEXT:
        text = text.replace(allowed, " ")
    words = re.findall(r"[^\W\d_]{2,}", text)
    assert words == [], f"{path.name} has text outside the catalogues: {words[:10]}"


def test_attributes_a_user_reads_come_from_the_catalogues():
    """placeholder, title, aria-label and alt hold a t(...) call, never a literal."""
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        for attr, value in re.findall(r'\b(placeholder|title|aria-label|alt)="([^"]*)"', text):
            assert not re.search(r"[^\W\d_]{2,}", re.sub(r"\{\{.*?\}\}", "", value)), \
                f"{path.name}: {attr}=\"{value}\""
