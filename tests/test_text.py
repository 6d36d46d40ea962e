"""Properties of the Vietnamese folding in matcher.vocab.text."""

from __future__ import annotations

import string
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from matcher.vocab.text import fold

# Every letter of the Vietnamese alphabet with every tone, both cases, precomposed (NFC).
_BASES = "aăâeêioôơuưy"
_TONES = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]
_VIETNAMESE = sorted(
    {unicodedata.normalize("NFC", b + t) for b in _BASES for t in _TONES} | set("bcdđghklmnpqrstvx")
)
VIETNAMESE_LETTERS = "".join(_VIETNAMESE) + "".join(_VIETNAMESE).upper()
vietnamese_text = st.text(alphabet=VIETNAMESE_LETTERS + " .,-()/", max_size=40)
any_text = st.text(max_size=40)


@given(st.one_of(vietnamese_text, any_text))
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


@given(st.one_of(vietnamese_text, any_text))
def test_fold_leaves_no_combining_mark_and_no_d_with_stroke(text):
    folded = fold(text)
    assert not any(unicodedata.combining(ch) for ch in folded)
    assert "đ" not in folded and "Đ" not in folded


@given(st.text(alphabet=string.ascii_lowercase + " ", max_size=40))
def test_fold_keeps_ascii_lowercase_words(text):
    assert fold(text) == " ".join(text.split())


@given(vietnamese_text)
def test_fold_of_vietnamese_is_plain_ascii(text):
    folded = fold(text)
    assert folded.isascii()
    assert folded == folded.lower()


@given(st.one_of(vietnamese_text, any_text))
def test_fold_ignores_the_unicode_normal_form(text):
    assert fold(unicodedata.normalize("NFD", text)) == fold(text)
    assert fold(unicodedata.normalize("NFC", text)) == fold(text)


def test_fold_examples():
    assert fold("Phường Cao Xanh") == "phuong cao xanh"
    assert fold("  ĐÔNG   Triều ") == "dong trieu"
    assert fold("Hải Hoà") == fold("Hải Hòa") == "hai hoa"
    assert fold("TP.Hạ Long") == "tp ha long"
