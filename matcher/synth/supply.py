"""Providers (trainers, employers, livelihood programmes), their options, and local demand.

Trainers are small businesses teaching "hand-held" (cầm tay chỉ việc: hair salons, motorbike
workshops, sewing shops, kitchens) and schools; some accept minors from 13 at about
3,000,000 VND a head a course and hire the youths they trained at 50,000–100,000 VND a day.
Employers are hotels, restaurants, garment and electronics factories, tourism boats, seafood
plants, mines. Livelihood programmes give start-up packages (a drinks stall, poultry, seafood
processing, a food business) to run one's own trade.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from matcher.vocab.text import fold

from .catalogue import Places, Trades
from .names import brands, owner_names, phones
from .population import numbered

PROVIDER_KINDS = ("trainer", "employer", "livelihood")
OPTION_KIND_OF = {"trainer": "training", "employer": "job", "livelihood": "livelihood"}
KIND_COLUMN = {"training": 0, "job": 1, "livelihood": 2}
QUALITY_SD = 0.5

TRAINER_TRADES = {
    "hairdressing": 3.0, "sewing": 3.0, "motorbike_repair": 3.0, "cooking": 2.0,
    "beauty_care": 2.0, "nail_care": 2.0, "makeup": 1.5, "massage": 1.2, "electrician": 1.5,
    "welding": 1.2, "driving": 1.0, "bakery": 1.2, "tailoring": 1.2, "phone_repair": 1.2,
}
EMPLOYER_SECTORS = {
    "hospitality": 0.28, "garment": 0.14, "electronics": 0.10, "tourism": 0.10,
    "fisheries": 0.08, "construction": 0.08, "trade_services": 0.08, "mining": 0.04,
    "transport": 0.04, "domestic_care": 0.03, "beauty": 0.03,
}
EMPLOYER_TRADES = {"garment_factory": 4.0, "electronics_assembly": 4.0, "seafood_factory": 3.0,
                   "cruise_service": 2.0, "waiting_tables": 2.0, "hotel_housekeeping": 2.0}
# The four livelihood models of the trafficking-returnee reports come first.
LIVELIHOOD_TRADES = {
    "drinks_stall": 3.0, "poultry": 3.0, "seafood_processing": 3.0, "food_business": 3.0,
    "retail_sales": 1.0, "pig_raising": 1.0, "vegetables": 1.0, "aquaculture": 1.0,
    "online_selling": 0.8, "tailoring": 0.6, "hairdressing": 0.5,
}
PUBLIC_MODELS = ("drinks_stall", "poultry", "seafood_processing", "food_business")
# Start-up package (VND) by livelihood model: equipment, stock, birds and feed.
STARTUP_VND = {"drinks_stall": (8e6, 12e6), "poultry": (6e6, 10e6),
               "seafood_processing": (10e6, 15e6), "food_business": (8e6, 12e6)}
STARTUP_DEFAULT_VND = (5e6, 20e6)
HANDHELD_FEE_VND = 3_000_000  # a head a course: tuition, meals, travel
HANDHELD_WAGE_VND = (50_000, 100_000)  # a day, youths hired by their trainer
DEAF_CLUB_TRADES = ("hairdressing", "massage", "beauty_care", "nail_care")
# Where each sector's work is: the former districts whose economy leans on it.
SECTOR_DISTRICTS = {
    "tourism": ("Thành phố Hạ Long", "Huyện Vân Đồn", "Huyện Cô Tô", "Thành phố Móng Cái"),
    "hospitality": ("Thành phố Hạ Long", "Thành phố Móng Cái", "Huyện Vân Đồn",
                    "Thành phố Uông Bí"),
    "mining": ("Thành phố Cẩm Phả", "Thành phố Uông Bí", "Thành phố Hạ Long",
               "Thành phố Đông Triều"),
    "garment": ("Thị xã Quảng Yên", "Thành phố Đông Triều", "Huyện Hải Hà", "Thành phố Móng Cái"),
    "electronics": ("Thị xã Quảng Yên", "Thành phố Đông Triều", "Thành phố Hạ Long"),
    "fisheries": ("Huyện Vân Đồn", "Huyện Cô Tô", "Huyện Đầm Hà", "Huyện Hải Hà",
                  "Huyện Tiên Yên", "Thị xã Quảng Yên", "Thành phố Móng Cái"),
    "agriculture": ("Huyện Bình Liêu", "Huyện Ba Chẽ", "Huyện Tiên Yên", "Huyện Đầm Hà",
                    "Huyện Hải Hà", "Thành phố Đông Triều"),
    "trade_services": ("Thành phố Móng Cái", "Thành phố Hạ Long"),
}
# Provider-level shares: survivor-safe (women only), records accepted, sign language.
SAFE_SHARE = {"trainer": 0.20, "employer": 0.08, "livelihood": 0.45}
RECORDS_SHARE = {"trainer": 0.75, "employer": 0.35, "livelihood": 0.85}
SIGN_SHARE = {"trainer": 0.04, "employer": 0.04, "livelihood": 0.05}  # besides the deaf club
HANDHELD_SHARE = 0.60  # of the trainers whose trade a small business teaches hand-held
# Trades a household business teaches hand-held and a minor may learn (not hazardous).
HANDHELD_TRADES = (
    "hairdressing", "hair_washing", "nail_care", "beauty_care", "makeup", "sewing", "tailoring",
    "cooking", "kitchen_help", "bakery", "handicraft", "flower_arranging", "votive_paper",
    "poultry", "vegetables", "drinks_mixing", "waiting_tables", "photo_editing",
    "photocopy_typing", "retail_sales", "online_selling",
)
ZERO_CAPACITY_SHARE = 0.15
# Options beyond the first (two for livelihood programmes), on average, by provider kind: a
# trainer runs a few courses, an employer has a few openings, a programme a few models.
EXTRA_OPTIONS = (1.6, 2.0, 3.5)


@dataclass
class Supply:
    """Providers and options as arrays (option trade ``trade2`` is -1 when there is one)."""

    provider_ids: list[str]
    provider_kind: np.ndarray  # index into PROVIDER_KINDS
    provider_place: np.ndarray
    quality: np.ndarray
    provider_names: list[str]
    provider_phones: list[str]
    option_ids: list[str]
    provider: np.ndarray  # option -> provider index
    kind: np.ndarray  # index into ("training", "job", "livelihood")
    trade1: np.ndarray
    trade2: np.ndarray
    place: np.ndarray
    capacity: np.ndarray
    min_age: np.ndarray
    max_age: np.ndarray  # -1 none
    cost: np.ndarray
    wage: np.ndarray
    duration: np.ndarray  # -1 none
    women_only: np.ndarray
    sign_language: np.ndarray
    accepts_records: np.ndarray
    handheld: np.ndarray
    start: np.ndarray  # datetime64[D], NaT none
    titles: list[str]

    def option_hazardous(self, trades: Trades) -> np.ndarray:
        second = np.where(self.trade2 >= 0, trades.hazardous[np.maximum(self.trade2, 0)], False)
        return trades.hazardous[self.trade1] | second


def _pick(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    return rng.choice(len(weights), size=size, p=weights / weights.sum())


def _trade_weights(trades: Trades, kind: int, table: dict[str, float], base: float) -> np.ndarray:
    w = np.array([table.get(t, base) for t in trades.ids], dtype=float)
    return np.where(trades.kinds[:, kind], w, 0.0)


def _sector_place_weights(places: Places, sector: str) -> np.ndarray:
    districts = SECTOR_DISTRICTS.get(sector, ())
    boost = np.array([3.0 if d in districts else 1.0 for d in places.district])
    return _provider_place_weights(places) * boost


def _provider_place_weights(places: Places) -> np.ndarray:
    # Businesses cluster in wards (phường) more than people do; islands have few.
    urban = np.isin(places.level, ("phường", "đặc khu"))
    return places.weight * np.where(urban, 1.6, 1.0) * np.where(places.island, 0.5, 1.0)


def _main_trades(rng: np.random.Generator, trades: Trades, kind: np.ndarray,
                 deaf_club: np.ndarray) -> np.ndarray:
    n = len(kind)
    main = np.zeros(n, dtype=int)
    trainer = _trade_weights(trades, 0, TRAINER_TRADES, 0.5)
    livelihood = _trade_weights(trades, 2, LIVELIHOOD_TRADES, 0.2)
    main[kind == 0] = _pick(rng, trainer, int((kind == 0).sum()))
    main[kind == 2] = _pick(rng, livelihood, int((kind == 2).sum()))
    employers = np.flatnonzero(kind == 1)
    sectors = list(EMPLOYER_SECTORS)
    sector = _pick(rng, np.array([EMPLOYER_SECTORS[s] for s in sectors]), len(employers))
    for s, name in enumerate(sectors):
        rows = employers[sector == s]
        w = _trade_weights(trades, 1, EMPLOYER_TRADES, 1.0) * (trades.sector == name)
        main[rows] = _pick(rng, w, len(rows))
    # The four models the trafficking-returnee reports name are each run by one programme
    # at least (when there are four programmes).
    models = [trades.ids.index(t) for t in PUBLIC_MODELS if t in trades.ids]
    first = np.flatnonzero(kind == 2)[: len(models)]
    main[first] = models[: len(first)]
    club = np.flatnonzero(deaf_club)
    club_w = np.array([1.0 if t in DEAF_CLUB_TRADES else 0.0 for t in trades.ids])
    main[club] = _pick(rng, club_w, len(club))
    return main


def _provider_places(rng: np.random.Generator, places: Places, trades: Trades,
                     kind: np.ndarray, main: np.ndarray) -> np.ndarray:
    place = _pick(rng, _provider_place_weights(places), len(kind))
    for sector in SECTOR_DISTRICTS:
        rows = np.flatnonzero((kind == 1) & (trades.sector[main] == sector))
        place[rows] = _pick(rng, _sector_place_weights(places, sector), len(rows))
    return place


TRAINER_NAMES = {
    "hairdressing": ("Salon tóc {o}", "Viện tóc {o}"), "hair_washing": ("Salon tóc {o}",),
    "nail_care": ("Tiệm nail {o}",), "beauty_care": ("Spa {o}", "Thẩm mỹ viện {b}"),
    "makeup": ("Studio trang điểm {o}",), "massage": ("Spa {o}",),
    "sewing": ("Cơ sở dạy may {o}", "Tiệm may {o}"), "tailoring": ("Tiệm may đo {o}",),
    "motorbike_repair": ("Xưởng sửa xe máy {o}", "Tiệm sửa xe {o}"),
    "car_mechanics": ("Gara ô tô {b}",), "phone_repair": ("Cửa hàng sửa điện thoại {o}",),
    "cooking": ("Nhà hàng {b}", "Bếp ăn {o}"), "bakery": ("Tiệm bánh {o}",),
    "driving": ("Trung tâm đào tạo lái xe {b}",), "welding": ("Xưởng cơ khí {o}",),
}
EMPLOYER_NAMES = {
    "hospitality": ("Khách sạn {b}", "Nhà hàng {b}"), "garment": ("Công ty TNHH May {b}",),
    "electronics": ("Công ty TNHH Điện tử {b}",),
    "tourism": ("Công ty Du thuyền {b}", "Công ty Du lịch {b}"),
    "fisheries": ("Công ty Thủy sản {b}",), "construction": ("Công ty Xây dựng {b}",),
    "trade_services": ("Siêu thị {b}", "Cửa hàng {b}"),
    "mining": ("Công ty TNHH Khai khoáng {b}",), "transport": ("Công ty Vận tải {b}",),
    "domestic_care": ("Trung tâm dịch vụ giúp việc {b}",), "beauty": ("Spa {b}",),
}
LIVELIHOOD_NAMES = ("Mô hình sinh kế Hội Phụ nữ {s}", "Dự án sinh kế {b}",
                    "Quỹ hỗ trợ khởi nghiệp {b}", "Tổ vay vốn {s}")


def _provider_names(rng: np.random.Generator, places: Places, trades: Trades, kind: np.ndarray,
                    main: np.ndarray, place: np.ndarray, deaf_club: np.ndarray) -> list[str]:
    n = len(kind)
    owners, brand = owner_names(rng, n), brands(rng, n)
    pick = rng.random(n)
    out = []
    for k in range(n):
        trade, short = trades.ids[main[k]], places.short[place[k]]
        if deaf_club[k]:
            out.append(f"Câu lạc bộ người khiếm thính {short}")
            continue
        if kind[k] == 0:
            forms = TRAINER_NAMES.get(trade, ("Cơ sở dạy nghề {o}", "Trung tâm dạy nghề {b}"))
        elif kind[k] == 1:
            forms = EMPLOYER_NAMES.get(str(trades.sector[main[k]]), ("Công ty TNHH {b}",))
        else:
            forms = LIVELIHOOD_NAMES
        form = forms[int(pick[k] * len(forms))]
        out.append(form.format(o=owners[k], b=brand[k], s=short))
    return out


# The importer takes two providers of one kind and place for the same one when their names,
# folded and without legal-form words, are this alike (matcher/ingest/provider_merge.py);
# generated names stay below it, with a margin.
_LEGAL_FORMS = re.compile(
    r"\b(cong ty|cty|tnhh|mtv|co phan|cp|ho kinh doanh|hkd|co so|cs|doanh nghiep tu nhan|dntn)\b"
)
DISTINCT_BELOW = 85.0


def _name_core(name: str) -> str:
    return " ".join(_LEGAL_FORMS.sub(" ", fold(name)).split())


def _clashes(cores: list[str], group: np.ndarray, changed: np.ndarray, first: bool
             ) -> np.ndarray:
    """Rows whose name core is too close to another's of the same (kind, place) group: on the
    first pass the later of each close pair; then those of the ``changed`` rows that still
    are close to any other."""
    clash = np.zeros(len(cores), dtype=bool)
    moved = np.zeros(len(cores), dtype=bool)
    moved[changed] = True
    rows = np.flatnonzero(np.isin(group, group[changed]))
    order = rows[np.argsort(group[rows], kind="stable")]
    for part in np.split(order, np.flatnonzero(np.diff(group[order])) + 1):
        if len(part) < 2:
            continue
        mine = part if first else part[moved[part]]
        score = process.cdist([cores[i] for i in mine], [cores[i] for i in part],
                              scorer=fuzz.token_sort_ratio, score_cutoff=DISTINCT_BELOW,
                              workers=-1)
        if first:
            clash[part[np.triu(score > 0, 1).any(axis=0)]] = True
        else:
            score[mine[:, None] == part[None, :]] = 0  # not against itself
            clash[mine[(score > 0).any(axis=1)]] = True
    return np.flatnonzero(clash)


def _distinct(rng: np.random.Generator, names: list[str], kind: np.ndarray,
              place: np.ndarray, rename: Callable[[np.ndarray], list[str]]) -> list[str]:
    """Names that the importer will not merge: a clashing one is drawn again (``rename``),
    then with a brand and an owner's name added. A world of tens of thousands of providers
    runs out of short names; the few near-twins left there are accepted."""
    names = list(names)
    cores = [_name_core(n) for n in names]
    group = kind.astype(np.int64) * 1000 + place
    changed = np.arange(len(names))
    for attempt in range(10):
        changed = _clashes(cores, group, changed, first=attempt == 0)
        if not len(changed):
            break
        fresh = rename(changed)
        if attempt >= 2:
            tails = zip(brands(rng, len(changed)), owner_names(rng, len(changed)), strict=True)
            fresh = [f"{n} {b} {o}" for n, (b, o) in zip(fresh, tails, strict=True)]
        for i, name in zip(changed, fresh, strict=True):
            names[i] = name
            cores[i] = _name_core(name)
    return names


def _option_counts(rng: np.random.Generator, kind: np.ndarray, n_options: int | None
                   ) -> np.ndarray:
    mean_extra = np.array(EXTRA_OPTIONS)[kind]
    base = np.where(kind == 2, 2, 1)
    if n_options is None:
        extra = np.minimum(rng.poisson(mean_extra), 5)
        return base + extra
    spare = n_options - int(base.sum())
    if spare < 0:
        raise ValueError(f"n_options={n_options} is fewer than the providers need ({base.sum()})")
    return base + rng.multinomial(spare, mean_extra / mean_extra.sum())


def _option_trades(rng: np.random.Generator, trades: Trades, kind: np.ndarray,
                   main: np.ndarray, deaf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mostly the provider's own trade; otherwise another of its sector it can offer."""
    n = len(kind)
    t1 = main.copy()
    t2 = np.full(n, -1)
    same_sector = trades.sector[main][:, None] == trades.sector[None, :]
    allowed = same_sector & trades.kinds.T[kind]
    allowed &= ~deaf[:, None] | np.isin(trades.ids, DEAF_CLUB_TRADES)[None, :]
    keys = np.where(allowed, rng.gumbel(size=allowed.shape), -np.inf)
    keys[np.arange(n), main] = -np.inf
    other = np.argmax(keys, axis=1)
    has_other = np.isfinite(keys[np.arange(n), other])
    switch = has_other & (rng.random(n) < 0.35)
    t1 = np.where(switch, other, t1)
    second = has_other & ~switch & (kind == 0) & (rng.random(n) < 0.2)
    t2 = np.where(second, other, t2)
    return t1, t2


def _round(x: np.ndarray, step: float) -> np.ndarray:
    return (np.round(x / step) * step).astype(np.int64)


def make_supply(rng: np.random.Generator, places: Places, trades: Trades, *,
                n_trainers: int, n_employers: int, n_livelihood: int,
                n_options: int | None, as_of: np.datetime64) -> Supply:
    kind = np.repeat([0, 1, 2], [n_trainers, n_employers, n_livelihood])
    n_prov = len(kind)
    ids = [*numbered("TR", n_trainers, 4), *numbered("EM", n_employers, 4),
           *numbered("LV", n_livelihood, 3)]
    deaf_club = np.zeros(n_prov, dtype=bool)
    deaf_club[: max(1, round(n_trainers / 100)) if n_trainers else 0] = True
    main = _main_trades(rng, trades, kind, deaf_club)
    place = _provider_places(rng, places, trades, kind, main)
    kinds = np.array(PROVIDER_KINDS)[kind]
    safe = rng.random(n_prov) < np.array([SAFE_SHARE[k] for k in kinds])
    records = rng.random(n_prov) < np.array([RECORDS_SHARE[k] for k in kinds])
    sign = deaf_club | (rng.random(n_prov) < np.array([SIGN_SHARE[k] for k in kinds]))
    teachable = np.isin(trades.ids, HANDHELD_TRADES) & ~trades.hazardous
    handheld = (kind == 0) & teachable[main] & (rng.random(n_prov) < HANDHELD_SHARE)
    handheld &= ~deaf_club

    counts = _option_counts(rng, kind, n_options)
    prov = np.repeat(np.arange(n_prov), counts)
    n = len(prov)
    okind = kind[prov]
    t1, t2 = _option_trades(rng, trades, okind, main[prov], deaf_club[prov])
    haz = trades.hazardous[t1] | np.where(t2 >= 0, trades.hazardous[np.maximum(t2, 0)], False)
    hand = handheld[prov] & (okind == 0) & ~haz & teachable[t1]
    hand &= (t2 < 0) | teachable[np.maximum(t2, 0)]
    # Most options are at the provider's own address; some at a branch or site nearby.
    near = np.exp(-places.distance / 15.0)
    branch = rng.random(n) < 0.1
    oplace = place[prov].copy()
    cum = np.cumsum(near[oplace[branch]], axis=1)
    u = rng.random(int(branch.sum()))[:, None] * cum[:, -1:]
    oplace[branch] = (cum < u).sum(axis=1)
    # A livelihood programme runs its models in the communes where its clients live.
    live = okind == 2
    oplace[live] = _pick(rng, places.weight, int(live.sum()))

    fields = _option_fields(rng, trades, okind, t1, haz, hand, as_of)
    women = safe[prov] & (rng.random(n) < 0.85)
    return Supply(
        provider_ids=ids, provider_kind=kind, provider_place=place,
        quality=np.round(rng.normal(0.0, QUALITY_SD, size=n_prov), 4),
        provider_names=_distinct(
            rng, _provider_names(rng, places, trades, kind, main, place, deaf_club), kind, place,
            lambda rows: _provider_names(rng, places, trades, kind[rows], main[rows],
                                         place[rows], deaf_club[rows])),
        provider_phones=phones(rng, n_prov),
        option_ids=numbered("OP", n, 6), provider=prov, kind=okind, trade1=t1, trade2=t2,
        place=oplace, women_only=women, sign_language=sign[prov],
        accepts_records=records[prov] | (rng.random(n) < 0.05), handheld=hand,
        titles=_titles(rng, trades, okind, t1, hand, fields["duration"]),
        **fields,
    )


def _option_fields(rng: np.random.Generator, trades: Trades, kind: np.ndarray, t1: np.ndarray,
                   haz: np.ndarray, hand: np.ndarray, as_of: np.datetime64) -> dict:
    n = len(kind)
    training, job, live = kind == 0, kind == 1, kind == 2
    capacity = np.select([hand, training, job], [rng.integers(1, 5, size=n),
                         rng.integers(1, 21, size=n), rng.integers(1, 13, size=n)],
                         rng.integers(1, 16, size=n))
    capacity = np.where(rng.random(n) < ZERO_CAPACITY_SHARE, 0, capacity)
    # Training from 13 where a trainer teaches minors hand-held; jobs 15+ or 18+; hazardous
    # trades and livelihood grants (contracts) 18+.
    hand_min = rng.choice([13, 14, 15], size=n, p=[0.7, 0.15, 0.15])
    train_min = rng.choice([15, 16, 18], size=n, p=[0.45, 0.25, 0.30])
    job_min = rng.choice([15, 16, 18], size=n, p=[0.25, 0.15, 0.60])
    min_age = np.select([haz | live, hand, training], [18, hand_min, train_min], job_min)
    max_age = np.where(rng.random(n) < np.where(job, 0.35, 0.15),
                       rng.choice([35, 40, 45], size=n), -1)
    max_age = np.where(hand & (max_age > 0), np.maximum(max_age, 25), max_age)
    fee = trades.course_fee[t1] * rng.uniform(0.8, 1.3, size=n)
    hand_fee = rng.normal(HANDHELD_FEE_VND, 200_000, size=n)
    low, high = _startup_bounds(trades, t1)
    cost = np.select([hand, training, live], [hand_fee, fee, rng.uniform(low, high)], 0.0)
    wage = np.select(
        [hand, training, live],
        [rng.uniform(*HANDHELD_WAGE_VND, size=n), trades.wage[t1] * rng.uniform(0.8, 1.1, n),
         trades.wage[t1] * rng.uniform(0.7, 1.0, size=n)],
        trades.wage[t1] * rng.lognormal(0.0, 0.12, size=n),
    )
    weeks = trades.course_weeks[t1]
    duration = np.select(
        [hand, training, live],
        [rng.integers(12, 27, size=n), np.maximum(1, np.round(weeks * rng.uniform(0.7, 1.4, n))),
         np.clip(np.round(weeks * 0.5), 1, 4)], -1)
    start = as_of + np.where(job, rng.integers(0, 46, size=n), rng.integers(3, 151, size=n)
                             ).astype("timedelta64[D]")
    start = np.where(job & (rng.random(n) < 0.5), np.datetime64("NaT"), start)
    return {
        "capacity": capacity.astype(np.int64), "min_age": min_age.astype(np.int64),
        "max_age": max_age.astype(np.int64), "cost": _round(cost, 100_000),
        "wage": _round(wage, 5_000), "duration": duration.astype(np.int64),
        "start": start.astype("datetime64[D]"),
    }


def _startup_bounds(trades: Trades, t1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    bounds = np.array([STARTUP_VND.get(t, STARTUP_DEFAULT_VND) for t in trades.ids])
    return bounds[t1, 0], bounds[t1, 1]


def _titles(rng: np.random.Generator, trades: Trades, kind: np.ndarray, t1: np.ndarray,
            hand: np.ndarray, duration: np.ndarray) -> list[str]:
    forms = {
        "hand": ("Học nghề {t} (cầm tay chỉ việc)", "Kèm nghề {t} cầm tay chỉ việc"),
        0: ("Khóa học {t} ({w} tuần)", "Lớp {t}", "Học nghề {t}"),
        1: ("Tuyển lao động: {t}", "Tuyển dụng: {t}", "Việc làm: {t}"),
        2: ("Mô hình sinh kế: {t}", "Hỗ trợ khởi nghiệp: {t}", "Vay vốn và hỗ trợ: {t}"),
    }
    pick = rng.random(len(kind))
    out = []
    for k in range(len(kind)):
        choices = forms["hand"] if hand[k] else forms[int(kind[k])]
        name = trades.name[t1[k]]
        out.append(choices[int(pick[k] * len(choices))].format(
            t=name[0].lower() + name[1:], w=duration[k]))
    return out


def trade_demand(rng: np.random.Generator, places: Places, trades: Trades) -> np.ndarray:
    """Demand for each trade in each unit (places × trades), standardised: mean 0, sd 1.

    The sector's districts (:data:`SECTOR_DISTRICTS`) add 1; rural communes add 0.7 to
    agriculture and take 0.3 from the rest; a trade-wide and a local random part follow.
    """
    bonus = np.zeros((len(places), len(trades)))
    for t in range(len(trades)):
        districts = SECTOR_DISTRICTS.get(str(trades.sector[t]), ())
        bonus[:, t] = [1.0 if d in districts else 0.0 for d in places.district]
    rural = places.level == "xã"
    agri = trades.sector == "agriculture"
    bonus += np.where(rural[:, None], np.where(agri, 0.7, -0.3)[None, :], 0.0)
    raw = (bonus + rng.normal(0, 0.4, size=(1, len(trades)))
           + rng.normal(0, 0.6, size=bonus.shape))
    return np.round((raw - raw.mean()) / raw.std(), 4)


def local_supply(places: Places, trades: Trades, supply: Supply, scale_km: float = 15.0
                 ) -> np.ndarray:
    """How common each trade is among the options near each place (places × trades, each row
    scaled to mean 1): options weighted by exp(-km/scale)."""
    near = np.exp(-places.distance[:, supply.place] / scale_km)  # places × options
    has = np.zeros((len(supply.option_ids), len(trades)))
    has[np.arange(len(has)), supply.trade1] = 1.0
    second = supply.trade2 >= 0
    has[np.flatnonzero(second), supply.trade2[second]] = 1.0
    s = near @ has
    return s / np.maximum(s.mean(axis=1, keepdims=True), 1e-12)
