"""The fixed world the generator draws from: Quảng Ninh's places and the trade taxonomy.

Everything here is read from data/places.csv and data/trades.csv through their indexes, and
every way of writing a place or a trade that the generator may emit is checked to resolve
back to what was meant (:func:`place_aliases`, :func:`trade_aliases`), so generated files
always import.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from matcher.vocab.places import PlaceIndex, PlaceNotFound, load_place_index
from matcher.vocab.text import fold
from matcher.vocab.trades import TradeIndex, TradeNotFound, load_trade_index

from .names import INTEREST_ONE, INTEREST_TWO, SKILL_GENERIC, SKILL_ONE

# Approximate population (thousands, 2019 census, rounded) of the 13 former district-level
# units; a current unit gets an equal share of its (first) former district. Used only as
# sampling weights: where clients, providers and options are.
DISTRICT_POPULATION_K = {
    "Thành phố Hạ Long": 300, "Thành phố Cẩm Phả": 190, "Thành phố Đông Triều": 170,
    "Thị xã Quảng Yên": 145, "Thành phố Uông Bí": 120, "Thành phố Móng Cái": 108,
    "Huyện Hải Hà": 62, "Huyện Tiên Yên": 52, "Huyện Vân Đồn": 46, "Huyện Đầm Hà": 40,
    "Huyện Bình Liêu": 32, "Huyện Ba Chẽ": 22, "Huyện Cô Tô": 6,
}
# Approximate share of ethnic minorities (Tày, Dao, Sán Dìu, Sán Chỉ) by former district.
DISTRICT_MINORITY_SHARE = {
    "Huyện Bình Liêu": 0.90, "Huyện Ba Chẽ": 0.75, "Huyện Tiên Yên": 0.50,
    "Huyện Đầm Hà": 0.35, "Huyện Hải Hà": 0.30, "Huyện Vân Đồn": 0.15,
}
DEFAULT_MINORITY_SHARE = 0.04
ISLAND_WEIGHT = 0.4  # ferry-only units are rarer than their population share suggests

# How a social worker writes a current unit, with the share of each way. Each is checked.
PLACE_STYLES = {
    "name": 0.55,  # "Phường Hà Tu"
    "short": 0.12,  # "Hà Tu"
    "short_folded": 0.10,  # "ha tu"
    "abbrev": 0.08,  # "P. Hà Tu"
    "former": 0.12,  # "P. Cao Xanh" (a former ward now inside the unit), "Hoành Bồ"
    "district": 0.03,  # "tp Ha Long" (the former district, for its seat)
}
TEXT_ALIASES = 8  # everyday names per trade tried for free text

_ABBREV = {"phường": "P.", "xã": "X.", "đặc khu": "ĐK", "thị trấn": "TT", "thành phố": "tp",
           "thị xã": "TX", "huyện": "H."}


@dataclass(frozen=True)
class Places:
    """Current units in a fixed order, with weights and distances."""

    ids: list[str]
    names: list[str]
    short: list[str]
    level: np.ndarray
    island: np.ndarray
    district: list[str]
    weight: np.ndarray  # population share
    minority_share: np.ndarray
    distance: np.ndarray  # km, units × units
    aliases: list[list[str]]
    alias_p: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Trades:
    """The taxonomy as arrays, with the ways of writing each trade that round-trip."""

    ids: list[str]
    name: list[str]
    sector: np.ndarray
    hazardous: np.ndarray
    course_weeks: np.ndarray
    course_fee: np.ndarray
    wage: np.ndarray
    kinds: np.ndarray  # bool, trades × (training, job, livelihood)
    column_aliases: list[list[str]]  # for an option's `trades` cell
    text_aliases: list[list[str]]  # for interests and skills free text
    templates: dict[str, tuple[str, ...]]  # free-text templates, checked (names.py)

    def __len__(self) -> int:
        return len(self.ids)

    def index(self, trade_id: str) -> int:
        return self.ids.index(trade_id)


def _unit_district(former_district: str) -> str:
    return former_district.split(";")[0].strip()


def _abbrev(level: str, short: str) -> str:
    return f"{_ABBREV.get(level, '')} {short}".strip()


def _round_trips(index: PlaceIndex, text: str, unit: str) -> bool:
    try:
        return index.resolve(text).place_id == unit
    except PlaceNotFound:
        return False


def place_aliases(index: PlaceIndex, unit: str) -> tuple[list[str], np.ndarray]:
    """Ways to write ``unit`` with their shares; only texts that resolve back to it."""
    place = index.get(unit)
    members = [p for p in index.places() if p.current_id == unit and not p.is_current]
    former = [p for p in members if p.level not in ("thành phố", "thị xã", "huyện")]
    districts = [p for p in members if p.level in ("thành phố", "thị xã", "huyện")]
    styles: dict[str, list[str]] = {
        "name": [place.name],
        "short": [place.short_name],
        "short_folded": [fold(place.short_name)],
        "abbrev": [_abbrev(place.level, place.short_name)],
        # A former ward, written in full or abbreviated (one way each: every candidate costs a
        # look-up to check).
        "former": [p.name if k % 2 else _abbrev(p.level, p.short_name)
                   for k, p in enumerate(former)],
        "district": [fold(_abbrev(p.level, p.short_name)) for p in districts],
    }
    texts, shares = [], []
    for style, share in PLACE_STYLES.items():
        ok = [t for t in dict.fromkeys(styles[style]) if _round_trips(index, t, unit)]
        texts += ok
        shares += [share / len(ok)] * len(ok) if ok else []
    if not texts:
        raise ValueError(f"no way to write {unit} resolves back to it")
    p = np.asarray(shares)
    return texts, p / p.sum()


@lru_cache(maxsize=2)
def load_places() -> Places:
    index = load_place_index()
    units = sorted(index.current_units(), key=lambda p: p.place_id)
    ids = [p.place_id for p in units]
    district = [_unit_district(p.former_district) for p in units]
    per_district = {d: district.count(d) for d in set(district)}
    weight = np.array([DISTRICT_POPULATION_K.get(d, 30) / per_district[d] for d in district])
    island = np.array([p.island for p in units], dtype=bool)
    weight = np.where(island, weight * ISLAND_WEIGHT, weight)
    aliases, alias_p = zip(*(place_aliases(index, u) for u in ids), strict=True)
    return Places(
        ids=ids,
        names=[p.name for p in units],
        short=[p.short_name for p in units],
        level=np.array([p.level for p in units]),
        island=island,
        district=district,
        weight=weight / weight.sum(),
        minority_share=np.array([DISTRICT_MINORITY_SHARE.get(d, DEFAULT_MINORITY_SHARE)
                                 for d in district]),
        distance=np.asarray(index.distance_matrix(ids, ids), dtype=float),
        aliases=list(aliases),
        alias_p=list(alias_p),
    )


def _resolves_to(index: TradeIndex, text: str, trade_id: str) -> bool:
    try:
        return [t.trade_id for t in index.resolve_list(text)] == [trade_id]
    except TradeNotFound:
        return False


def _found_first(index: TradeIndex, text: str, trade_id: str) -> bool:
    hits = index.find_in_text(text)
    return bool(hits) and hits[0][0].trade_id == trade_id and hits[0][1] >= 1.0


def _text_alias_ok(index: TradeIndex, alias: str, trade_id: str) -> bool:
    # Found alone, with and without diacritics, after a leading and before a trailing filler
    # (the fillers themselves are checked by _check_fillers).
    for template in ("{t}", "muốn học {t}", "biết {t} cơ bản"):
        text = template.format(t=alias)
        for variant in (text, fold(text)):
            if [h[0].trade_id for h in index.find_in_text(variant)] != [trade_id]:
                return False
    return True


def _clean_templates(index: TradeIndex) -> dict[str, tuple[str, ...]]:
    """The free-text templates whose own words name no trade ("mấy" folds to "may", sewing):
    a template that does would put a trade in the text that the client never wished for."""
    out = {}
    for name, templates in (("interest_one", INTEREST_ONE), ("interest_two", INTEREST_TWO),
                            ("skill_one", SKILL_ONE), ("skill_generic", SKILL_GENERIC)):
        bare = [t.replace("{t}", " ").replace("{u}", " ") for t in templates]
        out[name] = tuple(t for t, b in zip(templates, bare, strict=True)
                          if not index.find_in_text(b) and not index.find_in_text(fold(b)))
        if not out[name]:
            raise ValueError(f"every {name} template names a trade by itself")
    return out


@lru_cache(maxsize=2)
def load_trades() -> Trades:
    index = load_trade_index()
    templates = _clean_templates(index)
    trades = list(index.all())
    column_aliases, text_aliases = [], []
    for t in trades:
        written = list(dict.fromkeys((t.name_vi, *t.synonyms)))
        column = [a for a in written if ";" not in a and _resolves_to(index, a, t.trade_id)]
        # Free text uses the everyday names: not the catalogue's "A – B" labels, nor "học X" /
        # "thợ X", which read oddly after "muốn học" or "biết"; a few suffice.
        everyday = [a for a in written if _has_accents(a) and "–" not in a
                    and not fold(a).startswith(("hoc ", "tho "))][:TEXT_ALIASES]
        text = [a for a in everyday if _text_alias_ok(index, a, t.trade_id)]
        if not column or not text:
            raise ValueError(f"trade {t.trade_id}: no name that round-trips")
        column_aliases.append(column)
        text_aliases.append(text)
    kinds = ("training", "job", "livelihood")
    return Trades(
        ids=[t.trade_id for t in trades],
        name=[t.name_vi for t in trades],
        sector=np.array([t.sector for t in trades]),
        hazardous=np.array([t.hazardous for t in trades], dtype=bool),
        course_weeks=np.array([t.course_weeks for t in trades], dtype=float),
        course_fee=np.array([t.course_fee_vnd for t in trades], dtype=float),
        wage=np.array([t.wage_vnd_day for t in trades], dtype=float),
        kinds=np.array([[k in t.kinds for k in kinds] for t in trades], dtype=bool),
        column_aliases=column_aliases,
        text_aliases=text_aliases,
        templates=templates,
    )


def _has_accents(text: str) -> bool:
    # Free text is generated accented and folded afterwards for the clients who type without
    # diacritics; an alias already folded would make accented text look half-typed.
    return fold(text) != text.lower()
