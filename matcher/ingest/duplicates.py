"""Possible duplicate providers, and the merges a person makes of them (and undoes).

An import never joins two providers whose names only look alike
(:mod:`matcher.ingest.provider_merge`): it imports the new one and records the pair as
*proposed*. A person then merges them (:func:`merge`: the other provider's options, aliases
and accounts move to the kept one, with the options' placements and seat history, in one
transaction, audited) or marks them *distinct*, once and for all. A merge can be undone
(:func:`unmerge`) until a placement is recorded on the kept provider's options after it.

Every refusal is a :class:`MergeRefused` with a code and an English sentence that names the
providers; nothing is changed then.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from matcher.clock import as_utc, utcnow
from matcher.ingest.provider_merge import KnownProvider, likeness
from matcher.store import generations
from matcher.store.tables import (
    AuditEntry,
    Option,
    Placement,
    Provider,
    ProviderAlias,
    ProviderMerge,
    ProviderPair,
    User,
)

PROPOSED, DISTINCT, MERGED = "proposed", "distinct", "merged"
#: The merged provider's columns kept to restore it on undo.
_ROW = ("provider_id", "name", "name_folded", "kind", "place_id", "phone")
_TIMES = ("created_at", "updated_at")


class MergeRefused(Exception):
    """A merge, undo or decision that cannot be made; nothing was changed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Actor:
    """Who decides: a signed-in user (id, username, address) or the command line."""

    username: str = "cli"
    user_id: int | None = None
    source: str = "cli"


def ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def propose(session: Session, a: str, b: str, score: float) -> bool:
    """Record the pair as possibly one provider, unless it is already known (proposed,
    distinct or merged); True when it is new. In the caller's transaction."""
    first, second = ordered(a, b)
    if session.get(ProviderPair, (first, second)) is not None:
        return False
    session.add(ProviderPair(provider_a=first, provider_b=second, status=PROPOSED,
                             likeness=round(float(score), 1)))
    return True


def decided_pairs(session: Session) -> set[tuple[str, str]]:
    """Pairs already proposed or decided: an import does not propose them again."""
    return set(session.execute(select(ProviderPair.provider_a, ProviderPair.provider_b)).all())


def scan(session: Session) -> int:
    """Propose every pair of known providers that look alike and was never proposed (for
    records imported before this rule, or edited since). Returns how many are new."""
    groups: dict[tuple[str, str], list[KnownProvider]] = defaultdict(list)
    for p in session.execute(select(Provider.provider_id, Provider.name, Provider.kind,
                                    Provider.place_id, Provider.phone)):
        groups[(p.kind, p.place_id)].append(KnownProvider(*p))
    known = decided_pairs(session)
    added = 0
    for group in groups.values():
        for i, one in enumerate(group):
            for other in group[i + 1:]:
                score = likeness(one, other)
                pair = ordered(one.provider_id, other.provider_id)
                if score is not None and pair not in known:
                    session.add(ProviderPair(provider_a=pair[0], provider_b=pair[1],
                                             status=PROPOSED, likeness=score))
                    known.add(pair)
                    added += 1
    return added


def proposed(session: Session) -> list[dict[str, Any]]:
    """The pairs waiting for a person, each with both providers as a person compares them:
    name, kind, place, phone, and how many options and placements each has."""
    pairs = session.scalars(select(ProviderPair).where(ProviderPair.status == PROPOSED)
                            .order_by(ProviderPair.likeness.desc(), ProviderPair.provider_a,
                                      ProviderPair.provider_b)).all()
    ids = {i for p in pairs for i in (p.provider_a, p.provider_b)}
    facts = _facts(session, ids)
    return [{"a": facts[p.provider_a], "b": facts[p.provider_b], "likeness": p.likeness,
             "found_at": as_utc(p.found_at)}
            for p in pairs if p.provider_a in facts and p.provider_b in facts]


def recent_merges(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """The latest merges, newest first, with whether each can still be undone."""
    rows = session.scalars(select(ProviderMerge).order_by(ProviderMerge.merge_id.desc())
                           .limit(limit)).all()
    return [merge_summary(session, m) for m in rows]


def merge_summary(session: Session, record: ProviderMerge) -> dict[str, Any]:
    """One merge as the page and the API show it, with whether it can still be undone."""
    blocker = None if record.undone_at else _undo_blocker(session, record)
    return {"merge_id": record.merge_id, "kept_id": record.kept_id,
            "merged_id": record.merged_id, "merged_name": record.merged_row.get("name"),
            "merged_at": as_utc(record.merged_at), "merged_by": record.merged_by,
            "undone_at": as_utc(record.undone_at),
            "options": len(record.moved.get("options", [])),
            "undoable": record.undone_at is None and blocker is None, "blocker": blocker}


def mark_distinct(session: Session, a: str, b: str, actor: Actor) -> None:
    """Two providers are not one: never proposed again. In the caller's transaction."""
    if a == b:
        raise MergeRefused("same", f"{a} and {b} are the same provider")
    first, second = ordered(a, b)
    pair = session.get(ProviderPair, (first, second))
    if pair is not None and pair.status == MERGED:
        raise MergeRefused("already_merged", f"{first} and {second} were merged: undo the "
                           "merge first")
    missing = [i for i in (first, second) if session.get(Provider, i) is None]
    if missing:
        raise MergeRefused("unknown", f"no provider {missing[0]}")
    _decide(session, first, second, DISTINCT, actor)
    _audit(session, actor, "distinct", first, {"other": second})


def merge(session: Session, keep: str, other: str, actor: Actor) -> int:
    """Merge provider ``other`` into ``keep``: its options (with their placements and seat
    history), aliases and provider accounts move to ``keep``, its id becomes an alias of
    ``keep`` (a later import under it lands there), and its row is kept in the merge record.
    In the caller's transaction; returns the merge's id."""
    if keep == other:
        raise MergeRefused("same", f"a provider cannot be merged into itself ({keep})")
    kept, gone = _locked(session, keep), _locked(session, other)
    for pid, row in ((keep, kept), (other, gone)):
        if row is None:
            raise MergeRefused("unknown", f"no provider {pid} (merged or never imported)")
    if kept.kind != gone.kind:
        raise MergeRefused("other_kind", f"{other} is a {gone.kind} and {keep} a {kept.kind}: "
                           "providers of different kinds are never one")
    options = list(session.scalars(select(Option.option_id).where(Option.provider_id == other)
                                   .order_by(Option.option_id)))
    aliases = list(session.scalars(select(ProviderAlias.alias_id)
                                   .where(ProviderAlias.provider_id == other)))
    users = list(session.scalars(select(User.user_id).where(User.provider_id == other)))
    session.execute(update(Option).where(Option.provider_id == other).values(provider_id=keep))
    session.execute(update(ProviderAlias).where(ProviderAlias.provider_id == other)
                    .values(provider_id=keep))
    session.execute(update(User).where(User.provider_id == other).values(provider_id=keep))
    row = {c: getattr(gone, c) for c in _ROW}
    row.update({c: as_utc(getattr(gone, c)).isoformat() for c in _TIMES})
    session.delete(gone)
    session.flush()
    session.add(ProviderAlias(alias_id=other, provider_id=keep, alias_name=gone.name))
    record = ProviderMerge(kept_id=keep, merged_id=other, merged_row=row, merged_by=actor.username,
                           moved={"options": options, "aliases": aliases, "users": users})
    session.add(record)
    _decide(session, keep, other, MERGED, actor)
    session.flush()
    _audit(session, actor, "merge", keep, {"merged": other, "merge_id": record.merge_id,
                                           "options": len(options), "users": len(users)})
    generations.bump(session, generations.CATALOG)
    return record.merge_id


def unmerge(session: Session, merge_id: int, actor: Actor) -> None:
    """Undo a merge: the merged provider comes back with what moved. Refused once a placement
    was recorded on the kept provider's options after the merge (its record now counts the
    two together). In the caller's transaction."""
    record = session.get(ProviderMerge, merge_id, with_for_update=True)
    if record is None:
        raise MergeRefused("unknown_merge", f"no merge {merge_id}")
    if record.undone_at is not None:
        raise MergeRefused("undone", f"merge {merge_id} was already undone")
    blocker = _undo_blocker(session, record)
    if blocker is not None:
        raise MergeRefused(blocker, _BLOCKERS[blocker].format(kept=record.kept_id,
                                                             merged=record.merged_id))
    _locked(session, record.kept_id)
    session.execute(delete(ProviderAlias).where(ProviderAlias.alias_id == record.merged_id))
    row = dict(record.merged_row)
    row.update({c: datetime.fromisoformat(row[c]) for c in _TIMES if row.get(c)})
    session.execute(insert(Provider).values(**row))
    moved = record.moved
    if moved.get("options"):
        session.execute(update(Option).where(Option.option_id.in_(moved["options"]),
                                             Option.provider_id == record.kept_id)
                        .values(provider_id=record.merged_id))
    if moved.get("aliases"):
        session.execute(update(ProviderAlias).where(ProviderAlias.alias_id.in_(moved["aliases"]))
                        .values(provider_id=record.merged_id))
    if moved.get("users"):
        session.execute(update(User).where(User.user_id.in_(moved["users"]))
                        .values(provider_id=record.merged_id))
    record.undone_at, record.undone_by = utcnow(), actor.username
    _decide(session, record.kept_id, record.merged_id, PROPOSED, None)  # a person's again
    _audit(session, actor, "unmerge", record.kept_id, {"merged": record.merged_id,
                                                       "merge_id": merge_id})
    generations.bump(session, generations.CATALOG)


_BLOCKERS = {
    "placed_since": "a placement was recorded on {kept}'s options after the merge: {kept} and "
                    "{merged} can no longer be told apart by undoing it",
    "kept_gone": "{kept} was itself merged into another provider since: undo that merge first",
    "id_taken": "the id {merged} is in use again: it cannot be given back",
}


def _decide(session: Session, a: str, b: str, status: str, actor: Actor | None) -> None:
    """Record a person's decision on a pair (``PROPOSED`` with no actor: undecided again);
    a pair never proposed gets its row now."""
    first, second = ordered(a, b)
    pair = session.get(ProviderPair, (first, second))
    if pair is None:
        pair = ProviderPair(provider_a=first, provider_b=second, likeness=0.0)
        session.add(pair)
    pair.status = status
    pair.decided_at = utcnow() if actor else None
    pair.decided_by = actor.username if actor else None


def _undo_blocker(session: Session, record: ProviderMerge) -> str | None:
    if session.get(Provider, record.kept_id) is None:
        return "kept_gone"
    if session.get(Provider, record.merged_id) is not None:
        return "id_taken"
    since = session.scalar(
        select(func.count()).select_from(Placement).join(Option)
        .where(or_(Option.provider_id == record.kept_id,
                   Option.option_id.in_(record.moved.get("options") or [""])),
               Placement.created_at > record.merged_at))
    return "placed_since" if since else None


def _locked(session: Session, provider_id: str) -> Provider | None:
    """The provider's row, locked until the transaction ends (PostgreSQL; SQLite's one
    writer serialises anyway)."""
    return session.scalar(select(Provider).where(Provider.provider_id == provider_id)
                          .with_for_update())


def _facts(session: Session, ids: set[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    options = dict(session.execute(select(Option.provider_id, func.count())
                                   .where(Option.provider_id.in_(ids))
                                   .group_by(Option.provider_id)).all())
    placed = dict(session.execute(select(Option.provider_id, func.count())
                                  .select_from(Placement).join(Option)
                                  .where(Option.provider_id.in_(ids))
                                  .group_by(Option.provider_id)).all())
    return {p.provider_id: {"provider_id": p.provider_id, "name": p.name, "kind": p.kind,
                            "place_id": p.place_id, "phone": p.phone or "",
                            "options": int(options.get(p.provider_id, 0)),
                            "placements": int(placed.get(p.provider_id, 0))}
            for p in session.scalars(select(Provider).where(Provider.provider_id.in_(ids)))}


def _audit(session: Session, actor: Actor, action: str, provider_id: str,
           detail: dict[str, Any]) -> None:
    session.add(AuditEntry(user_id=actor.user_id, actor=actor.username, action=action,
                           entity="provider", entity_id=provider_id, source=actor.source,
                           detail=detail))


__all__ = ["DISTINCT", "MERGED", "PROPOSED", "Actor", "MergeRefused", "decided_pairs",
           "mark_distinct", "merge", "merge_summary", "ordered", "propose", "proposed",
           "recent_merges", "scan", "unmerge"]
