# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---
# ruff: noqa: T201, B018  (a notebook prints and shows tables)

# %% [markdown]
# # Match-quality review
#
# Are the suggestions acted on, are the predicted chances of success honest, and are all
# groups served alike? Everything here comes from `matcher.review.build_review`, the same
# function behind `matcher review --json`, `GET /v1/review` and the staff dashboard. It reads
# the database named by `DATABASE_URL` and the model in `MATCHER_MODEL_DIR`.
#
# On the demo world the suggestion log is **simulated** (`matcher review --simulate-log N`):
# the review says so wherever it is used.

# %%
import matplotlib.pyplot as plt
import pandas as pd

from matcher.review import build_review
from matcher.notes import message_of
from matcher.settings import get_settings
from matcher.store.db import make_engine

settings = get_settings()
engine = make_engine()
review = build_review(engine, settings.model_dir, with_effects=False)
print(review["model"])
print(review["data"])

# %% [markdown]
# ## 1. Suggestion quality

# %%
quality = review["suggestion_quality"]
print(message_of(quality["note"]))
overall = quality["overall"]
pd.Series({
    "decided lists": overall["decided"],
    "acceptance": overall["acceptance"]["rate"],
    "top entry followed": overall["followed_top"]["rate"],
    "overridden": overall["overridden"]["rate"],
    "mean accepted rank": overall["accepted_rank_mean"],
    "median days to start": overall["days_to_placement"]["median"],
})


# %%
def rate_bars(ax, rows, key, value, title):
    """Bars of a rate with their Wilson 95% interval; small groups hatched."""
    rows = [r for r in rows if r[value]["rate"] is not None]
    labels = [r[key] for r in rows]
    rate = [r[value]["rate"] for r in rows]
    low = [r[value]["rate"] - r[value]["ci_low"] for r in rows]
    high = [r[value]["ci_high"] - r[value]["rate"] for r in rows]
    bars = ax.barh(labels, rate, xerr=[low, high], color="tab:blue", alpha=0.7)
    for bar, r in zip(bars, rows, strict=True):
        if r.get("small_n"):
            bar.set_hatch("//")
    ax.set_xlim(0, 1)
    ax.set_title(title)


fig, axes = plt.subplots(1, 3, figsize=(15, 4))
rate_bars(axes[0], quality["by_social_worker"], "social_worker", "acceptance",
          "Acceptance by social worker")
rate_bars(axes[1], quality["by_group"], "group", "acceptance", "Acceptance by group")
ranks = overall["accepted_rank_counts"]
axes[2].bar(list(ranks), list(ranks.values()), color="tab:green")
axes[2].set_title("Rank of the accepted entry")
fig.tight_layout()

# %%
reasons = pd.DataFrame(quality["decline_reasons"])
reasons

# %%
pd.DataFrame([{"kind": k["kind"], "shown": k["shown"], "decided": k["decided"],
               "accepted": k["entry_acceptance"]["rate"]} for k in quality["by_kind"]])

# %% [markdown]
# ## 2. Calibration
#
# Predicted against observed success by decile, with Wilson 95% intervals. The predictions
# are out of fold: no placement is scored by a model that saw its outcome.

# %%
cal = review["calibration"]["current"]
print(message_of(cal["predictions"]))
deciles = pd.DataFrame(cal["deciles"])
fig, ax = plt.subplots(figsize=(5, 5))
ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfect")
ax.errorbar(deciles["mean_predicted"], deciles["observed"],
            yerr=[deciles["observed"] - deciles["ci_low"],
                  deciles["ci_high"] - deciles["observed"]],
            fmt="o-", label=f"model {cal['version'][:16]}")
ax.set_xlabel("predicted P(success)")
ax.set_ylabel("observed success")
ax.set_xlim(0, 1)
ax.set_ylim(0, 1)
ax.legend()
ax.set_title("Calibration by decile")

# %%
brier = cal["brier"]
print(f"Brier {brier['brier']} = reliability {brier['reliability']} - resolution "
      f"{brier['resolution']} + uncertainty {brier['uncertainty']} (+ {brier['within_bin']})")
print(f"in-sample Brier {cal['brier_in_sample']} (flattering), slope "
      f"{cal['calibration_slope']}, intercept {cal['calibration_intercept']}")
print("drift:", message_of(review["calibration"]["drift"].get("warning") or "none"),
      {k: review["calibration"]["drift"].get(k) for k in ("n", "observed", "band_low",
                                                          "band_high", "z")})
pd.DataFrame(review["calibration"]["by_model_version"])

# %% [markdown]
# ## 3. Fairness
#
# Success rate by group, gender, age band and place (former district), each level against
# the rest: two-proportion z-test, Holm-corrected within the dimension, at least 30 cases.
# Red bars are flagged as served worse beyond chance.

# %%
fair = review["fairness"]
dims = list(fair["dimensions"])
fig, axes = plt.subplots(1, len(dims), figsize=(5 * len(dims), 4.5))
for ax, dim in zip(axes, dims, strict=True):
    rows = fair["dimensions"][dim]["success"]
    labels = [r["level"] for r in rows]
    rate = [r["rate"] for r in rows]
    err = [[r["rate"] - r["ci_low"] for r in rows], [r["ci_high"] - r["rate"] for r in rows]]
    colours = ["tab:red" if r["served_worse"] else "tab:blue" for r in rows]
    ax.barh(labels, rate, xerr=err, color=colours, alpha=0.75)
    ax.axvline(sum(r["k"] for r in rows) / max(sum(r["n"] for r in rows), 1), color="grey",
               linestyle="--")
    ax.set_xlim(0, 1)
    ax.set_title(f"success by {dim}")
fig.tight_layout()

# %%
pd.DataFrame(fair["flags"])

# %%
cal_rows = [{"dimension": d, **r} for d in dims for r in fair["dimensions"][d]["calibration"]]
pd.DataFrame(cal_rows)[["dimension", "level", "n", "observed", "expected", "o_over_e", "z",
                        "p_holm", "overpredicted"]]

# %% [markdown]
# ### Do the suggestions steer women and men to different trades or wages?
#
# Women and men with the *same wish* (resolved trade of interest) are compared:
# Cochran–Mantel–Haenszel for the share in the wished trade, a stratified difference of means
# for the wage, Holm over the four tests.

# %%
steer = fair["steering"]
print(message_of(steer["note"]))
pd.DataFrame([{"test": name, "method": t.get("test"), "strata": t.get("strata"),
               "odds_ratio / difference": t.get("odds_ratio", t.get("difference")),
               "p": t.get("p_value"), "p_holm": t.get("p_holm")}
              for name, t in steer["tests"].items()])

# %%
print("\n".join(message_of(w) for w in review["warnings"]))
