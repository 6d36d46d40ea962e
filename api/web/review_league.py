"""One page of the review's league table of providers: searched, filtered, sorted and paged on
the server, so that /review/providers shows a screenful, not every provider.

The rows are the review's own (``review["league"]["providers"]``); nothing is recomputed
here. The default view leaves out the providers with too few placements to say anything
(most of them): they are one filter away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from api.schemas.bounds import MAX_OFFSET
from matcher.vocab import kinds as kind_table
from matcher.vocab.text import fold

#: The review's flags by their short names (the names the query and the page use).
FLAGS = {"replicate": "replicate", "review": "review", "as expected": "as_expected",
         "too few placements to say": "too_few"}
#: The order of the flags when sorting by flag: what needs attention first.
FLAG_ORDER = ("replicate", "review", "as_expected", "too_few")
KINDS = kind_table.PLACEMENT_PROVIDER_KINDS

#: "enough": every provider with enough placements to be judged (the default view).
FlagFilter = Literal["enough", "all", "replicate", "review", "as_expected", "too_few"]
KindFilter = Literal[("all", *kind_table.PLACEMENT_PROVIDER_KINDS)]
Sort = Literal["flag", "name", "n", "o_over_e"]
Order = Literal["asc", "desc"]

PAGE_SIZE = 25
#: The deepest page: the shared bound on how far any list is paged.
MAX_PAGE = MAX_OFFSET // PAGE_SIZE
#: A sort's own direction when the query names none.
NATURAL_ORDER: dict[str, Order] = {"flag": "asc", "name": "asc", "n": "desc",
                                   "o_over_e": "desc"}


@dataclass(frozen=True)
class LeaguePage:
    rows: list[dict[str, Any]]
    matched: int  # rows that pass the search and the filters, on every page
    page: int  # the page shown (a page past the last shows the last)
    pages: int
    first: int  # 1-based position of the first row shown (0 when nothing matched)


def short_flag(row: dict[str, Any]) -> str:
    return FLAGS.get(row["flag"], row["flag"])


def league_page(providers: list[dict[str, Any]], *, q: str = "", flag: FlagFilter = "enough",
                kind: KindFilter = "all", sort: Sort = "flag", order: Order | None = None,
                page: int = 1) -> LeaguePage:
    """The rows of one page. ``q`` matches a provider's name or id without regard to case or
    diacritics ("ha long" finds "Hạ Long")."""
    needle = fold(q) if q.strip() else ""
    rows = [r for r in providers
            if _flag_matches(short_flag(r), flag)
            and (kind == "all" or r.get("provider_kind") == kind)
            and (not needle or needle in fold(f"{r['name']} {r['provider_id']}"))]
    rows = _sorted(rows, sort, order or NATURAL_ORDER[sort])
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(page, pages)
    start = (page - 1) * PAGE_SIZE
    return LeaguePage(rows=rows[start:start + PAGE_SIZE], matched=len(rows), page=page,
                      pages=pages, first=start + 1 if rows else 0)


def _flag_matches(short: str, wanted: FlagFilter) -> bool:
    if wanted == "all":
        return True
    if wanted == "enough":
        return short != "too_few"
    return short == wanted


def _sorted(rows: list[dict[str, Any]], sort: Sort, order: Order) -> list[dict[str, Any]]:
    """Sorted by one column; rows without a value (no O/E) go last either way, and ties keep
    the name's order so that paging is stable."""
    rows = sorted(rows, key=lambda r: (fold(r["name"]), r["provider_id"]))
    if sort == "name":
        return rows[::-1] if order == "desc" else rows
    if sort == "flag":
        # Within a flag, the strongest evidence first (the largest |z|).
        ranked = sorted(rows, key=lambda r: (FLAG_ORDER.index(short_flag(r)),
                                             -abs(r.get("z") or 0.0)))
        return ranked[::-1] if order == "desc" else ranked
    present = [r for r in rows if r.get(sort) is not None]
    missing = [r for r in rows if r.get(sort) is None]
    return sorted(present, key=lambda r: r[sort], reverse=order == "desc") + missing


def top_flagged(providers: list[dict[str, Any]], flag: str, most: int) -> list[dict[str, Any]]:
    """The ``most`` providers with that flag with the strongest evidence (largest |z|)."""
    rows = [r for r in providers if short_flag(r) == flag]
    return sorted(rows, key=lambda r: -abs(r.get("z") or 0.0))[:most]


__all__ = ["FLAGS", "KINDS", "LeaguePage", "MAX_PAGE", "PAGE_SIZE", "league_page",
           "short_flag", "top_flagged"]
