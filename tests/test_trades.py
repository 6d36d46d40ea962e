"""The trade taxonomy: data/trades.csv, resolving contract values, finding trades in free text."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.vocab.text import fold, normalise
from matcher.vocab.trades import (
    COLUMNS,
    DEFAULT_PATH,
    Trade,
    TradeIndex,
    TradeNotFound,
    load_trade_index,
    load_trades,
)

INDEX = load_trade_index()
TRADES = INDEX.all()
ALIASES = [(t.trade_id, a) for t in TRADES for a in t.aliases]

# Every trade named in the public reports on Quảng Ninh's programmes, as the reports write it.
REPORT_TRADES = {
    "may": "sewing",
    "cắt tóc": "hairdressing",
    "gội đầu": "hair_washing",
    "cắm hoa": "flower_arranging",
    "sửa điện tử": "electronics_repair",
    "máy tính": "computer_repair",
    "sửa chữa điện lạnh": "refrigeration_repair",
    "pha chế đồ uống": "drinks_mixing",
    "phục vụ bàn": "waiting_tables",
    "làm vàng mã": "votive_paper",
    "khắc bia đá": "stone_engraving",
    "sửa chữa xe máy": "motorbike_repair",
    "chụp ảnh – photoshop": "photo_editing",
    "photocopy – đánh máy vi tính": "photocopy_typing",
    "quảng cáo": "advertising",
    "massage": "massage",
    "làm đẹp": "beauty_care",
    "chăm sóc sắc đẹp": "beauty_care",
    "chăn nuôi gia cầm": "poultry",
    "chế biến hải sản": "seafood_processing",
    "kinh doanh đồ uống giải khát": "drinks_stall",
    "kinh doanh thực phẩm": "food_business",
}
# Quảng Ninh's tourism, hospitality and factory work, and common vocational programmes.
OTHER_REQUIRED = {
    "hướng dẫn viên du lịch": "tour_guide",
    "tàu du lịch": "cruise_service",
    "homestay": "homestay",
    "buồng phòng": "hotel_housekeeping",
    "lễ tân": "hotel_reception",
    "nấu ăn": "cooking",
    "đầu bếp": "cooking",
    "phụ bếp": "kitchen_help",
    "công nhân may": "garment_factory",
    "lắp ráp linh kiện điện tử": "electronics_assembly",
    "làm nail": "nail_care",
    "trang điểm": "makeup",
    "hàn": "welding",
    "thợ điện": "electrician",
    "thợ xây": "construction",
    "lái xe": "driving",
    "nuôi trồng thủy sản": "aquaculture",
    "trồng rau": "vegetables",
    "nuôi lợn": "pig_raising",
    "bán hàng": "retail_sales",
    "bán hàng online": "online_selling",
    "giúp việc gia đình": "domestic_work",
    "chăm sóc người già": "elderly_care",
    "làm bánh": "bakery",
    "sửa chữa ô tô": "car_mechanics",
    "may đo": "tailoring",
    "thêu": "handicraft",
}

# Free text that social workers write and that names no trade (matcher/synth/names.py).
GENERIC_SKILLS = [
    "chăm chỉ, khéo tay", "giao tiếp tốt", "sức khỏe tốt", "cẩn thận, kiên nhẫn", "chịu khó",
    "nhanh nhẹn", "em may mắn được hỗ trợ", "học tiếng Hàn", "có điện thoại",
]


def _resolves(text: str) -> str:
    return INDEX.resolve(text).trade_id


def _strip_accents(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# --- the file -----------------------------------------------------------------------------


def test_at_least_40_trades_with_unique_ids():
    assert len(TRADES) >= 40
    ids = [t.trade_id for t in TRADES]
    assert len(set(ids)) == len(ids)
    assert all(i.isascii() and i == i.lower() and " " not in i for i in ids)


def test_header_is_the_documented_columns():
    header = DEFAULT_PATH.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert tuple(header) == COLUMNS


def test_no_two_trades_share_a_folded_name():
    # Folding merges words; two trades with the same folded name could never be told apart
    # by someone typing without diacritics.
    owners: dict[str, set[str]] = {}
    for trade_id, alias in ALIASES:
        owners.setdefault(fold(alias), set()).add(trade_id)
    shared = {name: ids for name, ids in owners.items() if len(ids) > 1}
    assert shared == {}


def test_synonyms_come_with_and_without_diacritics():
    for t in TRADES:
        assert any(fold(s) != normalise(s) for s in t.synonyms), t.trade_id
        assert any(fold(s) == normalise(s) for s in t.synonyms), t.trade_id


@pytest.mark.parametrize(("text", "trade_id"), sorted(REPORT_TRADES.items()))
def test_every_trade_of_the_public_reports_is_there(text, trade_id):
    assert _resolves(text) == trade_id


@pytest.mark.parametrize(("text", "trade_id"), sorted(OTHER_REQUIRED.items()))
def test_tourism_hospitality_factory_and_vocational_trades_are_there(text, trade_id):
    assert _resolves(text) == trade_id


def test_hazardous_trades_are_the_ones_the_labour_code_keeps_from_15_to_17_year_olds():
    hazardous = {t.trade_id for t in TRADES if t.hazardous}
    # Welding (art. 147(1)(e)), building sites (147(2)(b)), underground (147(2)(a)),
    # massage rooms and hotels (147(2)(d)), machinery maintenance (147(1)(d)).
    assert {"welding", "construction", "coal_mining", "massage", "hotel_housekeeping",
            "motorbike_repair", "car_mechanics"} <= hazardous
    assert not {"sewing", "hairdressing", "flower_arranging", "votive_paper", "handicraft",
                "cooking", "waiting_tables", "retail_sales"} & hazardous
    for t in TRADES:
        assert t.notes, f"{t.trade_id}: the hazardous decision needs its reason in notes"


def test_numbers_are_positive_and_plausible():
    for t in TRADES:
        assert 1 <= t.course_weeks <= 104, t.trade_id
        assert 100_000 <= t.course_fee_vnd <= 50_000_000, t.trade_id
        # Youths hired by their trainer earned 50,000-100,000 VND a day; adults in Quảng Ninh
        # typically 200,000-400,000; coal miners more.
        assert 100_000 <= t.wage_vnd_day <= 800_000, t.trade_id
        assert t.kinds and set(t.kinds) <= {"training", "job", "livelihood"}, t.trade_id
        assert t.isco is None or (len(t.isco) == 4 and t.isco.isdigit()), t.trade_id
    # The public reports: 3,000,000 VND a head for a course of hand-held apprenticeship.
    assert INDEX.get("hairdressing").course_fee_vnd == 3_000_000


def test_trade_is_frozen_with_tuples():
    t = INDEX.get("sewing")
    assert isinstance(t, Trade)
    assert isinstance(t.synonyms, tuple) and isinstance(t.kinds, tuple)
    with pytest.raises(AttributeError):
        t.name_vi = "x"  # type: ignore[misc]


def test_loading_is_cached():
    assert load_trade_index() is INDEX
    assert load_trades() is load_trades(DEFAULT_PATH)


def _write(tmp_path: Path, rows: list[str], header: str = ",".join(COLUMNS)) -> Path:
    path = tmp_path / "trades.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


GOOD_ROW = "sewing,May,Sewing,học may; hoc may,garment,0,12,3000000,200000,training;job,7533,ok"


def test_a_small_file_loads(tmp_path):
    index = load_trade_index(_write(tmp_path, [GOOD_ROW]))
    assert [t.trade_id for t in index.all()] == ["sewing"]
    assert index.resolve("hoc may").name_en == "Sewing"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (GOOD_ROW.replace(",0,12,", ",2,12,"), "hazardous"),
        (GOOD_ROW.replace(",12,", ",-1,"), "course_weeks"),
        (GOOD_ROW.replace("training;job", "school"), "kinds"),
        (GOOD_ROW.replace("7533", "75"), "isco"),
        (GOOD_ROW.replace("sewing,", "sew ing,"), "trade_id"),
    ],
)
def test_a_bad_row_is_named(tmp_path, row, message):
    with pytest.raises(ValueError, match=rf"row 2: .*{message}"):
        load_trades(_write(tmp_path, [row]))


def test_extra_or_missing_columns_are_an_error(tmp_path):
    with pytest.raises(ValueError, match="unexpected"):
        load_trades(_write(tmp_path, [GOOD_ROW + ",x"], ",".join(COLUMNS) + ",extra"))


def test_duplicate_ids_are_an_error(tmp_path):
    with pytest.raises(ValueError, match="unique"):
        load_trade_index(_write(tmp_path, [GOOD_ROW, GOOD_ROW]))


# --- resolve ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "trade_id"),
    [
        ("hoc cat toc", "hairdressing"),
        ("sua xe may", "motorbike_repair"),
        ("nau an", "cooking"),
        ("Sửa chữa xe máy", "motorbike_repair"),
        ("may", "sewing"),
        ("máy tính", "computer_repair"),
        ("may tinh", "computer_repair"),
        ("Máy Tính", "computer_repair"),
        ("pha che", "drinks_mixing"),
        ("photoshop", "photo_editing"),
        ("massage", "massage"),
        ("chan nuoi ga", "poultry"),
        ("thợ làm tóc", "hairdressing"),
        ("hớt tóc", "hairdressing"),
        ("muốn học nghề cắt tóc", "hairdressing"),
        ("học làm đẹp", "beauty_care"),
        ("học làm vàng mã", "votive_paper"),
        ("nghề may", "sewing"),
        ("học may", "sewing"),
        ("hoc may", "sewing"),
        ("may công nghiệp", "garment_factory"),
        ("sữa xe máy", "motorbike_repair"),  # a common misspelling: sữa (milk) for sửa
        ("cat tok", "hairdressing"),
        ("sua xe mays", "motorbike_repair"),
        ("  ĐẦU   BẾP ", "cooking"),
        ("Hairdressing", "hairdressing"),
        ("học nail", "nail_care"),
    ],
)
def test_resolve_free_writing(text, trade_id):
    assert _resolves(text) == trade_id


@pytest.mark.parametrize("text", ["lái máy bay vũ trụ", "xyz", "Máy", "nuôi"])
def test_unknown_text_raises_with_candidates(text):
    with pytest.raises(TradeNotFound) as info:
        INDEX.resolve(text)
    exc = info.value
    assert isinstance(exc, ValueError)
    assert exc.value == text
    assert exc.reason == "unknown"
    assert 1 <= len(exc.candidates) <= 3
    assert all(isinstance(c, str) for c in exc.candidates)
    assert str(exc).startswith(f"unknown trade {text!r}")
    for name in exc.candidates:
        assert repr(name) in str(exc)


def test_a_word_with_contradicting_accents_is_not_folded_into_another_trade():
    # "máy" (machine) folds to "may" (sew): the accent says it is not sewing.
    with pytest.raises(TradeNotFound) as info:
        INDEX.resolve("máy")
    assert info.value.candidates[0] == "May"


def test_ambiguous_text_raises_naming_the_trades():
    with pytest.raises(TradeNotFound) as info:
        INDEX.resolve("chăn nuôi")
    exc = info.value
    assert exc.reason == "ambiguous"
    assert {"Chăn nuôi gia cầm", "Chăn nuôi lợn"} <= set(exc.candidates)
    assert "ambiguous trade" in str(exc)


def test_empty_text_is_unknown():
    with pytest.raises(TradeNotFound):
        INDEX.resolve("  ")


def _resolved_as(text: str) -> str:
    try:
        return _resolves(text)
    except TradeNotFound as exc:
        return f"not found ({str(exc)[:80]})"


def _all_failures(check) -> list[str]:
    """``check(trade_id, alias)`` over every alias of the table: each failure it describes.

    One test over the whole table instead of one test per alias: a broken alias still fails
    the test, and the message names every broken alias at once.
    """
    failures = []
    for trade_id, alias in ALIASES:
        failures.extend(check(trade_id, alias))
    return failures


def _report(failures: list[str]) -> str:
    return f"{len(failures)} of {len(ALIASES)} aliases fail:\n" + "\n".join(failures)


def test_the_table_has_aliases_to_check():
    assert len(ALIASES) >= 3 * len(TRADES)


def test_every_name_and_its_folded_form_resolve():
    def check(trade_id, alias):
        return [f"{text!r} -> {got}, not {trade_id}"
                for text in (alias, fold(alias))
                if (got := _resolved_as(text)) != trade_id]

    failures = _all_failures(check)
    assert not failures, _report(failures)


@st.composite
def written_alias(draw):
    """An alias as someone might type it: random case, spaces, accents dropped word by word."""
    trade_id, alias = draw(st.sampled_from(ALIASES))
    words = []
    for word in alias.split():
        if draw(st.booleans()):
            word = _strip_accents(word)
        word = "".join(c.upper() if draw(st.booleans()) else c for c in word)
        words.append(word)
    gaps = [" " * draw(st.integers(1, 3)) for _ in words]
    text = "".join(g + w for g, w in zip(gaps, words, strict=True)) + " " * draw(
        st.integers(0, 2)
    )
    form = draw(st.sampled_from(["NFC", "NFD"]))
    return trade_id, unicodedata.normalize(form, text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(written_alias())
def test_any_way_of_typing_a_name_resolves(case):
    trade_id, text = case
    assert _resolves(text) == trade_id


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ALIASES), st.sampled_from(["học", "hoc", "nghề", "thợ", "muốn học"]))
def test_a_leading_filler_word_does_not_change_the_trade(case, filler):
    trade_id, alias = case
    assert _resolves(f"{filler} {alias}") == trade_id


def test_resolve_list():
    found = INDEX.resolve_list("cắt tóc; gội đầu;hoc cat toc; ; may")
    assert [t.trade_id for t in found] == ["hairdressing", "hair_washing", "sewing"]
    assert INDEX.resolve_list("") == []
    with pytest.raises(TradeNotFound) as info:
        INDEX.resolve_list("cắt tóc; xyz; abc")
    assert info.value.value == "xyz"


def test_get_and_all():
    assert INDEX.get("welding").name_vi == "Hàn"
    assert "welding" in INDEX and "flying" not in INDEX
    assert len(INDEX) == len(TRADES)
    with pytest.raises(KeyError, match="flying"):
        INDEX.get("flying")


def test_an_index_needs_unique_ids():
    t = INDEX.get("sewing")
    with pytest.raises(ValueError):
        TradeIndex([t, t])


# --- find_in_text -------------------------------------------------------------------------


def _found(text: str, limit: int = 5) -> list[str]:
    return [t.trade_id for t, _ in INDEX.find_in_text(text, limit=limit)]


@pytest.mark.parametrize(
    "text", ["em thích làm tóc và trang điểm", "thich lam toc va trang diem",
             "EM THÍCH LÀM TÓC, TRANG ĐIỂM"],
)
def test_find_hairdressing_and_makeup(text):
    found = INDEX.find_in_text(text)
    assert [t.trade_id for t, _ in found] == ["hairdressing", "makeup"]
    assert all(score == 1.0 for _, score in found)


def test_find_sewing_and_nails():
    assert _found("biết may, muốn học làm nail") == ["sewing", "nail_care"]


def test_find_prefers_the_longer_name_and_the_written_accents():
    assert _found("em biết dùng máy tính") == ["computer_repair"]
    assert _found("em biet dung may tinh") == ["computer_repair"]
    assert _found("muốn bán hàng online") == ["online_selling"]
    assert _found("biết sửa điện thoại") == ["phone_repair"]


@pytest.mark.parametrize("text", GENERIC_SKILLS)
def test_find_nothing_in_text_that_names_no_trade(text):
    assert _found(text) == []


def test_find_tolerates_a_typo_with_a_lower_score():
    found = INDEX.find_in_text("thich cat tocc")
    assert [t.trade_id for t, _ in found] == ["hairdressing"]
    assert 0.0 < found[0][1] < 1.0


def test_find_is_best_first_and_limited():
    text = "thích cat tocc, biết may, muốn học nấu ăn, trồng rau và nuôi gà"
    found = INDEX.find_in_text(text, limit=3)
    assert len(found) == 3
    scores = [s for _, s in found]
    assert scores == sorted(scores, reverse=True)
    assert "hairdressing" not in [t.trade_id for t, _ in found]  # the typo ranks last
    assert _found("", limit=3) == []
    with pytest.raises(ValueError):
        INDEX.find_in_text("may", limit=0)


@pytest.mark.parametrize(
    "template", ["em thích {t}", "muốn học nghề {t} để có thu nhập", "đã từng làm {t} 1 năm"]
)
def test_find_every_name_in_a_sentence(template):
    # The sentences of the synthetic world's social workers (matcher/synth/names.py): each
    # name is found, verbatim, and nothing else is.
    def check(trade_id, alias):
        failures = []
        for text in (template.format(t=alias), fold(template.format(t=alias))):
            found = [(t.trade_id, s) for t, s in INDEX.find_in_text(text, limit=10)]
            if found != [(trade_id, 1.0)]:
                failures.append(f"{text!r} -> {found}, not [({trade_id!r}, 1.0)]")
        return failures

    failures = _all_failures(check)
    assert not failures, _report(failures)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("thích làm việc với máy móc", []),  # móc (hook) is not mộc (carpentry)
        ("em muốn đi làm công nhân ở khu công nghiệp", []),  # "ở" is not "mỏ" (mine)
        ("em thích ăn bánh mì", []),  # "ăn" is not "bán": a typo keeps the first letter
        ("sưa xe may", ["motorbike_repair"]),  # a mark left out; the longer name wins
        ("sữa xe máy giỏi", ["motorbike_repair"]),  # hỏi and ngã mixed up
        ("nghề máy tính", ["computer_repair"]),  # "nghề may" is sewing only without accents
        ("muon hoc masage", ["massage"]),
    ],
)
def test_find_reads_accents_and_typos_with_care(text, expected):
    assert _found(text) == expected


@pytest.mark.parametrize(
    ("text", "trade_id"),
    [("sữa xe máy", "motorbike_repair"), ("sưa xe máy", "motorbike_repair"),
     ("mộc", "carpentry"), ("Máy tinh", "computer_repair")],
)
def test_resolve_forgives_left_out_marks_and_hoi_nga(text, trade_id):
    assert _resolves(text) == trade_id


@pytest.mark.parametrize("text", ["máy", "móc", "MÁY"])
def test_resolve_refuses_marks_the_name_does_not_have(text):
    with pytest.raises(TradeNotFound):
        INDEX.resolve(text)
