"""The seat prices a suggestion reads: one stored run, aligned with a matcher's catalogue.

Kept free of the engine (the engine reads it; the price computation reads the engine).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import numpy as np

#: A price below this (in expected successes) changes no ranking worth telling about.
SHOWN_FROM = 0.01

NOTES = {
    "off": ("Không tính giá chỗ (đã tắt trong cài đặt).",
            "Seat prices are off (settings)."),
    "no_run": ("Chưa tính giá chỗ: thứ tự như khi không có ai khác chờ.",
               "No seat prices yet: ranked as if nobody else were waiting."),
    "no_demand": ("Không có danh sách chờ hay lịch sử đăng ký: giá chỗ bằng 0.",
                  "No waiting list or registration history: every seat price is 0."),
    "priced": ("Đã tính đến những người đang chờ cùng chỗ.",
               "Ranked with the others waiting for the same seats in mind."),
}

#: Said on a list when the seat of every option on it is worth more to the others waiting
#: than to this client: the plan would leave the client unplaced rather than seat them in any.
#: Advice, not a rule: every option stays on the list and the social worker decides.
ALL_CONTESTED = (
    "Theo ước tính, chỗ nào trong danh sách này cũng có người khác đang chờ phù hợp hơn. "
    "Có thể cân nhắc giới thiệu một câu lạc bộ hoặc chờ đợt sau; quyết định vẫn là của bạn.",
    "By the estimate, every seat on this list would serve someone else waiting better. "
    "A club or a later intake may be worth considering; the decision is still yours.")
#: P(success) and a seat price this close count as equal: a tie is not "worth more".
TIE = 1e-6


def advise(summary: dict, p_success: np.ndarray, seat: np.ndarray | None) -> dict:
    """A list's pricing ``summary`` with ``all_contested``: whether every eligible option's
    seat (``seat``, as this client sees its price; None without prices) is worth more to the
    others waiting than to this client (P(success) below the price), and then the advice."""
    contested = seat is not None and len(seat) > 0 and bool(np.all(p_success < seat - TIE))
    out = {**summary, "all_contested": contested}
    if contested:
        out["advice"] = {"vi": ALL_CONTESTED[0], "en": ALL_CONTESTED[1]}
    return out


@dataclass(frozen=True)
class SeatPrices:
    """Per catalogue row, the price of a seat (expected successes); with what it rests on.

    ``price`` is what a seat costs the others when a client the plan does not seat there
    takes it; ``held_price`` when a client the plan seats there does (matcher/pricing/prices).
    """

    price: np.ndarray
    held_price: np.ndarray
    holders: dict[str, frozenset[str]] = field(default_factory=dict)
    state: str = "no_run"  # a key of NOTES
    computed_at: datetime | None = None
    n_waiting: int = 0
    expected_arrivals: float = 0.0
    basis: str = ""  # what the run rests on (matcher.pricing.refresh.basis_of)

    @classmethod
    def none(cls, n_options: int, state: str = "no_run") -> SeatPrices:
        return cls(np.zeros(n_options), np.zeros(n_options), state=state)

    @property
    def active(self) -> bool:
        return self.state == "priced"

    def for_client(self, rows: np.ndarray, option_ids: np.ndarray,
                   client_id: str | None) -> np.ndarray:
        """The seat prices of catalogue ``rows`` (with ``option_ids``) as ``client_id`` sees
        them: the held price where the plan seats this client."""
        price = self.price[rows].copy()
        mine = self.seats_of.get(client_id) if client_id is not None else None
        if mine:
            held = np.flatnonzero(np.isin(option_ids, list(mine)))
            price[held] = self.held_price[rows[held]]
        return price

    @cached_property
    def seats_of(self) -> dict[str, list[str]]:
        """Per waiting client, the options the plan seats them in (``holders`` inverted)."""
        out: dict[str, list[str]] = {}
        for option_id, clients in self.holders.items():
            for client_id in clients:
                out.setdefault(client_id, []).append(option_id)
        return out

    def contenders(self, option_id: str, client_id: str | None) -> int:
        """Waiting clients other than ``client_id`` whom the plan seats in this option."""
        held = self.holders.get(option_id, frozenset())
        return len(held) - (client_id in held)

    def summary(self) -> dict:
        vi, en = NOTES[self.state]
        return {"on": self.active, "state": self.state, "vi": vi, "en": en,
                "computed_at": self.computed_at.isoformat() if self.computed_at else None,
                "n_waiting": self.n_waiting,
                "expected_arrivals": round(self.expected_arrivals, 1)}
