"""A rebuilt matcher frees the one it replaces by reference counting alone.

The API worker freezes its long-lived objects out of the cycle collector after each build
and does not unfreeze them at the next (api/matching.py, ``MatcherCache._install``): a
matcher that held a reference cycle would then stay in memory until the next full
collection. These tests build real matchers and watch the replaced one go.
"""

from __future__ import annotations

import gc
import weakref

import pytest
from sqlalchemy.orm import Session

from api.matching import FULL_COLLECTION_EVERY, MatcherCache, _build
from matcher.settings import get_settings


def _reachable(root, depth: int) -> dict[int, object]:
    """Objects reachable from ``root`` in at most ``depth`` steps, by id."""
    seen: dict[int, object] = {id(root): root}
    frontier = [root]
    for _ in range(depth):
        frontier = [r for o in frontier for r in gc.get_referents(o) if id(r) not in seen]
        seen.update((id(o), o) for o in frontier)
    return seen


def _weak(objects) -> list[weakref.ref]:
    refs = []
    for o in objects:
        try:
            refs.append(weakref.ref(o))
        except TypeError:  # ints, strings, tuples…: no weak references, and never cyclic here
            pass
    return refs


@pytest.fixture
def cache(small_world, monkeypatch):
    monkeypatch.setenv("MATCHER_MODEL_DIR", str(small_world["model_dir"]))
    get_settings.cache_clear()
    gc.disable()  # nothing but reference counting frees anything while the test runs
    try:
        yield MatcherCache()
    finally:
        gc.unfreeze()
        gc.enable()
        get_settings.cache_clear()


def test_a_replaced_matcher_is_freed_by_reference_counting(small_world, cache):
    with Session(small_world["engine"]) as session:
        cache._install(_build(session, 1, 0, 0), "first")
        old = _reachable(cache._built, depth=4)
        cache._install(_build(session, 2, 0, 0), "inline")
        kept = _reachable(cache._built, depth=6)  # shared with the new one: alive, rightly
        watched = _weak(o for i, o in old.items() if i not in kept)
        del old, kept
        assert len(watched) > 100  # the matcher, its frames, arrays, model and indexes
        alive = [type(r()).__name__ for r in watched if r() is not None]
        assert not alive, f"the replaced matcher kept {len(alive)} objects alive: {alive[:10]}"


class _Cycle:
    """Garbage only the cycle collector can free: it refers to itself."""

    def __init__(self) -> None:
        self.me = self


def test_garbage_frozen_by_an_install_is_freed_within_a_few_installs(small_world, cache):
    with Session(small_world["engine"]) as session:
        built = _build(session, 1, 0, 0)
        cycle = _Cycle()
        gone = weakref.ref(cycle)
        cache._install(built, "first")  # freezes the cycle with everything alive
        del cycle
        for _ in range(2, FULL_COLLECTION_EVERY):
            cache._install(built, "inline")
            assert gone() is not None  # frozen: out of the collector's sight
        cache._install(built, "inline")  # the FULL_COLLECTION_EVERY-th
        assert gone() is None
