"""Suggestion quality: were the lists acted on, at which rank, why declined, how fast.

A list is *decided* when at least one of its entries has a decision; it is *accepted* when
one entry was accepted. The acceptance rate is accepted / decided lists (undecided lists are
counted apart: nothing is known of them). "Followed" is the top entry accepted,
"overridden" a lower entry accepted or every decided entry declined (docs/design.md,
"Judging the engine": report how often suggestions are followed and overridden, both ways).
Time to placement is days from the list to the placement's start date.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from matcher.notes import note

from .stats import r4, rate

#: Below this many decided lists a figure is shown with ``"small_n": true``.
SMALL_N = 30
#: The reason of a decline recorded without a reason code (imported or older records: the
#: API asks for one). Not "other": that is a reason a social worker chose and explained.
NO_REASON = "none"
#: Below this many logged lists the note says the rates are rough.
FEW_LISTS = 100
DIMENSIONS = {"social_worker": "social_worker", "group": "group", "place": "place",
              "gender": "gender", "age_band": "age_band"}


def per_list(entries: pd.DataFrame) -> pd.DataFrame:
    """One row per logged list: who, decided, accepted, the accepted rank, days to start."""
    if entries.empty:
        return pd.DataFrame(columns=["suggestion_id", "social_worker", "group", "place",
                                     "gender", "age_band", "decided", "accepted",
                                     "accepted_rank", "accepted_kind", "days_to_decision",
                                     "days_to_start", "simulated"])
    e = entries.copy()
    e["is_acc"] = e["decision"].eq("accepted")
    e["is_dec"] = e["decision"].notna()
    created = pd.to_datetime(e["created_at"], utc=True)
    decided_at = pd.to_datetime(e["decided_at"], utc=True)
    start = pd.to_datetime(e["placement_start"], errors="coerce")
    e["days_decision"] = (decided_at - created).dt.total_seconds() / 86400
    e["days_start"] = (start - created.dt.tz_localize(None).dt.normalize()).dt.days
    g = e.groupby("suggestion_id", sort=True)
    first = g.first()
    acc = e[e["is_acc"]].drop_duplicates("suggestion_id").set_index("suggestion_id")
    out = pd.DataFrame({
        "suggestion_id": first.index,
        "social_worker": first["social_worker"].to_numpy(object),
        "group": first["group"].to_numpy(object),
        "place": first["place"].to_numpy(object),
        "gender": first["gender"].to_numpy(object),
        "age_band": first["age_band"].to_numpy(object),
        "decided": g["is_dec"].any().to_numpy(bool),
        "accepted": g["is_acc"].any().to_numpy(bool),
        "simulated": first["simulated"].fillna(False).astype(bool).to_numpy(bool),
    })
    out["accepted_rank"] = acc["rank"].reindex(out["suggestion_id"]).to_numpy(float)
    out["accepted_kind"] = acc["kind"].reindex(out["suggestion_id"]).to_numpy(object)
    out["days_to_decision"] = acc["days_decision"].reindex(out["suggestion_id"]).to_numpy(float)
    out["days_to_start"] = acc["days_start"].reindex(out["suggestion_id"]).to_numpy(float)
    return out


def summarise(lists: pd.DataFrame) -> dict[str, Any]:
    """The figures of one set of lists (all, or one social worker's, group's, ...)."""
    decided = lists.loc[lists["decided"].astype(bool)]
    n_dec = len(decided)
    n_acc = int(decided["accepted"].sum())
    ranks = decided["accepted_rank"].dropna()
    top = int((ranks == 1).sum())
    lower = int((ranks > 1).sum())
    declined_all = n_dec - n_acc
    days = lists["days_to_start"].dropna()
    return {
        "lists": int(len(lists)),
        "decided": n_dec,
        "undecided": int(len(lists) - n_dec),
        "acceptance": rate(n_acc, n_dec),
        "accepted_rank_mean": r4(ranks.mean()) if len(ranks) else None,
        "accepted_rank_counts": {str(int(k)): int(v) for k, v in
                                 ranks.value_counts().sort_index().items()},
        "followed_top": rate(top, n_dec),
        "overridden": {"lower_entry_accepted": lower, "all_declined": declined_all,
                       **rate(lower + declined_all, n_dec)},
        "days_to_placement": _days(days),
        "small_n": n_dec < SMALL_N,
    }


def suggestion_quality(entries: pd.DataFrame, lists_meta: pd.DataFrame) -> dict[str, Any]:
    """Everything of part 1 of the review, overall and by social worker, group, place, kind."""
    lists = per_list(entries)
    n_sim = int(lists["simulated"].sum()) if len(lists) else 0
    result: dict[str, Any] = {
        "n_lists": int(len(lists)),
        "n_simulated": n_sim,
        "note": _note(len(lists), n_sim),
        "overall": summarise(lists),
        "decline_reasons": decline_reasons(
            entries.loc[entries["decision"].eq("declined"), "reason_code"]
            if len(entries) else []),
        "by_kind": by_kind(entries),
        "model_versions": sorted(map(str, lists_meta["model_version"].unique()))
        if len(lists_meta) else [],
    }
    for name, col in DIMENSIONS.items():
        result[f"by_{name}"] = [{name: str(key), **summarise(part)}
                                for key, part in lists.groupby(col, sort=True)] \
            if len(lists) else []
    return result


def decline_reasons(reason_codes: Iterable[str | None]) -> list[dict[str, Any]]:
    """Declines by reason, most frequent first (then by code): ``[{"reason_code", "n",
    "share"}]``, from the reason code of each standing decline
    (:func:`matcher.review.data.standing_decisions`); a decline without one counts as
    :data:`NO_REASON`. The review and the staff dashboard both count them here."""
    codes = [code if isinstance(code, str) and code else NO_REASON for code in reason_codes]
    counts: dict[str, int] = {}
    for code in codes:
        counts[code] = counts.get(code, 0) + 1
    return [{"reason_code": code, "n": n, "share": r4(n / len(codes))}
            for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def by_kind(entries: pd.DataFrame) -> list[dict[str, Any]]:
    """Per option kind: entries shown, decided, accepted (an entry-level rate)."""
    if entries.empty:
        return []
    out = []
    for kind, part in entries.groupby("kind", sort=True):
        dec = part["decision"].notna()
        acc = part["decision"].eq("accepted")
        out.append({"kind": str(kind), "shown": int(len(part)), "decided": int(dec.sum()),
                    "entry_acceptance": rate(int(acc.sum()), int(dec.sum())),
                    "mean_rank_shown": r4(part["rank"].mean()),
                    "small_n": int(dec.sum()) < SMALL_N})
    return out


def _days(days: pd.Series) -> dict[str, Any]:
    if days.empty:
        return {"n": 0, "median": None, "p25": None, "p75": None}
    q = np.percentile(days.to_numpy(float), [25, 50, 75])
    return {"n": int(len(days)), "median": r4(q[1]), "p25": r4(q[0]), "p75": r4(q[2])}


def _note(n: int, n_sim: int) -> dict[str, Any]:
    if n == 0:
        return note("quality.no_lists", "no suggestion list has been logged yet")
    if n_sim and n < FEW_LISTS:
        return note("quality.simulated_few", "{k} of {n} lists are SIMULATED "
                    "(matcher.review.replay: a demo social worker's decisions, not real ones); "
                    "only {n} lists: rates are rough, see the intervals", k=n_sim, n=n)
    if n_sim:
        return note("quality.simulated", "{k} of {n} lists are SIMULATED (matcher.review.replay: "
                    "a demo social worker's decisions, not real ones)", k=n_sim, n=n)
    if n < FEW_LISTS:
        return note("quality.few_lists", "only {n} lists: rates are rough, see the intervals",
                    n=n)
    return note("quality.lists", "{n} logged lists", n=n)
