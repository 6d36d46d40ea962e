"""What the engine reads from the store, as column-oriented frames.

The engine scores many options at once (one vectorised call per client), so options,
clients and the placement history are loaded into pandas frames with one row each, in a
fixed order, with the trade attributes the rules and the features need already joined.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.profiles import ClientProfile
from matcher.store.tables import Client, FollowUp, Option, OptionTrade, Placement, Provider
from matcher.trades import load_trade_index

OPTION_COLUMNS = [
    "option_id", "provider_id", "kind", "title", "place_id", "capacity", "min_age", "max_age",
    "cost_vnd", "wage_vnd_day", "duration_weeks", "women_only", "sign_language",
    "accepts_records", "start_date", "version", "updated_at",
]
CLIENT_COLUMNS = [
    "client_id", "full_name", "birth_date", "gender", "group_code", "place_id", "education",
    "disability", "interests", "skills", "max_travel_km", "needs_women_only", "household_poor",
    "ethnic_minority", "married", "prior_income_vnd_month", "consent_share", "registered_on",
]
PLACEMENT_COLUMNS = [
    "placement_id", "client_id", "option_id", "start_date", "status", "success",
    "income_vnd_day", "followed_up_on",
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
    options = _frame(session, select(*(getattr(Option, c) for c in OPTION_COLUMNS))
                     .order_by(Option.option_id), OPTION_COLUMNS)
    links = _frame(session, select(OptionTrade.option_id, OptionTrade.trade_id,
                                   OptionTrade.position), ["option_id", "trade_id", "position"])
    providers = _frame(session, select(Provider.provider_id, Provider.kind, Provider.name),
                       ["provider_id", "kind", "name"])
    return Catalog(options_frame(options, links, providers))


def load_clients(session: Session, client_ids: list[str] | None = None) -> pd.DataFrame:
    query = select(*(getattr(Client, c) for c in CLIENT_COLUMNS)).order_by(Client.client_id)
    if client_ids is not None:
        query = query.where(Client.client_id.in_(client_ids))
    return _frame(session, query, CLIENT_COLUMNS)


def load_profile(session: Session, client_id: str) -> ClientProfile:
    """A stored client's profile; KeyError when there is none."""
    row = session.get(Client, client_id)
    if row is None:
        raise KeyError(f"unknown client {client_id}")
    return ClientProfile.from_record(row)


def load_placements(session: Session) -> pd.DataFrame:
    return _frame(session, select(*(getattr(Placement, c) for c in PLACEMENT_COLUMNS))
                  .order_by(Placement.start_date, Placement.placement_id), PLACEMENT_COLUMNS)


def load_followups(session: Session) -> pd.DataFrame:
    cols = ["client_id", "followed_up_on", "earning", "income_vnd_day"]
    return _frame(session, select(*(getattr(FollowUp, c) for c in cols)), cols)


def _frame(session: Session, query, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(session.execute(query).all(), columns=columns)
