"""The last few results of a costly computation, by a digest of its inputs.

The review is recomputed in the background after every change, and most changes (a client,
a suggestion list, a seat) leave the rows a costly part of it reads as they were. Such a
part keeps its last results here, keyed by a digest of exactly those rows, and computes again
only when they differ. The computations are deterministic, so a kept result is the one a new
computation would give.
"""

from __future__ import annotations

import copy
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import pandas as pd

T = TypeVar("T")


class Recent:
    """Up to ``kept`` results by key, shared by the threads of a process; each caller gets
    its own deep copy, so that changing it changes nothing kept."""

    def __init__(self, kept: int) -> None:
        self.kept = kept
        self._lock = threading.Lock()
        self._results: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            found = self._results.get(key)
            if found is not None:
                self._results.move_to_end(key)
        if found is None:
            found = compute()
            with self._lock:
                self._results[key] = found
                while len(self._results) > self.kept:
                    self._results.popitem(last=False)
        return copy.deepcopy(found)


def frames_digest(*frames: pd.DataFrame) -> str:
    """A digest of the frames' columns, types, index and values."""
    h = hashlib.sha256()
    for frame in frames:
        h.update(repr((list(frame.columns), [str(t) for t in frame.dtypes])).encode())
        h.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return h.hexdigest()
