"""Worlds with a known truth, ready to import, for simulating arrivals one client at a time.

A :class:`TruthWorld` is what the simulator needs of a world, whoever made it: the contract
CSV files to import (``directory``), the clients who arrive, in registration order
(``arrivals``), the seats of every option (``capacity``) and the truth, P(success) of every
pair the world deems eligible (``true_p``, 0 for any other pair). Two generators:

**Ours** (:func:`ours_world`, :func:`matcher.synth.build_world`). The arrivals are a seeded
random subset of the world's clients; their placements and follow-ups are removed from the
history before import, and their registration dates are spread over the season before the
run (``ARRIVALS_REGISTERED_DAYS``, in arrival order), so they come in registered, recently,
and never placed: the waiting list, as in the other world's contract files. The rest is
history.
The world was generated with the product's own eligibility rules, so its truth's eligible
pairs are the product's (computed once the world is imported, :meth:`TruthWorld.resolve`,
from the matcher's candidates on the day of the run), and the true P is
:func:`matcher.synth.true_success_probability` on that day.

**The other world** (:func:`other_world`): ``../shared/worlds/other_world.py``, built apart from
ours on other assumptions, run as a subprocess from the project's root (it reads
data/places.csv), never copied here. Its truth.json gives the true P of each arrival's eligible
options under *its* rules, the seats and its own habit figure; cohort.csv lists the arrivals
in registration order. When ../shared/worlds is absent, the world is unavailable
(:class:`WorldUnavailable`, with the path looked for).

**The waiting list.** Both worlds' files hold clients of the history who were never placed
and whose case has no follow-up: to the product they are waiting, and its seat prices count
them; in the simulated season they never come. ``list_kept="current"``
(:func:`keep_list_current`) leaves them out of the import, as a Social Work Centre that
closes the cases it no longer works on would; ``"imported"`` (the default) keeps the files as
the generator wrote them.

**Scarcity**, seats per arrival ``s``: the other world is asked for it
(``--seats-per-arrival``). In ours the option capacities are rewritten in the contract frame
before import: every option draws 1 or 2 seats (seeded, even odds); options are opened in a
seeded random order until their seats reach ``max(1, round(s × arrivals))`` (the last one
opened gets only what is still needed) and the rest are closed (capacity 0). When every option
is open and seats are still short, one more seat is added to each option in the same order,
round after round, until the total is reached. Past placements hold no seats, so history is
left as it was.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matcher.settings import REPO_ROOT

#: The other world's generator, beside the project (the shared folder of the organisation).
OTHER_WORLD = REPO_ROOT.parent / "shared" / "worlds" / "other_world.py"
WORLDS = ("ours", "other")
LISTS_KEPT = ("imported", "current")  # the waiting list as the files hold it, or kept current
#: Ours holds at least this many clients, and twice the arrivals: half is history.
OURS_MIN_CLIENTS = 1200
PLACEMENTS_PER_CLIENT = 2.5  # as the demo world (3,000 placements for 1,200 clients)
#: Ours: the arrivals registered over this many days before the run.
ARRIVALS_REGISTERED_DAYS = 90


class WorldUnavailable(RuntimeError):
    """A world cannot be built here; the message says what is missing."""


@dataclass
class TruthWorld:
    """A world in the data contract with its hidden truth (see the module docstring).

    ``p`` maps each arriving client to ``{option_id: true P}`` over the options the truth deems
    eligible for them; it is None until :meth:`resolve` when the truth's eligibility is the
    product's (ours).
    """

    name: str
    seed: int
    directory: Path
    arrivals: list[str]
    capacity: dict[str, int]
    p: dict[str, dict[str, float]] | None = None
    habit_world: float | None = None  # the world's own habit figure (registration order)
    params: dict[str, Any] = field(default_factory=dict)
    _resolver: Callable[[Any, list, date], dict[str, dict[str, float]]] | None = field(
        default=None, repr=False)

    @property
    def seats(self) -> int:
        return int(sum(self.capacity.values()))

    def resolve(self, matcher: Any, profiles: list, on: date) -> None:
        """Fill ``p`` from the product's eligibility (``matcher``'s candidates for the arrivals'
        stored ``profiles``, in arrival order, on ``on``), for worlds whose truth has no rules
        of its own; nothing to do otherwise."""
        if self.p is None:
            if self._resolver is None:
                raise RuntimeError(f"world {self.name} has neither a truth nor a way to make it")
            self.p = self._resolver(matcher, profiles, on)

    def _truth(self) -> dict[str, dict[str, float]]:
        if self.p is None:
            raise RuntimeError(f"the truth of world {self.name} {self.seed} is not resolved "
                               "yet: import it and call resolve(matcher, on) first")
        return self.p

    def true_p(self, client_ids: Sequence[str], option_ids: Sequence[str]) -> np.ndarray:
        """The true P(success) of each pair (``client_ids[k]``, ``option_ids[k]``); 0 where the
        truth deems the pair ineligible."""
        p = self._truth()
        return np.array([p.get(c, {}).get(o, 0.0) for c, o in
                         zip(client_ids, option_ids, strict=True)], dtype=float)

    def is_eligible(self, client_id: str, option_id: str) -> bool:
        return option_id in self._truth().get(client_id, {})

    @property
    def eligible_truth(self) -> list[tuple[str, str]]:
        """Every (client, option) pair the truth deems eligible, arrivals in order."""
        p = self._truth()
        return [(c, o) for c in self.arrivals for o in sorted(p.get(c, {}))]


# --- ours -----------------------------------------------------------------------------------


def rewrite_capacity(options: pd.DataFrame, *, total: int, seed: int) -> pd.DataFrame:
    """The options frame with 1–2 seats per open option and ``total`` seats in all (module
    docstring, "Scarcity"); the other columns are untouched."""
    if total < 1:
        raise ValueError(f"at least one seat is needed, not {total}")
    rng = np.random.default_rng(seed)
    n = len(options)
    draw = rng.integers(1, 3, n)
    order = rng.permutation(n)
    seats = np.zeros(n, dtype=np.int64)
    need = total
    for i in order:
        if need <= 0:
            break
        seats[i] = min(int(draw[i]), need)
        need -= seats[i]
    while need > 0:  # every option open and still short: one more seat each, in order
        for i in order[:need]:
            seats[i] += 1
        need -= min(need, n)
    out = options.copy()
    out["capacity"] = seats.astype(str)
    return out


def ours_world(directory: Path, *, seed: int, arrivals: int | float = 600,
               seats_per_arrival: float = 0.8, n_clients: int | None = None,
               n_placements: int | None = None) -> TruthWorld:
    """Build ours (``matcher.synth.build_world(seed=seed)``), write it for import in
    ``directory`` and return it with its arrivals (a count, or a share when below 1)."""
    from matcher.synth import build_world, true_success_probability

    want = _arrival_count(arrivals, n_clients)
    n_clients = n_clients or max(OURS_MIN_CLIENTS, 2 * want)
    if want >= n_clients:
        raise ValueError(f"{want} arrivals need a world of more than {n_clients} clients")
    n_placements = n_placements or int(PLACEMENTS_PER_CLIENT * n_clients)
    world = build_world(seed=seed, n_clients=n_clients, n_placements=n_placements)
    rng = np.random.default_rng([seed, 13])
    clients = world.clients
    arriving = clients.iloc[np.sort(rng.choice(len(clients), size=want, replace=False))]
    arriving = arriving.sort_values(["registered_on", "client_id"], kind="stable")
    ids = arriving["client_id"].tolist()
    new = set(ids)
    # They registered over the season before they ask, in this order (module docstring).
    clients = clients.copy()
    days = np.linspace(ARRIVALS_REGISTERED_DAYS, 1, want).round().astype(int)
    clients.loc[arriving.index, "registered_on"] = [
        (date.today() - timedelta(days=int(d))).isoformat() for d in days]
    total = max(1, round(seats_per_arrival * want))
    options = rewrite_capacity(world.options, total=total, seed=seed)
    frames = {
        "providers": world.providers,
        "options": options,
        "clients": clients,
        "placements": world.placements[~world.placements["client_id"].isin(new)],
        "followups": world.followups[~world.followups["client_id"].isin(new)],
    }
    directory.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_csv(directory / f"{name}.csv", index=False, encoding="utf-8",
                     lineterminator="\n")
    capacity = dict(zip(options["option_id"], options["capacity"].astype(int), strict=True))

    def resolve(matcher: Any, profiles: list, on: date) -> dict[str, dict[str, float]]:
        # The product's rules are this world's: the eligible pairs are the matcher's
        # candidates (closed options fail the capacity rule), graded by the world's truth.
        cands = matcher.cohort_candidates(profiles, on=on)
        option_ids = matcher.catalog.options["option_id"].to_numpy(object)[cands.rows]
        client_ids = np.asarray([q.client_id for q in profiles], dtype=object)[cands.client]
        truth = true_success_probability(world.truth, clients, options, client_ids,
                                         option_ids, on=on)
        out: dict[str, dict[str, float]] = {c: {} for c in ids}
        for c, o, t in zip(client_ids, option_ids, truth, strict=True):
            out[c][o] = float(t)
        return out

    return TruthWorld(name="ours", seed=seed, directory=directory, arrivals=ids,
                      capacity=capacity, params={
                          "clients": n_clients, "history_placements": len(frames["placements"]),
                          "options": len(options), "open_options": int((options["capacity"]
                                                                         != "0").sum())},
                      _resolver=resolve)


# --- the other world ------------------------------------------------------------------------


def other_world(directory: Path, *, seed: int, arrivals: int = 600,
                seats_per_arrival: float = 0.8, script: Path = OTHER_WORLD,
                timeout_s: float = 300) -> TruthWorld:
    """Run the other world's generator into ``directory`` and read its truth."""
    if not script.exists():
        raise WorldUnavailable(f"the other world is unavailable: {script} is absent "
                               "(it lives in ../shared/worlds beside the project)")
    directory.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, str(script), str(directory), "--seed", str(seed), "--arrivals",
         str(int(arrivals)), "--seats-per-arrival", str(seats_per_arrival)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout_s, check=False)
    if done.returncode:
        raise WorldUnavailable(f"the other world's generator failed: "
                               f"{done.stderr.strip()[-500:]}")
    truth = json.loads((directory / "truth.json").read_text(encoding="utf-8"))
    with (directory / "cohort.csv").open(encoding="utf-8") as f:
        ids = [row["client_id"] for row in csv.DictReader(f)]
    with (directory / "placements.csv").open(encoding="utf-8") as f:
        history = sum(1 for _ in csv.DictReader(f))
    return TruthWorld(
        name="other", seed=seed, directory=directory, arrivals=ids,
        capacity={o: int(c) for o, c in truth["capacity"].items()},
        p={c: {o: float(v) for o, v in truth["p"].get(c, {}).items()} for c in ids},
        habit_world=float(truth["habit"]),
        params={"history_placements": history, "options": len(truth["capacity"])})


def _arrival_count(arrivals: int | float, n_clients: int | None) -> int:
    if isinstance(arrivals, float) and 0 < arrivals < 1:
        return max(1, round(arrivals * (n_clients or OURS_MIN_CLIENTS)))
    if int(arrivals) != arrivals or arrivals < 1:
        raise ValueError(f"arrivals is a count of at least 1 or a share in (0, 1), "
                         f"not {arrivals}")
    return int(arrivals)


def make_world(name: str, directory: Path, *, seed: int, arrivals: int,
               seats_per_arrival: float, list_kept: str = "imported") -> TruthWorld:
    """The world ``name`` ("ours" or "other") with these arrivals and scarcity; with
    ``list_kept="current"``, its waiting list holds the arrivals alone (module docstring)."""
    if list_kept not in LISTS_KEPT:
        raise ValueError(f"unknown waiting list {list_kept!r}: use {', '.join(LISTS_KEPT)}")
    if name == "ours":
        world = ours_world(directory, seed=seed, arrivals=arrivals,
                           seats_per_arrival=seats_per_arrival)
    elif name == "other":
        world = other_world(directory, seed=seed, arrivals=arrivals,
                            seats_per_arrival=seats_per_arrival)
    else:
        raise ValueError(f"unknown world {name!r}: use {', '.join(WORLDS)}")
    if list_kept == "current":
        world.params["closed_before_import"] = keep_list_current(directory, world.arrivals)
    return world


def keep_list_current(directory: Path, arrivals: list[str]) -> int:
    """Leave out of ``directory``'s clients.csv every client who is not arriving and has
    neither a placement nor a follow-up (a case closed before the records begin); returns
    how many. Nothing the model learns from is lost: it learns from placements."""
    clients = pd.read_csv(directory / "clients.csv", dtype=str, keep_default_na=False)
    seen = set(arrivals)
    for name in ("placements", "followups"):
        path = directory / f"{name}.csv"
        if path.exists():
            seen |= set(pd.read_csv(path, dtype=str, usecols=["client_id"])["client_id"])
    kept = clients[clients["client_id"].isin(seen)]
    kept.to_csv(directory / "clients.csv", index=False, encoding="utf-8", lineterminator="\n")
    return len(clients) - len(kept)
