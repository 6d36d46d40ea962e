"""The training rows: past placements with a known outcome, joined to client and option.

A placement counts when its outcome is known: ``success`` 1 or 0 at follow-up, or dropped out
(which is a failure whatever ``success`` says). An ongoing placement without an outcome is
left out: it has not had its six months yet.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from matcher.outcomes.features import FEATURES, area_keys, pair_features, prepare_options
from matcher.outcomes.provider_stats import FeatureContext
from matcher.store.catalog import load_catalog
from matcher.store.frames import load_clients, load_placements
from matcher.vocab.places import PlaceIndex, load_place_index
from matcher.vocab.wishes import WishIndex, shared_wish_index


@dataclass
class TrainingSet:
    """One row per placement with a known outcome, in start-date order.

    ``features`` has every column of :data:`matcher.outcomes.features.FEATURES`; its provider and
    area-rate columns are placeholders (NaN) until the fit fills them out of fold, from
    ``provider_ids`` and ``area_keys`` (:func:`matcher.outcomes.features.area_keys`).
    """

    features: pd.DataFrame
    y: np.ndarray
    client_ids: np.ndarray
    provider_ids: np.ndarray
    start_dates: np.ndarray  # datetime64[D]
    placement_ids: np.ndarray
    area_keys: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    @property
    def n_clients(self) -> int:
        return int(pd.unique(self.client_ids).size)

    def subset(self, rows: np.ndarray) -> TrainingSet:
        """The rows selected by a boolean mask or positions (e.g. some clients only)."""
        return TrainingSet(
            features=self.features.iloc[rows].reset_index(drop=True),
            y=self.y[rows], client_ids=self.client_ids[rows],
            provider_ids=self.provider_ids[rows], start_dates=self.start_dates[rows],
            placement_ids=self.placement_ids[rows], area_keys=self.area_keys[rows])

    def features_with(self, context: FeatureContext) -> pd.DataFrame:
        """The features with provider and area rates from ``context``, as a model sees them."""
        rate, n = context.provider_features(self.provider_ids)
        area_rate, _ = context.area_features(self.area_keys)
        return self.features.assign(provider_rate_shrunk=rate, provider_n_log=np.log1p(n),
                                    area_rate_shrunk=area_rate)

    def data_hash(self) -> str:
        """sha256 of the training rows (ids, dates, outcome and every feature)."""
        frame = self.features.assign(
            _placement=self.placement_ids, _client=self.client_ids,
            _provider=self.provider_ids, _start=self.start_dates.astype(str), _y=self.y,
            _area=self.area_keys)
        rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        digest = hashlib.sha256(np.ascontiguousarray(rows).tobytes())
        digest.update(",".join(frame.columns).encode())
        return digest.hexdigest()


def outcome_labels(placements: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(mask of placements with a known outcome, their 0/1 outcome) for a placements frame."""
    status = placements["status"].astype(object).to_numpy()
    success = placements["success"].astype(object)
    known = success.notna().to_numpy()
    dropped = status == "dropped"
    mask = known | dropped
    y = np.where(dropped, 0, success.where(success.notna(), False).astype(bool).to_numpy())
    return mask, y[mask].astype(int)


def load_training_set(session: Session, *, wish: WishIndex | None = None,
                      places: PlaceIndex | None = None) -> TrainingSet:
    """The training rows of the store behind ``session``; empty when nothing has an outcome."""
    return build_training_set(load_placements(session), load_clients(session),
                              load_catalog(session).options, wish=wish, places=places)


def build_training_set(placements: pd.DataFrame, clients: pd.DataFrame, options: pd.DataFrame,
                       *, wish: WishIndex | None = None,
                       places: PlaceIndex | None = None) -> TrainingSet:
    """Join labelled placements to their clients (catalog.CLIENT_COLUMNS) and options.

    Parameters
    ----------
    placements : DataFrame
        catalog.PLACEMENT_COLUMNS; rows without a known outcome are dropped here.
    clients, options : DataFrame
        Every client and option the placements refer to (catalogue options frame).
    wish : WishIndex, optional
    places : PlaceIndex, optional

    Returns
    -------
    TrainingSet
    """
    wish = wish or shared_wish_index()
    places = places or load_place_index()
    mask, y = outcome_labels(placements)
    done = placements.loc[mask].reset_index(drop=True)
    ci = pd.Index(clients["client_id"].astype(object)).get_indexer(done["client_id"])
    oi = pd.Index(options["option_id"].astype(object)).get_indexer(done["option_id"])
    if (ci < 0).any() or (oi < 0).any():
        bad = done.loc[(ci < 0) | (oi < 0), "placement_id"].iloc[0]
        raise ValueError(f"placement {bad} refers to a client or option that is not stored")
    pair_clients = clients.iloc[ci].reset_index(drop=True)
    prepared = prepare_options(options, wish=wish, context=FeatureContext.empty())
    distance = _distances(places, clients["place_id"].to_numpy(object)[ci],
                          options["place_id"].to_numpy(object)[oi])
    start = pd.to_datetime(done["start_date"]).to_numpy("datetime64[D]")
    taken = prepared.take(oi)
    features = pair_features(pair_clients, taken, distance_km=distance, wish=wish,
                             on=start) if len(done) else _empty_features()
    return TrainingSet(
        features=features,
        y=y,
        client_ids=done["client_id"].to_numpy(object),
        provider_ids=options["provider_id"].to_numpy(object)[oi],
        start_dates=start,
        placement_ids=done["placement_id"].to_numpy(object),
        area_keys=area_keys(taken, pair_clients["place_id"].to_numpy(object)),
    )


def _distances(places: PlaceIndex, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # Few distinct places (a province's 54 units and their former names): one small matrix,
    # then a gather per pair.
    ca, ua = pd.factorize(pd.Series(a, dtype=object))
    cb, ub = pd.factorize(pd.Series(b, dtype=object))
    if not len(ca):
        return np.zeros(0)
    return places.distance_matrix(list(ua), list(ub))[ca, cb]


def _empty_features() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in FEATURES})
