"""The option kinds, in one table that every other part reads.

A kind is what a client is placed in: a course (``training``), a job (``job``) or a
livelihood model with a start-up grant or loan (``livelihood``); or what a client joins beside
a placement: a support club (``club``: peer groups after drug rehabilitation, against
trafficking, of deaf people, of women), which is not a placement (``placement`` False): the
outcome model, the cohort plan, the seat prices and the review never see it, and it is
suggested on its own short list (matcher.matching.clubs). Each row says its code and
its provider kind; its words in both languages (the pages' catalogues take them from here:
``enum.kind.<code>``, ``enum.provider_kind.<provider kind>``; the suggestions' reasons say
its seat, its participants and its cost with them); the law's age for it (one eligibility
rule per kind, matcher.matching.rules); whether its area is the workplace's
(matcher.outcomes.features); and how its success is judged. Adding a kind starts with a row here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AgeRule:
    """The law's minimum age for a kind, as an eligibility rule (matcher.matching.rules)."""

    code: str
    age: int
    vi: str
    en: str


@dataclass(frozen=True)
class Kind:
    code: str
    provider_kind: str
    label_vi: str
    label_en: str
    provider_label_vi: str
    provider_label_en: str
    seat_vi: str  # one of its seats: "Còn 3 chỗ học" / "3 seats left"
    seat_en: str
    participants_vi: str  # "12/20 học viên có hoàn cảnh tương tự…"
    participants_en: str
    cost_vi: str  # what its cost_vnd is
    cost_en: str
    age_rule: AgeRule | None  # None: no law sets an age for it (a club's own ages apply)
    #: The minimum age when the option states none (the Labour Code's 15; contracts: 18).
    default_min_age: int
    #: A job's area is its workplace's; a course's and a livelihood model's the client's home.
    area_is_workplace: bool
    success: str  # how success is judged, in English
    #: A placement: learned from, planned, priced and reviewed. A club is joined beside one.
    placement: bool = True
    #: What an option of this kind is about: its trades (a club has none).
    has_trades: bool = True
    #: Whether it may cost the client (a club never does) or pay a wage (a job).
    has_cost: bool = True
    #: Whether its provider may report a hire with a daily wage (matcher.vocab.referrals): an
    #: employer hires; a course's trainer may report its graduate's job (the hand-held courses
    #: of the province's reports); a livelihood model is the client's own work, with no hire.
    hire_reported: bool = False


KINDS: tuple[Kind, ...] = (
    Kind("training", "trainer", "Học nghề", "Training", "cơ sở đào tạo", "trainer",
         "chỗ học", "seat", "học viên", "trainees", "Học phí", "Fee",
         AgeRule("training_under_13", 13, "Dưới 13 tuổi: chưa học nghề",
                 "Under 13: too young for training"),
         default_min_age=15, area_is_workplace=False,
         success="earning a stable living from work six months after the course started",
         hire_reported=True),
    Kind("job", "employer", "Việc làm", "Job", "nơi tuyển dụng", "employer",
         "vị trí", "opening", "người lao động", "workers", "Học phí", "Fee",
         AgeRule("labour_code_under_15", 15,
                 "Dưới 15 tuổi: Bộ luật Lao động không cho phép làm việc",
                 "Under 15: the Labour Code forbids ordinary employment"),
         default_min_age=15, area_is_workplace=True,
         success="earning a stable living six months after starting the job",
         hire_reported=True),
    Kind("livelihood", "livelihood", "Mô hình sinh kế", "Livelihood model", "dự án sinh kế",
         "livelihood project", "suất", "slot", "hộ", "households", "Vốn khởi nghiệp",
         "Start-up package",
         AgeRule("livelihood_minor", 18, "Dưới 18 tuổi: không nhận vốn khởi nghiệp, vay vốn",
                 "Under 18: start-up grants and loans are for adults"),
         default_min_age=18, area_is_workplace=False,
         success="earning a stable living from the model six months after the grant"),
    Kind("club", "club", "Câu lạc bộ", "Support club", "câu lạc bộ", "club",
         "chỗ", "place", "thành viên", "members", "Phí", "Fee",
         None, default_min_age=0, area_is_workplace=False,
         success="attending the club three months after joining",
         placement=False, has_trades=False, has_cost=False),
)

CODES: tuple[str, ...] = tuple(k.code for k in KINDS)
#: The kinds a client is placed in (every kind but the clubs).
PLACEMENT_CODES: tuple[str, ...] = tuple(k.code for k in KINDS if k.placement)
CLUB_CODES: tuple[str, ...] = tuple(k.code for k in KINDS if not k.placement)
PROVIDER_KINDS: tuple[str, ...] = tuple(dict.fromkeys(k.provider_kind for k in KINDS))
#: The kinds of provider whose options are placements (the review's provider league).
PLACEMENT_PROVIDER_KINDS: tuple[str, ...] = tuple(dict.fromkeys(
    k.provider_kind for k in KINDS if k.placement))
BY_CODE: dict[str, Kind] = {k.code: k for k in KINDS}


def provider_kind(code: str) -> str:
    """The kind of provider that offers options of kind ``code``."""
    return BY_CODE[code].provider_kind


def catalogue_words(lang: str) -> dict[str, str]:
    """The kinds' words for the pages' catalogue of ``lang`` ("vi" or "en")."""
    vi = lang == "vi"
    words: dict[str, str] = {}
    for k in KINDS:
        words[f"enum.kind.{k.code}"] = k.label_vi if vi else k.label_en
        words[f"enum.provider_kind.{k.provider_kind}"] = (k.provider_label_vi if vi
                                                          else k.provider_label_en)
    return words


__all__ = ["BY_CODE", "CLUB_CODES", "CODES", "KINDS", "PLACEMENT_CODES",
           "PLACEMENT_PROVIDER_KINDS", "PROVIDER_KINDS",
           "AgeRule", "Kind",
           "catalogue_words", "provider_kind"]
