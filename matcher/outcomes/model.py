"""The two kinds of outcome model the engine can hold: a trained one, or the prior.

Both answer ``predict(features) -> P(success)`` for a frame of :data:`FEATURES` rows, and
carry a ``version`` (logged with every suggestion), a ``card`` and the ``context`` the
features need (provider statistics). ``is_prior`` tells the ranking to say, in every
reason, that no history was behind the number.
"""

from __future__ import annotations

import logging
import platform
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.pipeline import Pipeline
from threadpoolctl import ThreadpoolController

from matcher.logistic import sigmoid
from matcher.outcomes.features import FEATURES
from matcher.outcomes.provider_stats import FeatureContext

from .fast import CompiledScorer
from .split import SplitScorer

log = logging.getLogger("matcher.model")

PRIOR_VERSION = "prior"
#: The transparent prior: P = BASE + WISH·wish_match − KM·min(distance_km, KM_CAP), clipped
#: to [LOW, HIGH]. 0.35 is below the demo history's 52% on purpose: a pair nobody has tried
#: is not assumed to do as well as the pairs social workers chose. A stated wish met in full
#: adds 0.30 (the largest effect in the programme reports: people stay in trades they
#: asked for); every km costs 0.004, up to 50 km (−0.20), beyond which the rules and the
#: client's own limit decide.
PRIOR_BASE = 0.35
PRIOR_WISH = 0.30
PRIOR_KM = 0.004
PRIOR_KM_CAP = 50.0
PRIOR_LOW, PRIOR_HIGH = 0.05, 0.90
PRIOR_NOTE = {
    "vi": "Chưa có dữ liệu kết quả việc làm: khả năng thành công chỉ là ước lượng sơ bộ "
          "theo nguyện vọng và khoảng cách",
    "en": "No outcome history yet: the chance of success is a transparent prior from the "
          "wish match and the distance only",
}


#: OpenMP threads per prediction. The API runs several workers on few cores: one thread each
#: keeps a request from busy-waiting on threads that another worker's request holds.
PREDICT_THREADS = 1


@lru_cache(maxsize=1)
def _threads() -> ThreadpoolController:
    # Built once: finding the thread pools scans the loaded libraries (milliseconds), the
    # limit itself then costs microseconds.
    return ThreadpoolController()


def library_versions() -> dict[str, str]:
    """The versions a model card records (an artefact is only loaded with the same sklearn)."""
    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
            "numpy": np.__version__, "pandas": pd.__version__, "joblib": joblib.__version__}


@dataclass(frozen=True)
class ModelCard:
    """What a trained model is, what it was trained on, and how well it did (JSON beside it)."""

    version: str
    trained_at: str
    data_hash: str
    rows: int
    n_clients: int
    success_rate: float
    features: list[str]
    libraries: dict[str, str]
    model: dict[str, Any]
    validation: dict[str, Any]
    calibration: list[dict[str, Any]]
    calibration_params: dict[str, float]
    context: dict[str, Any]
    artefact: str
    artefact_sha256: str
    train_seconds: float | None = None
    format: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The card as JSON-ready data; keys added later (``extra``) sit at the top level."""
        data = asdict(self)
        return {**data.pop("extra"), **data}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelCard:
        known = set(cls.__dataclass_fields__) - {"extra"}
        return cls(**{k: v for k, v in data.items() if k in known},
                   extra={k: v for k, v in data.items() if k not in known})




class OutcomeModel:
    """A trained, calibrated model: ``P = sigmoid(a · pipeline score + b)``.

    Built by :func:`matcher.outcomes.load_model` (or by training); not from user input.
    """

    is_prior = False
    note: dict[str, str] | None = None

    def __init__(self, *, card: ModelCard, pipeline: Pipeline, calibration: tuple[float, float],
                 context: FeatureContext) -> None:
        self.card = card
        self.version = card.version
        self.pipeline = pipeline
        self.calibration = (float(calibration[0]), float(calibration[1]))
        self.context = context
        self.compiled = CompiledScorer.compile(pipeline)
        self.split: SplitScorer | None = None
        why = "its pipeline has steps the compiled scorer does not know"
        if self.compiled is not None:
            try:
                self.split = SplitScorer(self.compiled, self.calibration)
            except TypeError as exc:  # a model of another shape: scored by whole frames
                why = str(exc)
        if self.split is None:
            # Whole frames cost several times the split scorer (a national cohort plan: 118 s
            # against 77 s): say so where the operator will see it.
            log.warning("model %s cannot be scored in per-client, per-option and per-pair "
                        "parts (%s): suggestions and cohort plans are scored by whole "
                        "feature frames, several times slower", card.version, why)

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """P(success at 6 months) for each row of a :data:`FEATURES` frame.

        Raises ``ValueError`` naming the missing columns when the frame lacks some.
        """
        _check_columns(features)
        if len(features) == 0:
            return np.zeros(0)
        a, b = self.calibration
        if self.compiled is not None:
            # The fitted pipeline as plain numpy (equal to it, tests/engine/test_fast_scorer.py):
            # it skips the pipeline's per-step checks and copies, for a suggestion list and for
            # a cohort's millions of rows alike.
            raw = self.compiled.decision_function(features)
        else:
            with _threads().limit(limits=PREDICT_THREADS):
                raw = self.pipeline.decision_function(features[FEATURES])
        return sigmoid(a * raw + b)

    def __repr__(self) -> str:
        return f"OutcomeModel(version={self.version!r})"


class PriorModel:
    """The transparent prior used before any outcome is known; see :data:`PRIOR_BASE`."""

    is_prior = True
    version = PRIOR_VERSION
    note = PRIOR_NOTE
    split = None  # not a sum of per-column parts: cohorts are scored by whole frames

    def __init__(self) -> None:
        self.context = FeatureContext.empty()
        self.card: dict[str, Any] = {
            "version": PRIOR_VERSION,
            "is_prior": True,
            "formula": f"P = clip({PRIOR_BASE} + {PRIOR_WISH}·wish_match − {PRIOR_KM}·"
                       f"min(distance_km, {PRIOR_KM_CAP:g}), {PRIOR_LOW}, {PRIOR_HIGH})",
            "note": PRIOR_NOTE,
        }

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """The prior's P for each row; only ``wish_match`` and ``distance_km`` are read."""
        missing = [c for c in ("wish_match", "distance_km") if c not in features.columns]
        if missing:
            raise ValueError(f"features frame lacks {missing}")
        wish = features["wish_match"].to_numpy(float)
        km = np.minimum(features["distance_km"].to_numpy(float), PRIOR_KM_CAP)
        return np.clip(PRIOR_BASE + PRIOR_WISH * wish - PRIOR_KM * km, PRIOR_LOW, PRIOR_HIGH)

    def __repr__(self) -> str:
        return "PriorModel()"


def _check_columns(features: pd.DataFrame) -> None:
    missing = [c for c in FEATURES if c not in features.columns]
    if missing:
        raise ValueError(f"features frame lacks {missing}: build it with matcher.outcomes.features")
