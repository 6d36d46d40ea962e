"""Imports that never join two providers by mistake (issue 18), on each database: only the
same name is merged; near names and differing phones are proposed and decided by a person,
whose merge moves options and placements in one transaction and can be undone; whole
numbers as spreadsheets write them."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from matcher.ingest import import_file
from matcher.ingest.duplicates import (
    Actor,
    MergeRefused,
    mark_distinct,
    merge,
    proposed,
    recent_merges,
    scan,
    unmerge,
)
from matcher.store.db import transaction
from matcher.store.seats import reserve_seat
from matcher.store.tables import (
    AuditEntry,
    Client,
    Option,
    Placement,
    Provider,
    ProviderAlias,
    ProviderPair,
)
from tests.importing.helpers import GOOD, snapshot, write_csv
from tests.importing.test_import import TODAY, fails, load

WARD = "Phường Hồng Gai"


def provider(pid: str, name: str, phone: str = "", kind: str = "trainer",
             place: str = WARD) -> dict:
    return {"provider_id": pid, "name": name, "kind": kind, "place": place, "phone": phone}


def option(oid: str, pid: str, capacity: int = 5) -> dict:
    return dict(GOOD["options"][0], option_id=oid, provider_id=pid, capacity=str(capacity))


def imported(engine, tmp_path, kind: str, rows: list[dict], name: str):
    return import_file(engine, kind, write_csv(tmp_path / f"{name}.csv", rows), today=TODAY)


def providers(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(select(Provider.provider_id)))


def owner(engine, option_id: str) -> str:
    with engine.connect() as conn:
        return conn.scalar(select(Option.provider_id).where(Option.option_id == option_id))


# --- what an import joins -----------------------------------------------------------------------


def test_names_that_differ_in_a_number_are_never_joined(engine, tmp_path):
    # The reviewer's case: 17 pairs of test providers one ward apart only by their number.
    rows = [provider(f"OW{n:04d}", f"Cơ sở thử OW{n:04d}") for n in range(1, 35)]
    rows += [provider("B10", "Công ty TNHH May 10"), provider("B19", "Công ty TNHH May 19")]
    first = imported(engine, tmp_path, "providers", rows[:17] + rows[34:35], "first")
    second = imported(engine, tmp_path, "providers", rows[17:34] + rows[35:], "second")
    assert first.created == 18 and second.created == 18
    assert first.merged == second.merged == [] and second.proposed == []
    assert len(providers(engine)) == 36


def test_the_same_name_typed_otherwise_is_joined(engine, tmp_path):
    load(engine, tmp_path, ("providers",))  # TR1 "Cơ sở May Hồng Hà", phone 0912000001
    rows = [provider("TR1-B", "Công ty TNHH may HONG HA", "+84 912 000 001"),
            provider("TR1-C", "co so  may hong ha")]
    result = imported(engine, tmp_path, "providers", rows, "again")
    assert result.merged == [("TR1-B", "TR1"), ("TR1-C", "TR1")] and result.created == 0
    imported(engine, tmp_path, "options", [option("OP9", "TR1-C")], "options")
    assert owner(engine, "OP9") == "TR1"


def test_names_that_differ_in_a_mark_or_a_word_are_proposed_not_joined(engine, tmp_path):
    rows = [provider("H1", "Tiệm may Hoa"), provider("H2", "Tiệm may Hòa"),
            provider("X1", "Xưởng sửa xe Minh Tuấn"),
            provider("X2", "Xưởng sửa xe máy Minh Tuấn")]
    result = imported(engine, tmp_path, "providers", rows, "near")
    assert result.merged == [] and result.created == 4
    assert {(a, b) for a, b, _ in result.proposed} == {("H2", "H1"), ("X2", "X1")}
    assert "2 possible duplicates" in result.summary()
    with Session(engine) as s:
        pairs = proposed(s)
    assert {(p["a"]["provider_id"], p["b"]["provider_id"]) for p in pairs} == {
        ("H1", "H2"), ("X1", "X2")}
    # The same file again proposes nothing new and is not an error.
    again = imported(engine, tmp_path, "providers", rows, "near-again")
    assert again.updated == 4 and again.proposed == []


def test_the_same_name_with_other_phones_is_proposed_not_joined(engine, tmp_path):
    load(engine, tmp_path, ("providers",))
    result = imported(engine, tmp_path, "providers",
                      [provider("TR1-D", "Cơ sở May Hồng Hà", "0987 654 321")], "phone")
    assert result.merged == [] and result.created == 1
    assert result.proposed == [("TR1-D", "TR1", 100.0)]


def test_a_pair_kept_apart_is_never_proposed_again(engine, tmp_path):
    imported(engine, tmp_path, "providers", [provider("H1", "Tiệm may Hoa"),
                                             provider("H2", "Tiệm may Hòa")], "near")
    with transaction(engine) as s:
        mark_distinct(s, "H2", "H1", Actor())
    with transaction(engine) as s:
        assert scan(s) == 0 and proposed(s) == []
    result = imported(engine, tmp_path, "providers", [provider("H3", "Tiệm may Hóa")], "third")
    assert {b for _, b, _ in result.proposed} <= {"H1", "H2"}
    with Session(engine) as s:
        status = dict(s.execute(select(ProviderPair.provider_b, ProviderPair.status)
                                .where(ProviderPair.provider_a == "H1")).all())
    assert status["H2"] == "distinct"


def test_a_scan_proposes_alike_providers_stored_before(engine, tmp_path):
    with transaction(engine) as s:
        for pid, name in (("S1", "Salon tóc Thu Trang"), ("S2", "Salon toc Thu Trảng"),
                          ("S3", "Salon tóc Lan 2"), ("S4", "Salon tóc Lan 3")):
            s.add(Provider(provider_id=pid, name=name, name_folded=name, kind="trainer",
                           place_id="22-193-06637"))
    with transaction(engine) as s:
        assert scan(s) == 1
        assert [(p["a"]["provider_id"], p["b"]["provider_id"]) for p in proposed(s)] == [
            ("S1", "S2")]
        assert scan(s) == 0


# --- a person's merge, and its undoing ----------------------------------------------------------


@pytest.fixture
def near_pair(engine, tmp_path):
    """H1 and H2 proposed; H2 has an option with a placement, H1 one without."""
    load(engine, tmp_path, ("providers", "options", "clients"))
    imported(engine, tmp_path, "providers", [provider("H1", "Tiệm may Hoa", "0911111111"),
                                             provider("H2", "Tiệm may Hòa")], "near")
    imported(engine, tmp_path, "options", [option("OH1", "H1"), option("OH2", "H2")], "opts")
    placement = dict(GOOD["placements"][0], placement_id="PH2", option_id="OH2")
    imported(engine, tmp_path, "placements", [placement], "placed")
    return engine


def test_a_person_merges_a_pair_and_undoes_it(near_pair):
    engine = near_pair
    before = snapshot(engine)
    with transaction(engine) as s:
        merge_id = merge(s, "H1", "H2", Actor("canbo.chuongtrinh", None, "127.0.0.1"))
    assert "H2" not in providers(engine) and owner(engine, "OH2") == "H1"
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Placement).join(Option)
                        .where(Option.provider_id == "H1")) == 1
        assert s.get(ProviderAlias, "H2").provider_id == "H1"
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "merge")).one()
        assert audit.entity_id == "H1" and audit.detail["merged"] == "H2"
        assert proposed(s) == []
        [m] = recent_merges(s)
        assert m["undoable"] and m["options"] == 1
    with transaction(engine) as s:
        unmerge(s, merge_id, Actor())
    assert "H2" in providers(engine) and owner(engine, "OH2") == "H2"
    after = snapshot(engine)
    # Everything as it was (the options' updated_at says when they were moved back).
    for table in ("providers", "placements", "provider_aliases", "users", "option_changes"):
        assert after[table] == before[table], table
    moved = [c["name"] for c in inspect(engine).get_columns("options")].index("updated_at")

    def settled(rows):
        return [r[:moved] + r[moved + 1:] for r in rows]

    assert settled(after["options"]) == settled(before["options"])
    with Session(engine) as s:
        assert [p["a"]["provider_id"] for p in proposed(s)] == ["H1"]  # a person decides again


def test_an_option_sent_under_the_merged_id_lands_on_the_kept_provider(near_pair, tmp_path):
    with transaction(near_pair) as s:
        merge(s, "H1", "H2", Actor())
    # The registry sent again still names H2: known, not an error.
    again = imported(near_pair, tmp_path, "providers", [provider("H2", "Tiệm may Hòa")], "re")
    assert again.updated == 1 and again.created == 0
    imported(near_pair, tmp_path, "options", [option("OH3", "H2")], "later")
    assert owner(near_pair, "OH3") == "H1"


@pytest.mark.parametrize(("keep", "other", "code"), [
    ("H1", "H1", "same"), ("H1", "NOPE", "unknown"), ("NOPE", "H1", "unknown"),
    ("H1", "EM1", "other_kind")])
def test_bad_merges_are_refused_and_change_nothing(near_pair, keep, other, code):
    before = snapshot(near_pair)
    with pytest.raises(MergeRefused) as info, transaction(near_pair) as s:
        merge(s, keep, other, Actor())
    assert info.value.code == code and str(info.value)
    assert snapshot(near_pair) == before


def test_a_merge_is_not_undone_after_a_new_placement(near_pair):
    engine = near_pair
    with transaction(engine) as s:
        merge_id = merge(s, "H1", "H2", Actor())
    with transaction(engine) as s:
        s.add(Placement(placement_id="PNEW", client_id="KH2", option_id="OH1",
                        start_date=date(2026, 12, 1), status="ongoing"))
    before = snapshot(engine)
    with pytest.raises(MergeRefused) as info, transaction(engine) as s:
        unmerge(s, merge_id, Actor())
    assert info.value.code == "placed_since" and "H1" in str(info.value)
    assert snapshot(engine) == before
    with Session(engine) as s:
        [m] = recent_merges(s)
    assert not m["undoable"] and m["blocker"] == "placed_since"
    with pytest.raises(MergeRefused, match="no merge 999"), transaction(engine) as s:
        unmerge(s, 999, Actor())


def test_a_merged_pair_cannot_be_kept_apart_and_an_undone_merge_not_undone_twice(near_pair):
    with transaction(near_pair) as s:
        merge_id = merge(s, "H1", "H2", Actor())
    with pytest.raises(MergeRefused), transaction(near_pair) as s:
        mark_distinct(s, "H1", "H2", Actor())
    with transaction(near_pair) as s:
        unmerge(s, merge_id, Actor())
    with pytest.raises(MergeRefused) as info, transaction(near_pair) as s:
        unmerge(s, merge_id, Actor())
    assert info.value.code == "undone"


def test_a_merge_during_accepts_loses_no_placement(near_pair):
    """Seats of the merged provider's option taken from four threads while it is merged: every
    seat taken has its placement, on the kept provider, and the seat count adds up."""
    engine = near_pair
    with transaction(engine) as s:
        s.execute(Option.__table__.update().where(Option.option_id == "OH2").values(capacity=40))
        clients = list(s.scalars(select(Client.client_id)))
    taken: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(5)

    def accept(worker: int) -> None:
        start.wait()
        for i in range(10):
            pid = f"PC{worker}-{i}"
            with transaction(engine) as s:
                if reserve_seat(s, "OH2", user_id=None, cause="accept"):
                    s.add(Placement(placement_id=pid, client_id=clients[i % len(clients)],
                                    option_id="OH2", start_date=date(2026, 12, 1),
                                    status="ongoing"))
                    with lock:
                        taken.append(pid)

    def merging() -> None:
        start.wait()
        with transaction(engine) as s:
            merge(s, "H1", "H2", Actor())

    threads = [threading.Thread(target=accept, args=(w,)) for w in range(4)]
    threads.append(threading.Thread(target=merging))
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    with Session(engine) as s:
        stored = set(s.scalars(select(Placement.placement_id)
                               .where(Placement.placement_id.like("PC%"))))
        capacity = s.scalar(select(Option.capacity).where(Option.option_id == "OH2"))
        assert s.get(Option, "OH2").provider_id == "H1"
    assert stored == set(taken) and capacity == 40 - len(taken)


# --- whole numbers as spreadsheets write them ---------------------------------------------------


def test_whole_numbers_with_a_zero_fraction_are_read_and_a_fraction_is_refused(engine, tmp_path):
    load(engine, tmp_path, ("providers",))
    rows = [option("OPA", "TR1"), option("OPB", "TR1"), option("OPC", "TR1")]
    rows[0].update(capacity="5.0", cost_vnd="3000000.0", min_age="13.0")
    rows[1].update(capacity="0.0", cost_vnd="3.000.000,0", max_age="30,00")
    rows[2].update(capacity="2", cost_vnd="3,000,000.00")
    result = imported(engine, tmp_path, "options", rows, "floats")
    assert result.created == 3
    with Session(engine) as s:
        got = {o.option_id: (o.capacity, o.cost_vnd) for o in s.scalars(select(Option))
               if o.option_id in ("OPA", "OPB", "OPC")}
    assert got == {"OPA": (5, 3_000_000), "OPB": (0, 3_000_000), "OPC": (2, 3_000_000)}
    bad = [dict(option("OPD", "TR1"), capacity="2.5")]
    error = fails(engine, "options", write_csv(tmp_path / "half.csv", bad))
    assert "row 2, column capacity" in error.render() and "fraction" in error.render()
