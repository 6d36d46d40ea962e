"""The trade taxonomy (data/trades.csv) and the resolution of free text to trades.

Two questions are answered here:

* :meth:`TradeIndex.resolve`: which one trade does a contract cell name ("hoc cat toc",
  "Sửa chữa xe máy", "may")? An unknown or ambiguous value raises :class:`TradeNotFound`
  naming the closest trades, so the importer can report the row and column.
* :meth:`TradeIndex.find_in_text`: which trades does a client's free interest or skill text
  mention ("em thích làm tóc và trang điểm")? Used to match wishes to options.

Folding merges distinct words ("may" to sew, "máy" a machine), so both answers prefer what
was written with diacritics, and a folded match is refused when the user put an accent on a
word that the name writes without one (see :func:`_contradicts`).
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from matcher.vocab import kinds as kind_table
from matcher.vocab.text import fold, lookup, normalise, split_list

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "trades.csv"

COLUMNS = (
    "trade_id", "name_vi", "name_en", "synonyms", "sector", "hazardous", "course_weeks",
    "course_fee_vnd", "wage_vnd_day", "kinds", "isco", "notes",
)
KINDS = frozenset(kind_table.CODES)

# Leading words that say "I want to learn / work as" rather than which trade: "học cắt tóc",
# "nghề may", "thợ hàn", "muốn học nail". "làm" is also part of names ("làm đẹp", "làm vàng
# mã"), which is why the resolver tries an exact match after each word it strips instead of
# stripping them all at once.
FILLER_WORDS = (
    "học", "nghề", "thợ", "làm", "muốn", "biết", "thích", "em", "tôi", "mình", "đi", "được",
    "công việc", "việc", "nghề nghiệp",
)
_FILLERS = frozenset(fold(w) for w in FILLER_WORDS)

# Phrases in free text whose words are also trade names but mean something else: "may mắn"
# (lucky) is not sewing, "tiếng Hàn" (Korean) is not welding. They take their words out of
# the running, as a longer match would.
NOT_TRADES = (
    "may mắn", "may quá", "may mà", "may ra", "tiếng hàn", "hàn quốc", "người hàn",
    "mộc mạc", "điện thoại",
)

# A fuzzy answer must be close to one whole name of the trade, not merely share its words:
# rapidfuzz's token_set_ratio gives 100 to "lái máy bay vũ trụ" against "may".
_MIN_WHOLE_RATIO = 80.0
# Free text: a window of words that is this close to a name counts as a (weaker) mention.
_MIN_TEXT_RATIO = 90.0
_MIN_WORD_RATIO = 70.0  # and each of its words this close to the name's word
_FUZZY_WEIGHT = 0.9  # a fuzzy mention never ranks above a verbatim one
_FUZZY_MIN_CHARS = 5  # shorter names match typos by chance ("nail" ~ "mail")


@dataclass(frozen=True)
class Trade:
    """One entry of data/trades.csv."""

    trade_id: str
    name_vi: str
    name_en: str
    synonyms: tuple[str, ...]
    sector: str
    hazardous: bool  # not allowed for workers aged 15-17 (Labour Code 2019 art. 147)
    course_weeks: int
    course_fee_vnd: int
    wage_vnd_day: int
    kinds: tuple[str, ...]
    isco: str | None
    notes: str

    @property
    def aliases(self) -> tuple[str, ...]:
        """Every way to write the trade: the Vietnamese name, the English name, the synonyms."""
        return tuple(dict.fromkeys((self.name_vi, self.name_en, *self.synonyms)))


class TradeNotFound(ValueError):
    """Free text that names no trade ("unknown") or several equally well ("ambiguous")."""

    def __init__(self, value: str, reason: str, candidates: Sequence[str]) -> None:
        self.value = value
        self.reason = reason
        self.candidates = list(candidates)
        if reason == "ambiguous":
            head = f"ambiguous trade {value!r}: it could be"
        else:
            head = f"unknown trade {value!r}; closest:"
        names = ", ".join(repr(c) for c in self.candidates) or "(none)"
        super().__init__(f"{head} {names}")


class TradeIndex:
    """Look trades up by id, resolve free text to trades, find trades mentioned in text."""

    def __init__(self, trades: Iterable[Trade]) -> None:
        self._trades = tuple(trades)
        self._by_id = {t.trade_id: t for t in self._trades}
        if len(self._by_id) != len(self._trades):
            raise ValueError("trade ids must be unique")
        self._entries = [(t.trade_id, t.name_vi, t.aliases[1:]) for t in self._trades]
        self._exact: dict[str, set[str]] = {}
        self._folded: dict[str, set[str]] = {}
        for t in self._trades:
            for alias in t.aliases:
                self._exact.setdefault(normalise(alias), set()).add(t.trade_id)
                self._folded.setdefault(fold(alias), set()).add(t.trade_id)
        # (folded core, trade id) of every alias, for candidates and the whole-name check.
        self._cores: list[tuple[str, str]] = [
            (_strip_fillers(fold(a)), t.trade_id) for t in self._trades for a in t.aliases
        ]
        self._phrases = _phrase_index(self._trades)
        self._fuzzy_by_len = _fuzzy_names(self._trades)
        self._resolve_cached = lru_cache(maxsize=4096)(self._resolve)

    # --- plain access -------------------------------------------------------------------

    def all(self) -> tuple[Trade, ...]:
        """Every trade, in the order of the file."""
        return self._trades

    def get(self, trade_id: str) -> Trade:
        """The trade with this id; ``KeyError`` naming the id if there is none."""
        try:
            return self._by_id[trade_id]
        except KeyError:
            raise KeyError(f"no trade with id {trade_id!r}") from None

    def __len__(self) -> int:
        return len(self._trades)

    def __iter__(self) -> Iterator[Trade]:
        return iter(self._trades)

    def __contains__(self, trade_id: object) -> bool:
        return trade_id in self._by_id

    # --- one value ----------------------------------------------------------------------

    def resolve(self, text: str) -> Trade:
        """The one trade that ``text`` names, or :class:`TradeNotFound`.

        Tries, in order: the text as written (with diacritics, then folded); the text
        without its leading filler words ("học", "nghề", "thợ", ...), one word at a time,
        each time exactly; then rapidfuzz, accepted only when the text is close to one whole
        name of a single trade.
        """
        key, reason, candidates = self._resolve_cached(normalise(text))
        if key is None:
            raise TradeNotFound(str(text), reason, candidates)
        return self._by_id[key]

    def resolve_list(self, text: str | None) -> list[Trade]:
        """The trades of a ``;``-separated contract list, in order, without repeats.

        Raises :class:`TradeNotFound` for the first item that names no trade.
        """
        found = [self.resolve(item) for item in split_list(text)]
        return list({t.trade_id: t for t in found}.values())

    def _resolve(self, query: str) -> tuple[str | None, str, tuple[str, ...]]:
        """(trade id, "", ()) or (None, reason, candidate names); cached, failures too."""
        if not query:
            return None, "unknown", ()
        stages = _strip_stages(query)
        for stage in stages:
            key = self._written_name(stage)
            if key is not None:
                return key, "", ()
        # Nothing is named exactly: rapidfuzz, through the shared look-up (which strips the
        # same leading fillers from the query and the names before scoring).
        first = lookup(query, self._entries, strip_words=FILLER_WORDS)
        if first.reason == "fuzzy" and self._close_to_whole_name(query, first.key):
            return first.key, "", ()
        reason = "unknown"
        if first.reason == "ambiguous" and first.candidates:
            if self._close_to_whole_name(query, first.candidates[0].key):
                reason = "ambiguous"
        keys = [c.key for c in first.candidates]
        return None, reason, tuple(self._names(self._fill_candidates(query, keys)))

    def _written_name(self, text: str) -> str | None:
        """The trade whose name ``text`` is, as written or folded; None if not exactly one.

        The same first two steps as :func:`matcher.vocab.text.lookup`, on tables built once:
        ``lookup`` rebuilds them on every call, which costs milliseconds per value.
        """
        keys = self._exact.get(normalise(text), set())
        if len(keys) == 1:
            return next(iter(keys))
        keys = self._folded.get(fold(text)) or keys
        if len(keys) == 1:
            (key,) = keys
            return key if self._agrees(text, key) else None
        return None

    def _agrees(self, query: str, key: str | None) -> bool:
        """A folded match stands unless the user's accents contradict every such name."""
        trade = self._by_id[key] if key else None
        if trade is None:
            return False
        q_fold = fold(query)
        return any(
            not _contradicts(query, normalise(a)) for a in trade.aliases if fold(a) == q_fold
        )

    def _close_to_whole_name(self, query: str, key: str | None) -> bool:
        core = _strip_fillers(fold(query))
        return any(
            fuzz.ratio(core, alias) >= _MIN_WHOLE_RATIO
            for alias, k in self._cores
            if k == key
        )

    def _fill_candidates(self, query: str, keys: list[str], limit: int = 3) -> list[str]:
        """Up to ``limit`` trade ids, closest first: the look-up's, then by plain similarity."""
        out = list(dict.fromkeys(keys))[:limit]
        if len(out) >= limit:
            return out
        # Plain character similarity: nothing matched by words, and WRatio would tie
        # unrelated trades (docs/design.md, "Folding and fuzzy matching").
        core = _strip_fillers(fold(query))
        scored = process.extract(core, [c for c, _ in self._cores], scorer=fuzz.ratio, limit=None)
        for _, _, idx in sorted(scored, key=lambda r: (-r[1], r[2])):
            key = self._cores[idx][1]
            if key not in out:
                out.append(key)
            if len(out) >= limit:
                break
        return out

    def _names(self, keys: Iterable[str]) -> list[str]:
        return [self._by_id[k].name_vi for k in keys]

    # --- free text ----------------------------------------------------------------------

    def find_in_text(self, text: str, limit: int = 5) -> list[tuple[Trade, float]]:
        """The trades that free text mentions, with a similarity in [0, 1], best first.

        A name found word for word (diacritics optional, but not contradicted) scores 1;
        a run of words within a typo of a name scores up to 0.9. Longer names win over the
        shorter names inside them ("bán hàng online" over "bán hàng", "máy tính" over "may"),
        and each word counts for one trade only. Ties keep the order of the text.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        words = normalise(text or "").split()
        folded = [fold(w) for w in words]
        taken = [False] * len(words)
        best: dict[str, tuple[float, int]] = {}

        def note(key: str | None, score: float, start: int, length: int) -> None:
            for j in range(start, start + length):
                taken[j] = True
            if key is not None and score > best.get(key, (-1.0, 0))[0]:
                best[key] = (score, start)

        for start, length, key in self._verbatim_mentions(words, folded):
            if not any(taken[start : start + length]):
                note(key, 1.0, start, length)
        for start, length, key, ratio in self._fuzzy_mentions(folded, taken):
            if not any(taken[start : start + length]):
                note(key, round(_FUZZY_WEIGHT * ratio / 100.0, 3), start, length)

        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[1][1]))
        return [(self._by_id[k], score) for k, (score, _) in ranked[:limit]]

    def _verbatim_mentions(
        self, words: list[str], folded: list[str]
    ) -> list[tuple[int, int, str | None]]:
        """(start, length, trade id or None for a NOT_TRADES phrase), longest first."""
        hits = []
        for i, f in enumerate(folded):
            for phrase_fold, phrase_norm, key in self._phrases.get(f, ()):
                n = len(phrase_fold)
                if tuple(folded[i : i + n]) != phrase_fold:
                    continue
                span, name = " ".join(words[i : i + n]), " ".join(phrase_norm)
                if _contradicts(span, name):
                    continue
                core = len(_strip_fillers(" ".join(phrase_fold)).split())
                hits.append((-core, _accent_slips(span, name) > 0, -n, i, key))
        # The longest names first, not counting leading fillers ("nghề may" is one word long
        # against "máy tính" in "nghề máy tính"); then names as the user wrote them; then
        # the first in the text.
        hits.sort(key=lambda h: h[:4])
        return [(i, -neg_n, key) for _, _, neg_n, i, key in hits]

    def _fuzzy_mentions(
        self, folded: list[str], taken: list[bool]
    ) -> list[tuple[int, int, str, float]]:
        """Windows of free words within a typo of a name with as many words, best first."""
        hits = []
        for n, (names, keys) in self._fuzzy_by_len.items():
            for i in range(len(folded) - n + 1):
                if any(taken[i : i + n]):
                    continue
                window = " ".join(folded[i : i + n])
                if len(window) < _FUZZY_MIN_CHARS:
                    continue
                match = process.extractOne(
                    window, names, scorer=fuzz.ratio, score_cutoff=_MIN_TEXT_RATIO
                )
                # 100 would be a verbatim match, already accepted or refused for its accents.
                if match and match[1] < 100 and _word_by_word(window, match[0]):
                    hits.append((i, n, keys[match[2]], float(match[1])))
        hits.sort(key=lambda h: (-h[3], -h[1], h[0]))
        return hits


# --- loading ----------------------------------------------------------------------------


def load_trades(path: str | Path | None = None) -> tuple[Trade, ...]:
    """Read and check data/trades.csv (or ``path``); ``ValueError`` names the bad row."""
    return _load(Path(path or DEFAULT_PATH).resolve())


@lru_cache(maxsize=8)
def _load(path: Path) -> tuple[Trade, ...]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        header = tuple(reader.fieldnames or ())
        if set(header) != set(COLUMNS):
            missing = sorted(set(COLUMNS) - set(header))
            extra = sorted(set(header) - set(COLUMNS))
            raise ValueError(f"{path.name}: columns missing {missing}, unexpected {extra}")
        trades = []
        for line, row in enumerate(reader, start=2):
            try:
                trades.append(_parse_row(row))
            except ValueError as exc:
                raise ValueError(f"{path.name} row {line}: {exc}") from None
    return tuple(trades)


def _parse_row(row: dict[str, str]) -> Trade:
    trade_id = (row["trade_id"] or "").strip()
    if not trade_id or not trade_id.isascii() or not trade_id.replace("_", "").isalnum():
        raise ValueError(f"trade_id {trade_id!r} must be an ascii slug")
    hazardous = (row["hazardous"] or "").strip()
    if hazardous not in {"0", "1"}:
        raise ValueError(f"hazardous must be 1 or 0, not {hazardous!r}")
    kinds = tuple(split_list(row["kinds"]))
    if not kinds or not set(kinds) <= KINDS:
        raise ValueError(f"kinds {row['kinds']!r} must be among {sorted(KINDS)}")
    isco = (row["isco"] or "").strip() or None
    if isco is not None and not (len(isco) == 4 and isco.isdigit()):
        raise ValueError(f"isco {isco!r} must be a 4-digit ISCO-08 code or empty")
    name_vi, name_en = row["name_vi"].strip(), row["name_en"].strip()
    if not name_vi or not name_en or not row["sector"].strip():
        raise ValueError("name_vi, name_en and sector are required")
    return Trade(
        trade_id=trade_id,
        name_vi=name_vi,
        name_en=name_en,
        synonyms=tuple(split_list(row["synonyms"])),
        sector=row["sector"].strip(),
        hazardous=hazardous == "1",
        course_weeks=_positive(row, "course_weeks"),
        course_fee_vnd=_positive(row, "course_fee_vnd"),
        wage_vnd_day=_positive(row, "wage_vnd_day"),
        kinds=kinds,
        isco=isco,
        notes=(row["notes"] or "").strip(),
    )


def _positive(row: dict[str, str], column: str) -> int:
    try:
        value = int((row[column] or "").strip())
    except ValueError:
        raise ValueError(f"{column} {row[column]!r} is not a whole number") from None
    if value <= 0:
        raise ValueError(f"{column} must be positive, not {value}")
    return value


@lru_cache(maxsize=8)
def _index(path: Path) -> TradeIndex:
    return TradeIndex(_load(path))


def load_trade_index(path: str | Path | None = None) -> TradeIndex:
    """The index of data/trades.csv (or ``path``), built once and cached."""
    return _index(Path(path or DEFAULT_PATH).resolve())


# --- helpers ----------------------------------------------------------------------------


def _strip_stages(query: str) -> list[str]:
    """The query, then without its leading filler words, one filler at a time.

    A two-word filler ("công việc") and a one-word one can overlap ("nghề nghiệp vụ bàn" is
    "nghề" + "nghiệp vụ bàn"), so every way of stripping is kept, fewest words removed first.
    At least one word always stays.
    """
    words = query.split()
    reachable = {0}
    for start in range(len(words)):
        if start not in reachable:
            continue
        for n in (1, 2):
            if start + n < len(words) and fold(" ".join(words[start : start + n])) in _FILLERS:
                reachable.add(start + n)
    return [" ".join(words[start:]) for start in sorted(reachable)]


def _strip_fillers(folded: str) -> str:
    return _strip_stages(folded)[-1]


def _has_accent(word: str) -> bool:
    return fold(word) != word


_HOOK, _TILDE = "\u0309", "\u0303"


def _marks(word: str) -> list[tuple[str, frozenset[str]]]:
    """Each letter of ``word`` with its diacritics; đ is d with a stroke, ngã counts as hỏi."""
    letters: list[tuple[str, set[str]]] = []
    for ch in unicodedata.normalize("NFD", word):
        if unicodedata.combining(ch):
            if letters:
                letters[-1][1].add(_HOOK if ch == _TILDE else ch)
        elif ch == "đ":
            letters.append(("d", {"stroke"}))
        else:
            letters.append((ch, set()))
    return [(base, frozenset(m)) for base, m in letters]


def _compatible(written: str, name: str) -> bool:
    """Could ``written`` be ``name`` typed by someone? Marks may be left out, hỏi and ngã
    mixed up ("sữa" for "sửa": the commonest misspelling), but none added: "máy" is not
    "may" (sew) and "móc" is not "mộc"."""
    if written == name:
        return True
    w, n = _marks(written), _marks(name)
    return len(w) == len(n) and all(
        a == b and ma <= mb for (a, ma), (b, mb) in zip(w, n, strict=True)
    )


def _contradicts(written: str, name: str) -> bool:
    """True when some word the user wrote cannot be the name's word (:func:`_compatible`).

    Folding would merge them: "máy" against "may" (sew) contradicts, "may" against "máy"
    does not (accents left out), nor does "sữa xe máy" against "sửa xe máy".
    """
    w, n = written.split(), name.split()
    if len(w) != len(n):
        return False
    return not all(_compatible(a, b) for a, b in zip(w, n, strict=True))


def _accent_slips(written: str, name: str) -> int:
    """How many accented words the user wrote differently from the name."""
    return sum(
        a != b and _has_accent(a) for a, b in zip(written.split(), name.split(), strict=False)
    )


def _phrase_index(
    trades: Sequence[Trade],
) -> dict[str, list[tuple[tuple[str, ...], tuple[str, ...], str | None]]]:
    """Names by their first folded word: (folded words, written words, trade id or None)."""
    index: dict[str, list[tuple[tuple[str, ...], tuple[str, ...], str | None]]] = {}
    seen: set[tuple[tuple[str, ...], tuple[str, ...], str | None]] = set()
    named: list[tuple[str, str | None]] = [(a, t.trade_id) for t in trades for a in t.aliases]
    named += [(p, None) for p in NOT_TRADES]
    for alias, key in named:
        written = tuple(normalise(alias).split())
        entry = (tuple(fold(w) for w in written), written, key)
        if written and entry not in seen:
            seen.add(entry)
            index.setdefault(entry[0][0], []).append(entry)
    return index


def _word_by_word(window: str, name: str) -> bool:
    """A typo changes letters, not words: each word must be the name's word or close to it,
    with the same first letter (typos rarely touch it; other words often share the rest).

    Without this, "công nhân ở" would pass for "công nhân mỏ" (coal mining) on the ratio of
    the whole strings.
    """
    return all(
        a == b or (len(b) >= 3 and a[:1] == b[:1] and fuzz.ratio(a, b) >= _MIN_WORD_RATIO)
        for a, b in zip(window.split(), name.split(), strict=True)
    )


def _fuzzy_names(trades: Sequence[Trade]) -> dict[int, tuple[list[str], list[str]]]:
    """Folded names long enough for typo matching, grouped by their number of words."""
    groups: dict[int, tuple[list[str], list[str]]] = {}
    for t in trades:
        for alias in t.aliases:
            f = fold(alias)
            if len(f) < _FUZZY_MIN_CHARS:
                continue
            names, keys = groups.setdefault(len(f.split()), ([], []))
            names.append(f)
            keys.append(t.trade_id)
    return groups
