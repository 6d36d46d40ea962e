"""The Department's report (matcher.review.department) on a small set of records built here,
on SQLite and on PostgreSQL: each figure against the hand count, the Vietnam calendar of a
recorded referral, the small-cell rule of the group rows, and the dashboard's headline."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from matcher.review import dashboard as D
from matcher.review.department import (
    COUNTS,
    MEASURES,
    SMALL_CELL,
    department_report,
    period,
    suppress,
)
from matcher.store.db import transaction
from matcher.store.tables import Client, ClubReferral, FollowUp, Option, Placement, Provider
from matcher.vocab.places import load_place_index
from matcher.vocab.text import fold

HA_TU, CAO_XANH, UONG_BI = "cur-6652", "cur-6658", "cur-6811"
IMPORTED = datetime(2026, 1, 1, tzinfo=UTC)  # history recorded long after it happened
EXTRA = 31  # survivors of violence registered in the quarter: a group above the threshold


def _client(cid: str, group: str, place: str, registered: date | None = None) -> Client:
    return Client(client_id=cid, full_name=f"Khách {cid}", full_name_folded=fold(f"khach {cid}"),
                  birth_date=date(1995, 1, 1), gender="female", group_code=group,
                  place_id=place, registered_on=registered or date(2024, 1, 1))


@pytest.fixture
def records(engine):
    """Q2 2025 (April to June), by hand:

    C1 trafficking, Hà Tu: P1 course started 10 Apr (its 12 weeks end in July); P3 job of
       Oct 2024, six months on 15 Apr, earning 200,000 a day; P6 recorded 1 Jul Vietnam time
       (30 Jun in UTC): not this quarter.
    C2 trafficking, Hà Tu: P2 course of 1 Feb, completed 26 Apr (12 weeks); P7 job of
       20 Dec 2024, six months on 20 Jun, earning, no income recorded.
    C3 disabled, Uông Bí: P4 job dropped, six months on 1 May (a failure); P5 livelihood
       model recorded 18 May, started 20 May.
    C4 disabled, Uông Bí: registered 10 May. C5 after prison, Hà Tu: followed up (not
    placed) 1 Jun. C6 youth: nothing in the quarter. G00..G30 survivors of violence in Cao
    Xanh, registered 2 Apr.
    """
    with transaction(engine) as s:
        s.add_all([Provider(provider_id="PA", name="Trường nghề A", name_folded="truong nghe a",
                            kind="trainer", place_id=HA_TU),
                   Provider(provider_id="PB", name="Công ty B", name_folded="cong ty b",
                            kind="employer", place_id=UONG_BI),
                   Provider(provider_id="PC", name="Dự án C", name_folded="du an c",
                            kind="livelihood", place_id=UONG_BI)])
        s.flush()
        s.add_all([Option(option_id="O1", provider_id="PA", kind="training", title="Học may",
                          place_id=HA_TU, capacity=5, duration_weeks=12),
                   Option(option_id="O2", provider_id="PB", kind="job", title="Thợ may",
                          place_id=UONG_BI, capacity=5),
                   Option(option_id="O3", provider_id="PC", kind="livelihood",
                          title="Nuôi gà", place_id=UONG_BI, capacity=5)])
        s.add_all([_client("C1", "trafficking_returnee", HA_TU),
                   _client("C2", "trafficking_returnee", HA_TU),
                   _client("C3", "disabled", UONG_BI),
                   _client("C4", "disabled", UONG_BI, date(2025, 5, 10)),
                   _client("C5", "after_prison", HA_TU),
                   _client("C6", "youth_at_risk", HA_TU)])
        s.add_all([_client(f"G{k:02d}", "gbv_survivor", CAO_XANH, date(2025, 4, 2))
                   for k in range(EXTRA)])
        s.flush()
        rows = [  # id, client, option, start, status, success, income, followed, recorded
            ("P1", "C1", "O1", date(2025, 4, 10), "completed", True, 150_000,
             date(2025, 10, 15), IMPORTED),
            ("P2", "C2", "O1", date(2025, 2, 1), "completed", True, 120_000,
             date(2025, 8, 20), IMPORTED),
            ("P3", "C1", "O2", date(2024, 10, 15), "completed", True, 200_000,
             date(2025, 4, 20), IMPORTED),
            ("P4", "C3", "O2", date(2024, 11, 1), "dropped", None, None,
             date(2025, 2, 1), IMPORTED),
            ("P5", "C3", "O3", date(2025, 5, 20), "ongoing", None, None, None,
             datetime(2025, 5, 18, 1, 0, tzinfo=UTC)),
            ("P6", "C1", "O1", date(2025, 7, 15), "ongoing", None, None, None,
             datetime(2025, 6, 30, 20, 0, tzinfo=UTC)),
            ("P7", "C2", "O2", date(2024, 12, 20), "completed", True, 0,
             date(2025, 6, 25), IMPORTED)]
        for pid, cid, oid, start, status, success, income, followed, recorded in rows:
            s.add(Placement(placement_id=pid, client_id=cid, option_id=oid, start_date=start,
                            status=status, success=success, income_vnd_day=income,
                            followed_up_on=followed, created_at=recorded))
        s.add(FollowUp(client_id="C5", followed_up_on=date(2025, 6, 1), earning=False))
    return engine


def _values(**given) -> dict:
    out = dict.fromkeys(COUNTS, 0)
    out.update(income_vnd_day=None, clubs_joined=0)
    out.update(given)
    return out


@pytest.mark.db
def test_the_quarter_figures_are_the_hand_count(records):
    with transaction(records) as s:
        report = department_report(s, 2025, 2)
    assert (report.start, report.end) == (date(2025, 4, 1), date(2025, 6, 30))
    assert report.total["values"] == _values(
        served=5 + EXTRA, referred=2, started_training=1, completed_training=1,
        started_livelihood=1, reached_6_months=3, earning_6_months=2, income_vnd_day=200_000)
    assert report.total["income_n"] == 1
    assert list(report.total["values"]) == list(MEASURES)


@pytest.mark.db
def test_a_referral_is_dated_in_vietnam_and_a_year_counts_each_client_once(records):
    with transaction(records) as s:
        q3 = department_report(s, 2025, 3)
        year = department_report(s, 2025)
    # P6 was recorded at 03:00 on 1 July in Vietnam (20:00 on 30 June in UTC)
    assert q3.total["values"]["referred"] == 1
    # 2025: referred C1 (P1, P6), C2 (P2, by its start), C3 (P5); courses C1 and C2
    assert year.total["values"]["referred"] == 3
    assert year.total["values"]["started_training"] == 2
    assert year.total["values"]["completed_training"] == 2  # P2 in April, P1 in July


@pytest.mark.db
def test_places_roll_communes_up_to_their_former_district(records):
    places = load_place_index()
    ha_long = places.get(HA_TU).former_district.split(";")[0].strip()
    uong_bi = places.get(UONG_BI).former_district.split(";")[0].strip()
    with transaction(records) as s:
        rows = department_report(s, 2025, 2, places=places).by_place
    by = {(r["level"], r["name"]): r["values"] for r in rows}
    assert by[("district", ha_long)]["served"] == 3 + EXTRA  # C1, C2, C5 and the survivors
    assert by[("commune", places.get(HA_TU).name)]["served"] == 3
    assert by[("commune", places.get(CAO_XANH).name)]["served"] == EXTRA
    assert by[("district", uong_bi)] == _values(served=2, referred=1, started_livelihood=1,
                                                reached_6_months=1)
    # every commune comes right after its district
    districts = [r["name"] for r in rows if r["level"] == "district"]
    assert districts == sorted(districts)
    for i, r in enumerate(rows):
        if r["level"] == "commune":
            owner = next(x for x in reversed(rows[:i]) if x["level"] == "district")
            assert r["district"] == owner["name"]


@pytest.mark.db
def test_providers_count_their_own_placements(records):
    with transaction(records) as s:
        rows = {r["provider_id"]: r for r in department_report(s, 2025, 2).by_provider}
    assert set(rows) == {"PA", "PB", "PC"}
    assert rows["PA"]["name"] == "Trường nghề A" and rows["PA"]["kind"] == "trainer"
    assert (rows["PA"]["values"]["referred"], rows["PA"]["values"]["started_training"],
            rows["PA"]["values"]["completed_training"]) == (1, 1, 1)
    pb = rows["PB"]["values"]
    assert (pb["reached_6_months"], pb["earning_6_months"], pb["income_vnd_day"]) == (
        3, 2, 200_000)
    assert rows["PC"]["values"]["started_livelihood"] == 1
    assert "served" not in pb


@pytest.mark.db
def test_no_group_cell_shows_fewer_clients_than_the_threshold(records):
    with transaction(records) as s:
        rows = {r["group"]: r for r in department_report(s, 2025, 2).by_group}
    assert len(rows) == 9
    for group, row in rows.items():
        for measure, value in row["values"].items():
            assert value is None or value == 0 or measure == "income_vnd_day" \
                or value >= SMALL_CELL, (group, measure, value)
    # the survivors (31 registered) are shown; the small groups are hidden, not zero
    assert rows["gbv_survivor"]["values"]["served"] == EXTRA
    for group in ("trafficking_returnee", "disabled", "after_prison"):
        assert rows[group]["values"]["served"] is None
        assert "served" in rows[group]["suppressed"]
    assert rows["trafficking_returnee"]["values"]["income_vnd_day"] is None
    assert rows["youth_at_risk"]["values"]["served"] == 0


def test_a_lone_small_cell_takes_the_next_smallest_with_it():
    """Hidden alone, a cell is the column's total less the others: the next smallest
    non-zero cell goes too; with no other non-zero cell, the zeros go with it."""
    def row(group, referred, served):
        values = dict.fromkeys(MEASURES, 0)
        values.update(referred=referred, served=served, income_vnd_day=None, clubs_joined=None)
        return {"group": group, "values": values, "income_n": 0}

    out = suppress([row("a", 5, 3), row("b", 40, 0), row("c", 90, 0)], small=30)
    referred = [r["values"]["referred"] for r in out]
    assert referred == [None, None, 90]
    served = [r["values"]["served"] for r in out]
    assert served == [None, None, None]  # 3 alone, the rest zeros: all hidden
    assert [r["values"]["clubs_joined"] for r in out] == [None] * 3  # not recorded
    assert all("clubs_joined" not in r["suppressed"] for r in out)


@pytest.mark.db
def test_an_empty_database_gives_zeros_and_no_rows(engine):
    with transaction(engine) as s:
        report = department_report(s, 2025, 1)
    assert report.total["values"] == _values()
    assert report.by_place == [] and report.by_provider == []
    assert [r["values"]["served"] for r in report.by_group] == [0] * 9


@pytest.mark.db
def test_the_dashboard_shows_the_current_quarter_from_the_same_function(records):
    with transaction(records) as s:
        data = D.dashboard(s, None, today=date(2025, 5, 31))
        direct = department_report(s, 2025, 2)
    assert (data["quarter"].year, data["quarter"].quarter) == (2025, 2)
    assert data["quarter"].total == direct.total


def test_periods_are_calendar_quarters_and_years():
    assert period(2024, 1) == (date(2024, 1, 1), date(2024, 3, 31))
    assert period(2024, 4) == (date(2024, 10, 1), date(2024, 12, 31))
    assert period(2024, None) == (date(2024, 1, 1), date(2024, 12, 31))
    with pytest.raises(ValueError):
        period(2024, 5)


@pytest.mark.db
def test_clubs_joined_counts_the_club_referrals_of_the_period(records):
    """A support club's referrals are counted like every other figure: distinct clients, by
    group, place and the club's provider; a client referred twice is one."""
    with transaction(records) as s:
        before = department_report(s, 2025, 2)
        assert before.total["values"]["clubs_joined"] == 0
        s.add(Provider(provider_id="PCLUB", name="CLB C", name_folded="clb c", kind="club",
                       place_id=HA_TU))
        s.flush()
        for oid in ("OC1", "OC2"):
            s.add(Option(option_id=oid, provider_id="PCLUB", kind="club", title=f"CLB {oid}",
                         place_id=HA_TU, capacity=0, unlimited=True))
        s.flush()
        for rid, cid, oid, day in (("R1", "C4", "OC1", date(2025, 4, 2)),
                                   ("R2", "C6", "OC1", date(2025, 5, 2)),
                                   ("R3", "C6", "OC2", date(2025, 6, 30)),
                                   ("R4", "C1", "OC2", date(2025, 7, 1))):  # next quarter
            s.add(ClubReferral(referral_id=rid, client_id=cid, option_id=oid, referred_on=day))
    with transaction(records) as s:
        after = department_report(s, 2025, 2)
    assert after.total["values"]["clubs_joined"] == 2  # C6 twice is one client
    assert after.total["values"]["served"] == before.total["values"]["served"] + 1  # C6
    assert {r["provider_id"]: r["values"]["clubs_joined"] for r in after.by_provider}["PCLUB"] == 2
    groups = {r["group"]: r for r in after.by_group}
    assert groups["youth_at_risk"]["values"]["clubs_joined"] is None  # 1 client: hidden
    assert "clubs_joined" in groups["youth_at_risk"]["suppressed"]
    assert groups["gbv_survivor"]["values"]["clubs_joined"] == 0


@pytest.mark.db
def test_a_declined_referral_is_referred_but_never_started(records):
    with transaction(records) as s:
        before = department_report(s, 2025, 2).total["values"]
        s.add(Placement(placement_id="PND", client_id="C5", option_id="O1",
                        start_date=date(2025, 5, 5), status="not_started",
                        created_at=datetime(2025, 5, 1, tzinfo=UTC)))
    with transaction(records) as s:
        after = department_report(s, 2025, 2).total["values"]
    assert after["referred"] == before["referred"] + 1
    assert {k: v for k, v in after.items() if k.startswith("started_")} == \
        {k: v for k, v in before.items() if k.startswith("started_")}
