"""What a client wishes for, as a vector over the trade taxonomy, and its match to options.

A client's free text ("em thích làm tóc và trang điểm") is read once with
:meth:`matcher.vocab.trades.TradeIndex.find_in_text` into a vector of similarities over the trades
(in the order of data/trades.csv). An option is the short list of its trades. The match of
a pair is the best similarity between a wished trade and one of the option's trades, where a
wished trade also lends :data:`SECTOR_CREDIT` of its similarity to the other trades of its
sector (someone who wants hairdressing is half-way to hair washing, not to welding). A client
who stated no wish matches nothing: 0.

Reading text costs about a millisecond, matching is a gather: vectors are cached per
distinct text, and one client against n options is ``credited[trade_rows].max(axis=1)``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from matcher.vocab.trades import TradeIndex, load_trade_index

#: Share of a wished trade's similarity lent to the other trades of the same sector.
SECTOR_CREDIT = 0.4
#: Distinct texts remembered; a caseload repeats the same phrases ("muốn học may").
CACHE_SIZE = 200_000


class WishIndex:
    """Turn free text into trade vectors, and options into rows of trade positions.

    Parameters
    ----------
    trades : TradeIndex, optional
        The taxonomy (data/trades.csv by default).
    sector_credit : float, default=SECTOR_CREDIT
        Partial credit, in [0, 1], for a wished trade of the same sector.

    Examples
    --------
    >>> wish = WishIndex()
    >>> v = wish.credited(wish.vectors(["muốn học cắt tóc"]))
    >>> rows = wish.trade_rows([("hairdressing",), ("hair_washing",), ("welding",)])
    >>> v[0][rows].max(axis=1).round(2).tolist()
    [1.0, 0.4, 0.0]
    """

    def __init__(self, trades: TradeIndex | None = None, *,
                 sector_credit: float = SECTOR_CREDIT) -> None:
        if not 0.0 <= sector_credit <= 1.0:
            raise ValueError(f"sector_credit must be in [0, 1], not {sector_credit}")
        self._trades = trades or load_trade_index()
        self.sector_credit = sector_credit
        self.trade_ids: tuple[str, ...] = tuple(t.trade_id for t in self._trades.all())
        self._position = {t: i for i, t in enumerate(self.trade_ids)}
        codes, sectors = pd.factorize(pd.Series([t.sector for t in self._trades.all()]))
        self.sectors: tuple[str, ...] = tuple(sectors)
        # trades × sectors incidence, to spread a wish over its sector in one product
        self._sector_of = codes
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    @property
    def n_trades(self) -> int:
        return len(self.trade_ids)

    # --- text to vectors ---------------------------------------------------------------------

    def vector(self, text: str | None) -> np.ndarray:
        """Similarity in [0, 1] of ``text`` to each trade; zeros when it names none."""
        return self.vectors([text])[0]

    def vectors(self, texts: Sequence[str | None]) -> np.ndarray:
        """One row per text, ``n_trades`` columns; distinct texts are read once and cached."""
        keys = ["" if t is None or (isinstance(t, float) and np.isnan(t)) else str(t)
                for t in texts]
        cache = self._cache  # read through one reference: another thread may replace it
        missing = list(dict.fromkeys(k for k in keys if k not in cache))
        read = dict(zip(missing, self._read(missing), strict=True)) if missing else {}
        out = np.zeros((len(keys), self.n_trades))
        for i, k in enumerate(keys):
            out[i] = read[k] if k in read else cache[k]
        if read:
            with self._lock:
                if len(self._cache) + len(read) > CACHE_SIZE:
                    self._cache = {}
                self._cache.update(read)
        return out

    def _read(self, texts: list[str]) -> list[np.ndarray]:
        # Serial: about 0.15 ms a text, and worker processes took longer to start (each
        # loads the taxonomy) than 6,000 texts took to read here.
        return _read_texts(self._trades, texts, self._position)

    # --- sector credit and options -----------------------------------------------------------

    def credited(self, vectors: np.ndarray) -> np.ndarray:
        """Vectors with sector credit, plus a last column of zeros for padding.

        Each trade gets the larger of its own similarity and ``sector_credit`` times the best
        similarity in its sector.
        """
        vectors = np.atleast_2d(np.asarray(vectors, dtype=float))
        best = np.zeros((len(vectors), len(self.sectors)))
        np.maximum.at(best.T, self._sector_of, vectors.T)
        spread = self.sector_credit * best[:, self._sector_of]
        out = np.zeros((len(vectors), self.n_trades + 1))
        out[:, :-1] = np.maximum(vectors, spread)
        return out

    def trade_rows(self, trade_lists: Iterable[Any]) -> np.ndarray:
        """Positions of each option's trades, padded with ``n_trades`` (the zero column).

        A trade id the taxonomy no longer has counts as no trade.
        """
        lists = [tuple(t) if isinstance(t, list | tuple) else () for t in trade_lists]
        width = max((len(t) for t in lists), default=1) or 1
        pad = self.n_trades
        out = np.full((len(lists), width), pad, dtype=np.intp)
        for i, trades in enumerate(lists):
            for j, t in enumerate(trades):
                out[i, j] = self._position.get(t, pad)
        return out

    def match(self, credited: np.ndarray, trade_rows: np.ndarray) -> np.ndarray:
        """Best credited similarity of one client (a row of :meth:`credited`) to each option."""
        return np.asarray(credited).reshape(-1)[trade_rows].max(axis=1)


@cache
def shared_wish_index() -> WishIndex:
    """The process's index of data/trades.csv at the default credit, shared by every matcher
    build, training set and review of the process: a client's text is read once per process.
    (Each rebuilt matcher had an empty index of its own, so the next price refresh, plan or
    review after a rebuild read every client's wish again.) ``vectors`` returns copies."""
    return WishIndex()


def _read_texts(trades: TradeIndex, texts: list[str],
                position: dict[str, int]) -> list[np.ndarray]:
    out = []
    for text in texts:
        v = np.zeros(len(position))
        if text.strip():
            for trade, score in trades.find_in_text(text, limit=len(position)):
                v[position[trade.trade_id]] = score
        out.append(v)
    return out

