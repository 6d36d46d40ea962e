"""The formats that go with each language, and the choice of language."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from api.web import i18n


def test_vietnamese_is_the_default_and_unknown_codes_fall_back_to_it():
    assert i18n.pick(None) == "vi"
    assert i18n.pick("fr") == "vi"
    assert i18n.pick("en") == "en"


@pytest.mark.parametrize(("lang", "number", "money", "percent", "day", "iso"), [
    ("vi", "1.234.567", "3.000.000 ₫", "73%", "05/02/2027", "19/02/2027"),
    ("en", "1,234,567", "3,000,000 ₫", "73%", "2027-02-05", "2027-02-19"),
])
def test_numbers_money_and_dates_follow_the_language(lang, number, money, percent, day, iso):
    t = i18n.Translator(lang)
    assert t.number(1234567) == number
    assert t.money(3_000_000) == money
    assert t.percent(0.7349) == percent
    assert t.day(date(2027, 2, 5)) == day
    assert t.day("2027-02-19") == iso
    assert t.day(None) == t.money(None) == "—"


def test_decimals_use_the_language_separator():
    assert i18n.Translator("vi").number(15.67, 1) == "15,7"
    assert i18n.Translator("en").number(15.67, 1) == "15.7"
    assert i18n.Translator("vi").day(datetime(2026, 11, 23, 9, 5)) == "23/11/2026 09:05"


def test_a_missing_key_is_an_error_not_a_silent_fallback():
    with pytest.raises(KeyError):
        i18n.Translator("vi")("no.such.key")
    assert i18n.Translator("en")("card.chance", p="40%") == "Chance of success: 40%"
