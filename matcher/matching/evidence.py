"""How much evidence stands behind a prediction: past placements like the one suggested.

"7/10 học viên có hoàn cảnh tương tự có thu nhập ổn định sau 6 tháng": among past
placements with a known outcome in the same kind of option and the same trade, those of
clients in a similar situation (same group); when there are fewer than
:data:`MIN_SIMILAR` of those, all placements in that trade and kind.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from matcher.matching.reasons import Evidence
from matcher.outcomes import outcome_labels
from matcher.store.profiles import ClientProfile

MIN_SIMILAR = 3


@dataclass(frozen=True)
class EvidenceIndex:
    similar: dict[tuple[str, str, str], tuple[int, int]]  # (kind, trade, group) -> (n, s)
    by_trade: dict[tuple[str, str], tuple[int, int]]  # (kind, trade) -> (n, s)

    @classmethod
    def from_history(cls, placements: pd.DataFrame, clients: pd.DataFrame,
                     options: pd.DataFrame) -> EvidenceIndex:
        if placements.empty:
            return cls({}, {})
        known, y = outcome_labels(placements)
        done = placements.loc[known, ["client_id", "option_id"]].assign(y=y)
        groups = clients.set_index("client_id")["group_code"]
        opts = options.set_index("option_id")
        done["group"] = done["client_id"].map(groups)
        done["kind"] = done["option_id"].map(opts["kind"])
        done["trade"] = done["option_id"].map(opts["primary_trade"])
        done = done.dropna(subset=["kind", "trade", "group"])
        return cls(_counts(done, ["kind", "trade", "group"]), _counts(done, ["kind", "trade"]))

    def lookup(self, client: ClientProfile, option: pd.Series) -> Evidence:
        kind, trade = option["kind"], option["primary_trade"]
        n, s = self.similar.get((kind, trade, client.group), (0, 0))
        if n >= MIN_SIMILAR:
            return Evidence(n, s, "similar")
        n, s = self.by_trade.get((kind, trade), (0, 0))
        return Evidence(n, s, "trade" if n else "none")


def _counts(frame: pd.DataFrame, keys: list[str]) -> dict:
    grouped = frame.groupby(keys)["y"].agg(["size", "sum"])
    return {k: (int(n), int(s)) for k, (n, s) in zip(grouped.index, grouped.to_numpy(),
                                                      strict=True)}
