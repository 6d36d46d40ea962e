"""Recognising a provider that is already known under a slightly different spelling.

Registries are typed by different people: "Cơ sở May Hồng Hà", "co so may Hong Ha" and
"CS May Hồng Hà" are one sewing school. Two providers are the same when they are of the same
kind, in the same place, and their names agree once legal-form words are set aside.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from matcher.text import fold

# Legal-form words carry no identity; they are often dropped or abbreviated.
_LEGAL_FORMS = re.compile(
    r"\b(cong ty|cty|tnhh|mtv|co phan|cp|ho kinh doanh|hkd|co so|cs|doanh nghiep tu nhan|dntn)\b"
)
SAME_NAME_SCORE = 90.0


@dataclass(frozen=True)
class KnownProvider:
    provider_id: str
    name_folded: str
    kind: str
    place_id: str


def name_core(name: str) -> str:
    """The part of a provider name that identifies it: folded, legal forms removed."""
    return " ".join(_LEGAL_FORMS.sub(" ", fold(name)).split())


def find_same_provider(
    name: str, kind: str, place_id: str, known: Iterable[KnownProvider]
) -> KnownProvider | None:
    """The known provider this one is, or None. ``name`` may be folded or not."""
    core = name_core(name)
    best, best_score = None, 0.0
    for other in known:
        if other.kind != kind or other.place_id != place_id:
            continue
        score = fuzz.token_sort_ratio(core, name_core(other.name_folded))
        if score > best_score:
            best, best_score = other, score
    return best if best_score >= SAME_NAME_SCORE else None
