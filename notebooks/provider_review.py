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
# # Provider and livelihood-model review
#
# The province's policy is to stop the models that do not work and replicate the ones that
# do. This notebook shows the evidence, adjusted for who each provider serves: observed
# successes against the successes the outcome model expects for *those* clients (with the
# provider's own record neutralised), as a league table and a funnel plot. A provider is
# flagged **replicate** or **review** only outside the 99.8% funnel limit and with at least
# 30 placements; below that, the honest answer is "too few placements to say".

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from matcher.review import build_review
from matcher.notes import message_of
from matcher.settings import get_settings
from matcher.store.db import make_engine

settings = get_settings()
review = build_review(make_engine(), settings.model_dir, with_effects=False)
league = review["league"]
print(message_of(league["expected"]))
print(message_of(league["test"]))
print("providers:", league["provider_flags"])
print("livelihood models:", league["livelihood_model_flags"])

# %% [markdown]
# ## Funnel plot

# %%
providers = pd.DataFrame(league["providers"])
funnel = pd.DataFrame(league["funnel"])
colours = {"replicate": "tab:green", "review": "tab:red", "as expected": "tab:blue",
           "too few placements to say": "lightgrey"}
fig, ax = plt.subplots(figsize=(8, 5))
for flag, part in providers.groupby("flag"):
    ax.scatter(part["n"], part["o_over_e"], s=18, color=colours.get(flag, "black"), label=flag)
if len(funnel):
    ax.plot(funnel["n"], funnel["low95"], color="orange", lw=1, label="95%")
    ax.plot(funnel["n"], funnel["high95"], color="orange", lw=1)
    ax.plot(funnel["n"], funnel["low998"], color="darkred", lw=1, label="99.8%")
    ax.plot(funnel["n"], funnel["high998"], color="darkred", lw=1)
ax.axhline(1, color="grey", linestyle="--")
ax.axvline(league["min_n"], color="grey", linestyle=":", lw=1)
ax.set_xscale("log")
ax.set_ylim(0, max(3.0, float(np.nanmax(providers["o_over_e"])) if len(providers) else 3.0))
ax.set_xlabel("placements with an outcome")
ax.set_ylabel("observed / expected successes")
ax.set_title("Providers: case-mix adjusted success (funnel around the province's rate)")
ax.legend(fontsize=8)

# %% [markdown]
# ## League table (providers with enough placements first)

# %%
cols = ["provider_id", "name", "provider_kind", "n", "observed", "expected", "o_over_e",
        "ci_low", "ci_high", "z", "flag"]
providers[cols].head(25)

# %% [markdown]
# ## Livelihood models
#
# A livelihood model (the trade of a livelihood option) is judged against the average
# livelihood model for the same clients.

# %%
models = pd.DataFrame(league["livelihood_models"])
if len(models):
    models = models.sort_values("o_over_e")
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(models) + 1.5))
    err = [models["o_over_e"] - models["ci_low"], models["ci_high"] - models["o_over_e"]]
    ax.barh(models["trade"] + " (n=" + models["n"].astype(str) + ")", models["o_over_e"],
            xerr=err, color=[colours.get(f, "black") for f in models["flag"]])
    ax.axvline(1, color="grey", linestyle="--")
    ax.set_xlabel("observed / expected (exact Poisson 95% interval)")
    ax.set_title("Livelihood models")
    fig.tight_layout()
models

# %%
print("\n".join(message_of(w) for w in review["warnings"] if w["code"].startswith("league."))
      or "no warnings")
