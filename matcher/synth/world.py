"""Build the synthetic world, write it in the data contract, read it back."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import truth as T
from .catalogue import Places, Trades, load_places, load_trades
from .clubs import club_frames
from .history import FOLLOW_UP_DAYS, KIND_PREFERENCE, POLICY, make_events, select_placed
from .population import DISABILITY, EDUCATION, People, make_people, numbered
from .supply import PROVIDER_KINDS, Supply, local_supply, make_supply, trade_demand

# The contract's columns, in the contract's order (docs/design.md, "The data contract").
COLUMNS: dict[str, tuple[str, ...]] = {
    "clients": (
        "client_id", "full_name", "birth_date", "gender", "group", "place", "education",
        "disability", "interests", "skills", "max_travel_km", "needs_women_only",
        "household_poor", "ethnic_minority", "married", "prior_income_vnd_month",
        "consent_share", "registered_on",
    ),
    "providers": ("provider_id", "name", "kind", "place", "phone"),
    "options": (
        "option_id", "provider_id", "kind", "title", "trades", "place", "capacity", "min_age",
        "max_age", "cost_vnd", "wage_vnd_day", "duration_weeks", "women_only", "sign_language",
        "accepts_records", "start_date", "groups_served",
    ),
    "placements": (
        "placement_id", "client_id", "option_id", "start_date", "status", "success",
        "income_vnd_day", "followed_up_on",
    ),
    "followups": ("client_id", "followed_up_on", "earning", "income_vnd_day"),
}
AS_OF = "2026-10-01"
FOLLOW_UP_JITTER_DAYS = 30
EVENT_SURPLUS = 1.04  # events drawn beyond n_placements, for those that find no option


@dataclass
class World:
    """The five contract files as text frames ("" for unknown) and the ground truth.

    ``providers`` and ``options`` are the placements' (the truth speaks of them); the clubs
    (not placements, matcher.synth.clubs) are kept apart and join them in :meth:`frames`.
    """

    clients: pd.DataFrame
    providers: pd.DataFrame
    options: pd.DataFrame
    placements: pd.DataFrame
    followups: pd.DataFrame
    truth: dict = field(repr=False)
    club_providers: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    clubs: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def frames(self) -> dict[str, pd.DataFrame]:
        """The five files, clubs included."""
        out = {name: getattr(self, name) for name in COLUMNS}
        if not self.clubs.empty:
            out["providers"] = pd.concat([self.providers, self.club_providers],
                                         ignore_index=True)
            out["options"] = pd.concat([self.options, self.clubs], ignore_index=True)
        return out


# --- text helpers ---------------------------------------------------------------------------


def _int_text(values: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    out = np.asarray(values).astype(np.int64).astype(str).astype(object)
    if missing is not None:
        out[missing] = ""
    return out


def _flag_text(values: np.ndarray) -> np.ndarray:
    return np.where(values, "1", "0").astype(object)


def _date_text(values: np.ndarray) -> np.ndarray:
    out = np.datetime_as_string(values.astype("datetime64[D]"), unit="D").astype(object)
    out[np.isnat(values)] = ""
    return out


def _frame(kind: str, columns: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame({c: columns[c] for c in COLUMNS[kind]})
    return frame.astype(str)


def _place_text(rng: np.random.Generator, places: Places, place: np.ndarray) -> np.ndarray:
    """Free text as social workers write it; every alias resolves back (catalogue.py)."""
    out = np.empty(len(place), dtype=object)
    for p in np.unique(place):
        rows = np.flatnonzero(place == p)
        pick = rng.choice(len(places.aliases[p]), size=len(rows), p=places.alias_p[p])
        out[rows] = np.asarray(places.aliases[p], dtype=object)[pick]
    return out


def _trade_text(rng: np.random.Generator, trades: Trades, trade: np.ndarray) -> np.ndarray:
    # The catalogue name half of the time, otherwise any synonym that round-trips.
    use_name = rng.random(len(trade)) < 0.5
    u = rng.random(len(trade))
    out = np.empty(len(trade), dtype=object)
    for k, t in enumerate(trade):
        names = trades.column_aliases[t]
        out[k] = trades.name[t] if use_name[k] else names[int(u[k] * len(names))]
    return out


# --- the contract frames ------------------------------------------------------------------


def clients_frame(rng: np.random.Generator, people: People, places: Places) -> pd.DataFrame:
    gender = np.where(people.female, "female", np.where(people.other_gender, "other", "male"))
    education = np.asarray(EDUCATION, dtype=object)[np.maximum(people.education, 0)]
    education[people.education < 0] = ""
    return _frame("clients", {
        "client_id": people.ids,
        "full_name": people.names,
        "birth_date": _date_text(people.birth),
        "gender": gender,
        "group": np.asarray(T.GROUPS)[people.group],
        "place": _place_text(rng, places, people.place),
        "education": education,
        "disability": np.asarray(DISABILITY)[people.disability],
        "interests": people.interests,
        "skills": people.skills_text,
        "max_travel_km": _int_text(people.travel_km),
        "needs_women_only": _flag_text(people.needs_women_only),
        "household_poor": _flag_text(people.poor),
        "ethnic_minority": _flag_text(people.minority),
        "married": _flag_text(people.married),
        "prior_income_vnd_month": _int_text(people.prior_income, people.prior_income < 0),
        "consent_share": _flag_text(people.consent),
        "registered_on": _date_text(people.registered),
    })


def providers_frame(rng: np.random.Generator, supply: Supply, places: Places) -> pd.DataFrame:
    return _frame("providers", {
        "provider_id": supply.provider_ids,
        "name": supply.provider_names,
        "kind": np.asarray(PROVIDER_KINDS)[supply.provider_kind],
        "place": _place_text(rng, places, supply.provider_place),
        "phone": supply.provider_phones,
    })


def options_frame(rng: np.random.Generator, supply: Supply, places: Places,
                  trades: Trades) -> pd.DataFrame:
    first = _trade_text(rng, trades, supply.trade1)
    second = _trade_text(rng, trades, np.maximum(supply.trade2, 0))
    cell = np.where(supply.trade2 >= 0, first + "; " + second, first)
    return _frame("options", {
        "option_id": supply.option_ids,
        "provider_id": np.asarray(supply.provider_ids, dtype=object)[supply.provider],
        "kind": np.asarray(T.KINDS)[supply.kind],
        "title": supply.titles,
        "trades": cell,
        "place": _place_text(rng, places, supply.place),
        "capacity": _int_text(supply.capacity),
        "min_age": _int_text(supply.min_age),
        "max_age": _int_text(supply.max_age, supply.max_age < 0),
        "cost_vnd": _int_text(supply.cost),
        "wage_vnd_day": _int_text(supply.wage),
        "duration_weeks": _int_text(supply.duration, supply.duration < 0),
        "women_only": _flag_text(supply.women_only),
        "sign_language": _flag_text(supply.sign_language),
        "accepts_records": _flag_text(supply.accepts_records),
        "start_date": _date_text(supply.start),
        "groups_served": "",
    })


# --- the truth ------------------------------------------------------------------------------


def _trade_list(trades: Trades, *indices: int) -> list[str]:
    return [trades.ids[i] for i in indices if i >= 0]


def base_truth(*, params: dict, places: Places, trades: Trades, people: People, supply: Supply,
               demand: np.ndarray) -> dict:
    """Everything the truth needs except what is solved from the history (intercepts)."""
    return {
        "version": 1,
        "description": "Ground truth of the synthetic Quảng Ninh world (matcher.synth).",
        "seed": params["seed"],
        "as_of": params["as_of"],
        "params": params,
        "model": {**T.model_text(), "terms": list(_TERM_NAMES)},
        "coefficients": dict(T.COEFFICIENTS),
        "group_kind": {g: dict(v) for g, v in T.GROUP_KIND.items()},
        "unplaced": json.loads(json.dumps(T.UNPLACED)),
        "income": dict(T.INCOME),
        "places": list(places.ids),
        "trades": {"ids": list(trades.ids), "sector": [str(s) for s in trades.sector],
                   "hazardous": [bool(h) for h in trades.hazardous]},
        "trade_demand": {p: {t: float(demand[i, j]) for j, t in enumerate(trades.ids)}
                         for i, p in enumerate(places.ids)},
        "provider_quality": {pid: float(q) for pid, q in zip(supply.provider_ids, supply.quality,
                                                              strict=True)},
        "providers": {"place_id": {pid: places.ids[p] for pid, p in
                                   zip(supply.provider_ids, supply.provider_place, strict=True)}},
        "clients": {
            "ability": {c: float(a) for c, a in zip(people.ids, people.ability, strict=True)},
            "place_id": {c: places.ids[p] for c, p in zip(people.ids, people.place, strict=True)},
            "wish": {c: _trade_list(trades, *w) for c, w in zip(people.ids, people.wish,
                                                                strict=True)},
            "skills": {c: _trade_list(trades, s) for c, s in zip(people.ids, people.skill,
                                                                 strict=True) if s >= 0},
        },
        "options": {
            "place_id": {o: places.ids[p] for o, p in zip(supply.option_ids, supply.place,
                                                          strict=True)},
            "trades": {o: _trade_list(trades, a, b) for o, a, b in
                       zip(supply.option_ids, supply.trade1, supply.trade2, strict=True)},
            "handheld": [o for o, h in zip(supply.option_ids, supply.handheld, strict=True) if h],
        },
        "policy": {**json.loads(json.dumps(POLICY)),
                   "kind_preference": {g: dict(zip(T.KINDS, v, strict=True))
                                       for g, v in KIND_PREFERENCE.items()},
                   "confounding": params["confounding"],
                   "hidden_confounding": params["hidden_confounding"],
                   "placed_share": 1.0 - params["unplaced_share"]},
    }


_TERM_NAMES = (
    "ability", "wish", "skill", "distance", "provider_quality", "trade_demand", "age",
    "education", "group_kind", "handheld_young", "grant_trafficking", "records_job",
    "survivor_safe", "sign_language", "hazard_disability", "disability_other", "poverty",
)


def _solve_shift(x: np.ndarray, target: float) -> float:
    """The b for which mean(sigmoid(b + x)) equals ``target`` (bisection; it is monotone)."""
    if not 0.0 < target < 1.0:
        raise ValueError(f"a probability of {target} cannot be reached")
    lo, hi = -30.0, 30.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if T.sigmoid(mid + x).mean() < target:
            lo = mid
        else:
            hi = mid
    return round((lo + hi) / 2, 6)


# --- outcomes -------------------------------------------------------------------------------


@dataclass
class _Outcomes:
    followed: np.ndarray
    ongoing: np.ndarray
    p1: np.ndarray
    p0: np.ndarray
    success: np.ndarray  # -1 unknown
    status: np.ndarray
    income: np.ndarray  # -1 unknown


def _income(rng: np.random.Generator, earning: np.ndarray, base: np.ndarray,
            ability: np.ndarray) -> np.ndarray:
    """Around ``base`` when earning; casual work for some of the others; 1,000 VND steps."""
    k = T.INCOME
    stable = base * np.exp(k["ability"] * ability + rng.normal(0, k["sigma"], len(base)))
    casual = np.where(rng.random(len(base)) < k["casual_share"],
                      k["casual_fraction"] * base * np.exp(rng.normal(0, k["casual_sigma"],
                                                                        len(base))), 0.0)
    return (np.round(np.where(earning, stable, casual) / 1000) * 1000).astype(np.int64)


def _outcomes(rng: np.random.Generator, truth: dict, ctx: tuple, client: np.ndarray,
              option: np.ndarray, start: np.ndarray, as_of: np.datetime64, *,
              success_rate: float, effect: float) -> _Outcomes:
    cat, ca, oa = ctx
    followed = start + (FOLLOW_UP_DAYS + rng.integers(0, FOLLOW_UP_JITTER_DAYS + 1, len(start))
                        ).astype("timedelta64[D]")
    ongoing = followed >= as_of
    x1 = sum(T.pair_terms(truth, cat, ca, oa, client, option, start).values())
    truth["coefficients"]["intercept"] = _solve_shift(x1[~ongoing], success_rate)
    p1 = T.sigmoid(truth["coefficients"]["intercept"] + x1)
    x0 = sum(T.unplaced_terms(truth, ca, client, start).values())
    target = p1[~ongoing].mean() - effect
    truth["unplaced"]["intercept"] = _solve_shift(x0[~ongoing], target)
    p0 = T.sigmoid(truth["unplaced"]["intercept"] + x0)
    won = rng.random(len(p1)) < p1
    dropped = ~won & (rng.random(len(p1)) < 0.55)
    status = np.where(ongoing, "ongoing", np.where(dropped, "dropped", "completed"))
    income = _income(rng, won, oa.wage[option], ca.ability[client])
    return _Outcomes(
        followed=np.where(ongoing, np.datetime64("NaT"), followed).astype("datetime64[D]"),
        ongoing=ongoing, p1=p1, p0=p0, success=np.where(ongoing, -1, won.astype(int)),
        status=status, income=np.where(ongoing, -1, income),
    )


def _effects(truth: dict, out: _Outcomes, client_ability: np.ndarray, wage: np.ndarray,
             base: np.ndarray, kind: np.ndarray, provider: np.ndarray) -> dict:
    """The true average effect of placement on the placed, with a known outcome."""
    done = ~out.ongoing
    diff = (out.p1 - out.p0)[done]
    inc = (T.expected_income_placed(out.p1, wage, client_ability)
           - T.expected_income_placed(out.p0, base, client_ability))[done]
    kinds, provs = kind[done], provider[done]

    def by(keys: np.ndarray, values: np.ndarray) -> dict:
        means = pd.Series(values).groupby(keys).mean()
        return {str(k): round(float(v), 6) for k, v in means.items()}

    counts = pd.Series(provs).value_counts().to_dict()
    return {
        "definition": "mean over followed-up placements of P(success | client, option) minus "
                      "P(earning | client, not placed), both at the placement's start date "
                      "(the average effect of placement on the placed)",
        "overall": round(float(diff.mean()), 6),
        "by_kind": by(kinds, diff),
        "by_provider": {p: {"effect": v, "n": int(counts[p])} for p, v in by(provs, diff).items()},
        "income_vnd_day": {"overall": round(float(inc.mean()), 1),
                           "by_kind": {k: round(v, 1) for k, v in by(kinds, inc).items()}},
        "n_placements": int(done.sum()),
    }


# --- the world --------------------------------------------------------------------------------


def build_world(
    *,
    seed: int = 2025,
    n_clients: int = 1200,
    n_trainers: int = 200,
    n_employers: int = 200,
    n_livelihood: int = 20,
    n_placements: int = 3000,
    n_options: int | None = None,
    caseload_share: float = 0.15,
    unplaced_share: float = 0.20,
    success_rate: float = 0.52,
    placement_effect: float = 0.25,
    confounding: float = 1.0,
    hidden_confounding: float = 0.0,
    exploration: float = 0.12,
    as_of: str = AS_OF,
    clubs: bool = True,
) -> World:
    """The synthetic world; the same arguments give the same world, byte for byte.

    ``caseload_share`` of clients registered lately and were never placed (the caseload to
    suggest for); of the others, ``unplaced_share`` were never placed and were followed up
    instead. ``success_rate`` is the share of followed-up placements that succeeded (in
    expectation); ``placement_effect`` is the true average effect of placement on the placed;
    ``confounding`` scales how much easier clients are placed more often and sent to better
    providers (0: no confounding); ``hidden_confounding`` lets the unobserved ability drive
    who is placed; ``exploration`` is the share of choices made off the status quo;
    ``clubs`` adds the support clubs (matcher.synth.clubs), which are not placements.
    """
    params = {
        "seed": seed, "n_clients": n_clients, "n_trainers": n_trainers,
        "n_employers": n_employers, "n_livelihood": n_livelihood, "n_placements": n_placements,
        "n_options": n_options, "caseload_share": caseload_share,
        "unplaced_share": unplaced_share, "success_rate": success_rate,
        "placement_effect": placement_effect, "confounding": confounding,
        "hidden_confounding": hidden_confounding, "exploration": exploration, "as_of": as_of,
    }
    # One independent stream per part: changing the history's size leaves the clients alone.
    rng = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)]
    day = np.datetime64(as_of, "D")
    places, trades = load_places(), load_trades()
    supply = make_supply(rng[1], places, trades, n_trainers=n_trainers, n_employers=n_employers,
                         n_livelihood=n_livelihood, n_options=n_options, as_of=day)
    people = make_people(rng[0], n_clients, places, trades,
                         local_supply(places, trades, supply), caseload_share=caseload_share,
                         as_of=day)
    demand = trade_demand(rng[2], places, trades)
    clients = clients_frame(rng[3], people, places)
    providers = providers_frame(rng[3], supply, places)
    options = options_frame(rng[3], supply, places, trades)
    truth = base_truth(params=params, places=places, trades=trades, people=people,
                       supply=supply, demand=demand)
    cat = T.catalogue(truth)
    ca = T.ClientArrays.build(truth, clients, cat)
    oa = T.OptionArrays.build(truth, options, cat)

    everyone = np.arange(n_clients)
    ease = sum(v for k, v in T.unplaced_terms(truth, ca, everyone, people.registered).items()
               if k != "ability")
    placed = select_placed(rng[4], people, ease, placed_share=1.0 - unplaced_share,
                           confounding=confounding, hidden=hidden_confounding)
    events = make_events(rng[4], people, supply, places, trades, placed, n_placements, day,
                         confounding=confounding, exploration=exploration,
                         surplus=EVENT_SURPLUS)
    order = np.lexsort((events.client, events.start))
    client, option, start = events.client[order], events.option[order], events.start[order]

    out = _outcomes(rng[5], truth, (cat, ca, oa), client, option, start, day,
                    success_rate=success_rate, effect=placement_effect)
    placements = _frame("placements", {
        "placement_id": numbered("PL", len(client), 6),
        "client_id": np.asarray(people.ids, dtype=object)[client],
        "option_id": np.asarray(supply.option_ids, dtype=object)[option],
        "start_date": _date_text(start),
        "status": out.status,
        "success": np.where(out.success < 0, "", out.success.astype(str)),
        "income_vnd_day": _int_text(out.income, out.income < 0),
        "followed_up_on": _date_text(out.followed),
    })
    followups, unplaced = _followups(rng[5], truth, ca, people, client, day)
    base = T.unplaced_base_income(ca.prior_income[client])
    truth["placement_effect"] = _effects(
        truth, out, ca.ability[client], oa.wage[option], base,
        np.asarray(T.KINDS)[supply.kind[option]],
        np.asarray(supply.provider_ids)[supply.provider[option]])
    done = ~out.ongoing
    truth["history"] = {
        "success_rate_realised": round(float(out.success[done].mean()), 6),
        "success_probability_mean": round(float(out.p1[done].mean()), 6),
        "n_placements": int(len(client)), "n_followed_up": int(done.sum()),
        "placed_clients": int(len(np.unique(client))),
        "unplaced_followed_up": int(len(unplaced)),
        "caseload": int(people.recent.sum()),
        "explored_share": round(float(events.explored.mean()), 4) if len(client) else 0.0,
        "events_without_eligible_option": events.failed,
    }
    world = World(clients=clients, providers=providers, options=options,
                  placements=placements, followups=followups, truth=truth)
    if clubs:
        world.club_providers, world.clubs = club_frames(seed)
    return world


def _followups(rng: np.random.Generator, truth: dict, ca: T.ClientArrays, people: People,
               placed_clients: np.ndarray, as_of: np.datetime64) -> tuple[pd.DataFrame,
                                                                           np.ndarray]:
    """Historic clients never placed, followed up about six months after registering."""
    never = ~people.recent
    never[placed_clients] = False
    who = np.flatnonzero(never)
    on = people.registered[who] + (FOLLOW_UP_DAYS + rng.integers(0, 61, len(who))
                                   ).astype("timedelta64[D]")
    on = np.minimum(on, as_of - np.timedelta64(1, "D"))
    x0 = sum(T.unplaced_terms(truth, ca, who, on).values())
    p0 = T.sigmoid(truth["unplaced"]["intercept"] + x0)
    earning = rng.random(len(who)) < p0
    income = _income(rng, earning, T.unplaced_base_income(ca.prior_income[who]),
                     ca.ability[who])
    frame = _frame("followups", {
        "client_id": np.asarray(people.ids, dtype=object)[who],
        "followed_up_on": _date_text(on),
        "earning": _flag_text(earning),
        "income_vnd_day": _int_text(income),
    })
    return frame, who


def world_with_known_effect(effect: float = 0.20, *, confounding: float = 1.0,
                            hidden_confounding: float = 0.0, **kwargs: Any) -> World:
    """A world whose true effect of placement on the placed is ``effect``, with placement
    confounded by the observed profile at strength ``confounding`` (and, if wanted, by the
    latent ability at ``hidden_confounding``): for checking an effect estimator's recovery."""
    return build_world(placement_effect=effect, confounding=confounding,
                       hidden_confounding=hidden_confounding, **kwargs)


def write_world(world: World, out_dir: str | Path) -> Path:
    """The five contract CSV files (UTF-8, contract order) and truth.json, in ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in world.frames().items():
        frame.to_csv(out / f"{name}.csv", index=False, encoding="utf-8", lineterminator="\n")
    with (out / "truth.json").open("w", encoding="utf-8") as f:
        json.dump(world.truth, f, ensure_ascii=False, indent=1)
        f.write("\n")
    return out


def read_world(in_dir: str | Path) -> World:
    """A world written by :func:`write_world`, as text frames ("" for empty cells)."""
    src = Path(in_dir)
    frames = {name: pd.read_csv(src / f"{name}.csv", dtype=str, keep_default_na=False,
                                encoding="utf-8-sig").astype(str) for name in COLUMNS}
    truth = json.loads((src / "truth.json").read_text(encoding="utf-8"))
    club = frames["options"]["kind"].eq("club")
    club_provider = frames["providers"]["kind"].eq("club")
    clubs, club_providers = frames["options"][club], frames["providers"][club_provider]
    frames["options"] = frames["options"][~club].reset_index(drop=True)
    frames["providers"] = frames["providers"][~club_provider].reset_index(drop=True)
    return World(truth=truth, club_providers=club_providers.reset_index(drop=True),
                 clubs=clubs.reset_index(drop=True), **frames)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m matcher.synth",
                                     description="Generate the synthetic Quảng Ninh world.")
    parser.add_argument("--out", default="data/demo", help="directory to write (data/demo)")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--clients", type=int, default=1200)
    parser.add_argument("--trainers", type=int, default=200)
    parser.add_argument("--employers", type=int, default=200)
    parser.add_argument("--livelihood", type=int, default=20)
    parser.add_argument("--placements", type=int, default=3000)
    parser.add_argument("--options", type=int, default=None)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    world = build_world(seed=args.seed, n_clients=args.clients, n_trainers=args.trainers,
                        n_employers=args.employers, n_livelihood=args.livelihood,
                        n_placements=args.placements, n_options=args.options)
    out = write_world(world, args.out)
    sizes = {name: len(frame) for name, frame in world.frames().items()}
    summary = {"out": str(out), "seconds": round(time.perf_counter() - began, 2), **sizes,
               "success_rate": world.truth["history"]["success_rate_realised"],
               "placement_effect": world.truth["placement_effect"]["overall"]}
    sys.stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")
    return 0
