"""Support clubs near a client: the short list beside the placements ("Câu lạc bộ gần bạn").

A club is not a placement (matcher.vocab.kinds): nothing scores it, plans it or prices it,
and it never takes a placement's place on the list of suggestions. A client is shown the
clubs that would take them: the rules every option obeys (its ages, women only, a women-only
place for a survivor who needs one, sign language for a deaf client, records, room left,
the client's travel limit) and the groups the club serves. Nearest first; for a deaf client
the clubs that sign come first. The clubs are few (tens), so they are read whole each time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.matching.rules import check
from matcher.store.frames import frame
from matcher.store.profiles import ClientProfile
from matcher.store.tables import Option, Provider
from matcher.vocab.kinds import CLUB_CODES
from matcher.vocab.places import PlaceIndex

SHORT_LIST = 3
CLUB_COLUMNS = ["option_id", "provider_name", "kind", "title", "place_id", "capacity",
                "unlimited", "min_age", "max_age", "women_only", "sign_language",
                "accepts_records", "groups_served"]


@dataclass(frozen=True)
class NearbyClub:
    option_id: str
    title: str
    provider_name: str
    place_id: str
    distance_km: float
    places_left: int | None  # None: the club takes everyone who comes
    women_only: bool
    sign_language: bool
    groups: tuple[str, ...]  # the groups it serves; empty: everyone


def load_clubs(session: Session) -> pd.DataFrame:
    """Every club with its provider's name, one row each, by option id."""
    query = (select(Option.option_id, Provider.name, Option.kind, Option.title, Option.place_id,
                    Option.capacity, Option.unlimited, Option.min_age, Option.max_age,
                    Option.women_only, Option.sign_language, Option.accepts_records,
                    Option.groups_served)
             .join(Provider, Provider.provider_id == Option.provider_id)
             .where(Option.kind.in_(CLUB_CODES)).order_by(Option.option_id))
    return frame(session, query, CLUB_COLUMNS)


def groups_served(text) -> tuple[str, ...]:
    """The codes of a groups_served cell; empty (None, or NaN in a frame): everyone."""
    return tuple(g for g in text.split(",") if g) if isinstance(text, str) else ()


def nearby_clubs(client: ClientProfile, clubs: pd.DataFrame, places: PlaceIndex, *,
                 on: date | None = None, limit: int = SHORT_LIST,
                 leave_out: frozenset[str] = frozenset()) -> list[NearbyClub]:
    """The clubs that would take ``client`` (``leave_out``: the ones already joined)."""
    if clubs.empty or client.place_id not in places:
        return []
    known = np.array([p in places for p in clubs["place_id"]], dtype=bool)
    clubs = clubs[known & ~clubs["option_id"].isin(leave_out).to_numpy()]
    if clubs.empty:
        return []
    distance = places.distance_matrix([client.place_id], clubs["place_id"].tolist())[0]
    unlimited = clubs["unlimited"].astype(bool).to_numpy()
    rules = {
        "kind": clubs["kind"].to_numpy(object),
        "hazardous": np.zeros(len(clubs), dtype=bool),
        "capacity": np.where(unlimited, np.inf, clubs["capacity"].to_numpy(float)),
        "min_age": pd.to_numeric(clubs["min_age"], errors="coerce").to_numpy(float),
        "max_age": pd.to_numeric(clubs["max_age"], errors="coerce").to_numpy(float),
        **{c: clubs[c].astype(bool).to_numpy()
           for c in ("women_only", "sign_language", "accepts_records")},
    }
    ok = check(client, rules, distance, on).eligible
    groups = [groups_served(g) for g in clubs["groups_served"]]
    ok &= np.array([not g or str(client.group) in g for g in groups], dtype=bool)
    signs_first = (~rules["sign_language"]) if client.disability == "deaf" else np.zeros(len(ok))
    order = np.lexsort((clubs["option_id"].to_numpy(), distance, signs_first))
    chosen = [i for i in order if ok[i]][:limit]
    rows = clubs.to_dict("records")
    return [NearbyClub(
        option_id=rows[i]["option_id"], title=rows[i]["title"],
        provider_name=rows[i]["provider_name"], place_id=rows[i]["place_id"],
        distance_km=round(float(distance[i]), 1),
        places_left=None if unlimited[i] else int(rows[i]["capacity"]),
        women_only=bool(rows[i]["women_only"]), sign_language=bool(rows[i]["sign_language"]),
        groups=groups[i]) for i in chosen]


__all__ = ["CLUB_COLUMNS", "SHORT_LIST", "NearbyClub", "groups_served", "load_clubs",
           "nearby_clubs"]
