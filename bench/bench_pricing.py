"""Seat prices: how long a refresh takes, and what pricing adds to a suggestion.

    .venv/bin/python bench/bench_pricing.py --url URL --model-dir DIR [--samples 300]

On a database holding a world and a trained model (``make bench`` runs it as the step
``pricing`` at every scale, on the world it built): the first refresh (every waiting
client's candidates scored, then the assignment and its dual over the sampled futures),
a refresh after one seat is taken (the scored pairs are kept: only the assignment is solved
again, as after an accept in the API; the seat is given back afterwards), and the
in-process suggestion time of a sample of clients without and with the prices (median and
p99). Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]


def measure(url: str, model_dir: Path, *, samples: int = 300, on: date | None = None,
            seed: int = 0) -> dict:
    import numpy as np
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from matcher.matching.engine import Matcher
    from matcher.pricing import refresh_prices
    from matcher.store.db import make_engine
    from matcher.store.profiles import load_profile
    from matcher.store.seats import release_seat, reserve_seat
    from matcher.store.tables import Client

    engine = make_engine(url)
    out: dict = {}
    with Session(engine) as session:
        matcher = Matcher.build(session, model_dir=model_dir)
        matcher.warm()
        started = time.perf_counter()
        prices = refresh_prices(session, matcher, on=on)
        out["first_refresh_s"] = round(time.perf_counter() - started, 3)
        out.update(waiting=prices.n_waiting, expected_arrivals=round(prices.expected_arrivals, 1),
                   contested_options=int((prices.price >= 0.01).sum()),
                   options=len(matcher.catalog))
        # One seat taken, as by an accept: the seat counts move, the scored pairs are kept.
        contested = np.flatnonzero(prices.price > 0)
        row = int(contested[0]) if len(contested) else 0
        option_id = matcher.catalog.options["option_id"].iloc[row]
        taken = reserve_seat(session, option_id, user_id=None, cause="placement")
        if taken:
            session.commit()
            matcher._arrays["capacity"][row] -= 1  # noqa: SLF001 - as the API reloads it
        started = time.perf_counter()
        prices = refresh_prices(session, matcher, on=on)
        out["refresh_after_accept_s"] = round(time.perf_counter() - started, 3)
        if taken:  # as it was
            release_seat(session, option_id, user_id=None, cause="placement")
            session.commit()
        ids = list(session.scalars(select(Client.client_id).order_by(Client.client_id)))
        rng = np.random.default_rng(seed)
        chosen = rng.choice(len(ids), min(samples, len(ids)), replace=False)
        profiles = [load_profile(session, ids[i]) for i in chosen]
    engine.dispose()
    for p in profiles[:5]:  # the first look reads each wish text
        matcher.suggest(p, on=on)
        matcher.suggest(p, on=on, prices=prices)
    for name, given in (("plain", None), ("priced", prices)):
        times = []
        for p in profiles:
            t = time.perf_counter()
            matcher.suggest(p, top=10, on=on, prices=given)
            times.append(time.perf_counter() - t)
        ms = np.array(times) * 1000
        out[f"suggest_{name}_median_ms"] = round(float(np.median(ms)), 3)
        out[f"suggest_{name}_p99_ms"] = round(float(np.percentile(ms, 99)), 3)
    out["p99_ratio_priced_to_plain"] = round(out["suggest_priced_p99_ms"]
                                             / out["suggest_plain_p99_ms"], 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--model-dir", type=Path, required=True)
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--on", type=date.fromisoformat, default=None)
    a = ap.parse_args()
    print(json.dumps(measure(a.url, a.model_dir, samples=a.samples, on=a.on), indent=1))


if __name__ == "__main__":
    main()
