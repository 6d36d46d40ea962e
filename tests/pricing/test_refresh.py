"""Stored seat prices on a real database (SQLite and PostgreSQL): computed from the waiting
list, read by suggestions, safe beside concurrent accepts, harmless when there is nothing to
price. The model is the transparent prior, as in a province with no history yet."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from matcher.matching.engine import Matcher
from matcher.pricing import is_current, load_prices, refresh_prices
from matcher.settings import get_settings
from matcher.store import generations
from matcher.store.db import transaction
from matcher.store.profiles import load_profile
from matcher.store.seats import reserve_seat
from matcher.store.tables import Client, Generation, Option, OptionTrade, Placement, Provider

PLACE = "cur-6658"  # Phường Cao Xanh, Hạ Long


def _option(s: Session, option_id: str, seats: int, **fields) -> None:
    s.add(Provider(provider_id=f"P{option_id}", name=f"Cơ sở {option_id}",
                   name_folded=f"co so {option_id.lower()}", kind="trainer", place_id=PLACE))
    s.flush()
    s.add(Option(option_id=option_id, provider_id=f"P{option_id}", kind="training",
                 title=f"Lớp may {option_id}", place_id=PLACE, capacity=seats, min_age=16,
                 cost_vnd=1_000_000, duration_weeks=8, accepts_records=True,
                 **{"women_only": False, "sign_language": False, **fields}))
    s.flush()
    s.add(OptionTrade(option_id=option_id, trade_id="sewing", position=0))


def _client(s: Session, client_id: str, gender: str, registered_days_ago: int = 400) -> None:
    """A waiting client; registered over a year ago by default, so that no arrivals are
    forecast and the prices rest on the waiting list alone."""
    s.add(Client(client_id=client_id, birth_date=date(1998, 3, 1), gender=gender,
                 group_code="other", place_id=PLACE, disability="none", max_travel_km=20,
                 interests="học may",
                 registered_on=date.today() - timedelta(days=registered_days_ago)))


@pytest.fixture
def contested(engine, tmp_path, monkeypatch):
    """One single-seat course anybody may take, one women-only course with seats to spare;
    a woman and a man waiting. The model is the prior (no history)."""
    monkeypatch.setenv("MATCHER_MODEL_DIR", str(tmp_path / "models"))
    get_settings.cache_clear()
    with transaction(engine) as s:
        _option(s, "SINGLE", 1)
        _option(s, "SPARE", 5, women_only=True)
        _client(s, "WOMAN", "female")
        _client(s, "MAN", "male")
        generations.bump(s, generations.CATALOG)
    yield engine
    get_settings.cache_clear()


def test_the_single_seat_is_priced_for_the_client_with_an_alternative(contested):
    with Session(contested) as s:
        matcher = Matcher.build(s)
        assert matcher.model.is_prior
        prices = refresh_prices(s, matcher)
        assert prices.active and prices.n_waiting == 2
        assert is_current(s, matcher)
        row = matcher.catalog.position
        assert prices.price[row["SPARE"]] == 0
        assert prices.price[row["SINGLE"]] > 0
        assert prices.holders["SINGLE"] == frozenset({"MAN"})
        woman, man = load_profile(s, "WOMAN"), load_profile(s, "MAN")
        priced, plain = (matcher.suggest(woman, top=50, prices=p) for p in (prices, None))
        # Nothing eligible is removed; the contested seat moves below the spare one.
        assert priced["n_eligible"] == plain["n_eligible"] == 2
        assert [e["option_id"] for e in priced["suggestions"]] == ["SPARE", "SINGLE"]
        assert "contested" in [r["code"] for r in priced["suggestions"][1]["reasons"]]
        assert plain["pricing"]["state"] == "off" and priced["pricing"]["state"] == "priced"
        his = matcher.suggest(man, top=50, prices=prices)["suggestions"]
        assert [e["option_id"] for e in his] == ["SINGLE"] and his[0]["seat_price"] == 0
        why = matcher.explain(woman, "SINGLE", prices=prices)
        assert why["rank"] == 2 and why["contenders"] == 1 and why["seat_price"] > 0


def test_prices_follow_the_store_and_go_stale_when_it_changes(contested):
    with Session(contested) as s:
        matcher = Matcher.build(s)
        refresh_prices(s, matcher)
        assert is_current(s, matcher)
        assert reserve_seat(s, "SINGLE", user_id=None, cause="placement")
        s.commit()
        assert not is_current(s, matcher)  # a seat moved: the API refreshes in the background
        matcher._arrays["capacity"][matcher.catalog.position["SINGLE"]] = 0  # noqa: SLF001
        prices = refresh_prices(s, matcher)
        assert prices.price[matcher.catalog.position["SINGLE"]] == 0  # no seat, no price
        assert load_prices(s, matcher).basis == prices.basis


def test_no_waiting_list_and_no_history_price_nothing_and_say_so(engine, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setenv("MATCHER_MODEL_DIR", str(tmp_path / "models"))
    get_settings.cache_clear()
    with transaction(engine) as s:
        _option(s, "ONLY", 1)
        _option(s, "CLOSED", 0)
    with Session(engine) as s:
        matcher = Matcher.build(s)
        assert load_prices(s, matcher).state == "no_run"
        prices = refresh_prices(s, matcher)
        assert prices.state == "no_demand" and not prices.active
        assert not prices.price.any()
        from matcher.store.profiles import ClientProfile

        walk_in = ClientProfile(birth_date=date(2000, 1, 1), gender="female", group="other",
                                place_id=PLACE, interests="may")
        out = matcher.suggest(walk_in, prices=prices)
        assert [e["option_id"] for e in out["suggestions"]] == ["ONLY"]
        assert out["pricing"]["state"] == "no_demand" and "giá chỗ bằng 0" in out["pricing"]["vi"]


def test_the_setting_turns_pricing_off(contested, monkeypatch):
    monkeypatch.setenv("MATCHER_SEAT_PRICING", "false")
    get_settings.cache_clear()
    with Session(contested) as s:
        matcher = Matcher.build(s)
        refresh_prices(s, matcher)
        prices = load_prices(s, matcher)
        assert prices.state == "off" and not prices.active
        out = matcher.suggest(load_profile(s, "WOMAN"), top=50, prices=prices)
        assert all(e["seat_price"] == 0 for e in out["suggestions"])
        assert "seat" not in out["suggestions"][0]["parts"]


def test_refreshing_prices_while_seats_are_taken_never_gives_a_seat_twice(contested):
    with transaction(contested) as s:
        for i in range(30):
            _client(s, f"W{i:03d}", "female")
        for i in range(3):
            _option(s, f"FEW{i}", 2)
    start = {"SINGLE": 1, "FEW0": 2, "FEW1": 2, "FEW2": 2}
    taken: list[str] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def refresher() -> None:
        try:
            with Session(contested) as s:
                matcher = Matcher.build(s)
                while not stop.is_set():
                    refresh_prices(s, matcher)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def taker(option_id: str) -> None:
        try:
            for _ in range(3):
                with Session(contested) as s:
                    if reserve_seat(s, option_id, user_id=None, cause="placement"):
                        s.commit()
                        taken.append(option_id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    background = threading.Thread(target=refresher)
    background.start()
    workers = [threading.Thread(target=taker, args=(o,)) for o in start for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    stop.set()
    background.join()
    assert not errors, errors
    with Session(contested) as s:
        left = dict(s.execute(select(Option.option_id, Option.capacity)
                              .where(Option.option_id.in_(start))).all())
        for option_id, seats in start.items():
            assert left[option_id] == 0  # every seat went, none twice
            assert taken.count(option_id) == seats
        assert s.scalar(select(func.count()).select_from(Option)
                        .where(Option.capacity < 0)) == 0


def test_prices_are_never_negative_on_a_busier_waiting_list(contested):
    with transaction(contested) as s:
        for i in range(12):
            _client(s, f"X{i:03d}", "female" if i % 2 else "male")
    with Session(contested) as s:
        matcher = Matcher.build(s)
        prices = refresh_prices(s, matcher)
        assert (prices.price >= 0).all() and (prices.held_price >= 0).all()
        assert (prices.held_price <= prices.price + 1e-9).all()
        assert np.isfinite(prices.price).all()


def test_recent_registrations_forecast_newcomers_beyond_the_waiting_list(contested):
    # 60 men registered in the last year, all since placed: about 15 newcomers a quarter
    # are expected beside the 2 waiting, and the single seat is then worth something even
    # to the man the plan seats there.
    with transaction(contested) as s:
        for i in range(60):
            _client(s, f"M{i:03d}", "male", registered_days_ago=30 + 5 * i)
        _client(s, "OLD", "male", registered_days_ago=800)  # no longer counted as waiting
        s.flush()
        for i in range(60):
            s.add(Placement(placement_id=f"PM{i:03d}", client_id=f"M{i:03d}",
                            option_id="SPARE", start_date=date(2026, 1, 5), status="completed",
                            success=True))
    with Session(contested) as s:
        matcher = Matcher.build(s)
        prices = refresh_prices(s, matcher)
        assert prices.n_waiting == 2  # WOMAN and MAN; the 60 are placed, OLD too old
        assert prices.expected_arrivals == pytest.approx(60 * 90 / 365 - 2, abs=0.1)
        single = matcher.catalog.position["SINGLE"]
        assert prices.held_price[single] > 0  # others want it even if the plan seats you


def test_a_waiting_list_longer_than_a_horizon_of_intake_needs_no_forecast(contested):
    with transaction(contested) as s:
        for i in range(20):
            _client(s, f"N{i:03d}", "male", registered_days_ago=10 + i)
    with Session(contested) as s:
        prices = refresh_prices(s, Matcher.build(s))
        # 20 registered this year (90 days' share: 4.9) and 22 already waiting: no newcomer
        assert prices.n_waiting == 22 and prices.expected_arrivals == 0


def test_the_status_counts_idle_waiting_clients_and_the_review_warns(contested):
    from matcher.pricing import pricing_status
    from matcher.review.report import _warnings

    with Session(contested) as s:
        assert pricing_status(s)["state"] == "no_run"
        refresh_prices(s, Matcher.build(s))
        status = pricing_status(s)
    # WOMAN and MAN registered 400 days ago and nobody asked for suggestions for them.
    assert status["on"] and status["state"] == "priced"
    assert status["n_waiting"] == 2 and status["n_idle"] == 2
    assert status["contested_options"] == 1 and status["horizon_days"] == 90
    empty = {"drift": {}, "by_model_version": []}
    warned = _warnings({"n_simulated": 0}, empty, {"flags": [], "steering": {"steered": False}},
                       {"provider_flags": {}}, None, status)
    idle = [w for w in warned if w["code"] == "pricing.idle_waiting"]
    assert idle and idle[0]["params"] == {"k": 2, "n": 2, "days": 90}
    assert "2 of the 2 clients waiting" in idle[0]["message"]
    assert status["note"]["code"] == "pricing.priced"


def test_one_worker_at_a_time_holds_the_pricing_lease(engine):
    name = generations.PRICING_LEASE
    with Session(engine) as first, Session(engine) as second:
        assert generations.take_lease(first, name, 60)
        assert not generations.take_lease(second, name, 60)  # held by the first
        generations.end_lease(first, name)
        assert generations.take_lease(second, name, 60)
        # A lease whose holder died runs out: taken again once its time has passed.
        with transaction(engine) as s:
            s.execute(update(Generation).where(Generation.name == name).values(value=1))
        assert generations.take_lease(first, name, 60)


def _cook(engine) -> None:
    """A second man, who wishes for cooking: the single sewing seat serves MAN better."""
    with transaction(engine) as s:
        _client(s, "MAN2", "male")
        s.get(Client, "MAN2").interests = "nấu ăn"


def test_a_list_whose_every_seat_serves_another_better_says_so_and_keeps_them(contested):
    """A man who wishes for nothing the single seat teaches, beside one who wishes for
    sewing: the plan seats the other, so by the prices every seat on his list would serve
    someone else better. His list says so, in both languages, and still holds the seat."""
    _cook(contested)
    with Session(contested) as s:
        matcher = Matcher.build(s)
        prices = refresh_prices(s, matcher)
        other, wisher = load_profile(s, "MAN2"), load_profile(s, "MAN")
        his = matcher.suggest(other, top=50, prices=prices)
        assert [e["option_id"] for e in his["suggestions"]] == ["SINGLE"]
        entry = his["suggestions"][0]
        assert entry["p_success"] < entry["seat_price"]
        assert his["pricing"]["all_contested"]
        assert "câu lạc bộ" in his["pricing"]["advice"]["vi"]
        assert "club" in his["pricing"]["advice"]["en"]
        # The one the plan seats there, the woman with a spare seat, and an unpriced list
        # are not told so.
        for profile, p in ((wisher, prices), (load_profile(s, "WOMAN"), prices),
                           (other, None)):
            out = matcher.suggest(profile, top=50, prices=p)["pricing"]
            assert not out["all_contested"] and "advice" not in out


def test_the_status_counts_lists_that_advised_waiting_and_accepts_made_anyway(contested):
    from matcher.pricing import pricing_status
    from matcher.store.tables import Decision, Suggestion

    _cook(contested)
    with Session(contested) as s:
        matcher = Matcher.build(s)
        prices = refresh_prices(s, matcher)
        lists = {}
        for client_id in ("MAN2", "MAN2", "WOMAN"):  # the cook asks twice
            out = matcher.suggest(load_profile(s, client_id), top=50, prices=prices)
            row = Suggestion(client_id=client_id, model_version=out["model_version"],
                             entries=out["suggestions"], pricing=out["pricing"])
            s.add(row)
            s.flush()
            lists.setdefault(client_id, []).append(row.suggestion_id)
        s.add(Decision(suggestion_id=lists["MAN2"][1], option_id="SINGLE",
                       decision="accepted"))
        s.add(Decision(suggestion_id=lists["WOMAN"][0], option_id="SPARE",
                       decision="accepted"))
        s.commit()
        status = pricing_status(s)
    assert status["recent_lists"] == status["recent_lists_priced"] == 3
    assert status["recent_lists_advised"] == 2 and status["advised_accepted"] == 1
