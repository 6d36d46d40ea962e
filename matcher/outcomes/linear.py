"""The pieces of the outcome model's pipeline: derived pair terms, category codes, and a
logistic regression whose coefficients can be held to a sign.

Why a linear model on the logit. The success of a placement is, as far as the programme
reports say, a sum of effects: the client's wish met, the trip, the kind of option for the
client's group, the provider, the local demand for the trade. With a few thousand
placements whose outcomes are noisy (a coin flip with odds moved by those effects), boosted
trees spent their splits on client-level noise; the calibration then had to shrink every
score, the pair effects with it, so that a met wish counted for a third of what the history
showed. A penalised logistic regression on the pair terms keeps each effect at the size the
history supports, and is also the model a social worker can be told about.

What is known before any data is kept by sign constraints: a coefficient on a term that
grows with the distance is never positive, one that grows with the wish match or the
provider's record is never negative (:class:`SignedLogisticRegression`, ``monotonic_cst``).
Every derived term (:class:`PairTerms`) is built so that these signs make the prediction
monotonic in the raw feature.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted

from matcher.logistic import sigmoid
from matcher.outcomes.features import pasted
from matcher.store.profiles import DEFAULT_TRAVEL_KM

#: Under this age a km of travel may weigh more (a minor's trip is a family's matter).
YOUNG_AGE = 18.0
#: A travel limit under this many km marks a client for whom every km may weigh more.
SHORT_LIMIT_KM = 10.0
#: The age around which the chance of settling into work is allowed a bell shape.
SETTLED_AGE = 28.0

#: The terms :class:`PairTerms` adds, and the sign each is held to (0: free).
DERIVED_NUMERIC: dict[str, int] = {
    "wish_exact": 1,             # the wished trade itself, not only its sector
    "distance_young": -1,        # km, for a client under 18
    "distance_short_limit": -1,  # km, for a client whose travel limit is short
    "age_from_settled": 0,       # ((age - 28) / 10)², capped at 4
    "education_training": 0,     # education level, in a training course
    "records_job": 0,            # a client with a record, in a job that accepts records
    "poor_livelihood": 0,        # a poor household, in a livelihood model
}
DERIVED_CATEGORICAL: list[str] = ["group_kind"]


class PairTerms(TransformerMixin, BaseEstimator):
    """Add the interaction terms of :data:`DERIVED_NUMERIC` and :data:`DERIVED_CATEGORICAL`.

    Stateless: the same frame of :data:`matcher.outcomes.features.FEATURES` always gives the same
    terms, at training and at serving.
    """

    def fit(self, X: pd.DataFrame, y: Any = None) -> PairTerms:
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return X.assign(**pair_terms(X))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        names = list(input_features) if input_features is not None else []
        return np.asarray(names + list(DERIVED_NUMERIC) + DERIVED_CATEGORICAL, dtype=object)


#: The derived terms that depend on the client and the option's kind alone (not on the
#: pair's distance or match): a cohort computes them once per client and kind.
CLIENT_KIND_TERMS: tuple[str, ...] = ("age_from_settled", "education_training",
                                      "poor_livelihood", "group_kind")


def _number(X: Any, name: str) -> np.ndarray:
    return np.asarray(X[name], dtype=float)


def _travel_limit(X: Any) -> np.ndarray:
    limit = _number(X, "max_travel_km")
    return np.where(np.isnan(limit), DEFAULT_TRAVEL_KM, limit)


def _kind_is(X: Any, kind: str) -> np.ndarray:
    return np.asarray(X["kind"], dtype=object) == kind


_TERMS = {
    "wish_exact": lambda X: (_number(X, "wish_match") >= 0.99).astype(float),
    "distance_young": lambda X: _number(X, "distance_km") * (_number(X, "age") < YOUNG_AGE),
    "distance_short_limit": lambda X: _number(X, "distance_km")
    * (_travel_limit(X) < SHORT_LIMIT_KM),
    "age_from_settled": lambda X: np.minimum(((_number(X, "age") - SETTLED_AGE) / 10.0) ** 2,
                                             4.0),
    # unknown education: lower secondary, the most common level
    "education_training": lambda X: np.nan_to_num(_number(X, "education"), nan=2.0)
    * _kind_is(X, "training"),
    "records_job": lambda X: _number(X, "record_accepted") * _kind_is(X, "job"),
    "poor_livelihood": lambda X: _number(X, "household_poor") * _kind_is(X, "livelihood"),
    "group_kind": lambda X: pasted(np.asarray(X["group"], dtype=object),
                                   np.asarray(X["kind"], dtype=object)),
}


def pair_terms(X: Any, names: Any = None) -> dict[str, np.ndarray]:
    """The interaction terms of one frame of features (or a mapping of its columns as
    arrays), by name: all of them, or only ``names``."""
    return {name: _TERMS[name](X) for name in (_TERMS if names is None else names)}


class CategoryCodes(TransformerMixin, BaseEstimator):
    """Text categories to ordinal codes; a rare, unknown or missing category becomes NaN.

    What ``OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan,
    min_frequency=...)`` does, through pandas' hash tables instead of sorted object arrays:
    scoring a cohort codes millions of rows. :class:`SignedLogisticRegression` reads the
    codes as one-hot columns (``categorical_features``), a NaN as no column at all.

    Parameters
    ----------
    min_count : int, default=1
        A category seen fewer times in training is coded NaN, like an unknown one.
    """

    def __init__(self, *, min_count: int = 1) -> None:
        self.min_count = min_count

    def fit(self, X: pd.DataFrame, y: Any = None) -> CategoryCodes:
        X = _as_frame(X)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        self.categories_ = []
        for column in X.columns:
            counts = X[column].dropna().astype(str).value_counts()
            kept = sorted(counts.index[counts >= self.min_count])
            self.categories_.append(pd.Index(kept, dtype=object))
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "categories_")
        X = _as_frame(X, self.feature_names_in_)
        out = np.empty((len(X), self.n_features_in_))
        for j, column in enumerate(self.feature_names_in_):
            codes = self.categories_[j].get_indexer(X[column].to_numpy(object))
            out[:, j] = np.where(codes < 0, np.nan, codes)
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "categories_")
        return np.asarray(self.feature_names_in_, dtype=object)


def _as_frame(X: Any, columns: Any = None) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    return pd.DataFrame(np.asarray(X, dtype=object), columns=columns)


class SignedLogisticRegression(ClassifierMixin, BaseEstimator):
    """L2-penalised logistic regression with sign constraints, and categories as codes.

    Minimises ``½‖θ‖² + C · Σ log-loss`` (scikit-learn's ``LogisticRegression`` objective,
    intercept not penalised) by L-BFGS-B. The columns named in ``categorical_features``
    hold ordinal codes (:class:`CategoryCodes`; NaN for a rare or unknown category) and
    count as their one-hot columns would, with a coefficient per category: the same model,
    without building a matrix with a column per category, which cost more than everything
    else when scoring millions of pairs. ``monotonic_cst`` holds a coefficient to a sign:
    ``w_j ≥ 0`` for +1, ``w_j ≤ 0`` for -1, so that the prediction never decreases (+1)
    or never increases (-1) as that input grows, everything else equal.

    Parameters
    ----------
    C : float, default=1.0
        Inverse strength of the penalty, per unit of summed log-loss.
    categorical_features : list of int, optional
        Positions of the columns holding category codes (0, 1, ... or NaN).
    monotonic_cst : dict of str to int, or list of int, optional
        Input column name → +1, -1 or 0 (then ``X`` at ``fit`` must have column names: a
        DataFrame), or the sign of each of the first ``len(monotonic_cst)`` columns by
        position (the columns after them are free). Categorical columns take 0.
    max_iter : int, default=1000
    tol : float, default=1e-8
        Tolerance on the projected gradient (L-BFGS-B's ``pgtol``).

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_numeric_features)
        The coefficients of the other (numeric) columns, in their order.
    category_coef_ : list of ndarray
        Per categorical column, the coefficient of each code.
    intercept_ : ndarray of shape (1,)
    classes_ : ndarray of shape (2,)
    n_iter_ : int

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"km": [1.0, 2, 3, 4, 5, 6], "wish": [1.0, 1, 0, 1, 0, 0]})
    >>> clf = SignedLogisticRegression(C=10.0, monotonic_cst={"km": -1}).fit(X, [1, 1, 1, 0, 0, 0])
    >>> bool(clf.coef_[0, 0] <= 0)
    True
    """

    def __init__(self, *, C: float = 1.0, categorical_features: list[int] | None = None,
                 monotonic_cst: dict[str, int] | list[int] | None = None,
                 max_iter: int = 1000, tol: float = 1e-8) -> None:
        self.C = C
        self.categorical_features = categorical_features
        self.monotonic_cst = monotonic_cst
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> SignedLogisticRegression:
        if not self.C > 0:
            raise ValueError(f"C must be positive, not {self.C}")
        names = getattr(X, "columns", None)
        X = check_array(X, dtype=np.float64, ensure_all_finite="allow-nan")
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(f"two classes are needed, not {len(self.classes_)}")
        self.n_features_in_ = X.shape[1]
        if names is not None:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        categorical = sorted(set(self.categorical_features or []))
        if any(not 0 <= j < X.shape[1] for j in categorical):
            raise ValueError(f"categorical_features out of range 0..{X.shape[1] - 1}")
        self._categorical = np.asarray(categorical, dtype=np.intp)
        self._numeric = np.setdiff1d(np.arange(X.shape[1]), self._categorical)
        numbers = X[:, self._numeric]
        if np.isnan(numbers).any():
            raise ValueError("numeric columns hold NaN: impute them first")
        self._sizes = [int(np.nanmax(X[:, j], initial=-1)) + 1 for j in self._categorical]
        codes = self._codes(X)
        p, k = numbers.shape[1], sum(self._sizes)

        target = (y == self.classes_[1]).astype(np.float64)
        weight = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
        signs = self._signs(names, X.shape[1])
        bounds: list[tuple[float | None, float | None]] = [(None, None)] * (p + k + 1)
        for position, j in enumerate(self._numeric):
            sign = signs.get(int(j), 0)
            if sign:
                bounds[position] = (0.0, None) if sign > 0 else (None, 0.0)
        C = float(self.C)
        flat = codes.ravel()

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            w, levels, b = theta[:p], theta[p:p + k], theta[-1]
            z = numbers @ w + b + _gathered(levels, codes)
            loss = np.logaddexp(0.0, z) - target * z
            residual = C * weight * (sigmoid(z) - target)
            grad = np.empty_like(theta)
            grad[:p] = numbers.T @ residual + w
            grad[p:p + k] = np.bincount(flat, weights=np.repeat(residual, codes.shape[1]),
                                        minlength=k + 1)[:k] + levels
            grad[-1] = residual.sum()
            return 0.5 * float(w @ w + levels @ levels) + C * float(weight @ loss), grad

        start = np.zeros(p + k + 1)
        rate = np.clip(np.average(target, weights=weight), 1e-6, 1 - 1e-6)
        start[-1] = np.log(rate / (1 - rate))
        result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds,
                          options={"maxiter": self.max_iter, "gtol": self.tol})
        self.coef_ = result.x[:p].reshape(1, -1)
        self.category_coef_ = np.split(result.x[p:p + k], np.cumsum(self._sizes)[:-1]) \
            if self._sizes else []
        self.intercept_ = result.x[-1:].copy()
        self.n_iter_ = int(result.nit)
        return self

    def _codes(self, X: np.ndarray) -> np.ndarray:
        """Each row's position in the flat vector of category coefficients, per categorical
        column; a NaN, or a code not seen in training, points past the end (counts 0)."""
        total = sum(self._sizes)
        out = np.full((len(X), len(self._categorical)), total, dtype=np.intp)
        offset = 0
        for c, (j, size) in enumerate(zip(self._categorical, self._sizes, strict=True)):
            code = X[:, j]
            known = ~np.isnan(code) & (code >= 0) & (code < size)
            out[known, c] = offset + code[known].astype(np.intp)
            offset += size
        return out

    def _signs(self, names: Any, n: int) -> dict[int, int]:
        """Column position → sign."""
        cst = self.monotonic_cst
        if cst is None:
            signs = {}
        elif not isinstance(cst, dict):
            if len(cst) > n:
                raise ValueError(f"monotonic_cst has {len(cst)} signs for {n} columns")
            signs = dict(enumerate(cst))
        else:
            if names is None:
                raise ValueError("monotonic_cst names columns: fit on a DataFrame")
            position = {str(c): j for j, c in enumerate(names)}
            unknown = sorted(set(cst) - set(position))
            if unknown:
                raise ValueError(f"monotonic_cst names columns that are not there: {unknown}")
            signs = {position[name]: sign for name, sign in cst.items()}
        for j, sign in signs.items():
            if sign not in (-1, 0, 1):
                raise ValueError(f"monotonic_cst: {sign} is not -1, 0 or 1")
            if sign and j in set(self._categorical.tolist()):
                raise ValueError(f"column {j} is categorical: it cannot be monotonic")
        return signs

    def decision_function(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "coef_")
        X = check_array(X, dtype=np.float64, ensure_all_finite="allow-nan")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} columns, the model {self.n_features_in_}")
        levels = np.concatenate(self.category_coef_) if self.category_coef_ else np.zeros(0)
        return (X[:, self._numeric] @ self.coef_[0] + self.intercept_[0]
                + _gathered(levels, self._codes(X)))

    def predict_proba(self, X: Any) -> np.ndarray:
        p = sigmoid(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[(self.decision_function(X) > 0).astype(int)]

    def coefficients(self, names: Any = None) -> dict[str, float]:
        """The numeric columns' coefficients by name (``names`` of every input column, the
        names seen at ``fit``, or positions), then ``"<column>=<code>"`` for categories."""
        check_is_fitted(self, "coef_")
        if names is None:
            names = getattr(self, "feature_names_in_", np.arange(self.n_features_in_))
        names = [str(n) for n in names]
        out = {names[j]: float(c) for j, c in zip(self._numeric, self.coef_[0], strict=True)}
        for j, levels in zip(self._categorical, self.category_coef_, strict=True):
            out.update({f"{names[j]}={code}": float(c) for code, c in enumerate(levels)})
        return out


def _gathered(levels: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per row, the sum of the category coefficients its codes point at (past the end: 0)."""
    padded = np.append(levels, 0.0)
    if not codes.shape[1]:
        return np.zeros(len(codes))
    out = padded[codes[:, 0]].copy()
    for c in range(1, codes.shape[1]):
        out += padded[codes[:, c]]
    return out

