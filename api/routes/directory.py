"""The directory of providers and options, for social workers, programme staff and admins.

Free text is read as the rest of the product reads it: ``trade`` through the trade taxonomy
("cắt tóc", "cat toc", "học cắt tóc" are one trade), ``place`` through the places of Quảng
Ninh (a ward's name from before the 2025 merger means the unit it now lies in; a former
district means every unit that was in it), ``q`` with or without diacritics.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from api import audit
from api.deps import CallerDep, SessionDep, allow
from api.errors import Problem, problem_responses
from api.routing import ReleasingRoute
from api.schemas.bounds import Offset, page_limit
from api.schemas.clients import ID_PATTERN
from api.schemas.directory import (
    OptionOut,
    OptionPage,
    ProviderDetail,
    ProviderOut,
    ProviderPage,
    TradeOut,
)
from matcher.matching.clubs import groups_served
from matcher.store.tables import Option, OptionTrade, Provider
from matcher.vocab import kinds as kind_table
from matcher.vocab.places import DISTRICT_LEVELS, PlaceNotFound, load_place_index
from matcher.vocab.text import fold
from matcher.vocab.trades import TradeNotFound, load_trade_index

router = APIRouter(route_class=ReleasingRoute, prefix="/v1", tags=["directory"],
                   dependencies=[allow("social_worker", "programme_staff", "admin")],
                   responses=problem_responses(401, 403, 422))

Limit = page_limit(200)
Text = Annotated[str | None, Query(max_length=200)]
OptionKind = Literal[kind_table.CODES]
ProviderKind = Literal[kind_table.PROVIDER_KINDS]
OptionId = Annotated[str, Path(pattern=ID_PATTERN, description="an option id, e.g. OP000001")]
ProviderId = Annotated[str, Path(pattern=ID_PATTERN, description="a provider id, e.g. TR0001")]


# --- shared with the capacity routes ------------------------------------------------------


def place_name(place_id: str) -> str:
    places = load_place_index()
    return places.get(place_id).name if place_id in places else place_id


def options_out(session: Session, options: Sequence[Option]) -> list[OptionOut]:
    """The API representation of ``options`` (one query for their trades and providers)."""
    ids = [o.option_id for o in options]
    trades: dict[str, list[TradeOut]] = {i: [] for i in ids}
    names: dict[str, str] = {}
    if ids:
        index = load_trade_index()
        for option_id, trade_id in session.execute(
                select(OptionTrade.option_id, OptionTrade.trade_id)
                .where(OptionTrade.option_id.in_(ids))
                .order_by(OptionTrade.option_id, OptionTrade.position, OptionTrade.trade_id)):
            if trade_id in index:
                t = index.get(trade_id)
                trades[option_id].append(TradeOut(trade_id=trade_id, name_vi=t.name_vi,
                                                  name_en=t.name_en))
            else:
                trades[option_id].append(TradeOut(trade_id=trade_id, name_vi=trade_id,
                                                  name_en=trade_id))
        providers = {o.provider_id for o in options}
        names = dict(session.execute(select(Provider.provider_id, Provider.name)
                                     .where(Provider.provider_id.in_(providers))).all())
    return [
        OptionOut(
            option_id=o.option_id, provider_id=o.provider_id,
            provider_name=names.get(o.provider_id, o.provider_id), kind=o.kind, title=o.title,
            trades=trades[o.option_id], place_id=o.place_id, place_name=place_name(o.place_id),
            capacity=o.capacity, min_age=o.min_age, max_age=o.max_age, cost_vnd=o.cost_vnd,
            wage_vnd_day=o.wage_vnd_day, duration_weeks=o.duration_weeks,
            start_date=o.start_date, women_only=bool(o.women_only),
            sign_language=bool(o.sign_language), accepts_records=bool(o.accepts_records),
            version=o.version, unlimited=bool(o.unlimited),
            groups_served=list(groups_served(o.groups_served)),
        )
        for o in options
    ]


def etag(version: int) -> str:
    return f'"{version}"'


# --- filters --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _units() -> dict[str, frozenset[str]]:
    """Current unit id → the ids of every place that lies in it (itself and former wards)."""
    within: dict[str, set[str]] = {}
    for p in load_place_index().places():
        if p.level not in DISTRICT_LEVELS or p.is_current:
            within.setdefault(p.current_id, set()).add(p.place_id)
    return {unit: frozenset(ids) for unit, ids in within.items()}


def place_ids(text: str) -> frozenset[str]:
    """The ids of the places that ``text`` covers; 422 naming the closest places if none."""
    places = load_place_index()
    try:
        found = places.lookup(text)
    except PlaceNotFound as exc:
        raise Problem(422, str(exc), field="query.place") from None
    units = _units()
    if found.level in DISTRICT_LEVELS and not found.is_current:
        # A former district (TP Hạ Long, Huyện Vân Đồn): every unit that was part of it.
        ids: set[str] = {found.place_id}
        for p in places.current_units():
            if found.name in {d.strip() for d in p.former_district.split(";")}:
                ids |= units.get(p.place_id, {p.place_id})
        return frozenset(ids)
    unit = found.current_id
    return units.get(unit, frozenset({unit}))


def trade_id(text: str) -> str:
    index = load_trade_index()
    if text.strip() in index:  # a trade id as the pages send it
        return text.strip()
    try:
        return index.resolve(text).trade_id
    except TradeNotFound as exc:
        raise Problem(422, str(exc), field="query.trade") from None


def _page(session: Session, query: Select, limit: int, offset: int):
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(query.limit(limit).offset(offset)).all()
    return rows, int(total or 0)


# --- providers ------------------------------------------------------------------------------


def _providers_out(session: Session, providers: Sequence[Provider]) -> list[ProviderOut]:
    ids = [p.provider_id for p in providers]
    counts = dict(session.execute(select(Option.provider_id, func.count())
                                  .where(Option.provider_id.in_(ids))
                                  .group_by(Option.provider_id)).all()) if ids else {}
    return [ProviderOut(provider_id=p.provider_id, name=p.name, kind=p.kind,
                        place_id=p.place_id, place_name=place_name(p.place_id), phone=p.phone,
                        option_count=int(counts.get(p.provider_id, 0))) for p in providers]


@router.get("/providers", response_model=ProviderPage)
def list_providers(session: SessionDep, caller: CallerDep, q: Text = None,
                   kind: ProviderKind | None = None, place: Text = None,
                   limit: Limit = 50, offset: Offset = 0) -> ProviderPage:
    """Providers by name (with or without diacritics), kind and place."""
    query = select(Provider).order_by(Provider.name_folded, Provider.provider_id)
    if q and fold(q):
        query = query.where(Provider.name_folded.contains(fold(q), autoescape=True))
    if kind:
        query = query.where(Provider.kind == kind)
    if place:
        query = query.where(Provider.place_id.in_(sorted(place_ids(place))))
    rows, total = _page(session, query, limit, offset)
    audit.record(session, caller, "read", "provider", None,
                 {"count": len(rows), "total": total})
    session.commit()
    return ProviderPage(items=_providers_out(session, rows), total=total)


@router.get("/providers/{provider_id}", response_model=ProviderDetail,
            responses=problem_responses(404))
def get_provider(provider_id: ProviderId, session: SessionDep, caller: CallerDep) -> ProviderDetail:
    """One provider with all its options."""
    provider = session.get(Provider, provider_id)
    if provider is None:
        raise Problem(404, "no such provider")
    options = session.scalars(select(Option).where(Option.provider_id == provider_id)
                              .order_by(Option.option_id)).all()
    audit.record(session, caller, "read", "provider", provider_id,
                 {"options": len(options)})
    session.commit()
    (out,) = _providers_out(session, [provider])
    return ProviderDetail(**out.model_dump(), options=options_out(session, options))


# --- options --------------------------------------------------------------------------------


@router.get("/options", response_model=OptionPage)
def list_options(session: SessionDep, caller: CallerDep,
                 trade: Annotated[str | None, Query(max_length=100, description=(
                     "A trade as people write it: 'cắt tóc', 'cat toc', 'học may'."))] = None,
                 place: Annotated[str | None, Query(max_length=200, description=(
                     "A place, current or former: 'Hà Khánh', 'Phường Cao Xanh', "
                     "'TP Hạ Long'."))] = None,
                 kind: OptionKind | None = None,
                 free_seats: Annotated[bool, Query(description=(
                     "true: only options with a free seat."))] = False,
                 q: Annotated[str | None, Query(max_length=200, description=(
                     "Words of the title or the provider's name."))] = None,
                 limit: Limit = 50, offset: Offset = 0) -> OptionPage:
    """Options by trade, place, kind, free seats and words, a page at a time."""
    query = select(Option).order_by(Option.option_id)
    if trade:
        wanted = trade_id(trade)
        query = query.where(Option.option_id.in_(
            select(OptionTrade.option_id).where(OptionTrade.trade_id == wanted)))
    if place:
        query = query.where(Option.place_id.in_(sorted(place_ids(place))))
    if kind:
        query = query.where(Option.kind == kind)
    if free_seats:
        query = query.where(Option.capacity > 0)
    if q and fold(q):
        # Titles are stored with diacritics only: fold them here, over the filtered ids.
        words = fold(q)
        candidates = session.execute(
            query.with_only_columns(Option.option_id, Option.title, Provider.name_folded)
            .join(Provider, Provider.provider_id == Option.provider_id)).all()
        ids = [oid for oid, title, name in candidates if words in fold(title) or words in name]
        total = len(ids)
        page = ids[offset:offset + limit]
        found = {o.option_id: o for o in session.scalars(
            select(Option).where(Option.option_id.in_(page)))} if page else {}
        rows = [found[i] for i in page if i in found]
    else:
        rows, total = _page(session, query, limit, offset)
    audit.record(session, caller, "read", "option", None, {"count": len(rows), "total": total})
    session.commit()
    return OptionPage(items=options_out(session, rows), total=total)


@router.get("/options/{option_id}", response_model=OptionOut, responses=problem_responses(404))
def get_option(option_id: OptionId, response: Response, session: SessionDep,
               caller: CallerDep) -> OptionOut:
    """One option, with its version as the ETag."""
    option = session.get(Option, option_id)
    if option is None:
        raise Problem(404, "no such option")
    audit.record(session, caller, "read", "option", option_id)
    session.commit()
    response.headers["ETag"] = etag(option.version)
    return options_out(session, [option])[0]
