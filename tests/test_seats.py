"""Seats are taken by one atomic conditional UPDATE: never twice, never below zero."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from matcher.store import generations
from matcher.store.db import session_factory, transaction
from matcher.store.seats import release_seat, reserve_seat
from matcher.store.tables import Option, OptionChange, Provider


def _option(engine, seats: int) -> None:
    with transaction(engine) as s:
        s.add(Provider(provider_id="TR9", name="Xưởng may Hòa Bình",
                       name_folded="xuong may hoa binh", kind="trainer", place_id="cur-6658"))
        s.flush()
        s.add(Option(option_id="OP9", provider_id="TR9", kind="training", title="May",
                     place_id="cur-6658", capacity=seats))


def test_concurrent_reservations_take_each_seat_exactly_once(engine):
    _option(engine, 10)
    make = session_factory(engine)

    def take(_i: int) -> bool:
        with make() as s:
            ok = reserve_seat(s, "OP9", user_id=None, cause="placement")
            s.commit()
            return ok

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(take, range(40)))
    assert results.count(True) == 10
    with make() as s:
        option = s.get(Option, "OP9")
        assert option.capacity == 0 and option.version == 11
        changes = s.scalar(select(func.count()).select_from(OptionChange))
        assert changes == 10
        assert generations.read(s)[generations.CAPACITY] == 10


def test_a_rolled_back_reservation_leaves_the_seat(engine):
    _option(engine, 1)
    make = session_factory(engine)
    with make() as s:
        assert reserve_seat(s, "OP9", user_id=None, cause="plan")
        s.rollback()
    with make() as s:
        assert s.get(Option, "OP9").capacity == 1
        assert reserve_seat(s, "OP9", user_id=None, cause="plan", seats=2) is False
        assert reserve_seat(s, "OP9", user_id=None, cause="plan")
        release_seat(s, "OP9", user_id=None, cause="plan")
        s.commit()
        assert s.get(Option, "OP9").capacity == 1


def test_the_first_change_counted_by_two_transactions_at_once_counts_twice(engine):
    """The change counters' first row: a second transaction counting the same change while
    the first is still open waits for it and counts on top (before, the slower of two
    first counts failed on the counter's key: a 500 seen under load on PostgreSQL)."""
    errors: list[BaseException] = []
    Session = session_factory(engine)

    def count_and_commit() -> None:
        try:
            with Session() as other:
                generations.bump(other, "a-new-counter")
                other.commit()
        except BaseException as exc:  # noqa: BLE001 - judged below
            errors.append(exc)

    with Session() as first:
        generations.bump(first, "a-new-counter")
        second = threading.Thread(target=count_and_commit)
        second.start()
        second.join(0.5)  # PostgreSQL: waits on the first's row; SQLite: on its write lock
        first.commit()
        second.join(30)
    assert not second.is_alive() and errors == []
    with Session() as session:
        assert generations.read(session)["a-new-counter"] == 2
