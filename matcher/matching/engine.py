"""The matcher: candidates → eligibility → pair features → P(success) → score → suggestions.

A :class:`Matcher` is built once from the store (options, history) and the current model,
and then answers many questions without touching the database: suggestions for a client,
"why not this option?", and the P(success) of every eligible pair of a cohort.

A cohort is scored in batches (:meth:`Matcher.cohort_candidates`): the pairs within reach
of every client of a chunk are listed at once, the rules run over all of them, the features
of the eligible ones are built in one pass and the model predicts them in one call, so that
the per-call costs are paid per chunk rather than per client. The numbers are the ones
:meth:`Matcher.candidates` gives a single client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from matcher.matching import reasons as R
from matcher.matching.evidence import EvidenceIndex
from matcher.matching.ranking import Weights, score, top_k_diverse
from matcher.matching.rules import Eligibility, PairClients, check, eligible_pairs
from matcher.matching.seat_prices import SHOWN_FROM, SeatPrices, advise
from matcher.outcomes import OutcomeModel, PriorModel, current_model
from matcher.outcomes.features import (
    ClientSide,
    PreparedOptions,
    WishIndex,
    client_features,
    describe_client,
    describe_clients,
    pair_features,
    pair_side,
    prepare_options,
)
from matcher.outcomes.split import SplitScorer
from matcher.settings import get_settings
from matcher.store.catalog import Catalog, load_catalog
from matcher.store.frames import load_clients, load_placements
from matcher.store.profiles import ClientProfile, profiles_frame
from matcher.vocab import kinds as kind_table
from matcher.vocab.places import PlaceIndex, load_place_index
from matcher.vocab.trades import load_trade_index
from matcher.vocab.wishes import shared_wish_index

KINDS = kind_table.PLACEMENT_CODES
RULE_COLUMNS = ("kind", "min_age", "max_age", "capacity", "women_only", "sign_language",
                "accepts_records", "hazardous")
#: Pairs within reach listed at once when scoring a cohort, and rows per model call: a
#: chunk's arrays and feature frame stay within a few hundred MB.
CHUNK_PAIRS = 1_000_000
PREDICT_ROWS = 200_000
#: With ``max_options``, a client's candidates are first sought among the options of the
#: nearest places holding this many options per one kept.
REACH_PER_KEPT = 4


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
class CohortCandidates:
    """The eligible options of every client of a cohort, as aligned arrays.

    Pair k is client ``client[k]`` (a position in the cohort's list) with catalogue row
    ``rows[k]``; pairs are sorted by client, then by catalogue row, as
    :meth:`Matcher.candidates` lists one client's.
    """

    client: np.ndarray
    rows: np.ndarray
    distance_km: np.ndarray
    wish: np.ndarray
    p_success: np.ndarray
    n_clients: int

    def __len__(self) -> int:
        return len(self.client)

    def of(self, i: int) -> slice:
        """The pairs of client ``i``."""
        lo, hi = np.searchsorted(self.client, [i, i + 1])
        return slice(int(lo), int(hi))


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
    _records: list[dict[str, Any]] | None = None
    _trade_index: Any = None
    # (scorer, kinds, each option's kind code, each option's part): see _split_scores
    _option_scores: tuple[SplitScorer, list[str], np.ndarray, np.ndarray] | None = field(
        default=None, init=False, repr=False)
    #: the seat pricing's scored pairs per client profile (matcher.pricing.prices)
    pricing_pairs: dict = field(default_factory=dict, init=False, repr=False)

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
        self._by_place = order
        self._place_start = bounds[:-1]
        self._place_size = np.diff(bounds)
        self._arrays = {c: self.catalog.options[c].to_numpy() for c in RULE_COLUMNS}
        for c in ("min_age", "max_age", "capacity"):  # numbers once, not per question
            self._arrays[c] = pd.to_numeric(self.catalog.options[c], errors="coerce") \
                .to_numpy(float)

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
        wish = wish or shared_wish_index()
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
        split = getattr(self.model, "split", None)
        if split is not None:
            wish, p = self._split_scores(split, describe_client(client, self.wish), on,
                                         np.zeros(len(rows), dtype=np.intp), rows,
                                         distance[result.eligible])
        else:
            feats = client_features(client, self.prepared.take(rows),
                                    distance_km=distance[result.eligible], wish=self.wish,
                                    on=on)
            wish = feats["wish_match"].to_numpy(float)
            p = self.model.predict(feats) if len(rows) else np.zeros(0)
        excluded = {code: int(mask.sum()) for code, mask in result.failed.items() if mask.any()}
        out_of_reach = pool - len(near)
        if out_of_reach:
            excluded["too_far"] = excluded.get("too_far", 0) + out_of_reach
        return Candidates(rows, distance[result.eligible], wish, p, result, excluded)

    def cohort_candidates(self, clients: list[ClientProfile], *, on: date | None = None,
                          max_options: int | None = None) -> CohortCandidates:
        """Every eligible option of every client of a cohort, with P(success), in batches.

        The same pairs and numbers as :meth:`candidates` for each client, computed a chunk
        of clients at a time.

        Parameters
        ----------
        clients : list of ClientProfile
        on : date, optional
            The day ages are counted on (today by default).
        max_options : int, optional
            Keep at most this many options per client, those with the highest P(success):
            for cohorts too large to list every pair within reach (100,000 clients over
            20,000 options is 100 million pairs). The candidates are then sought first in
            the nearest places holding ``REACH_PER_KEPT × max_options`` options, and within
            the client's whole reach only for the clients who find fewer than
            ``max_options`` eligible there. None (the default): every eligible option.

        Returns
        -------
        CohortCandidates
        """
        if max_options is not None and max_options < 1:
            raise ValueError(f"max_options must be at least 1, not {max_options}")
        on = on or date.today()
        place = np.array([self._place_pos[c.place_id] for c in clients], dtype=np.intp)
        limit = np.array([c.travel_limit_km for c in clients], dtype=float)
        people = _Cohort(clients, place, np.array([c.age(on) for c in clients], dtype=float),
                         PairClients.of(clients), profiles_frame(clients))
        everyone = np.arange(len(clients))
        if max_options is None:
            return self._cohort_pass(people, everyone, limit, on)[0]
        near = np.minimum(limit, self._radius(REACH_PER_KEPT * max_options)[place])
        first, found = self._cohort_pass(people, everyone, near, on, keep=max_options)
        again = everyone[(found < max_options) & (near < limit)]
        if len(again):
            second, _ = self._cohort_pass(people, again, limit, on, keep=max_options)
            first = _concat([_select(first, ~np.isin(first.client, again)), second],
                            len(clients))
        return first

    def _radius(self, n_options: int) -> np.ndarray:
        """Per place, the distance within which at least ``n_options`` options lie (inf if
        the whole catalogue has fewer)."""
        order = np.argsort(self._distances, axis=1, kind="stable")
        sorted_km = np.take_along_axis(self._distances, order, axis=1)
        counts = np.cumsum(self._place_size[order], axis=1)
        enough = counts >= n_options
        first = np.argmax(enough, axis=1)
        radius = sorted_km[np.arange(len(first)), first]
        return np.where(enough.any(axis=1), radius, np.inf)

    def _cohort_pass(self, people: _Cohort, who: np.ndarray, reach: np.ndarray, on: date,
                     keep: int | None = None) -> tuple[CohortCandidates, np.ndarray]:
        """Candidates of the clients ``who`` (cohort positions, ascending), each within
        ``reach[i]`` km of home (``reach`` is indexed by cohort position); with ``keep``,
        only each client's ``keep`` best. Also returns how many eligible options each client
        of the cohort has within that reach (0 for those not in ``who``)."""
        within = self._distances[people.place[who]] <= reach[who, None]  # clients × places
        listed = np.cumsum(within @ self._place_size)
        parts = []
        found = np.zeros(len(people.clients), dtype=np.int64)
        start = 0
        while start < len(who):
            # Clients whose pairs within reach add up to about CHUNK_PAIRS (one at least).
            before = listed[start - 1] if start else 0
            stop = max(start + 1, int(np.searchsorted(listed, before + CHUNK_PAIRS, "right")))
            part = self._cohort_chunk(people, who[start:stop], within[start:stop], on)
            found += np.bincount(part.client, minlength=len(found))
            parts.append(part if keep is None else _best_per_client(part, keep))
            start = stop
        return _concat(parts, len(people.clients)), found

    def _cohort_chunk(self, people: _Cohort, who: np.ndarray, within: np.ndarray,
                      on: date) -> CohortCandidates:
        local, place = np.nonzero(within)
        size = self._place_size[place]
        pair_local = np.repeat(local, size)
        offset = np.arange(len(pair_local)) - np.repeat(np.cumsum(size) - size, size)
        rows = self._by_place[np.repeat(self._place_start[place], size) + offset]
        # By client, then catalogue row, as one client's candidates are listed.
        key = np.sort(pair_local.astype(np.int64) * len(self.catalog) + rows)
        pair_local, rows = np.divmod(key, len(self.catalog))
        client = who[pair_local]
        distance = self._distances[people.place[client], self._option_place[rows]]
        ok = eligible_pairs(people.rules.take(client),
                            {k: v[rows] for k, v in self._arrays.items()},
                            distance, people.age[client])
        client, pair_local, rows, distance = client[ok], pair_local[ok], rows[ok], distance[ok]
        frame = people.frame.iloc[who].reset_index(drop=True)
        split = getattr(self.model, "split", None)
        if split is not None:
            wish, p = self._split_scores(split, describe_clients(frame, self.wish), on,
                                         pair_local, rows, distance)
            return CohortCandidates(client, rows, distance, wish, p, len(people.clients))
        wish = np.empty(len(rows))
        p = np.empty(len(rows))
        for lo in range(0, len(rows), PREDICT_ROWS):
            part = slice(lo, lo + PREDICT_ROWS)
            feats = pair_features(frame, self.prepared.take(rows[part]),
                                  distance_km=distance[part], wish=self.wish, on=on,
                                  client_rows=pair_local[part])
            wish[part] = feats["wish_match"].to_numpy(float)
            p[part] = self.model.predict(feats)
        return CohortCandidates(client, rows, distance, wish, p, len(people.clients))

    def _split_scores(self, split: SplitScorer, side: ClientSide, on: date,
                      pair_local: np.ndarray, rows: np.ndarray,
                      distance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Wish match and P(success) of pairs (client ``pair_local[i]`` of ``side``,
        catalogue row ``rows[i]``) from the model's per-client, per-option and per-pair
        parts: only the last is computed pair by pair."""
        if self._option_scores is None or self._option_scores[0] is not split:
            kinds, code = np.unique(self.prepared.columns["kind"].astype(str),
                                    return_inverse=True)
            self._option_scores = (split, list(kinds), code,
                                   split.option_part(self.prepared.columns))
        _, kinds, kind_code, option_part = self._option_scores
        client_columns = {**side.columns, "age": side.ages(on)}
        client_part = split.client_part(client_columns, kinds)
        wish = np.empty(len(rows))
        p = np.empty(len(rows))
        for lo in range(0, len(rows), PREDICT_ROWS):
            part = slice(lo, lo + PREDICT_ROWS)
            who, opt = pair_local[part], rows[part]
            pair = pair_side(side, self.prepared, opt, who, distance[part])
            pair.update(age=client_columns["age"][who],
                        max_travel_km=client_columns["max_travel_km"][who],
                        kind=self.prepared.columns["kind"][opt])
            raw = client_part[who, kind_code[opt]] + option_part[opt] \
                + split.pair_part(pair, len(opt))
            wish[part] = pair["wish_match"]
            p[part] = split.probability(raw)
        return wish, p

    def _within_reach(self, client: ClientProfile) -> tuple[np.ndarray, np.ndarray]:
        """Catalogue rows in places within the client's travel limit, and their distances."""
        from_here = self._distances[self._place_pos[client.place_id]]
        places = np.flatnonzero(from_here <= client.travel_limit_km)
        rows = np.concatenate([self._rows_by_place[p] for p in places]) if len(places) else (
            np.zeros(0, dtype=np.int64))
        rows.sort()
        return rows, from_here[self._option_place[rows]]

    def suggest(self, client: ClientProfile, *, top: int = 10, kind: str | None = None,
                on: date | None = None, prices: SeatPrices | None = None) -> dict[str, Any]:
        """Ranked suggestions in the data contract's shape, best first, with their reasons.

        With ``prices``, each option is ranked by its score net of its seat price (the
        score's ``seat`` part); no eligible option is removed.
        """
        if top < 1:
            raise ValueError("top must be at least 1")
        c = self.candidates(client, kind=kind, on=on)
        total, parts, seat = self._scores(client, c, prices)
        providers = self.catalog.options["provider_id"].to_numpy(object)[c.rows]
        chosen = top_k_diverse(total, providers, top, self.weights.max_per_provider)
        wished = self._wish_vector(client)
        entries = [self._entry(client, c, i, total, parts, wished, prices) for i in chosen]
        return {
            "client_id": client.client_id,
            "model_version": self.model.version,
            "prior_only": bool(self.model.is_prior),
            "n_options": len(self.catalog),
            "n_eligible": int(len(c.rows)),
            "excluded": c.excluded,
            "pricing": advise((prices or SeatPrices.none(0, "off")).summary(),
                              c.p_success, seat),
            "suggestions": entries,
            "travel_limit_km": client.travel_limit_km,
            "beyond_reach": [] if len(c.rows) else self.beyond_reach(client, kind=kind, on=on),
        }

    def beyond_reach(self, client: ClientProfile, *, kind: str | None = None,
                     on: date | None = None, n: int = 5) -> list[dict[str, Any]]:
        """The ``n`` nearest options beyond the client's travel limit that every other rule
        allows (of one kind, if given), nearest first: what to offer when nothing is within
        reach. An option with no seat left is not one of them."""
        if kind is not None and kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
        if n < 1:
            raise ValueError("n must be at least 1")
        distance = self.distances_from(client.place_id)
        far = distance > client.travel_limit_km
        if kind is not None:
            far &= self._arrays["kind"] == kind
        rows = np.flatnonzero(far)
        result = check(client, {k: v[rows] for k, v in self._arrays.items()}, distance[rows],
                       on or date.today())
        allowed = np.ones(len(rows), dtype=bool)
        for code, mask in result.failed.items():
            if code != "too_far":
                allowed &= ~mask
        rows = rows[allowed]
        nearest = rows[np.argsort(distance[rows], kind="stable")[:n]]  # ties: catalogue order
        return [self._far_entry(int(row), float(distance[row])) for row in nearest]

    def _scores(self, client: ClientProfile, c: Candidates, prices: SeatPrices | None
                ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray | None]:
        """The score of each candidate and its parts; with prices, net of the seat's price,
        and each candidate's seat price as this client sees it (None without prices)."""
        total, parts = score(c.p_success, c.wish, c.distance_km, client.travel_limit_km,
                             self.catalog.options["cost_vnd"].to_numpy(float)[c.rows],
                             self.weights)
        if prices is None or not prices.active:
            return total, parts, None
        ids = self.catalog.options["option_id"].to_numpy(object)[c.rows]
        seat = prices.for_client(c.rows, ids, client.client_id)
        parts["seat"] = -self.weights.success * seat
        return total + parts["seat"], parts, seat

    def explain(self, client: ClientProfile, option_id: str, *,
                on: date | None = None, prices: SeatPrices | None = None) -> dict[str, Any]:
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
            total, parts, _ = self._scores(client, c, prices)
            hit = np.flatnonzero(c.rows == row)
            if len(hit) == 0:
                # The seats changed between the two looks (the API reloads them while other
                # requests run): answer from the newer state.
                failed = check(client, {k: v[row:row + 1] for k, v in self._arrays.items()},
                               distance[row:row + 1], on).reasons(0)
                answer.update(eligible=not failed,
                              failed_rules=[R.reason(r.code, r.vi, r.en) for r in failed])
                return answer
            i = int(hit[0])
            answer.update(rank=int((total > total[i]).sum()) + 1, n_eligible=len(c.rows),
                          p_success=round(float(c.p_success[i]), 4),
                          score=round(float(total[i]), 4))
            if "seat" in parts:
                # The rank the price moved: where it would stand if nobody else waited.
                plain = total - parts["seat"]
                answer.update(seat_price=round(float(-parts["seat"][i]), 4),
                              rank_without_price=int((plain > plain[i]).sum()) + 1,
                              contenders=prices.contenders(option_id, client.client_id))
        return answer

    # --- one suggestion -------------------------------------------------------------------

    def _entry(self, client: ClientProfile, c: Candidates, i: int, total: np.ndarray,
               parts: dict[str, np.ndarray], wished: np.ndarray,
               prices: SeatPrices | None = None) -> dict[str, Any]:
        row = int(c.rows[i])
        option = self._record(row)
        trades = self._trades()
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
        seat_price = float(-parts["seat"][i]) if "seat" in parts else 0.0
        if seat_price >= SHOWN_FROM:
            reasons.append(R.contested_reason(
                option["kind"], int(option["capacity"]),
                prices.contenders(option["option_id"], client.client_id)))
        else:
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
            "seat_price": round(seat_price, 4),
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

    def _far_entry(self, row: int, distance_km: float) -> dict[str, Any]:
        option = self._record(row)
        return {
            "option_id": option["option_id"],
            "title": option["title"],
            "provider_name": option["provider_name"],
            "kind": option["kind"],
            "place": self.places.get(option["place_id"]).name,
            "distance_km": round(distance_km, 1),
            "seats_left": int(option["capacity"]),
        }

    def warm(self) -> None:
        """Build what the first suggestion would otherwise build (rows as dicts, trades)."""
        self._trades()
        if len(self.catalog):
            self._record(0)

    def _trades(self):
        """The trade index, looked up once (its loader resolves a path on every call)."""
        if self._trade_index is None:
            self._trade_index = load_trade_index()
        return self._trade_index

    def _record(self, row: int) -> dict[str, Any]:
        """One catalogue row as a dict (a pandas row lookup costs ~0.3 ms; a list, nothing),
        with the seats as they are now (the API reloads them in place)."""
        if self._records is None:
            self._records = self.catalog.options.to_dict("records")
        return {**self._records[row], "capacity": int(self._arrays["capacity"][row])}

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


@dataclass(frozen=True)
class _Cohort:
    """What the batches of a cohort read about its clients, computed once."""

    clients: list[ClientProfile]
    place: np.ndarray  # position of each client's place in the distance matrix
    age: np.ndarray  # whole years, as the rules count them
    rules: PairClients
    frame: pd.DataFrame  # as the features read it


def _select(c: CohortCandidates, keep: np.ndarray) -> CohortCandidates:
    return CohortCandidates(c.client[keep], c.rows[keep], c.distance_km[keep], c.wish[keep],
                            c.p_success[keep], c.n_clients)


def _concat(parts: list[CohortCandidates], n_clients: int) -> CohortCandidates:
    """Parts with disjoint clients as one list, sorted by client, then catalogue row."""
    if not parts:
        empty = np.zeros(0)
        return CohortCandidates(np.zeros(0, np.intp), np.zeros(0, np.intp), empty, empty,
                                empty, n_clients)
    joined = CohortCandidates(
        *(np.concatenate([getattr(p, f) for p in parts])
          for f in ("client", "rows", "distance_km", "wish", "p_success")), n_clients)
    filled = [p.client for p in parts if len(p)]
    if all(a[-1] < b[0] for a, b in zip(filled, filled[1:], strict=False)):  # in order
        return joined
    return _select(joined, np.lexsort((joined.rows, joined.client)))


def _best_per_client(c: CohortCandidates, k: int) -> CohortCandidates:
    """Each client's ``k`` pairs of highest P(success) (ties: the lower catalogue row).

    ``c`` is sorted by client, then row: one stable sort by client, then descending P.
    """
    if not len(c):
        return c
    rank = np.cumsum(np.r_[0, np.diff(c.client) != 0])  # 0, 1, ... per client
    # rank - P/2 sorts by client, then by descending P (P/2 < 1: no client overtakes another)
    order = np.argsort(rank - 0.5 * c.p_success, kind="stable")
    first = np.searchsorted(rank[order], rank[order])  # where each client's block starts
    kept = np.sort(order[np.arange(len(order)) - first < k])
    return _select(c, kept)


def _num(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _int(value) -> int | None:
    v = _num(value)
    return None if v is None else int(v)


def _iso(value) -> str | None:
    return None if value is None or pd.isna(value) else str(value)[:10]
