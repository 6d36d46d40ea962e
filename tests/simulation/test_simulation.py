"""The simulator of the product's use over time (issue 13): small worlds, seconds per test.

Each arrival goes through the API's route functions into a SQLite file of the run's own; the
figures are graded by the world's truth. What must hold whatever the engine's quality: the same
seed gives the same numbers, the oracle's share is 1 and random's 0 by construction, no seat
is ever given twice, plentiful seats place everyone the truth lets in, and bad input is refused
with one line and exit status 2.
"""

from __future__ import annotations

import subprocess
from datetime import date

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from matcher.cli import app
from matcher.simulation import Behaviour, parse_spec, run_desk, run_sweep, stage_world
from matcher.simulation.staging import settings_for, sim_engine
from matcher.simulation.sweep import arrival_order
from matcher.simulation.worlds import OTHER_WORLD, ours_world, rewrite_capacity
from tests.conftest import computed_once
from tests.importing.test_cli_import import MATCHER

ON = date.today()  # the day the API counts ages on, as in a real run
SMALL = {"world": "ours", "seeds": "5", "orders": "shuffle:1", "seats_per_arrival": "0.5",
         "arrivals": 80, "behaviours": "first,mixed:0.5,heed"}


def _without_timings(doc: dict) -> dict:
    out = {k: v for k, v in doc.items() if k != "seconds"}
    out["rows"] = [{k: v for k, v in r.items() if k != "seconds"} for r in doc["rows"]]
    return out


def _small_sweep() -> dict:
    return run_sweep(parse_spec(**SMALL), on=ON)


@pytest.fixture(scope="module")
def small_doc() -> dict:
    """SMALL's sweep, run once per test run (about 10 s): the first process to ask runs it."""
    return computed_once("simulation-small-doc", _small_sweep)


def test_same_seed_same_numbers(small_doc):
    again = _small_sweep()  # in this process; small_doc may come from another
    assert _without_timings(again) == _without_timings(small_doc)
    assert [r["behaviour"] for r in small_doc["rows"]] == ["first", "mixed:0.5", "heed"]
    assert small_doc["rows"][1]["desk"]["unpriced"]["habit_choices"] > 0


def test_oracle_is_one_and_random_zero_by_construction(small_doc):
    for row in small_doc["rows"]:
        assert row["share"]["oracle"] == 1.0 and row["share"]["random"] == 0.0
        assert row["successes"]["oracle"] >= max(row["successes"].values()) - 1e-9
        assert row["model"]["version"] == row["served"]["unpriced"]["model_version"] \
            or row["model"]["prior"]
    summary = small_doc["summary"][0]
    assert summary["share"]["oracle"] == {"mean": 1.0, "min": 1.0, "max": 1.0}


def test_a_run_never_gives_a_seat_twice(tmp_path):
    world = ours_world(tmp_path / "world", seed=7, arrivals=60, seats_per_arrival=0.3)
    stage = stage_world(world, tmp_path / "stage", on=ON)
    run = run_desk(stage, world.arrivals, behaviour=Behaviour.parse("first"),
                   seat_pricing=False, seed=7)
    assert run.seats_check["options_below_zero"] == 0
    assert run.seats_check["options_over_capacity"] == 0
    from matcher.store.tables import Option, Placement

    with settings_for(**stage.env()):
        engine = sim_engine(stage.db_path)
        with engine.connect() as conn:
            seats = dict(conn.execute(select(Option.option_id, Option.capacity)).all())
            given = dict(conn.execute(select(Placement.option_id, func.count())
                                      .where(Placement.suggestion_id.is_not(None))
                                      .group_by(Placement.option_id)).all())
        engine.dispose()
    assert min(seats.values()) >= 0
    assert all(n <= world.capacity[o] for o, n in given.items())
    assert all(seats[o] == world.capacity[o] - given.get(o, 0) for o in world.capacity)
    assert sum(given.values()) == len(run.accepted) <= world.seats == 18


def test_plentiful_seats_place_every_arrival_with_an_eligible_option(tmp_path):
    # More seats per option than arrivals: no option can fill, so nobody waits for a seat.
    world = ours_world(tmp_path / "world", seed=8, arrivals=60, seats_per_arrival=1300)
    assert min(c for c in world.capacity.values()) >= 60
    stage = stage_world(world, tmp_path / "stage", on=ON)
    order = arrival_order(world.arrivals, "shuffle:1", 8)
    run = run_desk(stage, order, behaviour=Behaviour.parse("first"), seat_pricing=False,
                   seed=8)
    with_option = {c for c in world.arrivals if world.p[c]}
    assert {c for c, _ in run.accepted} == with_option
    assert set(run.unplaced) == set(world.arrivals) - with_option
    assert run.refused_no_seat == 0


def test_scarcity_rewrites_seats_to_the_total_asked():
    import pandas as pd

    options = pd.DataFrame({"option_id": [f"O{i}" for i in range(10)], "capacity": ["9"] * 10})
    for total in (1, 7, 15, 32):
        seats = rewrite_capacity(options, total=total, seed=1)["capacity"].astype(int)
        assert seats.sum() == total and seats.min() >= 0
        if total <= 10:
            assert seats.max() <= 2  # 1-2 seats a option while options are left to open


@pytest.mark.skipif(not OTHER_WORLD.exists(), reason=f"{OTHER_WORLD} is absent: the other "
                    "world lives in ../shared/worlds beside the project")
def test_the_other_world_runs():
    doc = run_sweep(parse_spec(world="other", seeds="2", arrivals=80, seats_per_arrival="0.8",
                               orders="registration,shuffle:1"), on=ON)
    reg, shuffled = doc["rows"]
    assert reg["world"] == "other" and reg["arrivals"] == 80
    assert reg["habit_world"] is not None and "habit_world" in reg["share"]
    assert shuffled["habit_world"] is None  # the world's habit figure is for its own order
    for row in doc["rows"]:
        assert row["share"]["oracle"] == 1.0
        assert row["placed"]["unpriced"] == row["desk"]["unpriced"]["placed"] > 0


@pytest.mark.parametrize(("args", "words"), [
    (["--world", "mars"], "unknown world 'mars'"),
    (["--seats-per-arrival", "0"], "seats per arrival must be above 0"),
    (["--seats-per-arrival", "-1"], "seats per arrival must be above 0"),
    (["--arrivals", "0"], "arrivals must be at least 1"),
    (["--behaviour", "mixed:1.5"], "must be a number in [0, 1]"),
    (["--behaviour", "greedy"], "unknown behaviour 'greedy'"),
    (["--orders", "sorted"], "unknown order 'sorted'"),
])
def test_bad_input_is_one_line_and_exit_2(args, words):
    # In-process (the command's own function, through typer): a process per case would cost
    # two seconds of imports each; one case runs the installed command end to end.
    done = CliRunner().invoke(app, ["simulate", *args])
    assert done.exit_code == 2, done.output
    assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_the_installed_command_refuses_bad_input():
    done = subprocess.run([MATCHER, "simulate", "--world", "ours", "--arrivals", "-3"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.strip() == \
        "matcher simulate: arrivals must be at least 1, not -3", done.stderr


def test_the_other_world_missing_is_one_line_and_exit_2(monkeypatch, tmp_path):
    import matcher.simulation.sweep as sweep

    monkeypatch.setattr(sweep, "OTHER_WORLD", tmp_path / "absent" / "other_world.py")
    done = CliRunner().invoke(app, ["simulate", "--world", "other", "--seeds", "1"])
    assert done.exit_code == 2, done.output
    assert "the other world is unavailable" in done.stderr and "absent" in done.stderr


def test_rounds_record_drawn_outcomes_and_retrain(tmp_path):
    from matcher.simulation.baselines import grade
    from matcher.store.tables import Placement

    world = ours_world(tmp_path / "world", seed=9, arrivals=80, seats_per_arrival=1.0)
    stage = stage_world(world, tmp_path / "stage", on=ON)
    run = run_desk(stage, world.arrivals, behaviour=Behaviour.parse("first"),
                   seat_pricing=False, seed=9, rounds=4)
    curve = run.learning_curve
    assert [c["round"] for c in curve] == [1, 2, 3, 4] and sum(c["arrivals"] for c in curve) == 80
    assert "retrained" not in curve[-1]  # nothing learns from the last round
    assert sum(c["placed"] for c in curve) == len(run.accepted)
    assert sum(c["true_successes"] for c in curve) == pytest.approx(
        grade(world, run.accepted).successes, abs=1e-3)
    recorded = sum(c["retrained"]["outcomes_recorded"] for c in curve[:3])
    assert recorded == sum(c["placed"] for c in curve[:3]) and len(run.trained_versions) == 3
    with settings_for(**stage.env()):
        engine = sim_engine(stage.db_path)
        with engine.connect() as conn:
            known = conn.execute(select(func.count()).select_from(Placement).where(
                Placement.suggestion_id.is_not(None), Placement.success.is_not(None))).scalar()
        engine.dispose()
    assert known == recorded


# --- providers' seat changes ------------------------------------------------------------------


def test_seat_changes_are_replayed_in_every_run_and_by_the_baselines(tmp_path):
    from matcher.simulation.changes import read_changes

    base = {"world": "ours", "seeds": "3", "orders": "registration", "seats_per_arrival": "1",
            "arrivals": 40, "behaviours": "first"}
    plain = run_sweep(parse_spec(**base), on=ON)["rows"][0]
    # Every open option withdraws all its seats before the first client: nobody is placed
    # one at a time, while the hindsight figures keep the seats once offered.
    world = ours_world(tmp_path / "w", seed=3, arrivals=40, seats_per_arrival=1)
    schedule = tmp_path / "changes.csv"
    schedule.write_text("after_arrivals,option_id,seats_added\n" + "".join(
        f"0,{o},-{n}\n" for o, n in world.capacity.items() if n), encoding="utf-8")
    assert len(read_changes(schedule)) == sum(1 for n in world.capacity.values() if n)
    closed = run_sweep(parse_spec(**base, seat_changes=str(schedule)), on=ON)["rows"][0]
    for policy in ("priced", "unpriced", "habit", "random"):
        assert closed["placed"][policy] == 0, policy
    assert closed["desk"]["priced"]["seat_changes"] == len(closed["seat_changes"]) > 0
    assert closed["successes"]["oracle"] == plain["successes"]["oracle"]
    # Seats added at random moments: the season offers more, and the runs used them.
    added = run_sweep(parse_spec(**base, seat_changes="random:30"), on=ON)["rows"][0]
    again = run_sweep(parse_spec(**base, seat_changes="random:30"), on=ON)["rows"][0]
    assert added["seat_changes"] == again["seat_changes"] and len(added["seat_changes"]) == 30
    assert added["successes"] == again["successes"]
    assert added["successes"]["oracle"] >= plain["successes"]["oracle"]


def test_a_bad_seat_change_schedule_names_the_row_and_column(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("after_arrivals,option_id,seats_added\n3,OP1,2\nsoon,OP2,1\n",
                   encoding="utf-8")
    with pytest.raises(ValueError, match="row 3, column after_arrivals"):
        parse_spec(world="ours", seeds="1", seat_changes=str(bad))
    with pytest.raises(ValueError, match="random:N takes a count"):
        parse_spec(world="ours", seeds="1", seat_changes="random:0")
    result = CliRunner().invoke(app, ["simulate", "--world", "ours", "--seeds", "1",
                                      "--seat-changes", str(bad)])
    assert result.exit_code == 2 and "row 3, column after_arrivals" in result.output


def test_a_report_names_the_score_weights_it_ran_with():
    """Figures with the score's wish, travel and cost terms and without them differ (by
    about 0.035 of the oracle's gain on average: README, the simulator): a report says which
    it ran with."""
    from matcher.simulation.sweep import spec_record

    spec = parse_spec(**SMALL)
    assert spec_record(spec)["score_weights"]["wish"] == 0.3
    with settings_for(MATCHER_WEIGHT_WISH="0", MATCHER_WEIGHT_TRAVEL="0"):
        weights = spec_record(spec)["score_weights"]
    assert (weights["success"], weights["wish"], weights["travel"]) == (1.0, 0.0, 0.0)


def test_accepts_of_a_seat_worth_more_to_others_are_counted_only_when_priced(small_doc):
    for row in small_doc["rows"]:
        priced, unpriced = row["desk"]["priced"], row["desk"]["unpriced"]
        assert unpriced["accepted_over_price"] == 0  # no prices, nothing over them
        assert 0 <= priced["accepted_over_price"] <= priced["placed"]
    first = small_doc["rows"][0]["desk"]["priced"]
    assert first["accepted_over_price"] > 0, first  # 0.5 seats per arrival: some there are


def test_heeding_a_list_that_says_every_seat_is_contested_leaves_the_client_waiting(small_doc):
    first, _, heed = small_doc["rows"]
    assert heed["behaviour"] == "heed" and "wait" in small_doc["behaviours"]["heed"]
    for row in (first, heed):
        assert row["desk"]["unpriced"]["advised"] == 0  # no prices, no such advice
    # At 0.5 seats per arrival some lists say so; only heeding them leaves clients waiting.
    assert first["desk"]["priced"]["advised"] > 0, first["desk"]["priced"]
    assert first["desk"]["priced"]["waited_on_advice"] == 0
    waited = heed["desk"]["priced"]
    assert waited["waited_on_advice"] == waited["advised"] > 0
    assert waited["placed"] + waited["unplaced"] == first["desk"]["priced"]["placed"] + \
        first["desk"]["priced"]["unplaced"]
    # Unpriced, heeding is following the list: the same run as "first".
    assert heed["successes"]["unpriced"] == first["successes"]["unpriced"]


def test_heed_is_a_behaviour_the_command_line_takes():
    assert Behaviour.parse("heed").heeds_advice and Behaviour.parse("heed").name == "heed"
    assert not Behaviour.parse("first").heeds_advice
    with pytest.raises(ValueError, match="first, heed or mixed"):
        Behaviour.parse("wait")


def test_a_row_says_who_each_policy_placed_by_group(small_doc):
    for row in small_doc["rows"]:
        by_group = row["placed_by_group"]
        assert sum(by_group["arrivals"].values()) == row["arrivals"]
        assert {"priced", "unpriced", "cohort_plan", "habit"} <= set(by_group)
        assert "oracle" not in by_group  # its pairs are not kept
        for policy in ("priced", "unpriced", "cohort_plan", "habit"):
            placed = sum(share * by_group["arrivals"][g]
                         for g, share in by_group[policy].items())
            assert round(placed) == row["placed"][policy], policy
