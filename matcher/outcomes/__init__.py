"""The outcome model: P(success at 6 months | client, option), trained on past placements.

``train`` fits and validates it (see :mod:`.fit`) and writes a versioned artefact with its
model card (see :mod:`.store`); ``load_model`` reads one back after checking it;
``current_model`` is what the engine uses: the current trained model, or the transparent
prior when none has been trained (no history yet).

Examples
--------
>>> from matcher.outcomes import current_model            # doctest: +SKIP
>>> model = current_model(settings.model_dir)             # doctest: +SKIP
>>> prepared = prepare_options(catalog.options, wish=wish, context=model.context)
>>> p = model.predict(client_features(profile, prepared, distance_km=d, wish=wish))

The names below are loaded on first use (PEP 562), not when the package is: its light parts
(the features, the command line's sub-commands) need no scikit-learn, and a `matcher import`
or `matcher seed` process starts in about 0.6 s instead of 2 s.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Each public name and the module of this package that defines it.
_WHERE = {
    "TrainingSet": "data", "build_training_set": "data", "load_training_set": "data",
    "outcome_labels": "data",
    "PRIOR_NOTE": "model", "ModelCard": "model", "OutcomeModel": "model", "PriorModel": "model",
    "CURRENT": "store", "ModelError": "store", "set_current": "store",
    "NoHistory": "training", "current_model": "training", "fit_model": "training",
    "load_model": "training", "save_model": "training", "train": "training",
    "train_on": "training",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})
