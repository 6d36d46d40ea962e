"""The one table of option kinds (matcher/vocab/kinds.py) is what every other part reads."""

from __future__ import annotations

import re
from pathlib import Path

from api.web.i18n import LANGS, Translator
from matcher.matching.rules import RULES
from matcher.vocab import kinds
from matcher.vocab.domain import OptionKind, ProviderKind

ROOT = Path(__file__).resolve().parent.parent
#: Kind codes spelled out as a list: only the table may (the synthetic worlds' generator has
#: per-kind tables of its own truth, and is left out).
SPELLED = re.compile(r"""["']training["'],\s*["']job["'],\s*["']livelihood["']|"""
                     r"""["']trainer["'],\s*["']employer["']""")


def test_the_contract_enums_are_the_tables():
    assert tuple(OptionKind) == kinds.CODES
    assert tuple(ProviderKind) == kinds.PROVIDER_KINDS
    assert {kinds.provider_kind(k) for k in kinds.CODES} == set(kinds.PROVIDER_KINDS)


def test_each_kind_has_its_age_rule_and_words_in_both_languages():
    codes = {r.code for r in RULES}
    for kind in kinds.KINDS:
        # A placement kind has the law's age for it; a club only its own stated ages.
        assert (kind.age_rule is not None) == kind.placement
        if kind.age_rule is not None:
            assert kind.age_rule.code in codes
        for lang in LANGS:
            t = Translator(lang)
            assert t(f"enum.kind.{kind.code}") in (kind.label_vi, kind.label_en)
            assert t.has(f"enum.provider_kind.{kind.provider_kind}")


def test_no_other_module_or_page_spells_the_kinds_out():
    found = []
    for folder in ("matcher", "api"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in (".py", ".html") or "synth" in path.parts:
                continue
            if path == ROOT / "matcher" / "kinds.py":
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if SPELLED.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{n}")
    assert found == [], "kinds spelled out outside matcher/vocab/kinds.py: " + ", ".join(found)


def test_clubs_are_a_kind_but_not_a_placement():
    club = kinds.BY_CODE["club"]
    assert not club.placement and not club.has_trades and not club.has_cost
    assert "club" not in kinds.PLACEMENT_CODES and kinds.CLUB_CODES == ("club",)
    assert "club" not in kinds.PLACEMENT_PROVIDER_KINDS
