"""The fitted linear pipeline as a few numpy operations, for serving one list at a time.

The scikit-learn pipeline validates its input at every step (column transformer, imputer,
scaler, classifier): about 10 ms of fixed cost per call, whatever the number of rows, which
is most of a suggestion's time. :class:`CompiledScorer` reads the fitted parameters once and
computes the same score: imputing with the training medians and standardising are folded
into the coefficients, each category's coefficient is looked up through its code. Tests hold
it equal to the pipeline's ``decision_function`` (tests/engine/test_fast_scorer.py); any other
pipeline shape is simply not compiled and the pipeline is used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from matcher.outcomes.linear import (
    CategoryCodes,
    PairTerms,
    SignedLogisticRegression,
    pair_terms,
)

# From this many rows a categorical column is factorised and its distinct values looked up
# once; below it a plain look-up per row is faster (a suggestion list: a few hundred rows).
FACTORIZE_FROM = 2_000


class CompiledScorer:
    def __init__(self, pipeline: Pipeline) -> None:
        terms, columns, clf = (pipeline.named_steps[k] for k in ("terms", "features", "clf"))
        cat = columns.named_transformers_["categorical"]
        numeric = columns.named_transformers_["numeric"]
        impute, scale = numeric.named_steps["impute"], numeric.named_steps["scale"]
        if not (isinstance(terms, PairTerms) and isinstance(cat, CategoryCodes)
                and isinstance(clf, SignedLogisticRegression)):
            raise TypeError("not the linear pipeline")
        self.categorical = [str(c) for c in cat.feature_names_in_]
        self.categories = list(cat.categories_)
        # Each category's coefficient by its text; an unknown, rare or missing one adds
        # nothing. (A dict look-up per row beats pandas' indexer on a few hundred rows.)
        self.coefficients = [dict(zip(index.tolist(), np.asarray(c, float).tolist(),
                                      strict=True))
                             for index, c in zip(self.categories, clf.category_coef_,
                                                 strict=True)]
        self.numeric = [str(c) for c in impute.feature_names_in_]
        self.medians = np.asarray(impute.statistics_, float)
        indicator = impute.indicator_
        self.flagged = np.asarray(indicator.features_ if indicator is not None else [], int)
        weights = clf.coef_[0] / scale.scale_
        n = len(self.numeric)
        self.w_value, self.w_flag = weights[:n], weights[n:]
        self.const = float(clf.intercept_[0] - (clf.coef_[0] * scale.mean_ / scale.scale_).sum())
        if len(self.w_flag) != len(self.flagged):
            raise TypeError("unexpected missing-value indicator layout")

    @classmethod
    def compile(cls, pipeline: Pipeline) -> CompiledScorer | None:
        try:
            return cls(pipeline)
        except (TypeError, KeyError, AttributeError):
            return None

    @property
    def names(self) -> list[str]:
        """Every column the score sums over (derived terms included)."""
        return self.numeric + self.categorical

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        derived = pair_terms(X)
        columns = {name: derived[name] if name in derived else X[name].to_numpy()
                   for name in self.names}
        return self.const + self.contributions(columns, self.names, len(X))

    def contributions(self, columns: Mapping[str, np.ndarray], names: Iterable[str],
                      n: int) -> np.ndarray:
        """The part of the score the columns ``names`` add, for ``n`` rows of ``columns``.

        The score is a sum over columns (plus :attr:`const`), so that any split of the
        columns gives parts that add up to it (matcher.outcomes.split)."""
        # Column by column, never the rows × columns matrix: a cohort's chunk has millions
        # of rows, and one pass per column is both lighter and faster than stacking.
        score = np.zeros(n)
        wanted = set(names)
        flag_weight = dict(zip(self.flagged.tolist(), self.w_flag.tolist(), strict=True))
        for i, name in enumerate(self.numeric):
            if name not in wanted:
                continue
            values = np.asarray(columns[name], float)
            missing = np.isnan(values)
            if missing.any():
                score += np.where(missing, self.medians[i], values) * self.w_value[i]
                if i in flag_weight:
                    score += missing * flag_weight[i]
            else:
                score += values * self.w_value[i]
        for name, coefficient in zip(self.categorical, self.coefficients, strict=True):
            if name not in wanted:
                continue
            values = np.asarray(columns[name], object)
            if len(values) <= FACTORIZE_FROM:
                score += np.fromiter((coefficient.get(v, 0.0) for v in values), float,
                                     len(values))
            else:
                # A cohort's millions of rows hold a few hundred distinct values: look each
                # up once and gather (a missing value's code is -1 and adds nothing).
                codes, uniques = pd.factorize(values, use_na_sentinel=True)
                known = np.fromiter((coefficient.get(v, 0.0) for v in uniques), float,
                                    len(uniques))
                score += np.where(codes >= 0, known[np.maximum(codes, 0)], 0.0)
        return score
