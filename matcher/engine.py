"""The matcher: candidates → eligibility → pair features → P(success) → score → suggestions.

A :class:`Matcher` is built once from the store (options, history) and the current model,
and then answers many questions without touching the database: suggestions for a client,
"why not this option?", and the P(success) of every eligible pair of a cohort.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from matcher import reasons as R
from matcher.catalog import Catalog, load_catalog, load_clients, load_placements
from matcher.evidence import EvidenceIndex
from matcher.features import PreparedOptions, WishIndex, client_features, prepare_options
from matcher.outcomes import OutcomeModel, PriorModel, current_model
from matcher.places import PlaceIndex, load_place_index
from matcher.profiles import ClientProfile
from matcher.ranking import Weights, score, top_k_diverse
from matcher.rules import Eligibility, check
from matcher.settings import get_settings
from matcher.trades import load_trade_index

KINDS = ("training", "job", "livelihood")
RULE_COLUMNS = ("kind", "min_age", "max_age", "capacity", "women_only", "sign_language",
                "accepts_records", "hazardous")


@dataclass
class Candidates:
    """The eligible options of one client: catalogue rows, distances, predictions."""

    rows: np.ndarray
    distance_km: np.ndarray
    wish: np.ndarray
    p_success: np.ndarray
    eligibility: Eligibility
    excluded: dict[str, int] = field(default_factory=dict)


@dataclass
class Matcher:
    catalog: Catalog
    model: OutcomeModel | PriorModel
    wish: WishIndex
    prepared: PreparedOptions
    places: PlaceIndex
    evidence: EvidenceIndex
    weights: Weights
    _place_pos: dict[str, int] = field(default_factory=dict)
    _distances: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    _option_place: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _rows_by_place: list[np.ndarray] = field(default_factory=list)
    _arrays: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # All place-to-place distances once (a few hundred places): a client's distances to
        # every option are then one gather, and the options out of reach are never looked at.
        ids = [p.place_id for p in self.places.places()]
        self._place_pos = {pid: i for i, pid in enumerate(ids)}
        self._distances = self.places.distance_matrix(ids, ids)
        self._option_place = np.array(
            [self._place_pos[p] for p in self.catalog.options["place_id"]], dtype=np.int64)
        order = np.argsort(self._option_place, kind="stable")
        bounds = np.searchsorted(self._option_place[order], np.arange(len(ids) + 1))
        self._rows_by_place = [order[bounds[i]:bounds[i + 1]] for i in range(len(ids))]
        self._arrays = {c: self.catalog.options[c].to_numpy() for c in RULE_COLUMNS}

    # --- building -------------------------------------------------------------------------

    @classmethod
    def build(cls, session: Session, *, model_dir: Path | None = None,
              model: OutcomeModel | PriorModel | None = None,
              weights: Weights | None = None) -> Matcher:
        """From the store and the current model (or the given one)."""
        model = model or current_model(model_dir or get_settings().model_dir)
        return cls.from_frames(load_catalog(session), load_placements(session),
                               load_clients(session), model=model, weights=weights)

    @classmethod
    def from_frames(cls, catalog: Catalog, placements: pd.DataFrame, clients: pd.DataFrame, *,
                    model: OutcomeModel | PriorModel, weights: Weights | None = None,
                    wish: WishIndex | None = None) -> Matcher:
        """From frames already loaded (the backtest passes the training part of history)."""
        wish = wish or WishIndex()
        return cls(catalog=catalog, model=model, wish=wish,
                   prepared=prepare_options(catalog.options, wish=wish, context=model.context),
                   places=load_place_index(),
                   evidence=EvidenceIndex.from_history(placements, clients, catalog.options),
                   weights=weights or Weights.from_settings())

    # --- questions ------------------------------------------------------------------------

    def distances_from(self, place_id: str) -> np.ndarray:
        return self._distances[self._place_pos[place_id], self._option_place]

    def candidates(self, client: ClientProfile, *, kind: str | None = None,
                   on: date | None = None) -> Candidates:
        """Every eligible option of ``client`` (of one kind, if given), with P(success)."""
        if kind is not None and kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
        on = on or date.today()
        near, distance = self._within_reach(client)
        pool = len(self.catalog)
        if kind is not None:
            same_kind = self._arrays["kind"][near] == kind
            near, distance = near[same_kind], distance[same_kind]
            pool = int((self._arrays["kind"] == kind).sum())
        result = check(client, {k: v[near] for k, v in self._arrays.items()}, distance, on)
        rows = near[result.eligible]
        feats = client_features(client, self.prepared.take(rows),
                                distance_km=distance[result.eligible], wish=self.wish, on=on)
        p = self.model.predict(feats) if len(rows) else np.zeros(0)
        excluded = {code: int(mask.sum()) for code, mask in result.failed.items() if mask.any()}
        out_of_reach = pool - len(near)
        if out_of_reach:
            excluded["too_far"] = excluded.get("too_far", 0) + out_of_reach
        return Candidates(rows, distance[result.eligible], feats["wish_match"].to_numpy(float),
                          p, result, excluded)

    def _within_reach(self, client: ClientProfile) -> tuple[np.ndarray, np.ndarray]:
        """Catalogue rows in places within the client's travel limit, and their distances."""
        from_here = self._distances[self._place_pos[client.place_id]]
        places = np.flatnonzero(from_here <= client.travel_limit_km)
        rows = np.concatenate([self._rows_by_place[p] for p in places]) if len(places) else (
            np.zeros(0, dtype=np.int64))
        rows.sort()
        return rows, from_here[self._option_place[rows]]

    def suggest(self, client: ClientProfile, *, top: int = 10, kind: str | None = None,
                on: date | None = None) -> dict[str, Any]:
        """Ranked suggestions in the data contract's shape, best first, with their reasons."""
        if top < 1:
            raise ValueError("top must be at least 1")
        c = self.candidates(client, kind=kind, on=on)
        options = self.catalog.options
        total, parts = score(c.p_success, c.wish, c.distance_km, client.travel_limit_km,
                             options["cost_vnd"].to_numpy(float)[c.rows], self.weights)
        providers = options["provider_id"].to_numpy(object)[c.rows]
        chosen = top_k_diverse(total, providers, top, self.weights.max_per_provider)
        wished = self._wish_vector(client)
        entries = [self._entry(client, c, i, total, parts, wished) for i in chosen]
        return {
            "client_id": client.client_id,
            "model_version": self.model.version,
            "prior_only": bool(self.model.is_prior),
            "n_options": len(options),
            "n_eligible": int(len(c.rows)),
            "excluded": c.excluded,
            "suggestions": entries,
        }

    def explain(self, client: ClientProfile, option_id: str, *,
                on: date | None = None) -> dict[str, Any]:
        """Why an option is or is not suggested: the rules it fails, or its score and rank."""
        row = int(self.catalog.rows([option_id])[0])
        on = on or date.today()
        distance = self.distances_from(client.place_id)
        one = {k: v[row:row + 1] for k, v in self._arrays.items()}
        failed = check(client, one, distance[row:row + 1], on).reasons(0)
        answer: dict[str, Any] = {
            "client_id": client.client_id, "option_id": option_id,
            "eligible": not failed, "distance_km": round(float(distance[row]), 1),
            "failed_rules": [R.reason(r.code, r.vi, r.en) for r in failed],
        }
        if not failed:
            c = self.candidates(client, on=on)
            total, _ = score(c.p_success, c.wish, c.distance_km, client.travel_limit_km,
                             self.catalog.options["cost_vnd"].to_numpy(float)[c.rows],
                             self.weights)
            i = int(np.flatnonzero(c.rows == row)[0])
            answer.update(rank=int((total > total[i]).sum()) + 1, n_eligible=len(c.rows),
                          p_success=round(float(c.p_success[i]), 4),
                          score=round(float(total[i]), 4))
        return answer

    # --- one suggestion -------------------------------------------------------------------

    def _entry(self, client: ClientProfile, c: Candidates, i: int, total: np.ndarray,
               parts: dict[str, np.ndarray], wished: np.ndarray) -> dict[str, Any]:
        row = int(c.rows[i])
        option = self.catalog.options.iloc[row]
        trades = load_trade_index()
        trade_list = [trades.get(t) for t in option["trade_ids"]]
        evidence = self.evidence.lookup(client, option)
        wish_trade = trade_list[0] if trade_list else None
        reasons = []
        if self.model.is_prior:
            reasons.append(R.reason("prior_only", self.model.note["vi"], self.model.note["en"]))
        if wish_trade is not None:
            best = self._best_wished_trade(wished, trade_list) or wish_trade
            wr = R.wish_reason(float(c.wish[i]), best.name_vi, best.name_en)
            if wr:
                reasons.append(wr)
        reasons.append(R.distance_reason(float(c.distance_km[i])))
        reasons.append(R.capacity_reason(option["kind"], int(option["capacity"])))
        reasons.extend(R.money_reason(option["kind"], _num(option["cost_vnd"]),
                                      _num(option["wage_vnd_day"])))
        reasons.append(R.evidence_reason(evidence, option["kind"]))
        place = self.places.get(option["place_id"])
        return {
            "option_id": option["option_id"],
            "kind": option["kind"],
            "score": round(float(total[i]), 4),
            "p_success": round(float(c.p_success[i]), 4),
            "reasons": reasons,
            "parts": {k: round(float(v[i]), 4) for k, v in parts.items()},
            "evidence": {"n_similar": evidence.n, "n_success": evidence.successes,
                         "scope": evidence.scope},
            "title": option["title"],
            "provider_id": option["provider_id"],
            "provider_name": option["provider_name"],
            "trades": [{"trade_id": t.trade_id, "vi": t.name_vi, "en": t.name_en}
                       for t in trade_list],
            "place": place.name,
            "distance_km": round(float(c.distance_km[i]), 1),
            "seats_left": int(option["capacity"]),
            "cost_vnd": _int(option["cost_vnd"]),
            "wage_vnd_day": _int(option["wage_vnd_day"]),
            "start_date": _iso(option["start_date"]),
        }

    def _wish_vector(self, client: ClientProfile) -> np.ndarray:
        """The client's credited wishes over the trades, read as the features read them."""
        vectors = [self.wish.credited(self.wish.vectors([text or ""]))[0]
                   for text in (client.interests, client.skills)]
        return np.maximum(*vectors)

    def _best_wished_trade(self, wished: np.ndarray, trade_list):
        """Of an option's trades, the one the client's wishes match best (None: no match)."""
        position = {t: k for k, t in enumerate(self.wish.trade_ids)}
        scored = [(wished[position[t.trade_id]], t) for t in trade_list
                  if t.trade_id in position]
        scored = [s for s in scored if s[0] > 0]
        return max(scored, key=lambda s: s[0])[1] if scored else None


def _num(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _int(value) -> int | None:
    v = _num(value)
    return None if v is None else int(v)


def _iso(value) -> str | None:
    return None if value is None or pd.isna(value) else str(value)[:10]
