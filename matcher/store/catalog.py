"""The catalogue: every option with its provider and trades, as one column-oriented frame.

The engine scores many options at once (one vectorised call per client), so the options are
loaded into a frame with one row each, in a fixed order, with the trade attributes the rules
and the features need already joined (clients and placements: matcher.store.frames).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.store.frames import frame as _frame
from matcher.store.tables import Option, OptionTrade, Provider
from matcher.vocab.kinds import PLACEMENT_CODES
from matcher.vocab.trades import load_trade_index

OPTION_COLUMNS = [
    "option_id", "provider_id", "kind", "title", "place_id", "capacity", "min_age", "max_age",
    "cost_vnd", "wage_vnd_day", "duration_weeks", "women_only", "sign_language",
    "accepts_records", "start_date", "version", "updated_at",
]


@dataclass
class Catalog:
    """Every option with its provider and trades; ``options`` rows are positions 0..n-1."""

    options: pd.DataFrame
    position: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.position = {oid: i for i, oid in enumerate(self.options["option_id"])}

    def __len__(self) -> int:
        return len(self.options)

    def rows(self, option_ids) -> np.ndarray:
        """Positions of ``option_ids``; raises KeyError naming the first unknown id."""
        try:
            return np.fromiter((self.position[o] for o in option_ids), dtype=np.int64)
        except KeyError as exc:
            raise KeyError(f"unknown option {exc.args[0]}") from None


def options_frame(options: pd.DataFrame, option_trades: pd.DataFrame,
                  providers: pd.DataFrame) -> pd.DataFrame:
    """Join trades (ordered list, primary trade, sector, hazardous) and provider kind/name."""
    trades = load_trade_index()
    ordered = option_trades.sort_values(["option_id", "position"])
    lists = ordered.groupby("option_id", sort=False)["trade_id"].agg(tuple)
    frame = options.copy()
    frame["trade_ids"] = frame["option_id"].map(lists).apply(
        lambda t: t if isinstance(t, tuple) else ())
    frame["primary_trade"] = frame["trade_ids"].map(lambda t: t[0] if t else "")
    frame["sector"] = frame["primary_trade"].map(
        lambda t: trades.get(t).sector if t else "")
    frame["hazardous"] = frame["trade_ids"].map(
        lambda ts: any(trades.get(t).hazardous for t in ts))
    provider = providers.set_index("provider_id")
    frame["provider_kind"] = frame["provider_id"].map(provider["kind"])
    frame["provider_name"] = frame["provider_id"].map(provider["name"])
    for col in ("women_only", "sign_language", "accepts_records"):
        frame[col] = frame[col].astype(bool)
    return frame.reset_index(drop=True)


def load_catalog(session: Session) -> Catalog:
    """The options a client can be placed in: every kind but the clubs, which are joined
    beside a placement and read on their own (matcher.matching.clubs)."""
    options = _frame(session, select(*(getattr(Option, c) for c in OPTION_COLUMNS))
                     .where(Option.kind.in_(PLACEMENT_CODES))
                     .order_by(Option.option_id), OPTION_COLUMNS)
    links = _frame(session, select(OptionTrade.option_id, OptionTrade.trade_id,
                                   OptionTrade.position), ["option_id", "trade_id", "position"])
    providers = _frame(session, select(Provider.provider_id, Provider.kind, Provider.name),
                       ["provider_id", "kind", "name"])
    return Catalog(options_frame(options, links, providers))
