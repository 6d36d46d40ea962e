"""What an effect estimate is about and whether it can be trusted: balance, overlap, whom
it covers, how strong a hidden difference would have to be to explain it away, and the
verdict the pages lead with.

**Verdict.** ``estimate`` (a number worth reading), ``fragile`` (a number, with the reasons
to doubt it first), ``cannot_say`` (no number: the records cannot answer, and why). The
thresholds are fixed here, chosen before the estimator met the public benchmarks and not
moved for them:

* cannot say: more than :data:`CANNOT_SAY_LEFT_OUT` of the placed have no comparable
  unplaced client; the comparison weights rest on an effective fewer than
  :data:`MIN_EFFECTIVE` clients; one comparison client carries more than
  :data:`MAX_WEIGHT_SHARE` of the weight; or the outcome is the same for everyone;
* fragile: more than :data:`FRAGILE_LEFT_OUT` of the placed left out; the effective
  comparison sample is under 10% of the comparison clients; fewer than
  :data:`MIN_COMPARED` comparison clients; or a covariate still differs after weighting by
  more than :data:`MAX_SMD_AFTER` standard deviations and by more than chance leaves
  between this many placed and this effective comparison sample (three standard errors
  of a standardised difference, ``3·sqrt(1/n_placed + 1/ess)``: with thirty covariates
  some rare category always differs by two).

**Balance.** Standardised mean differences (placed − compared, over the pooled standard
deviation) before and after weighting. A covariate the same for everyone (one place, one
registration date, no women) has nothing to balance: it is listed in
``constant_covariates`` and left out of the table, never shown as a difference of 1.4
made of rounding noise.

**Sensitivity (E-value, VanderWeele & Ding 2017).** The strength, as a risk ratio with both
placement and the outcome, that an unrecorded difference between placed and unplaced
would need to explain the effect away (``e_value``) or to move the interval to include no
effect (``e_value_ci``, 1 when it already does). For income, the effect is first put on
the risk-ratio scale by ``RR ≈ exp(0.91 · d)``, ``d`` the effect over the outcome's
standard deviation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from matcher.notes import note

__all__ = ["balance_table", "describe_left_out", "e_values", "verdict"]

CANNOT_SAY_LEFT_OUT = 0.25
FRAGILE_LEFT_OUT = 0.10
MIN_EFFECTIVE = 30
MAX_WEIGHT_SHARE = 0.10
MIN_COMPARED = 50
MAX_SMD_AFTER = 0.25
#: A standard deviation this small next to the column's size is rounding noise, not spread.
_RELATIVE_NOISE = 1e-9


def _spread(column: np.ndarray) -> bool:
    return np.ptp(column) > _RELATIVE_NOISE * (1.0 + np.abs(column).max())


def balance_table(m: pd.DataFrame, d: np.ndarray, w: np.ndarray,
                  keep: np.ndarray) -> tuple[list[dict[str, Any]], list[str]]:
    """(rows of the balance table, the covariates left out for being the same for all)."""
    values = m.to_numpy(float)
    constant = [name for j, name in enumerate(m.columns) if not _spread(values[:, j])]
    rows = []
    t, c = values[d], values[~d]
    tk, ck, wk = values[d & keep], values[~d & keep], w[~d & keep]
    for j, name in enumerate(m.columns):
        if name in constant:
            continue
        sd = float(np.sqrt((t[:, j].var() + c[:, j].var()) / 2))
        if sd <= _RELATIVE_NOISE * (1.0 + np.abs(values[:, j]).max()):
            sd = float(values[:, j].std())  # one side constant: the overall spread
        before = (t[:, j].mean() - c[:, j].mean()) / sd
        after = ((tk[:, j].mean() - np.average(ck[:, j], weights=wk)) / sd
                 if len(tk) and wk.sum() > 0 else np.nan)
        rows.append({"covariate": name, "mean_placed": round(float(t[:, j].mean()), 4),
                     "mean_compared": round(float(c[:, j].mean()), 4),
                     "smd_before": round(float(before), 4),
                     "smd_after": round(float(after), 4) if np.isfinite(after) else None})
    return rows, constant


def describe_left_out(m: pd.DataFrame, d: np.ndarray, keep: np.ndarray,
                      most: int = 5) -> list[dict[str, Any]]:
    """How the placed left out differ from the placed kept: the ``most`` largest gaps."""
    inside, out = m.loc[d & keep], m.loc[d & ~keep]
    if not len(out) or not len(inside):
        return []
    rows = []
    for name in m.columns:
        a, b = inside[name].to_numpy(float), out[name].to_numpy(float)
        sd = float(np.concatenate([a, b]).std())
        if sd <= 0:
            continue
        rows.append({"covariate": name, "mean_inside": round(float(a.mean()), 4),
                     "mean_left_out": round(float(b.mean()), 4),
                     "smd": round(float((b.mean() - a.mean()) / sd), 4)})
    rows.sort(key=lambda r: -abs(r["smd"]))
    return rows[:most]


def _e_value(rr: float) -> float:
    rr = max(rr, 1.0 / rr) if rr > 0 else float("inf")
    return float(rr + np.sqrt(rr * (rr - 1.0)))


def e_values(effect: float, ci: tuple[float, float], *, binary: bool, mean_placed: float,
             sd_outcome: float) -> dict[str, Any]:
    """E-values of the estimate and of the interval's end nearer to no effect."""
    def rr(tau: float) -> float:
        if binary:
            p1 = float(np.clip(mean_placed, 1e-3, 1 - 1e-3))
            p0 = float(np.clip(mean_placed - tau, 1e-3, 1 - 1e-3))
            return p1 / p0
        return float(np.exp(0.91 * tau / sd_outcome)) if sd_outcome > 0 else 1.0

    low, high = ci
    nearer = 0.0 if low <= 0.0 <= high else (low if effect > 0 else high)
    return {"e_value": round(_e_value(rr(effect)), 2),
            "e_value_ci": round(_e_value(rr(nearer)), 2) if nearer else 1.0,
            "scale": "risk ratio" if binary else "risk ratio from exp(0.91·d)"}


def verdict(*, n_placed: int, n_kept: int, n_compared: int, ess: float,
            largest_share: float, balance: list[dict[str, Any]],
            outcome_constant: bool) -> tuple[str, list[dict[str, Any]]]:
    """(``estimate`` | ``fragile`` | ``cannot_say``, the coded reasons)."""
    cannot, fragile = [], []
    left_out = 1.0 - n_kept / n_placed if n_placed else 1.0
    if outcome_constant:
        cannot.append(note("effects.outcome_constant",
                           "the outcome is the same for every placed and comparison client: "
                           "there is no difference to explain"))
    if left_out > CANNOT_SAY_LEFT_OUT:
        cannot.append(note("effects.left_out_many",
                           "{n_left_out} of the {n_placed} placements ({share:.0%}) have no "
                           "comparable client who was not placed", n_left_out=n_placed - n_kept,
                           n_placed=n_placed, share=round(left_out, 4)))
    elif left_out > FRAGILE_LEFT_OUT:
        fragile.append(note("effects.left_out_some",
                            "{n_left_out} of the {n_placed} placements ({share:.0%}) have no "
                            "comparable client who was not placed and are left out",
                            n_left_out=n_placed - n_kept, n_placed=n_placed,
                            share=round(left_out, 4)))
    if ess < MIN_EFFECTIVE:
        cannot.append(note("effects.few_effective",
                           "the comparison rests on an effective {ess:.0f} of {n_compared} "
                           "clients", ess=round(ess, 1), n_compared=n_compared))
    elif ess < 0.10 * n_compared:
        fragile.append(note("effects.low_effective",
                            "the comparison rests on an effective {ess:.0f} of {n_compared} "
                            "clients", ess=round(ess, 1), n_compared=n_compared))
    if largest_share > MAX_WEIGHT_SHARE:
        cannot.append(note("effects.one_weighs_much",
                           "one comparison client carries {share:.0%} of the weight",
                           share=round(largest_share, 4)))
    if n_compared < MIN_COMPARED:
        fragile.append(note("effects.few_compared",
                            "only {n_compared} comparison clients (follow-ups of clients never "
                            "placed)", n_compared=n_compared))
    worst = max((abs(b["smd_after"]) for b in balance if b["smd_after"] is not None),
                default=0.0)
    chance = 3.0 * float(np.sqrt(1.0 / max(n_kept, 1) + 1.0 / max(ess, 1.0)))
    if worst > max(MAX_SMD_AFTER, chance):
        name = next(b["covariate"] for b in balance
                    if b["smd_after"] is not None and abs(b["smd_after"]) == worst)
        fragile.append(note("effects.imbalance_left",
                            "after weighting, {covariate} still differs by {smd:.2f} standard "
                            "deviations", covariate=name, smd=round(worst, 4)))
    if cannot:
        return "cannot_say", cannot + fragile
    return ("fragile" if fragile else "estimate"), fragile
