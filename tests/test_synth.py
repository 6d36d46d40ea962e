"""The synthetic world: deterministic, in the contract, grounded, confounded, with a truth."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from matcher.synth import (
    COLUMNS,
    build_world,
    read_world,
    success_logit,
    true_earning_probability_unplaced,
    true_success_probability,
    world_with_known_effect,
    write_world,
)
from matcher.synth.catalogue import load_places, load_trades
from matcher.synth.history import whole_years
from matcher.synth.names import PUBLIC_FIGURES
from matcher.vocab.places import load_place_index
from matcher.vocab.trades import load_trade_index

REPO = Path(__file__).resolve().parent.parent
DEMO_DIR = REPO / "data" / "demo"
SMALL = {"seed": 7, "n_clients": 300, "n_trainers": 60, "n_employers": 60, "n_livelihood": 8,
         "n_placements": 700}

# The data contract (matcher/ingest/contract.py; docs/design.md, "The data contract"), in its order.
CONTRACT = {
    "clients": "client_id full_name birth_date gender group place education disability "
               "interests skills max_travel_km needs_women_only household_poor ethnic_minority "
               "married prior_income_vnd_month consent_share registered_on",
    "providers": "provider_id name kind place phone",
    "options": "option_id provider_id kind title trades place capacity min_age max_age cost_vnd "
               "wage_vnd_day duration_weeks women_only sign_language accepts_records start_date "
               "groups_served",
    "placements": "placement_id client_id option_id start_date status success income_vnd_day "
                  "followed_up_on",
    "followups": "client_id followed_up_on earning income_vnd_day",
}
BOOLEANS = {
    "clients": ("needs_women_only", "household_poor", "ethnic_minority", "married",
                "consent_share"),
    "options": ("women_only", "sign_language", "accepts_records"),
    "followups": ("earning",),
}
DATES = {"clients": ("birth_date", "registered_on"), "options": ("start_date",),
         "placements": ("start_date", "followed_up_on"), "followups": ("followed_up_on",)}
RECORD_GROUPS = {"after_rehab", "after_prison", "after_reform_school"}


@pytest.fixture(scope="module")
def demo_timed():
    load_places(), load_trades()  # the catalogues are read once per process, not per world
    began = time.perf_counter()
    world = build_world()
    return world, time.perf_counter() - began


@pytest.fixture(scope="module")
def demo(demo_timed):
    return demo_timed[0]


@pytest.fixture(scope="module")
def small():
    return build_world(**SMALL)


def _history(world) -> pd.DataFrame:
    """Placements joined with their clients and options (suffixes: none for the client)."""
    return (world.placements
            .merge(world.clients, on="client_id", suffixes=("", "_client"))
            .merge(world.options, on="option_id", suffixes=("", "_option")))


def _distance(world, client_ids, option_ids) -> np.ndarray:
    truth = world.truth
    cp = pd.Series(truth["clients"]["place_id"])[list(client_ids)].to_numpy()
    op = pd.Series(truth["options"]["place_id"])[list(option_ids)].to_numpy()
    ids = sorted(set(cp) | set(op))
    matrix = load_place_index().distance_matrix(ids, ids)
    pos = {p: i for i, p in enumerate(ids)}
    return matrix[[pos[p] for p in cp], [pos[p] for p in op]]


# --- determinism and size -------------------------------------------------------------------


def test_same_seed_gives_the_same_world(small):
    again = build_world(**SMALL)
    for name, frame in small.frames().items():
        pd.testing.assert_frame_equal(frame, again.frames()[name])
    assert json.dumps(small.truth, sort_keys=True) == json.dumps(again.truth, sort_keys=True)


def test_another_seed_gives_another_world(small):
    other = build_world(**{**SMALL, "seed": 8})
    assert not small.clients.equals(other.clients)
    assert not small.placements.equals(other.placements)


def test_demo_sizes(demo):
    kinds = demo.providers["kind"].value_counts()
    assert kinds["trainer"] >= 200 and kinds["employer"] >= 200 and kinds["livelihood"] >= 20
    assert len(demo.clients) == 1200
    assert len(demo.placements) >= 3000
    assert set(demo.clients["group"]) == {
        "youth_at_risk", "trafficking_returnee", "after_rehab", "after_prison",
        "after_reform_school", "sex_worker_exiting", "gbv_survivor", "disabled", "other"}
    assert set(demo.options["kind"]) == {"training", "job", "livelihood"}
    assert set(demo.clubs["kind"]) == {"club"} and set(demo.club_providers["kind"]) == {"club"}
    assert len(demo.followups) > 100


def test_the_clubs_of_the_reports_change_nothing_else_of_the_world(tmp_path):
    with_clubs, without = build_world(**SMALL), build_world(**SMALL, clubs=False)
    clubs = with_clubs.clubs
    # 9 after drug rehab, 5 against trafficking, the deaf club, 2 women's peer groups.
    assert len(clubs) == 17 and clubs["sign_language"].eq("1").sum() == 1
    assert clubs["women_only"].eq("1").sum() == 2
    assert clubs["trades"].eq("").all() and clubs["groups_served"].ne("").all()
    for name in ("clients", "providers", "options", "placements", "followups"):
        assert getattr(with_clubs, name).equals(getattr(without, name))
    assert with_clubs.truth == without.truth
    # Written with the placements' options, read back apart from them.
    back = read_world(write_world(with_clubs, tmp_path))
    assert back.clubs.equals(clubs) and back.options.equals(with_clubs.options)


def test_demo_builds_in_under_twenty_seconds(demo_timed):
    assert demo_timed[1] < 20


def test_small_world_builds_quickly():
    load_places(), load_trades()
    began = time.perf_counter()
    world = build_world(seed=3, n_clients=300, n_trainers=50, n_employers=50, n_livelihood=5,
                        n_placements=750)
    assert time.perf_counter() - began < 5
    assert len(world.clients) == 300 and len(world.placements) == 750


def test_current_caseload_is_recent_and_unplaced(demo):
    seen = set(demo.placements["client_id"]) | set(demo.followups["client_id"])
    caseload = demo.clients[~demo.clients["client_id"].isin(seen)]
    assert 0.10 <= len(caseload) / len(demo.clients) <= 0.25
    as_of = pd.Timestamp(demo.truth["as_of"])
    registered = pd.to_datetime(caseload["registered_on"])
    assert (registered > as_of - pd.Timedelta(days=120)).mean() > 0.9


def test_some_clients_have_several_placements(demo):
    per_client = demo.placements.groupby("client_id").size()
    assert (per_client >= 2).mean() > 0.3
    assert not demo.placements.duplicated(["client_id", "option_id"]).any()


# --- the data contract ------------------------------------------------------------------------


def test_columns_are_the_contract(demo):
    for name, frame in demo.frames().items():
        assert list(frame.columns) == CONTRACT[name].split(), name
        assert list(COLUMNS[name]) == CONTRACT[name].split()
    try:
        from matcher.ingest.contract import CONTRACT as INGEST
    except ImportError:  # the importer is optional for this test
        return
    for name, columns in INGEST.items():
        assert [c.name for c in columns] == CONTRACT[name].split(), name


def test_values_are_contract_text(demo):
    date = re.compile(r"\d{4}-\d{2}-\d{2}")
    for name, frame in demo.frames().items():
        assert all(frame[c].map(type).eq(str).all() for c in frame.columns), name
        for column in BOOLEANS.get(name, ()):
            assert set(frame[column]) <= {"0", "1"}, (name, column)
        for column in DATES.get(name, ()):
            values = frame[column][frame[column] != ""]
            assert values.map(lambda v: bool(date.fullmatch(v))).all(), (name, column)
    o = demo.options
    for column in ("capacity", "min_age", "cost_vnd", "wage_vnd_day"):
        assert o[column].str.fullmatch(r"\d+").all(), column
    assert (o["capacity"].astype(int) == 0).any()  # some options are full now
    assert set(demo.placements["status"]) == {"ongoing", "completed", "dropped"}
    assert set(demo.placements["success"]) == {"", "0", "1"}
    ongoing = demo.placements["status"] == "ongoing"
    assert (demo.placements.loc[ongoing, "success"] == "").all()
    assert (demo.placements.loc[~ongoing, "success"] != "").all()


def test_ids_are_readable(demo):
    assert demo.clients["client_id"].str.fullmatch(r"KH\d{5}").all()
    assert demo.providers["provider_id"].str.fullmatch(r"(TR|EM)\d{4}|LV\d{3}").all()
    assert demo.options["option_id"].str.fullmatch(r"OP\d{6}").all()
    assert demo.placements["placement_id"].str.fullmatch(r"PL\d{6}").all()
    assert demo.placements["start_date"].is_monotonic_increasing


def test_enumerations_are_the_domain(demo):
    from matcher.vocab import domain

    c = demo.clients
    assert set(c["gender"]) <= {g.value for g in domain.Gender}
    assert set(c["group"]) <= {g.value for g in domain.Group}
    assert set(c["education"]) - {""} <= {e.value for e in domain.Education}
    assert set(c["disability"]) <= {d.value for d in domain.Disability}


def test_every_place_resolves_to_the_intended_unit(demo):
    index = load_place_index()
    truth = demo.truth
    wanted = {
        "clients": (demo.clients, "client_id", truth["clients"]["place_id"]),
        "providers": (demo.providers, "provider_id", truth["providers"]["place_id"]),
        "options": (demo.options, "option_id", truth["options"]["place_id"]),
    }
    texts = set()
    for frame, key, intended in wanted.values():
        resolved = {t: index.resolve(t).place_id for t in set(frame["place"])}
        got = frame["place"].map(resolved)
        assert (got.to_numpy() == frame[key].map(intended).to_numpy()).all()
        texts |= set(frame["place"])
    # Written the ways social workers write: not only the official name.
    names = {p.name for p in index.current_units()}
    assert len(texts - names) > 50
    assert any(t == t.lower() and t.isascii() for t in texts)  # without diacritics


def test_every_trade_resolves_to_the_intended_trades(demo):
    index = load_trade_index()
    intended = demo.truth["options"]["trades"]
    for option_id, cell in zip(demo.options["option_id"], demo.options["trades"], strict=True):
        assert [t.trade_id for t in index.resolve_list(cell)] == intended[option_id], cell


def test_interests_mention_the_wished_trades(demo):
    index = load_trade_index()
    wishes = demo.truth["clients"]["wish"]
    found = [set(wishes[c]) <= {t.trade_id for t, _ in index.find_in_text(text)}
             for c, text in zip(demo.clients["client_id"], demo.clients["interests"],
                                strict=True)]
    assert np.mean(found) > 0.95
    folded = demo.clients["interests"].map(lambda t: t.isascii())
    assert 0.15 < folded.mean() < 0.4  # some typed without diacritics


def test_names_are_synthetic(demo):
    assert not set(demo.clients["full_name"]) & PUBLIC_FIGURES
    assert demo.clients["full_name"].str.split().map(len).ge(3).all()
    phones = demo.providers["phone"][demo.providers["phone"] != ""]
    assert phones.str.fullmatch(r"02030\d{6}").all()


# --- grounded in the public figures ---------------------------------------------------------


def test_groups_look_like_the_reports(demo):
    c = demo.clients
    age = whole_years(pd.to_datetime(c["birth_date"]).to_numpy().astype("datetime64[D]"),
                      pd.to_datetime(c["registered_on"]).to_numpy().astype("datetime64[D]"))
    youth = (c["group"] == "youth_at_risk").to_numpy()
    assert age[youth].min() >= 13 and age[youth].max() < 16
    share_female = c.groupby("group")["gender"].apply(lambda g: (g == "female").mean())
    assert share_female["trafficking_returnee"] > 0.75 and share_female["gbv_survivor"] > 0.9
    assert share_female["after_rehab"] < 0.25
    disabled = c[c["group"] == "disabled"]["disability"].value_counts()
    assert disabled.index[0] == "deaf"
    needs = c.groupby("group")["needs_women_only"].apply(lambda v: (v == "1").mean())
    assert needs["gbv_survivor"] > 0.5 and needs["after_prison"] < 0.05
    travel = c["max_travel_km"].astype(float).groupby(c["group"]).median()
    assert travel["youth_at_risk"] < travel["after_prison"]


def test_providers_and_options_look_like_the_reports(demo):
    o = demo.options
    assert demo.providers["name"].str.contains("khiếm thính").any()  # the deaf club
    hand = o[o["title"].str.contains("cầm tay chỉ việc")]
    assert len(hand) > 20
    assert hand["min_age"].astype(int).min() == 13
    fee = hand["cost_vnd"].astype(int)
    assert 2_500_000 <= fee.median() <= 3_500_000
    wage = hand["wage_vnd_day"].astype(int)
    assert wage.between(50_000, 100_000).all()
    live = o[o["kind"] == "livelihood"]
    assert live["cost_vnd"].astype(int).min() >= 5_000_000
    index = load_trade_index()
    models = {t.trade_id for cell in live["trades"] for t in index.resolve_list(cell)}
    assert {"drinks_stall", "poultry", "seafood_processing", "food_business"} <= models
    jobs = o[o["kind"] == "job"]
    assert (jobs["accepts_records"] == "0").mean() > 0.4  # many employers do not
    assert (o["sign_language"] == "1").any() and (o["women_only"] == "1").any()
    big = demo.clients["place"].map(lambda t: load_place_index().resolve(t).former_district)
    assert big.str.contains("Hạ Long|Cẩm Phả|Uông Bí|Móng Cái").mean() > 0.4


# --- the history respects the rules ---------------------------------------------------------


def test_history_respects_eligibility(demo):
    h = _history(demo)
    start = pd.to_datetime(h["start_date"]).to_numpy().astype("datetime64[D]")
    age = whole_years(pd.to_datetime(h["birth_date"]).to_numpy().astype("datetime64[D]"), start)
    min_age = h["min_age"].astype(int).to_numpy()
    max_age = pd.to_numeric(h["max_age"].replace("", np.nan)).to_numpy()
    assert (age >= min_age).all()
    assert (np.isnan(max_age) | (age <= max_age)).all()
    assert (age[h["kind"].to_numpy() == "job"] >= 15).all()
    assert (age[h["kind"].to_numpy() == "livelihood"] >= 18).all()
    index = load_trade_index()
    hazardous = h["trades"].map(lambda cell: any(t.hazardous for t in index.resolve_list(cell)))
    assert (age[hazardous.to_numpy()] >= 18).all()
    assert (h.loc[h["women_only"] == "1", "gender"] == "female").all()
    assert (h.loc[h["needs_women_only"] == "1", "women_only"] == "1").all()
    assert (h.loc[h["disability"] == "deaf", "sign_language"] == "1").all()
    assert (h.loc[h["group"].isin(RECORD_GROUPS), "accepts_records"] == "1").all()
    km = _distance(demo, h["client_id"], h["option_id"])
    limit = h["max_travel_km"].astype(float).to_numpy()
    assert (km <= limit).mean() > 0.9  # the travel limit, mostly
    assert (km <= 2 * limit).all()
    assert (pd.to_datetime(h["start_date"]) >= pd.to_datetime(h["registered_on"])).all()
    assert h["start_date"].min() >= "2021-01-01" and h["start_date"].max() <= "2026-09-30"


# --- the history is confounded --------------------------------------------------------------


def test_history_is_close_to_home_and_in_the_wished_trade(demo):
    rng = np.random.default_rng(0)
    clients = rng.choice(demo.clients["client_id"], 5000)
    options = rng.choice(demo.options["option_id"], 5000)
    placed = _distance(demo, demo.placements["client_id"], demo.placements["option_id"])
    random = _distance(demo, clients, options)
    assert placed.mean() < 0.25 * random.mean()
    wish, trades = demo.truth["clients"]["wish"], demo.truth["options"]["trades"]

    def wished(c, o):
        return bool(set(wish[c]) & set(trades[o]))

    placed_wish = np.mean([wished(c, o) for c, o in
                           zip(demo.placements["client_id"], demo.placements["option_id"],
                               strict=True)])
    random_wish = np.mean([wished(c, o) for c, o in zip(clients, options, strict=True)])
    assert placed_wish > 4 * random_wish


def test_easier_cases_went_to_better_providers(demo):
    h = _history(demo)
    quality = h["provider_id"].map(demo.truth["provider_quality"]).to_numpy()
    ability = h["client_id"].map(demo.truth["clients"]["ability"]).to_numpy()
    top = quality >= np.quantile(quality, 0.75)
    bottom = quality <= np.quantile(quality, 0.25)
    assert ability[top].mean() > ability[bottom].mean() + 0.2


def test_every_kind_of_pair_appears(demo):
    h = _history(demo)
    table = pd.crosstab(h["group"], h["kind"])
    assert (table[["training", "job"]] > 0).all().all()
    assert 0.08 < demo.truth["history"]["explored_share"] < 0.16


# --- the truth -----------------------------------------------------------------------------


def _pairs(world, n=4000, seed=1, km=30.0):
    """Random client × option pairs within ``km`` of each other: the pairs a suggestion
    would rank (far pairs are all hopeless and rank alike)."""
    rng = np.random.default_rng(seed)
    clients = rng.choice(world.clients["client_id"], 20 * n)
    options = rng.choice(world.options["option_id"], 20 * n)
    near = _distance(world, clients, options) <= km
    return clients[near][:n], options[near][:n]


@pytest.mark.parametrize(("term", "max_rank_corr"), [
    ("wish", 0.995), ("distance", 0.95), ("provider_quality", 0.99), ("trade_demand", 0.99),
    ("group_kind", 0.995), ("ability", 0.95), ("age", 0.999), ("education", 0.999),
])
def test_success_depends_on_each_term(demo, term, max_rank_corr):
    clients, options = _pairs(demo)
    full = success_logit(demo.truth, demo.clients, demo.options, clients, options)
    without = success_logit(demo.truth, demo.clients, demo.options, clients, options,
                            zero=[term])
    assert np.abs(full - without).mean() > 0.03
    rank = pd.Series(full).rank().corr(pd.Series(without).rank())
    assert rank < max_rank_corr, term


@pytest.mark.parametrize("term", ["wish", "distance", "provider_quality", "trade_demand",
                                  "group_kind"])
def test_pair_terms_reorder_each_clients_options(demo, term):
    # A pair term changes which option is best for a client, not only the client's level.
    clients, options = _pairs(demo, 6000)
    full = success_logit(demo.truth, demo.clients, demo.options, clients, options)
    without = success_logit(demo.truth, demo.clients, demo.options, clients, options,
                            zero=[term])
    frame = pd.DataFrame({"c": clients, "full": full, "without": without})
    changed = frame.groupby("c").apply(
        lambda g: len(g) > 2 and g["full"].idxmax() != g["without"].idxmax(),
        include_groups=False)
    assert changed.mean() > 0.05, term


def test_success_depends_on_the_pair_not_one_column(demo):
    # Two clients rank the same options differently: success is not one score per option.
    options = demo.options["option_id"].to_numpy()
    a, b = demo.clients["client_id"].iloc[[10, 20]]
    pa = true_success_probability(demo.truth, demo.clients, demo.options, [a] * len(options),
                                  options)
    pb = true_success_probability(demo.truth, demo.clients, demo.options, [b] * len(options),
                                  options)
    assert pd.Series(pa).rank().corr(pd.Series(pb).rank()) < 0.95
    assert pa.std() > 0.05 and pb.std() > 0.05


def test_realised_success_matches_the_truth(demo):
    pl = demo.placements
    done = pl["status"] != "ongoing"
    p = true_success_probability(demo.truth, demo.clients, demo.options, pl["client_id"],
                                 pl["option_id"], on=pl["start_date"])[done.to_numpy()]
    realised = pl.loc[done, "success"].astype(int).to_numpy()
    assert 0.45 <= realised.mean() <= 0.60
    se = np.sqrt((p * (1 - p)).sum()) / len(p)
    assert abs(realised.mean() - p.mean()) < 3 * se
    assert demo.truth["history"]["success_rate_realised"] == round(realised.mean(), 6)
    succeeded = pl.loc[done & (pl["success"] == "1")]
    assert (succeeded["income_vnd_day"].astype(int) > 0).all()


def test_truth_follows_wishes_distance_and_access(demo):
    # Holding the rest fixed, a terms' sign is the one documented.
    clients, options = _pairs(demo, 3000, seed=5)
    full = success_logit(demo.truth, demo.clients, demo.options, clients, options)
    for term, sign in (("wish", 1), ("distance", -1), ("sign_language", None)):
        diff = full - success_logit(demo.truth, demo.clients, demo.options, clients, options,
                                    zero=[term])
        if sign is not None:
            assert (np.sign(diff[diff != 0]) == sign).all(), term


def test_truth_survives_the_files(demo, tmp_path):
    write_world(demo, tmp_path)
    assert (tmp_path / "truth.json").stat().st_size < 3_000_000
    back = read_world(tmp_path)
    for name, frame in demo.frames().items():
        pd.testing.assert_frame_equal(frame, back.frames()[name], check_dtype=False)
    pl = demo.placements
    mine = true_success_probability(demo.truth, demo.clients, demo.options, pl["client_id"],
                                    pl["option_id"], on=pl["start_date"])
    again = true_success_probability(back.truth, back.clients, back.options, pl["client_id"],
                                     pl["option_id"], on=pl["start_date"])
    np.testing.assert_allclose(mine, again)


def test_unplaced_baseline_matches_the_followups(demo):
    f = demo.followups
    p0 = true_earning_probability_unplaced(demo.truth, demo.clients, f["client_id"],
                                           on=f["followed_up_on"])
    earning = f["earning"].astype(int).to_numpy()
    se = np.sqrt((p0 * (1 - p0)).sum()) / len(p0)
    assert abs(earning.mean() - p0.mean()) < 3 * se
    assert not set(f["client_id"]) & set(demo.placements["client_id"])


def test_placement_effect_is_known_and_set():
    world = world_with_known_effect(0.12, confounding=1.0, **{**SMALL, "seed": 11})
    effect = world.truth["placement_effect"]
    assert effect["overall"] == pytest.approx(0.12, abs=1e-4)
    assert set(effect["by_kind"]) <= {"training", "job", "livelihood"}
    # The stated effect is the truth's: P(success | placed) - P(earning | not placed).
    pl = world.placements[world.placements["status"] != "ongoing"]
    p1 = true_success_probability(world.truth, world.clients, world.options, pl["client_id"],
                                  pl["option_id"], on=pl["start_date"])
    p0 = true_earning_probability_unplaced(world.truth, world.clients, pl["client_id"],
                                           on=pl["start_date"])
    assert (p1 - p0).mean() == pytest.approx(0.12, abs=1e-4)


def test_confounding_makes_the_placed_easier():
    def baseline_gap(confounding):
        world = world_with_known_effect(0.2, confounding=confounding,
                                        **{**SMALL, "n_clients": 1500, "seed": 12})
        placed = world.clients["client_id"].isin(world.placements["client_id"])
        followed = world.clients["client_id"].isin(world.followups["client_id"])
        p0 = true_earning_probability_unplaced(world.truth, world.clients,
                                               world.clients["client_id"])
        return p0[placed.to_numpy()].mean() - p0[followed.to_numpy()].mean()

    assert baseline_gap(2.0) > baseline_gap(0.0) + 0.03


# --- files ----------------------------------------------------------------------------------


def test_main_writes_the_files(tmp_path, capsys):
    from matcher.synth import main

    assert main(["--out", str(tmp_path), "--seed", "5", "--clients", "120", "--trainers", "20",
                 "--employers", "20", "--livelihood", "3", "--placements", "200"]) == 0
    for name in CONTRACT:
        header = (tmp_path / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header == ",".join(CONTRACT[name].split())
    assert json.loads(capsys.readouterr().out)["placements"] == 200


def test_committed_demo_is_the_generator_output(demo):
    if not (DEMO_DIR / "truth.json").exists():
        pytest.skip("data/demo has not been generated")
    committed = read_world(DEMO_DIR)
    for name, frame in demo.frames().items():
        assert committed.frames()[name].equals(frame), (
            f"data/demo/{name}.csv is stale: run python -m matcher.synth --out data/demo")


def test_providers_are_not_taken_for_one_another(demo):
    # The importer merges providers of one kind and place with the same name and proposes
    # those whose names nearly agree: the demo world has neither.
    merge = pytest.importorskip("matcher.ingest.provider_merge")
    index = load_place_index()
    p = demo.providers.assign(unit=demo.providers["place"].map(lambda t: index.resolve(t).place_id))
    for (kind, unit), group in p.groupby(["kind", "unit"]):
        known: list = []
        for pid, name in zip(group["provider_id"], group["name"], strict=True):
            new = merge.KnownProvider(pid, name, kind, unit)
            assert merge.same_provider(new, known) is None, (pid, name)
            assert merge.possible_duplicate(new, known) is None, (pid, name)
            known.append(new)
