"""Vietnamese text folding and fuzzy look-ups.

Folding removes what people leave out when they type on a phone or a keyboard
without a Vietnamese layout: diacritics (ă â ê ô ơ ư and the five tones), the
stroke of đ/Đ, case, punctuation and repeated spaces. "Phường Cao Xanh",
"P. Cao Xanh" and "phuong cao xanh" fold to forms that rapidfuzz can compare.

Folding merges distinct words ("may" to sew and "máy" a machine), so look-ups
try an exact match on the unfolded (but normalised) text first and only then
fall back to the folded text: see :func:`lookup`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

_PUNCT = re.compile(r"[^\w\s]", flags=re.UNICODE)
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFC, lower case, punctuation to spaces, single spaces; diacritics kept."""
    text = unicodedata.normalize("NFC", str(text)).lower()
    text = _PUNCT.sub(" ", text.replace("_", " "))
    return _SPACES.sub(" ", text).strip()


def fold(text: str) -> str:
    """Fold Vietnamese text for matching: no diacritics, đ→d, lower case, single spaces.

    Examples
    --------
    >>> fold("Phường Cao Xanh")
    'phuong cao xanh'
    >>> fold("  ĐÔNG   Triều ")
    'dong trieu'
    """
    text = unicodedata.normalize("NFC", str(text)).replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return normalise(stripped)


@dataclass(frozen=True)
class Candidate:
    """One possible meaning of a free-text value, with its similarity (0–100)."""

    key: str
    label: str
    score: float


@dataclass(frozen=True)
class Lookup:
    """The answer of :func:`lookup`: the chosen key, or none, and the closest candidates."""

    key: str | None
    candidates: tuple[Candidate, ...]
    reason: str  # "exact", "folded", "fuzzy", "unknown" or "ambiguous"


def lookup(
    query: str,
    entries: Sequence[tuple[str, str, Iterable[str]]],
    *,
    min_score: float = 85.0,
    margin: float = 4.0,
    limit: int = 3,
    strip_words: Iterable[str] = (),
) -> Lookup:
    """Resolve free text to one entry, or say why not.

    ``entries`` are ``(key, label, aliases)``; every alias (and the label) is a
    way to write the entry. The order of attempts is: an exact match of the
    normalised text with diacritics; an exact match of the folded text; then
    rapidfuzz ``token_set_ratio`` over folded aliases. A fuzzy answer is taken
    only when its score is at least ``min_score`` and beats the best other
    entry by ``margin``; otherwise the answer is "unknown" or "ambiguous" with
    the closest candidates, so the caller can name them in its error message.

    ``strip_words`` are leading words that carry no meaning for the match
    (e.g. "phường", "tp", "học"); they are removed from query and aliases
    before fuzzy scoring.
    """
    strip = tuple(sorted({fold(w) for w in strip_words}, key=len, reverse=True))
    exact: dict[str, set[str]] = {}
    folded: dict[str, set[str]] = {}
    alias_keys: list[str] = []
    alias_texts: list[str] = []
    labels: dict[str, str] = {}
    for key, label, aliases in entries:
        labels[key] = label
        for alias in (label, *aliases):
            if not alias:
                continue
            exact.setdefault(normalise(alias), set()).add(key)
            f = fold(alias)
            folded.setdefault(f, set()).add(key)
            alias_keys.append(key)
            alias_texts.append(_strip_leading(f, strip))

    def ranked(scores: dict[str, float]) -> tuple[Candidate, ...]:
        best = sorted(scores.items(), key=lambda kv: (-kv[1], labels[kv[0]]))[:limit]
        return tuple(Candidate(k, labels[k], round(s, 1)) for k, s in best)

    q_norm = normalise(query)
    if not q_norm:
        return Lookup(None, (), "unknown")
    hit = exact.get(q_norm)
    if hit and len(hit) == 1:
        (key,) = hit
        return Lookup(key, (Candidate(key, labels[key], 100.0),), "exact")
    q_fold = fold(query)
    hit = folded.get(q_fold) or hit
    if hit and len(hit) == 1:
        (key,) = hit
        return Lookup(key, (Candidate(key, labels[key], 100.0),), "folded")
    if hit and len(hit) > 1:
        return Lookup(None, ranked(dict.fromkeys(hit, 100.0)), "ambiguous")

    q_core = _strip_leading(q_fold, strip)
    scores: dict[str, float] = {}
    for key, score in _scored(q_core, alias_texts, alias_keys):
        if score > scores.get(key, -1.0):
            scores[key] = score
    if not scores:
        return Lookup(None, (), "unknown")
    cands = ranked(scores)
    top = cands[0]
    second = cands[1].score if len(cands) > 1 else 0.0
    if top.score < min_score:
        return Lookup(None, cands, "unknown")
    if top.score - second < margin:
        return Lookup(None, cands, "ambiguous")
    return Lookup(top.key, cands, "fuzzy")


def _scored(query: str, texts: list[str], keys: list[str]):
    # token_set_ratio ranks catalogue entries right where WRatio ties unrelated ones
    # (docs/design.md, "Folding and fuzzy matching"). A small bonus for the plain ratio breaks
    # ties between an alias that is the query and one that merely contains it.
    results = process.extract(query, texts, scorer=fuzz.token_set_ratio, limit=None)
    for text, score, idx in results:
        if score <= 0:
            continue
        tie_break = fuzz.ratio(query, text) / 100.0
        yield keys[idx], min(100.0, score * 0.99 + tie_break)


def _strip_leading(text: str, words: tuple[str, ...]) -> str:
    changed = True
    while changed and text:
        changed = False
        for w in words:
            if text.startswith(w + " ") and len(text) > len(w) + 1:
                text = text[len(w) + 1 :]
                changed = True
    return text


def split_list(value: str | None) -> list[str]:
    """Split a ``;``-separated contract list into trimmed, non-empty items."""
    if value is None:
        return []
    return [part.strip() for part in str(value).split(";") if part.strip()]
