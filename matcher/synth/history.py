"""The confounded history: which client was placed where, chosen as social workers choose.

Not at random. For each placement event a social worker looks at a handful of options: some
in a trade the client asked for, some close to home, some among the few that fit the
client's constraints (women only, sign language, records accepted, minors), a few anywhere.
Of the eligible ones they take the best by a utility that prefers the wished trade, short
trips, the kind of option they use for the client's group, the better providers, and sends
the easier cases (higher latent ability) to the better providers more often
(``confounding``). With probability ``exploration`` they pick any eligible option instead, so
every kind of pair appears. Capacity is ignored: it is the past.

Who gets placed at all is confounded too: clients whose observed profile makes them earn
more anyway (education, age, prior income, group, not poor) are placed more often, with
strength ``confounding``; ``hidden_confounding`` adds their latent ability as well, which no
adjustment on observed covariates can remove.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .catalogue import Places, Trades
from .population import People
from .supply import QUALITY_SD, Supply
from .truth import GROUPS, KINDS, RECORD_GROUPS, sigmoid

FIRST_PLACEMENT = np.datetime64("2021-01-04")
FOLLOW_UP_DAYS = 182  # success is "earning a stable living at 6 months"
MIN_GAP_DAYS = 60  # between two placements of one client
MAX_PER_CLIENT = 8  # placements of one client over the whole history
RETRY_ROUNDS = 3  # a minor's event that found no eligible option looks again half a year on
TOP_UP_ROUNDS = 8  # further placements for clients placed before, when the history is short

# The status quo's utility (see the module docstring); per 10 km for distance.
POLICY = {
    "wish_exact": 4.0, "wish_sector": 1.0, "skill": 0.8, "distance_per_10km": 1.5,
    "provider_quality": 0.6, "assortment": 1.0, "noise": 0.6, "exploration": 0.12,
    "travel_stretch": 0.05, "stretch_factor": 2.0,
    "candidates": {"wish": 10, "near": 8, "constraint_pool": 8, "random": 4},
    "near_scale_km": 10.0, "wish_scale_km": 20.0, "pool_scale_km": 15.0,
}
# Which kind of option a social worker reaches for, by group (log-weights).
KIND_PREFERENCE = {
    "youth_at_risk": (1.5, -1.0, -1.5), "trafficking_returnee": (0.3, 0.0, 2.0),
    "after_rehab": (0.3, 0.5, 0.3), "after_prison": (0.2, 0.6, 0.0),
    "after_reform_school": (1.2, 0.2, -0.5), "sex_worker_exiting": (0.5, 0.0, 1.2),
    "gbv_survivor": (0.4, 0.0, 1.2), "disabled": (0.8, 0.0, 0.3), "other": (0.0, 0.5, 0.0),
}


@dataclass
class Events:
    """Chosen placements: client and option indices, start dates, exploration flags."""

    client: np.ndarray
    option: np.ndarray
    start: np.ndarray
    explored: np.ndarray
    failed: int = 0  # events for which no eligible option was found

    def __len__(self) -> int:
        return len(self.client)

    def take(self, keep: np.ndarray) -> Events:
        return Events(self.client[keep], self.option[keep], self.start[keep],
                      self.explored[keep], self.failed)

    @staticmethod
    def concat(parts: list[Events], failed: int) -> Events:
        return Events(*(np.concatenate([getattr(p, f) for p in parts])
                        for f in ("client", "option", "start", "explored")), failed=failed)


def whole_years(birth: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Age in whole years, as the Labour Code counts it (birthday not yet reached: one less)."""
    years = on.astype("datetime64[Y]").astype(int) - birth.astype("datetime64[Y]").astype(int)
    m_on = on.astype("datetime64[M]").astype(int) % 12
    m_b = birth.astype("datetime64[M]").astype(int) % 12
    d_on = (on - on.astype("datetime64[M]")).astype(int)
    d_b = (birth - birth.astype("datetime64[M]")).astype(int)
    before = (m_on < m_b) | ((m_on == m_b) & (d_on < d_b))
    return years - before


def select_placed(rng: np.random.Generator, people: People, ease: np.ndarray, *,
                  placed_share: float, confounding: float, hidden: float) -> np.ndarray:
    """Which historic clients were ever placed: the easier ones more often."""
    z = confounding * _standard(ease) + hidden * _standard(people.ability)
    historic = ~people.recent
    target = placed_share * historic.sum()
    lo, hi = -20.0, 20.0
    for _ in range(60):  # the intercept that places the wanted share, by bisection
        mid = (lo + hi) / 2
        if sigmoid(mid + z)[historic].sum() < target:
            lo = mid
        else:
            hi = mid
    return historic & (rng.random(len(z)) < sigmoid(lo + z))


def _standard(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / sd if sd > 0 else x * 0.0


def _allocate(rng: np.random.Generator, total: int, weight: np.ndarray, cap: np.ndarray
              ) -> np.ndarray:
    """At least one event each, ``total`` in all where the caps allow, the rest ∝ weight."""
    count = np.ones(len(weight), dtype=int)
    remaining = total - len(weight)
    for _ in range(20):
        room = cap - count
        w = np.where(room > 0, weight, 0.0)
        if remaining <= 0 or w.sum() == 0:
            break
        add = np.minimum(rng.multinomial(remaining, w / w.sum()), room)
        count += add
        remaining -= int(add.sum())
    return count


def schedule(rng: np.random.Generator, people: People, placed: np.ndarray, n_events: int,
             as_of: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """(client index, start date) of each placement event; every placed client has one.

    A client's placements are at least MIN_GAP_DAYS apart, inside the window from a week
    after registering (and not before 2021-01-04) to the day before ``as_of``, and come
    sooner after registration rather than later.
    """
    who = np.flatnonzero(placed)
    if len(who) > n_events:
        who = np.sort(rng.choice(who, size=n_events, replace=False))
    first = np.maximum(people.registered[who] + np.timedelta64(7, "D"), FIRST_PLACEMENT)
    span = np.maximum((as_of - np.timedelta64(1, "D") - first).astype(int), 0)
    weight = np.maximum(span, 1) * rng.gamma(2.0, 1.0, size=len(who))
    count = _allocate(rng, n_events, weight,
                      np.minimum(1 + span // MIN_GAP_DAYS, MAX_PER_CLIENT))
    owner = np.repeat(np.arange(len(who)), count)
    free = span - (count - 1) * MIN_GAP_DAYS  # room left once the gaps are set aside
    u = np.floor(rng.beta(1.0, 2.5, size=len(owner)) * free[owner])
    order = np.lexsort((u, owner))
    u = u[order]
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(count) - count, count)
    offset = (u + rank * MIN_GAP_DAYS).astype(np.int64)
    return who[owner], first[owner] + offset.astype("timedelta64[D]")


class _DistanceSampler:
    """Draws options of a pool with probability ∝ exp(-km/scale) from a given place."""

    def __init__(self, pool: np.ndarray, option_place: np.ndarray, distance: np.ndarray,
                 scale: float) -> None:
        self.pool = pool
        self.m = len(pool)
        if self.m:
            w = np.exp(-distance[:, option_place[pool]] / scale)
            cum = np.cumsum(w, axis=1)
            cum /= cum[:, -1:]
            # Row r's cumulative weights live in (r, r+1]: one sorted array, one searchsorted.
            self.flat = (cum + np.arange(len(distance))[:, None]).ravel()

    def sample(self, rng: np.random.Generator, place: np.ndarray, k: int) -> np.ndarray:
        if not self.m:
            return np.full((len(place), k), -1)
        u = rng.random((len(place), k)) * (1 - 1e-9)
        q = place[:, None] + u
        pos = np.searchsorted(self.flat, q.ravel(), side="right").reshape(q.shape)
        pos = np.clip(pos - place[:, None] * self.m, 0, self.m - 1)
        return self.pool[pos]


@dataclass
class _Context:
    people: People
    supply: Supply
    places: Places
    trades: Trades
    hazardous: np.ndarray  # per option
    minor_ok: np.ndarray  # per option: a minor may be placed there at some age
    record: np.ndarray  # per client
    samplers: dict = field(default_factory=dict)  # built once, reused by every round

    def sampler(self, key: tuple, pool: Callable[[], np.ndarray], scale: float
                ) -> _DistanceSampler:
        if key not in self.samplers:
            self.samplers[key] = _DistanceSampler(pool(), self.supply.place, self.distance,
                                                  scale)
        return self.samplers[key]

    @property
    def distance(self) -> np.ndarray:
        return self.places.distance


def _context(people: People, supply: Supply, places: Places, trades: Trades) -> _Context:
    haz = supply.option_hazardous(trades)
    record_codes = [GROUPS.index(g) for g in RECORD_GROUPS]
    return _Context(
        people=people, supply=supply, places=places, trades=trades, hazardous=haz,
        minor_ok=~haz & (supply.kind != KINDS.index("livelihood")) & (supply.min_age < 18),
        record=np.isin(people.group, record_codes),
    )


def _constraint_key(ctx: _Context, client: np.ndarray, age: np.ndarray) -> np.ndarray:
    p = ctx.people
    return (p.female[client] * 1 + p.needs_women_only[client] * 2 + p.deaf[client] * 4
            + ctx.record[client] * 8 + (age < 18) * 16)


def _pool(ctx: _Context, key: int) -> np.ndarray:
    s = ctx.supply
    ok = np.ones(len(s.option_ids), dtype=bool)
    if not key & 1:
        ok &= ~s.women_only
    if key & 2:
        ok &= s.women_only
    if key & 4:
        ok &= s.sign_language
    if key & 8:
        ok &= s.accepts_records
    if key & 16:
        ok &= ctx.minor_ok
    return np.flatnonzero(ok)


def _groups(values: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """(value, rows holding it) for each distinct value, by one sort rather than a scan each."""
    order = np.argsort(values, kind="stable")
    cuts = np.flatnonzero(np.diff(values[order])) + 1
    for rows in np.split(order, cuts):
        if len(rows):
            yield int(values[rows[0]]), rows


def _candidates(rng: np.random.Generator, ctx: _Context, client: np.ndarray,
                age: np.ndarray) -> np.ndarray:
    """(events × K) option indices, -1 where a pool was empty; the last columns are random."""
    k = POLICY["candidates"]
    s = ctx.supply
    home = ctx.people.place[client]
    n_opt = len(s.option_ids)
    blocks = []
    # In a wished trade (the second wish 40% of the time), near home more likely.
    wish = ctx.people.wish[client]
    use_second = (wish[:, 1] >= 0) & (rng.random(len(client)) < 0.4)
    trade = np.where(use_second, wish[:, 1], wish[:, 0])
    block = np.full((len(client), k["wish"]), -1)
    for t, rows in _groups(trade):
        sampler = ctx.sampler(("trade", t), lambda t=t: np.flatnonzero((s.trade1 == t)
                                                                      | (s.trade2 == t)),
                              POLICY["wish_scale_km"])
        block[rows] = sampler.sample(rng, home[rows], k["wish"])
    blocks.append(block)
    near = ctx.sampler(("near",), lambda: np.arange(n_opt), POLICY["near_scale_km"])
    blocks.append(near.sample(rng, home, k["near"]))
    # Among the options that fit the client's constraints at all.
    block = np.full((len(client), k["constraint_pool"]), -1)
    for key, rows in _groups(_constraint_key(ctx, client, age)):
        sampler = ctx.sampler(("pool", key), lambda key=key: _pool(ctx, key),
                              POLICY["pool_scale_km"])
        block[rows] = sampler.sample(rng, home[rows], k["constraint_pool"])
    blocks.append(block)
    blocks.append(rng.integers(0, n_opt, size=(len(client), k["random"])))
    return np.concatenate(blocks, axis=1)


def eligible(ctx: _Context, client: np.ndarray, age: np.ndarray, option: np.ndarray,
             travel_factor: np.ndarray) -> np.ndarray:
    """The hard rules on pairs (client[:, None], option): age and labour law, women only,
    sign language, records, travel (times ``travel_factor``). Capacity is not checked."""
    p, s = ctx.people, ctx.supply
    valid = option >= 0
    o = np.where(valid, option, 0)
    c = client[:, None]
    a = age[:, None]
    kind = s.kind[o]
    ok = valid & (a >= s.min_age[o]) & ((s.max_age[o] < 0) | (a <= s.max_age[o]))
    ok &= ~((kind == KINDS.index("job")) & (a < 15))
    ok &= ~((kind == KINDS.index("livelihood")) & (a < 18))
    ok &= ~(ctx.hazardous[o] & (a < 18))
    ok &= ~(s.women_only[o] & ~p.female[c])
    ok &= ~(p.needs_women_only[c] & ~s.women_only[o])
    ok &= ~(p.deaf[c] & ~s.sign_language[o])
    ok &= ~(ctx.record[c] & ~s.accepts_records[o])
    dist = ctx.distance[p.place[c], s.place[o]]
    ok &= dist <= p.travel_km[c] * travel_factor[:, None]
    return ok


def _utility(rng: np.random.Generator, ctx: _Context, client: np.ndarray, option: np.ndarray,
             confounding: float) -> np.ndarray:
    p, s, t = ctx.people, ctx.supply, ctx.trades
    o = np.maximum(option, 0)
    c = client[:, None]
    w1, w2 = p.wish[c, 0], p.wish[c, 1]
    t1, t2 = s.trade1[o], s.trade2[o]
    exact = (w1 == t1) | (w1 == t2) | ((w2 >= 0) & ((w2 == t1) | (w2 == t2)))
    sector = t.sector
    same = (sector[w1] == sector[t1]) | ((w2 >= 0) & (sector[np.maximum(w2, 0)] == sector[t1]))
    skill = (p.skill[c] >= 0) & ((p.skill[c] == t1) | (p.skill[c] == t2))
    pref = np.array([KIND_PREFERENCE[g] for g in GROUPS])[p.group[c], s.kind[o]]
    q = s.quality[s.provider[o]]
    dist = ctx.distance[p.place[c], s.place[o]]
    return (POLICY["wish_exact"] * exact + POLICY["wish_sector"] * (same & ~exact)
            + POLICY["skill"] * skill - POLICY["distance_per_10km"] * dist / 10.0 + pref
            + POLICY["provider_quality"] * q
            + confounding * POLICY["assortment"] * p.ability[c] * q / QUALITY_SD
            + POLICY["noise"] * rng.gumbel(size=option.shape))


def choose(rng: np.random.Generator, ctx: _Context, client: np.ndarray, start: np.ndarray,
           used: np.ndarray, *, confounding: float, exploration: float) -> Events:
    """One option per event (-1 when nothing eligible was found), never one in ``used``
    (codes client·n_options + option: what each client already had)."""
    age = whole_years(ctx.people.birth[client], start)
    cand = _candidates(rng, ctx, client, age)
    stretch = np.where(rng.random(len(client)) < POLICY["travel_stretch"],
                       POLICY["stretch_factor"], 1.0)
    ok = eligible(ctx, client, age, cand, stretch)
    ok &= ~_member(used, _codes(ctx, client[:, None], cand))
    utility = _utility(rng, ctx, client, cand, confounding)
    explore = rng.random(len(client)) < exploration
    # Exploring: any eligible option, from the random candidates when one of them is.
    random_cols = np.zeros(cand.shape[1], dtype=bool)
    random_cols[-POLICY["candidates"]["random"]:] = True
    rand_ok = ok & random_cols[None, :]
    explore_pool = np.where(rand_ok.any(axis=1)[:, None], rand_ok, ok)
    noise = rng.gumbel(size=cand.shape)
    score = np.where(explore[:, None], np.where(explore_pool, noise, -np.inf),
                     np.where(ok, utility, -np.inf))
    best = np.argmax(score, axis=1)
    option = np.where(ok.any(axis=1), cand[np.arange(len(client)), best], -1)
    return Events(client=client, option=option, start=start, explored=explore)


def _codes(ctx: _Context, client: np.ndarray, option: np.ndarray) -> np.ndarray:
    return client.astype(np.int64) * len(ctx.supply.option_ids) + option


def _member(sorted_codes: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``np.isin`` for a sorted array, by binary search (no re-sorting of ``sorted_codes``)."""
    if not len(sorted_codes):
        return np.zeros(codes.shape, dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_codes, codes), len(sorted_codes) - 1)
    return sorted_codes[pos] == codes


def _in_rank_order(rng: np.random.Generator, ctx: _Context, client: np.ndarray,
                   start: np.ndarray, used: np.ndarray, **policy: float
                   ) -> tuple[Events, np.ndarray]:
    """Choose for a batch of events, a client's earlier events first, so that no client gets
    an option twice; returns the events (option -1 if none) and the grown ``used`` codes."""
    order = np.lexsort((start, client))
    client, start = client[order], start[order]
    first = np.r_[True, client[1:] != client[:-1]]
    rank = np.arange(len(client)) - np.maximum.accumulate(np.where(first, np.arange(len(client)),
                                                                    0))
    option = np.full(len(client), -1)
    explored = np.zeros(len(client), dtype=bool)
    for r in range(int(rank.max()) + 1 if len(rank) else 0):
        rows = np.flatnonzero(rank == r)
        ev = choose(rng, ctx, client[rows], start[rows], used, **policy)
        option[rows], explored[rows] = ev.option, ev.explored
        found = ev.option >= 0
        used = np.sort(np.concatenate([used, _codes(ctx, client[rows][found],
                                                    ev.option[found])]))
    return Events(client, option, start, explored), used


def _top_up(rng: np.random.Generator, ctx: _Context, kept: Events, n: int,
            as_of: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """``n`` more events for clients placed before, in their window, away from their others."""
    clients, counts = np.unique(kept.client, return_counts=True)
    room = clients[counts < MAX_PER_CLIENT]
    if not len(room):
        return np.zeros(0, dtype=int), np.zeros(0, dtype="datetime64[D]")
    pick = rng.choice(room, size=n)
    first = np.maximum(ctx.people.registered[pick] + np.timedelta64(7, "D"), FIRST_PLACEMENT)
    span = np.maximum((as_of - np.timedelta64(1, "D") - first).astype(int), 1)
    start = first + np.floor(rng.random(n) * span).astype(np.int64).astype("timedelta64[D]")
    gap = _nearest_gap(kept, pick, start)
    keep = gap >= MIN_GAP_DAYS
    return pick[keep], start[keep]


def _nearest_gap(events: Events, client: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Days from each (client, start) to that client's nearest event in ``events``."""
    left = pd.DataFrame({"c": client, "t": start.astype("datetime64[ns]"),
                         "k": np.arange(len(client))}).sort_values("t")
    right = pd.DataFrame({"c": events.client, "t": events.start.astype("datetime64[ns]"),
                          "u": events.start.astype("datetime64[ns]")}).sort_values("t")
    joined = pd.merge_asof(left, right, on="t", by="c", direction="nearest")
    days = (joined["t"] - joined["u"]).abs().dt.days.to_numpy(dtype=float)
    out = np.empty(len(client))
    out[joined["k"].to_numpy()] = np.nan_to_num(days, nan=np.inf)
    return out


def make_events(rng: np.random.Generator, people: People, supply: Supply, places: Places,
                trades: Trades, placed: np.ndarray, n_placements: int, as_of: np.datetime64,
                *, confounding: float, exploration: float, surplus: float = 1.04) -> Events:
    """``n_placements`` chosen placements (fewer only if nothing eligible can be found).

    A minor's event that found no eligible option looks again half a year on, when more is
    open to them; an adult with nothing eligible within reach stays unplaced that time. If
    that leaves the history short, clients placed before get further placements.
    """
    ctx = _context(people, supply, places, trades)
    policy = {"confounding": confounding, "exploration": exploration}
    who, start = schedule(rng, people, placed, int(np.ceil(n_placements * surplus)), as_of)
    used = np.zeros(0, dtype=np.int64)
    parts: list[Events] = []
    failed = 0
    for attempt in range(RETRY_ROUNDS + 1):
        ev, used = _in_rank_order(rng, ctx, who, start, used, **policy)
        parts.append(ev.take(ev.option >= 0))
        miss = ev.take(ev.option < 0)
        minor = whole_years(people.birth[miss.client], miss.start) < 18
        later = miss.start + np.timedelta64(182, "D")
        again = minor & (later < as_of) & (attempt < RETRY_ROUNDS)
        failed += int((~again).sum())
        who, start = miss.client[again], later[again]
    kept = Events.concat(parts, failed)
    for _ in range(TOP_UP_ROUNDS):
        short = n_placements - len(kept)
        if short <= 0 or not len(kept):
            break
        who, start = _top_up(rng, ctx, kept, 3 * short + 20, as_of)
        ev, used = _in_rank_order(rng, ctx, who, start, used, **policy)
        kept = Events.concat([kept, ev.take(ev.option >= 0)], kept.failed)
    return trim(rng, kept, n_placements)


def trim(rng: np.random.Generator, events: Events, n: int) -> Events:
    """Exactly ``n`` events (or all if fewer), never removing a client's only placement."""
    extra = len(events.client) - n
    if extra <= 0:
        return events
    order = rng.permutation(len(events.client))
    counts = np.bincount(events.client)
    drop = np.zeros(len(events.client), dtype=bool)
    removed = 0
    for i in order:  # stops after the surplus (a few percent) has been removed
        if removed >= extra:
            break
        c = events.client[i]
        if counts[c] > 1:
            counts[c] -= 1
            drop[i] = True
            removed += 1
    return events.take(~drop)
