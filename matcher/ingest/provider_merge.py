"""Recognising a provider that is already known, without ever joining two by mistake.

Registries are typed by different people: "Cơ sở May Hồng Hà", "co so may Hong Ha" and
"CS May Hồng Hà" are one sewing school. But "Công ty TNHH May 10" and "Công ty TNHH May 19"
are two branches, and "Tiệm may Hoa" and "Tiệm may Hòa" in one ward are two shops. A silent
merge loses data (the two can no longer be told apart), so an import joins two providers
only when they are certainly one (:func:`same_provider`); a provider that is only *like* a
known one is imported as new and the pair is proposed to a person
(:func:`possible_duplicate`, matcher.ingest.duplicates).

Certainly one: same kind, same place, and the same name once case, spacing and legal-form
words ("Cơ sở", "Công ty TNHH", "HKD", ...) are set aside; diacritics are set aside only
when one of the two names was typed without any (then it cannot tell "Hoa" from "Hòa"); and
never when both have phone numbers and they differ.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from matcher.vocab.text import fold

# Legal-form words carry no identity; they are often dropped or abbreviated (folded spelling).
_LEGAL_FORMS = [f.split() for f in (
    "cong ty", "cty", "tnhh", "mtv", "co phan", "cp", "ho kinh doanh", "hkd", "co so", "cs",
    "doanh nghiep tu nhan", "dntn")]
_WORD = re.compile(r"\w+")
#: Names this alike (rapidfuzz token sort ratio of the folded cores, 0–100) are proposed as
#: possible duplicates, never merged.
NEAR_NAME_SCORE = 90.0


@dataclass(frozen=True)
class Name:
    """A provider name's identifying part: with its diacritics (lower case) and folded."""

    marked: str
    folded: str

    @property
    def typed_without_diacritics(self) -> bool:
        return self.marked == self.folded

    @property
    def numbers(self) -> tuple[str, ...]:
        """Numbers in a name are identity (branch numbers, codes): "May 10" is not "May 19"."""
        return tuple(str(int(n)) for n in re.findall(r"\d+", self.folded))


def name_core(name: str) -> Name:
    """The part of a provider name that identifies it: legal forms and spacing removed."""
    words = _WORD.findall(unicodedata.normalize("NFC", name).lower())
    folded = [fold(w) for w in words]
    keep = [True] * len(words)
    i = 0
    while i < len(words):
        form = next((f for f in _LEGAL_FORMS if folded[i:i + len(f)] == f), None)
        if form is None:
            i += 1
            continue
        keep[i:i + len(form)] = [False] * len(form)
        i += len(form)
    return Name(" ".join(w for w, k in zip(words, keep, strict=True) if k),
                " ".join(w for w, k in zip(folded, keep, strict=True) if k))


def phone_digits(phone: str | None) -> str:
    """A phone number's digits, "+84 912…" and "0912…" alike; "" when there is none."""
    digits = re.sub(r"\D", "", phone or "")
    return "0" + digits[2:] if digits.startswith("84") and len(digits) > 9 else digits


@dataclass(frozen=True)
class KnownProvider:
    provider_id: str
    name: str
    kind: str
    place_id: str
    phone: str | None = None
    # The name's core, computed once: an import compares each new provider with every known
    # one of its kind and place (22,000 providers took 53 s when it was recomputed each time).
    core: Name = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "core", name_core(self.name))


def same_name(a: Name, b: Name) -> bool:
    if a.folded != b.folded or not a.folded:
        return False
    return a.typed_without_diacritics or b.typed_without_diacritics or a.marked == b.marked


def phones_differ(a: str | None, b: str | None) -> bool:
    pa, pb = phone_digits(a), phone_digits(b)
    return bool(pa and pb and pa != pb)


def same_provider(new: KnownProvider, known: Iterable[KnownProvider]) -> KnownProvider | None:
    """The known provider that ``new`` certainly is (see the module's rule), or None."""
    for other in known:
        if (other.kind == new.kind and other.place_id == new.place_id
                and same_name(new.core, other.core) and not phones_differ(new.phone, other.phone)):
            return other
    return None


def likeness(a: KnownProvider, b: KnownProvider) -> float | None:
    """How alike two providers of one kind and place look (0–100), when enough to ask a person
    whether they are one; None otherwise. Names that differ in a number are never alike."""
    if a.kind != b.kind or a.place_id != b.place_id or a.core.numbers != b.core.numbers:
        return None
    if same_name(a.core, b.core):
        return 100.0  # the same name, but the phones differ
    score = fuzz.token_sort_ratio(a.core.folded, b.core.folded)
    return float(score) if score >= NEAR_NAME_SCORE else None


def possible_duplicate(new: KnownProvider, known: Iterable[KnownProvider]
                       ) -> tuple[KnownProvider, float] | None:
    """The known provider most like ``new`` (with its likeness), when alike enough."""
    best: tuple[KnownProvider, float] | None = None
    for other in known:
        score = likeness(new, other)
        if score is not None and (best is None or score > best[1]):
            best = (other, score)
    return best
