"""Localities of Quảng Ninh: current units, the names used before the 2025 merger, distances.

data/places.csv (built by scripts/extract_places.py, sources in data/sources/PLACES.md) holds
the 54 current units (``cur-…``), the 171 former wards and communes (``old-…``) and the 13
former district-level units (``dist-…``), each former place linked to the current unit it now
lies in. :meth:`PlaceIndex.resolve` turns free text, old or new, with or without diacritics,
into a current unit; :meth:`PlaceIndex.lookup` returns the place the text names.

How text is read:

- ", Quảng Ninh" / "tỉnh Quảng Ninh" / ", Việt Nam" at the end is dropped;
- a leading level word ("phường", "P.", "xã", "thị trấn", "TT", "thành phố", "TP", "thị xã",
  "TX", "huyện", "H.", "đặc khu", "quận") is dropped and kept as a hint, so "TP Hạ Long" is the
  former city and "Phường Hải Hòa" the former ward of Móng Cái, not the current Xã Hải Hòa;
- "<ward>, <district>" (or "<ward> <district>") uses the former district to choose among
  places of the same name;
- an exact name that is both a current unit and a former place means the current unit
  ("Hạ Long" is Phường Hạ Long; "Hải Hòa" is Xã Hải Hòa);
- a name shared by former places that now lie in different units is ambiguous and needs its
  district ("Thanh Sơn, Uông Bí" vs "Thanh Sơn, Ba Chẽ"). "Bạch Đằng" is not ambiguous here:
  the only Bạch Đằng of Quảng Ninh was the ward of Hạ Long (the others are in Hải Phòng and
  elsewhere, outside this file), so it resolves to Phường Hồng Gai.

Distances are straight lines between the places' own coordinates times a road factor, plus a
ferry penalty; see :data:`ROAD_FACTOR` and :data:`FERRY_PENALTY_KM`.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from matcher.vocab.text import fold, lookup, normalise

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "places.csv"

#: Roads are longer than the straight line: 1.3 is the usual detour index of rural and
#: peri-urban road networks (about 1.2–1.4 in published studies); coarse, and documented as
#: such in data/sources/PLACES.md.
ROAD_FACTOR = 1.3
#: A ferry crossing (Cô Tô, Vân Đồn's outer islands, Cái Chiên, Vĩnh Thực) costs time, fares and
#: timetables: it is charged as 40 km of road, once per crossing.
FERRY_PENALTY_KM = 40.0
EARTH_RADIUS_KM = 6371.0088

_MIN_RATIO = 75.0  # plain similarity (0–100) a fuzzy answer needs with one of its names
_MEMO_SIZE = 50_000  # distinct texts remembered; an import repeats the same few names

CURRENT = "current"
FORMER = "former"
DISTRICT_LEVELS = frozenset({"thành phố", "thị xã", "huyện"})

# Leading words naming a level, folded, longest first, with the levels they may mean.
_LEVEL_WORDS: tuple[tuple[str, frozenset[str]], ...] = tuple(
    sorted(
        {
            "thanh pho": frozenset({"thành phố"}),
            "tp": frozenset({"thành phố"}),
            "thi xa": frozenset({"thị xã"}),
            "tx": frozenset({"thị xã"}),
            "huyen": frozenset({"huyện"}),
            "h": frozenset({"huyện"}),
            "quan": DISTRICT_LEVELS,
            "q": DISTRICT_LEVELS,
            "thi tran": frozenset({"thị trấn"}),
            "tt": frozenset({"thị trấn"}),
            "phuong": frozenset({"phường"}),
            "p": frozenset({"phường"}),
            "xa": frozenset({"xã"}),
            "x": frozenset({"xã"}),
            "dac khu": frozenset({"đặc khu"}),
            "dk": frozenset({"đặc khu"}),
        }.items(),
        key=lambda kv: -len(kv[0]),
    )
)
_ABBREVIATIONS = {
    "thành phố": ("tp",),
    "thị xã": ("tx",),
    "huyện": ("h",),
    "thị trấn": ("tt",),
    "phường": ("p",),
    "xã": ("x",),
    "đặc khu": ("dk",),
}
# Old and new tone placement ("Hải Hoà" / "Hải Hòa", "Thủy" / "Thuỷ") are one spelling; the
# exact match with diacritics must not tell them apart, so both sides use the new placement.
_TONE_PAIRS = {
    "òa": "oà",
    "óa": "oá",
    "ỏa": "oả",
    "õa": "oã",
    "ọa": "oạ",
    "òe": "oè",
    "óe": "oé",
    "ỏe": "oẻ",
    "õe": "oẽ",
    "ọe": "oẹ",
    "ùy": "uỳ",
    "úy": "uý",
    "ủy": "uỷ",
    "ũy": "uỹ",
    "ụy": "uỵ",
}
_PROVINCE_TAILS = ("tinh quang ninh", "quang ninh", "viet nam", "vietnam", "qn", "vn")


@dataclass(frozen=True)
class Place:
    """One locality; ``current_id`` is its own id for a current unit."""

    place_id: str
    name: str
    short_name: str
    level: str
    status: str
    current_id: str
    former_district: str
    lat: float
    lon: float
    island: bool

    @property
    def is_current(self) -> bool:
        return self.status == CURRENT

    @property
    def label(self) -> str:
        """The name, with the former district for a former ward (to tell namesakes apart)."""
        if self.is_current or self.level in DISTRICT_LEVELS:
            return self.name
        return f"{self.name} ({self.former_district})"


class PlaceNotFound(ValueError):
    """Free text that names no place, or several: ``reason`` is "unknown" or "ambiguous"."""

    def __init__(self, value: str, reason: str, candidates: Sequence[str]) -> None:
        self.value = value
        self.reason = reason
        self.candidates = list(candidates)[:3]
        hint = f"; closest: {', '.join(self.candidates)}" if self.candidates else ""
        what = "names several places" if reason == "ambiguous" else "is not a known place"
        super().__init__(f"{value!r} {what} of Quảng Ninh{hint}")


@dataclass(frozen=True)
class _Query:
    core: str  # normalised text of the place itself
    levels: frozenset[str] | None  # levels a leading word allowed
    districts: tuple[str, ...]  # folded short names of district hints


class PlaceIndex:
    """All places, with name resolution and distances."""

    def __init__(self, places: Iterable[Place]) -> None:
        self._places = {p.place_id: p for p in places}
        self._current = [p for p in self._places.values() if p.is_current]
        self._row = {pid: i for i, pid in enumerate(self._places)}
        self._lat = np.radians([p.lat for p in self._places.values()])
        self._lon = np.radians([p.lon for p in self._places.values()])
        self._island = np.array([p.island for p in self._places.values()], dtype=bool)
        self._unit = np.array([p.current_id for p in self._places.values()])
        self._district_keys = {
            _short_key(p.name) for p in self._places.values() if p.level in DISTRICT_LEVELS
        }
        self._entries = tuple(
            (p.place_id, p.label, self._aliases(p)) for p in self._places.values()
        )
        self._alias_folds = {pid: [fold(a) for a in aliases] for pid, _, aliases in self._entries}
        self._by_fold: dict[str, list[tuple[str, str, list[str]]]] = {}
        for entry in self._entries:
            for folded in dict.fromkeys(self._alias_folds[entry[0]]):
                self._by_fold.setdefault(folded, []).append(entry)
        self._folded_aliases = set(self._by_fold)
        self._memo: dict[str, Place | PlaceNotFound] = {}

    # --- access ---------------------------------------------------------------------------

    def get(self, place_id: str) -> Place:
        try:
            return self._places[place_id]
        except KeyError:
            raise KeyError(f"no place with id {place_id!r} in data/places.csv") from None

    def __contains__(self, place_id: object) -> bool:
        return place_id in self._places

    def __len__(self) -> int:
        return len(self._places)

    def places(self) -> list[Place]:
        return list(self._places.values())

    def current_units(self) -> list[Place]:
        return list(self._current)

    # --- resolution -----------------------------------------------------------------------

    def resolve(self, text: str) -> Place:
        """The current unit that ``text`` designates (a former name gives its current unit)."""
        return self._places[self.lookup(text).current_id]

    def lookup(self, text: str) -> Place:
        """The place ``text`` names, current or former; raises :class:`PlaceNotFound`."""
        key = str(text)
        if len(self._memo) > _MEMO_SIZE:
            self._memo.clear()
        if key not in self._memo:
            try:
                self._memo[key] = self._lookup(key)
            except PlaceNotFound as exc:
                self._memo[key] = exc
        found = self._memo[key]
        if isinstance(found, PlaceNotFound):
            raise PlaceNotFound(found.value, found.reason, found.candidates)
        return found

    def _lookup(self, text: str) -> Place:
        query = self._parse(text)
        if not query.core:
            raise PlaceNotFound(text, "unknown", [])
        # Exact readings first: the whole text, then "<ward> <district>" split at a known
        # district ("Cao Xanh Hạ Long"); a fuzzy reading only when no exact one exists, since
        # token_set_ratio scores any name whose words the text contains as 100.
        readings = [query, *([] if query.districts else self._trailing_district(query))]
        for fuzzy in (False, True):
            first: tuple[str, list[str]] | None = None
            for reading in readings:
                found, reason, labels = self._match(reading, fuzzy=fuzzy)
                if found is not None:
                    return found
                if first is None and (fuzzy or reason == "ambiguous"):
                    first = (reason, labels)
            if first is not None:
                # an exact name that stays ambiguous is not guessed at by fuzzy matching
                reason, labels = first
                raise PlaceNotFound(text, reason, labels or self._closest(query.core))
        raise PlaceNotFound(text, "unknown", self._closest(query.core))

    def _parse(self, text: str) -> _Query:
        parts = [_canon(p) for p in str(text).split(",")]
        parts = [_drop_province(p) for p in parts]
        parts = [p for p in parts if p]
        if not parts:
            return _Query("", None, ())
        districts = tuple(k for p in parts[1:] if (k := _short_key(p)))
        if fold(parts[0]) in self._folded_aliases:
            # a name that merely starts like a level word ("Quan Lạn" is not "quận Lạn")
            return _Query(parts[0], None, districts)
        core, levels = _drop_level(parts[0])
        return _Query(core, levels, districts)

    def _trailing_district(self, query: _Query) -> Iterable[_Query]:
        words = query.core.split()
        for cut in range(len(words) - 1, 0, -1):
            head, tail = " ".join(words[:cut]), " ".join(words[cut:])
            key = _short_key(tail)
            if key in self._district_keys:
                yield _Query(head, query.levels, (key,))

    def _match(self, query: _Query, *, fuzzy: bool) -> tuple[Place | None, str, list[str]]:
        """One reading: (the place, "found", []) or (None, "unknown"/"ambiguous", names)."""
        exact = fold(query.core) in self._folded_aliases
        if exact == fuzzy:
            return None, "unknown", []
        # an exact reading only needs the entries that have this folded name
        entries = self._entries if fuzzy else self._by_fold[fold(query.core)]
        found = lookup(
            query.core,
            entries,
            limit=len(entries),
            strip_words=[w for w, _ in _LEVEL_WORDS],
        )
        suggestions = self._labels(self._places[c.key] for c in found.candidates)
        if found.reason == "unknown":
            return None, "unknown", suggestions
        if found.key is not None:
            hits = [self._places[found.key]]
        else:
            top = found.candidates[0].score
            hits = [self._places[c.key] for c in found.candidates if c.score >= top - 4.0]
        if fuzzy:
            hits = [p for p in hits if self._alike(query.core, p)]
            if not hits:
                return None, "unknown", suggestions
        hits = self._narrow(hits, query)
        chosen = self._choose(hits, exact)
        if chosen is not None:
            return chosen, "found", []
        return None, "ambiguous", self._labels(_ranked(hits))

    def _alike(self, core: str, place: Place) -> bool:
        # token_set_ratio scores 100 when the query's words are a subset of a name's ("1" and
        # "Móng Cái 1"); a fuzzy answer must also look like one of the place's names as a whole.
        q = fold(core)
        return max(fuzz.ratio(q, a) for a in self._alias_folds[place.place_id]) >= _MIN_RATIO

    def _labels(self, places: Iterable[Place]) -> list[str]:
        # one name per current unit: a current unit and its own former ward are one suggestion
        seen: set[str] = set()
        labels = []
        for p in places:
            if p.current_id not in seen:
                seen.add(p.current_id)
                labels.append(p.label)
        return labels[:3]

    def _narrow(self, hits: list[Place], query: _Query) -> list[Place]:
        # Hints only narrow: a hint that fits none of the candidates is ignored, not fatal.
        if query.levels:
            hits = [p for p in hits if p.level in query.levels] or hits
        if query.districts:
            hits = [p for p in hits if self._in_district(p, query.districts)] or hits
        return hits

    def _in_district(self, place: Place, keys: tuple[str, ...]) -> bool:
        own = {_short_key(d) for d in place.former_district.split(";")}
        return bool(own & set(keys))

    def _choose(self, hits: list[Place], exact: bool) -> Place | None:
        if len({p.current_id for p in hits}) == 1:
            return _ranked(hits)[0]
        current = [p for p in hits if p.is_current]
        if exact and len(current) == 1:
            # an exact name shared by a current unit and former places means the current unit
            return current[0]
        return None

    def _closest(self, core: str) -> list[str]:
        # For text that shares not a letter pattern with any alias (e.g. "xyz"), still name the
        # nearest current units by plain edit similarity, so the error always helps.
        names = {p.label: fold(p.short_name) for p in self._current}
        best = process.extract(fold(core), names, scorer=fuzz.ratio, limit=3)
        return [label for _, _, label in best]

    def _aliases(self, place: Place) -> list[str]:
        short = _canon(place.short_name)
        aliases = [_canon(place.name), short]
        aliases += [f"{a} {short}" for a in _ABBREVIATIONS.get(place.level, ())]
        for district in place.former_district.split(";"):
            district_short = _canon(_district_short(district))
            if district_short and district_short != short:
                aliases.append(f"{short} {district_short}")
        return aliases

    # --- distances ------------------------------------------------------------------------

    def distance_km(self, a_id: str, b_id: str) -> float:
        """Road-equivalent km between two places (ids of any place, current or former)."""
        return float(self.distance_matrix([a_id], [b_id])[0, 0])

    def distance_matrix(self, ids_a: Sequence[str], ids_b: Sequence[str]) -> np.ndarray:
        """``len(ids_a) × len(ids_b)`` road-equivalent km, vectorised."""
        ia = self._rows(ids_a)
        ib = self._rows(ids_b)
        straight = _haversine(
            self._lat[ia][:, None],
            self._lon[ia][:, None],
            self._lat[ib][None, :],
            self._lon[ib][None, :],
        )
        isl_a = self._island[ia][:, None]
        isl_b = self._island[ib][None, :]
        same_unit = self._unit[ia][:, None] == self._unit[ib][None, :]
        # One crossing between an island and the mainland; two between islands of different
        # units (back to the mainland and out again); boats inside one unit are not counted.
        crossings = (isl_a ^ isl_b).astype(float) + 2.0 * (isl_a & isl_b & ~same_unit)
        km = straight * ROAD_FACTOR + crossings * FERRY_PENALTY_KM
        km[ia[:, None] == ib[None, :]] = 0.0
        return km

    def _rows(self, ids: Sequence[str]) -> np.ndarray:
        try:
            return np.array([self._row[i] for i in ids], dtype=int)
        except KeyError as exc:
            raise KeyError(f"no place with id {exc.args[0]!r} in data/places.csv") from None


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in decimal degrees."""
    rad = math.radians
    return float(_haversine(rad(lat1), rad(lon1), rad(lat2), rad(lon2)))


def _haversine(lat1, lon1, lat2, lon2):
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _ranked(hits: list[Place]) -> list[Place]:
    # current units first, then district-level, then the rest; stable by id
    def rank(p: Place) -> tuple[int, str]:
        return (0 if p.is_current else 1 if p.level in DISTRICT_LEVELS else 2, p.place_id)

    return sorted(hits, key=rank)


def _canon(text: str) -> str:
    """Normalised text with the new tone placement (see :data:`_TONE_PAIRS`)."""
    text = normalise(text)
    for old, new in _TONE_PAIRS.items():
        text = text.replace(old, new)
    return text


def _drop_province(text: str) -> str:
    folded = fold(text)
    for tail in _PROVINCE_TAILS:
        if folded == tail:
            return ""
        if folded.endswith(" " + tail):
            keep = len(folded.split()) - len(tail.split())
            return " ".join(text.split()[:keep])
    return text


def _drop_level(text: str) -> tuple[str, frozenset[str] | None]:
    folded = fold(text)
    for word, levels in _LEVEL_WORDS:
        if folded.startswith(word + " "):
            return " ".join(text.split()[len(word.split()) :]), levels
    return text, None


def _short_key(text: str) -> str:
    """Folded name without its level word: "Thành phố Hạ Long" and "tp ha long" → "ha long"."""
    return fold(_drop_level(normalise(text))[0])


def _district_short(name: str) -> str:
    return _drop_level(normalise(name.strip()))[0]


def _read_csv(path: Path) -> list[Place]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [
            Place(
                place_id=row["place_id"],
                name=row["name"],
                short_name=row["short_name"],
                level=row["level"],
                status=row["status"],
                current_id=row["current_id"],
                former_district=row["former_district"],
                lat=float(row["lat"]),
                lon=float(row["lon"]),
                island=row["island"].strip() == "1",
            )
            for row in csv.DictReader(f)
        ]


@lru_cache(maxsize=4)
def _load(path: Path) -> PlaceIndex:
    return PlaceIndex(_read_csv(path))


def load_place_index(path: str | Path | None = None) -> PlaceIndex:
    """The index of data/places.csv (or ``path``), read once and cached."""
    return _load(Path(path or DEFAULT_PATH).resolve())
