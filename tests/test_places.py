"""Places: data/places.csv against the packages, name resolution, distances."""

from __future__ import annotations

import csv
import math
import unicodedata
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.vocab.places import (
    DEFAULT_PATH,
    FERRY_PENALTY_KM,
    ROAD_FACTOR,
    PlaceIndex,
    PlaceNotFound,
    haversine_km,
    load_place_index,
)
from matcher.vocab.text import fold

INDEX = load_place_index()
PLACES = INDEX.places()
CURRENT = INDEX.current_units()
FORMER = [p for p in PLACES if not p.is_current]
BY_NAME = {p.name: p for p in CURRENT}
# Quảng Ninh's extent (lat 20.7–21.7, lon 106.4–108.1) with a small margin for the coast.
LAT, LON = (20.6, 21.75), (106.35, 108.15)
ABBREVIATIONS = {
    "phường": ["Phường", "phuong", "P.", "p"],
    "xã": ["Xã", "xa", "X."],
    "thị trấn": ["Thị trấn", "thi tran", "TT", "tt."],
    "thành phố": ["Thành phố", "thanh pho", "TP", "Tp."],
    "thị xã": ["Thị xã", "thi xa", "TX", "tx."],
    "huyện": ["Huyện", "huyen", "H."],
    "đặc khu": ["Đặc khu", "dac khu"],
}

# --- the examples of the brief --------------------------------------------------------------

EXAMPLES = {
    "tp ha long": "Phường Hạ Long",  # the former city's seat (Hồng Hà) is in Phường Hạ Long
    "Thành phố Hạ Long": "Phường Hạ Long",
    "Hạ Long": "Phường Hạ Long",  # an exact current name wins over the former city
    "P. Cao Xanh": "Phường Cao Xanh",
    "Cao Xanh, Hạ Long, Quảng Ninh": "Phường Cao Xanh",
    "Cao Xanh Hạ Long": "Phường Cao Xanh",
    "Phường Cao Xanh, Thành phố Hạ Long, Tỉnh Quảng Ninh": "Phường Cao Xanh",
    "phuong cao xanh tp ha long": "Phường Cao Xanh",
    "Dong Trieu": "Phường Đông Triều",
    "Hồng Gai": "Phường Hồng Gai",
    "Hon Gai": "Phường Hồng Gai",  # the colloquial spelling, by fuzzy match
    "hung thang": "Phường Bãi Cháy",
    "Tuần Châu": "Phường Tuần Châu",
    "Cô Tô": "Đặc khu Cô Tô",
    "Vân Đồn": "Đặc khu Vân Đồn",
    "Móng Cái": "Phường Móng Cái 1",
    "cam pha": "Phường Cẩm Phả",
    "Uong Bi": "Phường Uông Bí",
    "Hà Phong": "Phường Hà Tu",
    "Cao Thắng": "Phường Hà Lầm",
    "Bạch Đằng": "Phường Hồng Gai",  # the only Bạch Đằng of Quảng Ninh was Hạ Long's ward
    "Bạch Đằng, Hạ Long": "Phường Hồng Gai",
    "xã Hạ Long": "Đặc khu Vân Đồn",  # the former commune of Vân Đồn, not the city
    "Hạ Long, Vân Đồn": "Đặc khu Vân Đồn",
    "Hải Hòa": "Xã Hải Hòa",
    "Hải Hoà": "Xã Hải Hòa",  # old tone placement is the same name
    "Phường Hải Hòa": "Phường Móng Cái 1",  # the former ward of Móng Cái
    "Hải Hoà, Móng Cái": "Phường Móng Cái 1",
    "Thanh Sơn, Uông Bí": "Phường Uông Bí",
    "Thanh Sơn, Ba Chẽ": "Xã Ba Chẽ",
    "Quan Lạn": "Đặc khu Vân Đồn",  # starts like "quận" but is a name
    "tx quang yen": "Phường Quảng Yên",
    "Hải Hà": "Xã Quảng Hà",
    "Cao Xan": "Phường Cao Xanh",  # a typo, by fuzzy match
}


@pytest.mark.parametrize(("text", "expected"), EXAMPLES.items())
def test_examples_resolve_to_their_current_unit(text, expected):
    place = INDEX.resolve(text)
    assert place.name == expected
    assert place.is_current


def test_lookup_returns_the_place_named():
    assert INDEX.lookup("Hà Phong").place_id == "old-6652"
    assert INDEX.lookup("Hà Phong").status == "former"
    # the same numeric code is another place now: never joined on the code
    assert INDEX.get("cur-6652").name == "Phường Hà Tu"
    assert INDEX.lookup("tp ha long").level == "thành phố"
    assert INDEX.lookup("Hà Tu").place_id == "cur-6652"
    assert INDEX.lookup("Hùng Thắng").current_id == INDEX.resolve("Bãi Cháy").place_id


@pytest.mark.parametrize("text", ["Thanh Sơn", "Bắc Sơn", "thanh son"])
def test_names_of_former_wards_in_two_districts_are_ambiguous(text):
    with pytest.raises(PlaceNotFound) as caught:
        INDEX.resolve(text)
    exc = caught.value
    assert exc.reason == "ambiguous" and exc.value == text
    assert len(exc.candidates) == 2
    assert all("(" in c for c in exc.candidates)  # each names its former district
    assert exc.candidates[0] in str(exc)


@pytest.mark.parametrize("text", ["Hà Nội", "xyz", "Quận 1, TP Hồ Chí Minh", "Trới 123"])
def test_unknown_places_raise_with_candidates(text):
    with pytest.raises(PlaceNotFound) as caught:
        INDEX.resolve(text)
    exc = caught.value
    assert isinstance(exc, ValueError)
    assert exc.reason == "unknown" and exc.value == text
    assert 1 <= len(exc.candidates) <= 3
    assert "not a known place" in str(exc) and exc.candidates[0] in str(exc)


@pytest.mark.parametrize("text", ["", "   ", ",", "Quảng Ninh", "tỉnh Quảng Ninh, Việt Nam"])
def test_empty_text_is_unknown(text):
    with pytest.raises(PlaceNotFound) as caught:
        INDEX.resolve(text)
    assert caught.value.reason == "unknown"


def test_plain_short_names_of_former_places_that_do_not_name_their_own_unit():
    """The decided exceptions: namesakes in two districts, and former names that are also the
    exact name of a current unit (which wins): Vân Đồn's commune Hạ Long, Móng Cái's Hải Hoà."""
    exceptions = {}
    for p in FORMER:
        try:
            got = INDEX.resolve(p.short_name).name
        except PlaceNotFound as exc:
            got = exc.reason
        if got != INDEX.get(p.current_id).name:
            exceptions[p.label] = got
    assert exceptions == {
        "Phường Thanh Sơn (Thành phố Uông Bí)": "ambiguous",
        "Xã Thanh Sơn (Huyện Ba Chẽ)": "ambiguous",
        "Phường Bắc Sơn (Thành phố Uông Bí)": "ambiguous",
        "Xã Bắc Sơn (Thành phố Móng Cái)": "ambiguous",
        "Xã Hạ Long (Huyện Vân Đồn)": "Phường Hạ Long",
        "Phường Hải Hoà (Thành phố Móng Cái)": "Xã Hải Hòa",
    }


# --- every place by its names ---------------------------------------------------------------


@pytest.mark.parametrize("place", CURRENT, ids=lambda p: p.place_id)
def test_every_current_unit_resolves_to_itself(place):
    for text in (
        place.name,
        place.short_name,
        fold(place.name),
        fold(place.short_name),
        place.name.upper(),
        place.short_name.upper(),
    ):
        assert INDEX.resolve(text) == place, text
        assert INDEX.lookup(text) == place, text


def _strip_marks(text: str) -> str:
    """Diacritics off as on a keyboard without Vietnamese; case and commas kept."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _variants(place) -> st.SearchStrategy[str]:
    """Ways a person writes a place: prefix, case, diacritics, spaces, district, province."""
    district = place.former_district.split(";")[0].strip()
    district_short = (
        district.split(" ", 2)[-1]
        if district.startswith("Thành phố")
        else (district.split(" ", 1)[1] if district.startswith(("Huyện", "Thị xã")) else district)
    )
    if district.startswith("Thị xã"):
        district_short = district.split(" ", 2)[2]

    @st.composite
    def build(draw) -> str:
        prefix = draw(st.sampled_from(ABBREVIATIONS[place.level]))
        body = f"{prefix} {place.short_name}"
        where = draw(
            st.sampled_from(["", f", {district}", f", {district_short}", f" {district_short}"])
        )
        if where == f" {district_short}":
            body = place.short_name  # "<ward> <district>" is written without a level word
        tail = draw(st.sampled_from(["", ", Quảng Ninh", ", tỉnh Quảng Ninh", " Quảng Ninh"]))
        text = body + where + tail
        text = draw(st.sampled_from([text, _strip_marks(text), fold(text)]))
        text = draw(st.sampled_from([text, text.upper(), text.lower(), text.title()]))
        spaces = draw(st.sampled_from([" ", "  ", "\t"]))
        return (
            draw(st.sampled_from(["", " "]))
            + text.replace(" ", spaces)
            + draw(st.sampled_from(["", "  "]))
        )

    return build()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_former_name_resolves_to_its_mapped_current_unit(data):
    place = data.draw(st.sampled_from(FORMER), label="place")
    text = data.draw(_variants(place), label="text")
    assert INDEX.resolve(text).place_id == place.current_id


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_every_current_unit_resolves_to_itself_written_loosely(data):
    place = data.draw(st.sampled_from(CURRENT), label="place")
    text = data.draw(_variants(place), label="text")
    assert INDEX.resolve(text) == place


def test_every_former_full_name_with_its_district_resolves():
    for p in FORMER:
        text = f"{p.name}, {p.former_district}, Quảng Ninh"
        assert INDEX.resolve(text).place_id == p.current_id, text
        # the place itself, or its current unit when that has the very same name
        assert INDEX.lookup(text) in (p, INDEX.get(p.current_id)), text


# --- the table against the packages ---------------------------------------------------------


def test_current_units_match_the_vietnam_provinces_package():
    from vietnam_provinces import Province, Ward

    (province,) = [p for p in Province.iter_all() if p.name == "Quảng Ninh"]
    package = {
        (f"cur-{int(w.code)}", w.name, w.division_type.value)
        for w in Ward.iter_by_province(province.code)
    }
    ours = {(p.place_id, p.name, p.level) for p in CURRENT}
    assert ours == package
    assert len(CURRENT) == 54
    assert Counter(p.level for p in CURRENT) == {"phường": 30, "xã": 22, "đặc khu": 2}


def test_former_places_are_the_13_districts_and_171_wards():
    levels = Counter(p.level for p in FORMER)
    assert sum(levels[x] for x in ("thành phố", "thị xã", "huyện")) == 13
    assert sum(levels[x] for x in ("phường", "xã", "thị trấn")) == 171
    assert {p.place_id.split("-")[0] for p in FORMER} == {"old", "dist"}


def test_ids_are_unique_and_links_point_at_current_units():
    with DEFAULT_PATH.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len({r["place_id"] for r in rows}) == len(rows) == len(PLACES)
    for p in PLACES:
        assert INDEX.get(p.current_id).is_current, p.place_id
        assert (p.current_id == p.place_id) == p.is_current
    for r in rows:
        assert r["coord_source"] and r["map_source"], r["place_id"]
    # every current unit holds at least one former ward
    assert {p.current_id for p in FORMER} == {p.place_id for p in CURRENT}


def test_coordinates_lie_in_quang_ninh():
    for p in PLACES:
        assert LAT[0] <= p.lat <= LAT[1] and LON[0] <= p.lon <= LON[1], p.place_id


def test_islands():
    islands = {p.name for p in CURRENT if p.island}
    assert islands == {"Đặc khu Cô Tô", "Xã Cái Chiên", "Xã Vĩnh Thực"}
    # Vân Đồn's main island is reached by bridge, its outer islands by boat
    assert not BY_NAME["Đặc khu Vân Đồn"].island
    assert INDEX.lookup("Quan Lạn").island and not INDEX.lookup("Cái Rồng").island


def test_the_index_is_loaded_once():
    assert load_place_index() is load_place_index()
    assert load_place_index(DEFAULT_PATH) is INDEX


def test_unknown_id_raises_key_error():
    with pytest.raises(KeyError, match="old-1"):
        INDEX.get("old-1")
    with pytest.raises(KeyError):
        INDEX.distance_km("cur-6652", "nowhere")


def test_an_index_can_be_built_from_places():
    small = PlaceIndex([BY_NAME["Phường Hà Tu"], INDEX.get("old-6652")])
    assert small.resolve("Hà Phong").name == "Phường Hà Tu"
    assert len(small) == 2 and "old-6652" in small


# --- distances ------------------------------------------------------------------------------

IDS = [p.place_id for p in PLACES]
place_ids = st.sampled_from(IDS)


def _straight(a: str, b: str) -> float:
    pa, pb = INDEX.get(a), INDEX.get(b)
    return haversine_km(pa.lat, pa.lon, pb.lat, pb.lon)


@given(place_ids, place_ids)
def test_distance_is_symmetric_and_bounded(a, b):
    d = INDEX.distance_km(a, b)
    assert d == pytest.approx(INDEX.distance_km(b, a))
    straight = _straight(a, b)
    if a == b:
        assert d == 0.0
    else:
        assert straight <= d <= straight * ROAD_FACTOR + 2 * FERRY_PENALTY_KM + 1e-9
        assert d < 500.0  # Quảng Ninh is about 250 km end to end


def test_distance_is_zero_on_the_diagonal():
    m = INDEX.distance_matrix(IDS, IDS)
    assert m.shape == (len(IDS), len(IDS))
    assert np.all(np.diag(m) == 0.0)
    assert np.allclose(m, m.T)
    # distinct places are apart, unless one stands at the other's coordinates (a district at
    # its seat, a unit that continues a single commune)
    same_spot = np.array([[(a.lat, a.lon) == (b.lat, b.lon) for b in PLACES] for a in PLACES])
    assert np.all((m > 0.0) | same_spot)


@given(st.lists(place_ids, min_size=1, max_size=6), st.lists(place_ids, min_size=1, max_size=6))
def test_distance_matrix_agrees_with_distance_km(ids_a, ids_b):
    m = INDEX.distance_matrix(ids_a, ids_b)
    for i, a in enumerate(ids_a):
        for j, b in enumerate(ids_b):
            assert m[i, j] == pytest.approx(INDEX.distance_km(a, b))


def test_an_island_trip_costs_more_than_the_road_over_the_straight_line():
    co_to, hong_gai = BY_NAME["Đặc khu Cô Tô"].place_id, BY_NAME["Phường Hồng Gai"].place_id
    d = INDEX.distance_km(co_to, hong_gai)
    assert d == pytest.approx(_straight(co_to, hong_gai) * ROAD_FACTOR + FERRY_PENALTY_KM)
    # between islands of two units: out and back in, two crossings
    vinh_thuc = BY_NAME["Xã Vĩnh Thực"].place_id
    assert INDEX.distance_km(co_to, vinh_thuc) == pytest.approx(
        _straight(co_to, vinh_thuc) * ROAD_FACTOR + 2 * FERRY_PENALTY_KM
    )


def test_distances_are_plausible():
    ha_long = BY_NAME["Phường Hồng Gai"].place_id
    mong_cai = BY_NAME["Phường Móng Cái 1"].place_id
    uong_bi = BY_NAME["Phường Uông Bí"].place_id
    # by road: Hạ Long–Móng Cái about 130–180 km, Hạ Long–Uông Bí about 30–40 km
    assert 110 < INDEX.distance_km(ha_long, mong_cai) < 200
    assert 25 < INDEX.distance_km(ha_long, uong_bi) < 50
    # a former ward lies close to the unit it merged into
    for p in FORMER:
        if p.level not in ("thành phố", "thị xã", "huyện") and not p.island:
            assert INDEX.distance_km(p.place_id, p.current_id) < 40, p.label


def test_haversine_of_one_degree_of_latitude():
    assert haversine_km(21.0, 107.0, 22.0, 107.0) == pytest.approx(math.pi * 6371.0088 / 180)
