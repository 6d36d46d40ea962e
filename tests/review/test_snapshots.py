"""The stored review (matcher.review.snapshots) on both backends: its basis moves with the
data and the model but not with a lease; a failure keeps the last review."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from matcher.review.snapshots import (
    FULL,
    QUICK,
    compute_and_store,
    read_review,
    read_states,
    record_failure,
    review_basis,
)
from matcher.store import generations
from matcher.store.db import make_engine


def test_a_stored_review_rests_on_the_data_it_was_computed_from(db_url, tmp_path):
    engine = make_engine(db_url)
    with Session(engine) as s:
        assert read_states(s) == {}
        basis = compute_and_store(s, tmp_path, QUICK)
        state = read_states(s)[QUICK]
        assert state.basis == basis == review_basis(s, tmp_path)
        assert state.computed_at is not None and state.computed_at.tzinfo is not None
        review = read_review(s, QUICK)
        assert review["data"]["placements_with_outcome"] == 0
        assert read_review(s, FULL) is None

        # A lease is who computes, not data: the review stays current.
        assert generations.take_lease(s, generations.REVIEW_LEASE, 60)
        assert review_basis(s, tmp_path) == basis
        generations.end_lease(s, generations.REVIEW_LEASE)
        assert review_basis(s, tmp_path) == basis

        # A catalogue change moves the basis; the stored review is now out of date.
        generations.bump(s, generations.CATALOG)
        s.commit()
        assert review_basis(s, tmp_path) != basis
        assert read_states(s)[QUICK].basis == basis
    engine.dispose()


def test_the_model_is_part_of_the_basis(db_url, tmp_path):
    engine = make_engine(db_url)
    with Session(engine) as s:
        before = review_basis(s, tmp_path)
        (tmp_path / "current.json").write_text(json.dumps({"version": "v-test"}))
        assert review_basis(s, tmp_path) != before
    engine.dispose()


def test_a_failure_keeps_the_last_review_and_says_when(db_url, tmp_path):
    engine = make_engine(db_url)
    with Session(engine) as s:
        basis = compute_and_store(s, tmp_path, FULL)
        kept = read_review(s, FULL)
        record_failure(s, FULL, "b" * 64, "ValueError")
        state = read_states(s)[FULL]
        assert state.basis == basis and state.failed_basis == "b" * 64
        assert state.failure == "ValueError" and state.failed_at is not None
        assert read_review(s, FULL) == kept
        # The next success clears the failure.
        compute_and_store(s, tmp_path, FULL)
        assert read_states(s)[FULL].failed_basis is None


def test_a_failure_before_any_review_stores_no_review(db_url, tmp_path):
    engine = make_engine(db_url)
    with Session(engine) as s:
        record_failure(s, QUICK, "c" * 64, "RuntimeError")
        state = read_states(s)[QUICK]
        assert not state.has_review and state.failed_at is not None
        assert read_review(s, QUICK) is None
    engine.dispose()
