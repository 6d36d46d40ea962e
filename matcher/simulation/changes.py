"""Providers' seat changes during a season, replayed at the same moments in every run.

A change is ``(after, option_id, seats_added)``: once ``after`` clients have arrived, the
option's provider adds (or, negative, withdraws) that many free seats, never below 0. A
schedule comes from a CSV file (columns ``after_arrivals``, ``option_id``, ``seats_added``),
for instance built from ``GET /v1/options/{id}/history``, or is drawn at random for a world
(``random:N``: N changes at seeded random moments, +1, +2 or -1 seat each).

Through the API (:mod:`~matcher.simulation.desk`) a change is the provider's own
``PATCH /v1/my/options/{id}``; the one-at-a-time baselines apply it to their seat counts at
the same moment; the hindsight oracle and the cohort plan, which see the whole season at
once, get every seat ever offered (the initial seats plus every seat added: an upper bound,
since a seat added late cannot go to an early arrival).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

COLUMNS = ("after_arrivals", "option_id", "seats_added")


@dataclass(frozen=True)
class SeatChange:
    after: int  # applied once this many clients have arrived
    option_id: str
    seats_added: int  # negative: seats withdrawn (never below 0)


def read_changes(path: Path) -> tuple[SeatChange, ...]:
    """The schedule in a CSV file; ValueError naming the row and column of any problem."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ValueError(f"seat changes: cannot read {path}: {exc.strerror}") from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"seat changes {path}: missing column(s) {', '.join(missing)}")
    out = []
    for n, row in enumerate(reader, start=2):
        for column in ("after_arrivals", "seats_added"):
            value = (row[column] or "").strip()
            if not value.lstrip("-").isdigit():
                raise ValueError(f"seat changes {path}: row {n}, column {column}: a whole "
                                 f"number is needed, not {value!r}")
        after = int(row["after_arrivals"])
        if after < 0:
            raise ValueError(f"seat changes {path}: row {n}, column after_arrivals: "
                             "0 or more")
        if not (row["option_id"] or "").strip():
            raise ValueError(f"seat changes {path}: row {n}, column option_id: empty")
        out.append(SeatChange(after, row["option_id"].strip(), int(row["seats_added"])))
    return tuple(sorted(out, key=lambda c: c.after))


def random_changes(option_ids: list[str], arrivals: int, n: int,
                   seed: int) -> tuple[SeatChange, ...]:
    """``n`` changes at seeded random moments of a season of ``arrivals``."""
    rng = np.random.default_rng([seed, 29])
    picks = rng.choice(len(option_ids), size=n, replace=True) if option_ids else []
    return tuple(sorted((SeatChange(int(rng.integers(0, arrivals)), option_ids[int(p)],
                                    int(rng.choice([1, 2, -1]))) for p in picks),
                        key=lambda c: c.after))


def apply(seats: dict[str, int] | np.ndarray, changes: tuple[SeatChange, ...], after: int,
          index: dict[str, int] | None = None) -> None:
    """Apply the changes due once ``after`` clients have arrived to ``seats`` (by option id,
    or an array with ``index`` from option id to position), never below 0."""
    for c in changes:
        if c.after == after:
            key = c.option_id if index is None else index.get(c.option_id)
            if key is not None and (index is not None or key in seats):
                seats[key] = max(0, int(seats[key]) + c.seats_added)


def season_seats(capacity: dict[str, int], changes: tuple[SeatChange, ...]) -> dict[str, int]:
    """Every seat ever offered: the initial seats plus every seat added (module docstring)."""
    out = dict(capacity)
    for c in changes:
        if c.option_id in out and c.seats_added > 0:
            out[c.option_id] += c.seats_added
    return out
