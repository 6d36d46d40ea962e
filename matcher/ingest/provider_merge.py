"""Recognising a provider that is already known under a slightly different spelling.

Registries are typed by different people: "Cơ sở May Hồng Hà", "co so may Hong Ha" and
"CS May Hồng Hà" are one sewing school. Two providers are the same when they are of the same
kind, in the same place, and their names agree once legal-form words are set aside.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

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
    # The name's core, computed once: an import compares each new provider with every known
    # one of its kind and place (22,000 providers took 53 s when it was recomputed each time).
    core: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "core", name_core(self.name_folded))


def name_core(name: str) -> str:
    """The part of a provider name that identifies it: folded, legal forms removed."""
    return " ".join(_LEGAL_FORMS.sub(" ", fold(name)).split())


def find_same_provider(
    name: str, kind: str, place_id: str, known: Iterable[KnownProvider]
) -> KnownProvider | None:
    """The known provider this one is, or None. ``name`` may be folded or not."""
    there = [other for other in known if other.kind == kind and other.place_id == place_id]
    best = process.extractOne(name_core(name), [other.core for other in there],
                              scorer=fuzz.token_sort_ratio, score_cutoff=SAME_NAME_SCORE)
    return there[best[2]] if best is not None else None
