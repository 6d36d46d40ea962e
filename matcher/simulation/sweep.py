"""A sweep: worlds × seeds × scarcity levels × arrival orders × behaviours, one report.

For each world, seed and scarcity the world is built and staged once (import, training, the
truth); the baselines that do not depend on the social worker (oracle, cohort plan) are
computed once, those that follow the arrival order (habit, random) once per order, and the
arrivals go through the API twice per order and behaviour: with seat pricing on (``priced``)
and off (``unpriced``: greedy by the product's score). Orders are ``registration`` or
``shuffle:N`` (the arrivals shuffled with the world's seed and N). Everything is seeded: the
same arguments give the same document, but for its ``seconds``.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from matcher.matching.ranking import Weights
from matcher.simulation import baselines as B
from matcher.simulation.changes import SeatChange, random_changes, read_changes
from matcher.simulation.desk import Behaviour, run_desk
from matcher.simulation.report import shares, summarise
from matcher.simulation.rounds import ROUNDS
from matcher.simulation.staging import (
    Stage,
    arrival_profiles,
    settings_for,
    sim_engine,
    stage_world,
)
from matcher.simulation.worlds import (
    LISTS_KEPT,
    OTHER_WORLD,
    WORLDS,
    WorldUnavailable,
    make_world,
)


@dataclass(frozen=True)
class Spec:
    """What to simulate (see :func:`parse_spec` for the text form the command takes)."""

    worlds: tuple[str, ...]
    seeds: tuple[int, ...]
    orders: tuple[str, ...]
    seats_per_arrival: tuple[float, ...]
    arrivals: int
    behaviours: tuple[Behaviour, ...]
    rounds: int = 0  # 0, or the rounds of learning (4: quarters) in extra runs
    waiting_lists: tuple[str, ...] = ("imported",)  # worlds.LISTS_KEPT
    seat_changes: str | None = None  # "random:N" or a CSV file (matcher.simulation.changes)


def _list(text: str, what: str) -> list[str]:
    items = [x.strip() for x in str(text).split(",") if x.strip()]
    if not items:
        raise ValueError(f"{what}: give at least one value")
    return items


def parse_order(text: str) -> str:
    """``registration`` or ``shuffle:N`` (N a whole number); ValueError otherwise."""
    if text == "registration":
        return text
    head, _, n = text.partition(":")
    if head == "shuffle" and n.lstrip("-").isdigit():
        return f"shuffle:{int(n)}"
    raise ValueError(f"unknown order {text!r}: use registration or shuffle:N (N a number)")


def parse_spec(*, world: str = "both", seeds: str = "1,2,3,4,5",
               orders: str = "registration", seats_per_arrival: str = "0.8",
               arrivals: int = 600, behaviours: str = "first", rounds: bool = False,
               waiting_list: str = "imported", seat_changes: str | None = None) -> Spec:
    """The sweep asked for in the command's words; ValueError naming the bad input."""
    if world not in (*WORLDS, "both"):
        raise ValueError(f"unknown world {world!r}: use ours, other or both")
    try:
        seed_list = tuple(int(s) for s in _list(seeds, "--seeds"))
    except ValueError:
        raise ValueError(f"--seeds takes whole numbers separated by commas, not {seeds!r}"
                         ) from None
    try:
        seats = tuple(float(s) for s in _list(seats_per_arrival, "--seats-per-arrival"))
    except ValueError:
        raise ValueError("--seats-per-arrival takes numbers separated by commas, not "
                         f"{seats_per_arrival!r}") from None
    if any(not s > 0 or s != s or s == float("inf") for s in seats):
        raise ValueError(f"seats per arrival must be above 0, not {seats_per_arrival}")
    if int(arrivals) != arrivals or arrivals < 1:
        raise ValueError(f"arrivals must be at least 1, not {arrivals}")
    lists = tuple(_list(waiting_list, "--waiting-list"))
    if any(x not in LISTS_KEPT for x in lists):
        raise ValueError(f"unknown waiting list {waiting_list!r}: use "
                         f"{' or '.join(LISTS_KEPT)}, or both separated by a comma")
    return Spec(worlds=tuple(WORLDS) if world == "both" else (world,), seeds=seed_list,
                orders=tuple(parse_order(o) for o in _list(orders, "--orders")),
                seats_per_arrival=seats, arrivals=int(arrivals),
                behaviours=tuple(Behaviour.parse(b) for b in _list(behaviours, "--behaviour")),
                rounds=ROUNDS if rounds else 0, waiting_lists=lists,
                seat_changes=_check_changes(seat_changes))


def _check_changes(text: str | None) -> str | None:
    """``random:N`` (N at least 1) or a readable schedule file; ValueError otherwise."""
    if text is None or text == "":
        return None
    head, _, n = text.partition(":")
    if head == "random":
        if not n.isdigit() or int(n) < 1:
            raise ValueError(f"--seat-changes random:N takes a count of at least 1, not {n!r}")
        return text
    read_changes(Path(text))  # every row checked now, not halfway through a sweep
    return text


def changes_for(spec: Spec, world) -> tuple[SeatChange, ...]:
    """The schedule of ``spec`` for ``world``; ValueError for an option it does not have."""
    if spec.seat_changes is None:
        return ()
    if spec.seat_changes.startswith("random:"):
        return random_changes(sorted(world.capacity), len(world.arrivals),
                              int(spec.seat_changes.split(":", 1)[1]), world.seed)
    changes = read_changes(Path(spec.seat_changes))
    unknown = sorted({c.option_id for c in changes} - set(world.capacity))
    if unknown:
        raise ValueError(f"seat changes: {', '.join(unknown[:5])} not in world "
                         f"{world.name} {world.seed}")
    return changes


def arrival_order(arrivals: list[str], order: str, seed: int) -> list[str]:
    """The arrivals in registration order, or shuffled (seeded by the world and N)."""
    if order == "registration":
        return list(arrivals)
    n = int(order.split(":", 1)[1])
    perm = np.random.default_rng([seed, abs(n), int(n < 0)]).permutation(len(arrivals))
    return [arrivals[i] for i in perm]


def spec_record(spec: Spec) -> dict[str, Any]:
    """What a report says it ran: the spec, and the score's weights from the settings (the
    suggestions' ranking, which the cohort plan and the seat prices do not use: they maximise
    P(success) alone), so that figures from different weights are never mixed up."""
    return {"worlds": list(spec.worlds), "seeds": list(spec.seeds),
            "orders": list(spec.orders), "seats_per_arrival": list(spec.seats_per_arrival),
            "arrivals": spec.arrivals, "behaviours": [b.name for b in spec.behaviours],
            "rounds": spec.rounds, "waiting_lists": list(spec.waiting_lists),
            "seat_changes": spec.seat_changes,
            "score_weights": asdict(Weights.from_settings())}


def run_sweep(spec: Spec, *, workdir: Path | None = None,
              log: Callable[[str], None] | None = None, on: date | None = None) -> dict[str, Any]:
    """Every combination of ``spec``; the report (rows, summary, timings) as a dict."""
    say = log or (lambda _msg: None)
    on = on or date.today()
    began = time.perf_counter()
    doc: dict[str, Any] = {
        "spec": spec_record(spec),
        "behaviours": {b.name: b.text for b in spec.behaviours},
        "policies": {
            "priced": "arrivals through the API, seat pricing on",
            "unpriced": "arrivals through the API, seat pricing off (greedy by the score)",
            "habit": "nearest eligible with a seat, leaning to wishes (wish − 0.03·km)",
            "cohort_plan": "the product's plan for all arrivals at once (plan_cohort)",
            "random": f"random truth-eligible option with a seat, mean of {B.RANDOM_RUNS}",
            "oracle": "hindsight: exact assignment on the true P under the seats",
            "priced_rounds": f"as priced, learning: {ROUNDS} rounds, outcomes drawn from the "
                             "truth and recorded through the API, retrained after each",
            "unpriced_rounds": "as unpriced, learning as priced_rounds",
            "habit_world": "the other world's own habit figure (registration order only)"},
        "arrivals_on": on.isoformat(), "rows": [], "skipped": {}, "seconds": {}}
    with tempfile.TemporaryDirectory(prefix="matcher-sim-") as tmp:
        root = Path(workdir or tmp)
        for name in spec.worlds:
            if name == "other" and not OTHER_WORLD.exists():
                if spec.worlds == ("other",):
                    raise WorldUnavailable(f"the other world is unavailable: {OTHER_WORLD} "
                                           "is absent (../shared/worlds)")
                doc["skipped"]["other"] = f"{OTHER_WORLD} is absent (../shared/worlds)"
                continue
            for seed in spec.seeds:
                for s in spec.seats_per_arrival:
                    for kept in spec.waiting_lists:
                        folder = root / f"{name}-{seed}-{s:g}-{kept}"
                        say(f"{name} seed {seed}, {s:g} seats per arrival, waiting list "
                            f"{kept}: building and staging")
                        doc["rows"] += _one_world(spec, name, seed, s, kept, folder, on, say)
                        if workdir is None:
                            shutil.rmtree(folder, ignore_errors=True)
    doc["summary"] = summarise(doc["rows"])
    doc["seconds"]["total"] = round(time.perf_counter() - began, 1)
    return doc


def _one_world(spec: Spec, name: str, seed: int, s: float, kept: str, folder: Path,
               on: date, say: Callable[[str], None]) -> list[dict[str, Any]]:
    t0 = time.perf_counter()
    world = make_world(name, folder / "world", seed=seed, arrivals=spec.arrivals,
                       seats_per_arrival=s, list_kept=kept)
    built = time.perf_counter() - t0
    changes = changes_for(spec, world)
    stage = stage_world(world, folder / "stage", on=on)
    stage.seconds["build"] = round(built, 2)
    t0 = time.perf_counter()
    fixed, by_order, groups = _baselines(stage, spec.orders, seed, on, changes)
    stage.seconds["baselines"] = round(time.perf_counter() - t0, 2)
    rows = []
    for order in spec.orders:
        turn = arrival_order(world.arrivals, order, seed)
        for behaviour in spec.behaviours:
            runs = {}
            for policy, pricing, rounds in _desk_policies(spec.rounds):
                say(f"  {order}, {behaviour.name}, {policy}")
                runs[policy] = run_desk(stage, turn, behaviour=behaviour, seat_pricing=pricing,
                                        seed=f"{seed}:{order}", rounds=rounds,
                                        changes=changes)
            rows.append({**_row(stage, order, s, behaviour, runs,
                                {**fixed, **by_order[order]}, groups), "waiting_list": kept,
                         "seat_changes": [[c.after, c.option_id, c.seats_added]
                                          for c in changes]})
    return rows


def _desk_policies(rounds: int) -> list[tuple[str, bool, int]]:
    """(name, seat pricing, rounds) of each run through the API."""
    runs = [("priced", True, 0), ("unpriced", False, 0)]
    if rounds:
        runs += [("priced_rounds", True, rounds), ("unpriced_rounds", False, rounds)]
    return runs


def _baselines(stage: Stage, orders: tuple[str, ...], seed: int, on: date,
               changes: tuple[SeatChange, ...] = ()
               ) -> tuple[dict[str, B.Graded], dict[str, dict[str, B.Graded]], dict[str, str]]:
    """The policies graded without the API: once per world, and once per order; with each
    arrival's group."""
    from matcher.matching.engine import Matcher
    from matcher.store.db import transaction

    world = stage.world
    stage.restore()
    with settings_for(**stage.env()):
        engine = sim_engine(stage.db_path)
        try:
            with transaction(engine) as session:
                matcher = Matcher.build(session)
                profiles = arrival_profiles(session, world.arrivals)
        finally:
            engine.dispose()
        fixed = {"oracle": B.oracle(world, changes),
                 "cohort_plan": B.cohort_plan(world, matcher, profiles, on, changes)}
        by_order = {}
        for order in orders:
            turn = arrival_order(world.arrivals, order, seed)
            by_order[order] = {"habit": B.habit(world, matcher, profiles, turn, on, changes),
                               "random": B.random_arrivals(world, turn, seed=seed,
                                                           changes=changes)}
    return fixed, by_order, {p.client_id: p.group for p in profiles}


def _placed_by_group(graded: dict[str, B.Graded], groups: dict[str, str]) -> dict[str, Any]:
    """Per group, how many arrived and the share each policy placed (the policies whose
    pairs are known): who is left unplaced, e.g. when a behaviour leaves clients waiting."""
    arrived = Counter(groups.values())
    out: dict[str, Any] = {"arrivals": dict(sorted(arrived.items()))}
    for policy, g in graded.items():
        if g.pairs or not g.placed:
            placed = Counter(groups[c] for c, _ in g.pairs if c in groups)
            out[policy] = {k: round(placed[k] / n, 4) for k, n in sorted(arrived.items())}
    return out


def _row(stage: Stage, order: str, s: float, behaviour: Behaviour, runs: dict,
         graded: dict[str, B.Graded], groups: dict[str, str]) -> dict[str, Any]:
    world = stage.world
    for policy, run in runs.items():
        graded[policy] = B.grade(world, run.accepted)
    successes: dict[str, float | None] = {p: round(g.successes, 4) for p, g in graded.items()}
    habit_world = world.habit_world if order == "registration" else None
    successes["habit_world"] = habit_world
    desk = {p: {k: v for k, v in r.to_dict().items()
                if k not in ("seconds", "ms_per_arrival", "learning_curve", "trained_versions")}
            for p, r in runs.items()}
    return {
        "world": world.name, "seed": world.seed, "order": order, "seats_per_arrival": s,
        "behaviour": behaviour.name, "arrivals": len(world.arrivals), "seats": world.seats,
        "world_params": world.params,
        "successes": {k: v for k, v in successes.items() if k != "habit_world"},
        "habit_world": habit_world,
        "share": shares({k: v for k, v in successes.items() if v is not None}),
        "placed": {p: g.placed for p, g in graded.items()},
        "placed_by_group": _placed_by_group(graded, groups),
        "ineligible_under_truth": {p: g.ineligible for p, g in graded.items()},
        "model": stage.model,
        "served": {p: {"model_version": r.model_version, "prior_only": r.prior_only,
                       "pricing": r.pricing} for p, r in runs.items()},
        "desk": desk,
        **({"learning_curve": {p: r.learning_curve for p, r in runs.items()
                               if r.learning_curve}}
           if any(r.learning_curve for r in runs.values()) else {}),
        # What differs from run to run of the same seeds: timings, and the versions of models
        # retrained between rounds (they hash data holding the API's random placement ids).
        "varies_by_run": {p: r.trained_versions for p, r in runs.items() if r.trained_versions},
        "seconds": {**stage.seconds,
                    **{p: round(r.seconds, 2) for p, r in runs.items()},
                    **{f"{p}_ms_per_arrival": r.ms_per_arrival for p, r in runs.items()}},
    }
