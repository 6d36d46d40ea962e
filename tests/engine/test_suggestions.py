"""Suggestions: never ineligible, ranked, diverse, explained in both languages, group unsaid."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from matcher.ingest import ImportFailed
from matcher.ingest.profile import parse_profile
from matcher.matching.rules import check
from tests.engine.conftest import ON

# Words that would reveal a client's group if they appeared in a reason.
GROUP_WORDS = ("trafficking", "buôn bán", "rehab", "cai nghiện", "prison", "tù", "reform",
               "trường giáo dưỡng", "sex", "mại dâm", "violence", "bạo lực", "gbv")


def test_every_suggestion_is_eligible_and_ranked(matcher, profiles):
    options = matcher.catalog.options
    for client in profiles[:150]:
        result = matcher.suggest(client, top=10, on=ON)
        scores = [s["score"] for s in result["suggestions"]]
        assert scores == sorted(scores, reverse=True)
        rows = matcher.catalog.rows([s["option_id"] for s in result["suggestions"]])
        distance = matcher.distances_from(client.place_id)
        eligibility = check(client, options.iloc[rows].reset_index(drop=True), distance[rows], ON)
        assert eligibility.eligible.all(), client.client_id
        per_provider = {}
        for s in result["suggestions"]:
            per_provider[s["provider_id"]] = per_provider.get(s["provider_id"], 0) + 1
            assert 0.0 <= s["p_success"] <= 1.0
            assert s["distance_km"] <= client.travel_limit_km + 0.05
        assert max(per_provider.values(), default=0) <= matcher.weights.max_per_provider


def test_contract_shape_and_parts(matcher, profiles):
    result = matcher.suggest(profiles[0], top=5, on=ON)
    assert set(result) >= {"client_id", "model_version", "suggestions"}
    assert result["client_id"] == profiles[0].client_id
    assert result["model_version"] == matcher.model.version != "prior"
    for s in result["suggestions"]:
        assert set(s) >= {"option_id", "kind", "score", "p_success", "reasons"}
        assert abs(sum(s["parts"].values()) - s["score"]) < 1e-3
        for reason in s["reasons"]:
            assert reason["vi"] and reason["en"] and reason["code"]
        codes = {r["code"] for r in s["reasons"]}
        assert {"distance", "capacity"} <= codes and codes & {"evidence", "evidence_none"}


def test_reasons_never_name_the_group(matcher, profiles):
    for client in profiles[:200]:
        for s in matcher.suggest(client, top=5, on=ON)["suggestions"]:
            text = " ".join(r["vi"] + " " + r["en"] for r in s["reasons"]).lower()
            assert client.group not in text
            assert not any(word in text for word in GROUP_WORDS), text


def test_kind_filter_and_large_top(matcher, profiles):
    client = next(p for p in profiles if p.age(ON) >= 18)
    for kind in ("training", "job", "livelihood"):
        kinds = {s["kind"] for s in matcher.suggest(client, top=5, kind=kind, on=ON)
                 ["suggestions"]}
        assert kinds <= {kind}
    everything = matcher.suggest(client, top=100_000, on=ON)
    assert len(everything["suggestions"]) <= everything["n_eligible"]
    with pytest.raises(ValueError, match="unknown kind"):
        matcher.suggest(client, kind="holiday", on=ON)
    with pytest.raises(ValueError, match="top"):
        matcher.suggest(client, top=0, on=ON)


def test_nothing_eligible_is_an_empty_list_with_reasons(matcher, profiles):
    child = replace(profiles[0], birth_date=date(2016, 1, 1), max_travel_km=60.0)
    result = matcher.suggest(child, on=ON)
    assert result["suggestions"] == [] and result["n_eligible"] == 0
    assert {"training_under_13", "labour_code_under_15"} <= set(result["excluded"])


def test_prior_model_says_so_in_every_suggestion(prior_matcher, profiles):
    result = prior_matcher.suggest(profiles[3], top=5, on=ON)
    assert result["model_version"] == "prior" and result["prior_only"]
    for s in result["suggestions"]:
        assert s["reasons"][0]["code"] == "prior_only"


def test_a_stated_wish_moves_matching_options_up(matcher, profiles):
    client = next(p for p in profiles if p.age(ON) >= 18 and p.disability == "none")
    hair = replace(client, interests="muốn học cắt tóc", skills="")
    cars = replace(client, interests="muốn học sửa xe máy", skills="")
    def share(c, trade):
        entries = matcher.suggest(c, top=5, on=ON)["suggestions"]
        return np.mean([any(t["trade_id"] == trade for t in s["trades"]) for s in entries])
    assert share(hair, "hairdressing") >= share(cars, "hairdressing")
    assert share(cars, "motorbike_repair") >= share(hair, "motorbike_repair")


def test_explain_names_the_rule_or_the_rank(matcher, profiles):
    client = profiles[0]
    distance = matcher.distances_from(client.place_id)
    far = int(np.argmax(distance))
    answer = matcher.explain(client, matcher.catalog.options["option_id"].iloc[far], on=ON)
    assert not answer["eligible"]
    assert "too_far" in {r["code"] for r in answer["failed_rules"]}
    top = matcher.suggest(client, top=1, on=ON)["suggestions"]
    if top:
        answer = matcher.explain(client, top[0]["option_id"], on=ON)
        assert answer["eligible"] and answer["rank"] == 1
    with pytest.raises(KeyError, match="unknown option"):
        matcher.explain(client, "OP-NOPE", on=ON)


def test_unsaved_profile(matcher):
    profile = parse_profile({"birth_date": "1998-04-02", "gender": "nữ",
                             "group": "gbv_survivor", "place": "Hồng Gai",
                             "interests": "thich lam toc", "max_travel_km": "15",
                             "needs_women_only": "có"})
    assert profile.client_id is None and profile.needs_women_only
    result = matcher.suggest(profile, top=3, on=ON)
    assert result["client_id"] is None
    with pytest.raises(ImportFailed) as info:
        parse_profile({"birth_date": "02/04/1998", "gender": "female", "place": "Hà Nội",
                       "colour": "blue"})
    text = info.value.render()
    assert "column birth_date" in text and "column place" in text
    assert "column colour" in text and "column group: required" in text


def test_a_rebuild_reads_no_wish_text_again(small_world, profiles, monkeypatch):
    """Matchers share the process's wish index: a rebuild (as after every catalogue change)
    reads only texts it has never seen, and gives the same suggestions."""
    from sqlalchemy.orm import Session

    from matcher.matching.engine import Matcher
    from matcher.vocab import wishes

    with Session(small_world["engine"]) as session:
        first = Matcher.build(session, model_dir=small_world["model_dir"])
        read: list[int] = []
        real = wishes._read_texts
        monkeypatch.setattr(wishes, "_read_texts",
                            lambda trades, texts, position: read.append(len(texts))
                            or real(trades, texts, position))
        again = Matcher.build(session, model_dir=small_world["model_dir"])
    assert again.wish is first.wish is wishes.shared_wish_index()
    assert sum(read) == 0, read
    for client in profiles[:20]:
        assert again.suggest(client, top=5, on=ON) == first.suggest(client, top=5, on=ON)
