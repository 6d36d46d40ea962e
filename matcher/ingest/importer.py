"""The second pass: checks against the database and each other, then one transaction."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from matcher.demo import refuse_imports
from matcher.ingest.contract import CONTRACT
from matcher.ingest.deadline import Deadline
from matcher.ingest.duplicates import decided_pairs, ordered, propose
from matcher.ingest.errors import ImportFailed, Problem, TooManyProblems
from matcher.ingest.provider_merge import (
    KnownProvider,
    possible_duplicate,
    same_name,
    same_provider,
)
from matcher.ingest.reading import read_table
from matcher.ingest.rows import ProblemList, Record, parse_records
from matcher.settings import get_settings
from matcher.store import generations
from matcher.store.db import ensure_schema, transaction
from matcher.store.tables import (
    AuditEntry,
    Client,
    FollowUp,
    Option,
    OptionTrade,
    Placement,
    Provider,
    ProviderAlias,
)
from matcher.vocab.text import fold

KINDS = tuple(CONTRACT)
OLDEST_AGE_YEARS = 110


@dataclass
class ImportResult:
    kind: str
    rows: int
    created: int
    merged: list[tuple[str, str]] = field(default_factory=list)  # (id in file, id kept)
    updated: int = 0
    # (new id, known id, likeness): imported as new, the pair proposed to a person
    proposed: list[tuple[str, str, float]] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{self.kind}: {self.rows} rows read, {self.created} created"
        if self.updated:
            text += f", {self.updated} updated"
        if self.merged:
            pairs = ", ".join(f"{a}→{b}" for a, b in self.merged[:10])
            more = f" and {len(self.merged) - 10} more" if len(self.merged) > 10 else ""
            text += f", {len(self.merged)} merged with known providers ({pairs}{more})"
        if self.proposed:
            pairs = ", ".join(f"{a}~{b}" for a, b, _ in self.proposed[:10])
            more = f" and {len(self.proposed) - 10} more" if len(self.proposed) > 10 else ""
            text += (f", {len(self.proposed)} possible duplicates imported as new and listed "
                     f"for a person to decide ({pairs}{more}; matcher providers duplicates)")
        return text


def import_file(
    engine: Engine,
    kind: str,
    path: Path | str,
    *,
    encoding: str | None = None,
    actor: str = "cli",
    source: str = "cli",
    today: date | None = None,
) -> ImportResult:
    """Import one contract file, all or nothing; raise :class:`ImportFailed` listing problems."""
    ensure_schema(engine)
    with transaction(engine) as session:
        return import_into(session, kind, path, encoding=encoding, actor=actor, source=source,
                           today=today)


def import_into(
    session: Session,
    kind: str,
    path: Path | str,
    *,
    encoding: str | None = None,
    actor: str = "cli",
    source: str = "cli",
    today: date | None = None,
    user_id: int | None = None,
    deadline: Deadline | None = None,
) -> ImportResult:
    """Import one file inside the caller's transaction; raising leaves it to be rolled back.

    ``deadline`` bounds the time (the API and the pages pass one made from
    MATCHER_IMPORT_MAX_SECONDS, so a worker is never tied up); the command line, the seed and
    the benchmarks import without one: their operator sees the run and can stop it.
    """
    refuse_imports(session)  # the demo database takes no real records (DemoDatabase)
    if kind not in CONTRACT:
        raise ImportFailed([Problem(None, None,
                                    f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")])
    settings = get_settings()
    path = Path(path)
    # Checked per row while reading and parsing, and around the writing; an overrun raises
    # ImportFailed like any other problem, so the caller's transaction is rolled back.
    deadline = deadline or Deadline(None)
    table = read_table(path, max_bytes=int(settings.import_max_mb * 1e6), encoding=encoding,
                       deadline=deadline)
    problems = ProblemList(settings.import_max_errors)
    try:
        records = parse_records(kind, table, problems, deadline)
        if not problems and not records:
            problems.add(None, None, "the file has a header but no records")
        deadline.check()
        checker = _Checker(session, problems, today or date.today(), deadline)
        result = WRITERS[kind](checker, records)
    except TooManyProblems:
        raise ImportFailed(problems.items, truncated=True) from None
    if problems:
        raise ImportFailed(problems.items, truncated=problems.truncated)
    deadline.check()
    result.rows = len(table.rows)
    session.add(AuditEntry(actor=actor, user_id=user_id, action="import", entity=kind,
                           source=source,
                           detail={"rows": result.rows, "created": result.created,
                                   "proposed": len(result.proposed),
                                   "sha256": _sha256(path)}))
    generations.bump(session, generations.CATALOG)
    session.flush()
    return result


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class _Checker:
    session: Session
    problems: ProblemList
    today: date
    deadline: Deadline = field(default_factory=lambda: Deadline(None))

    def ids(self, column) -> set[str]:
        return set(self.session.scalars(select(column)))

    def unique(self, records: list[Record], key: Callable[[Record], object], column: str,
               existing: set | None = None, what: str = "id") -> list[Record]:
        """Drop and report records whose key repeats in the file or exists in the database."""
        first: dict[object, int] = {}
        kept = []
        for rec in records:
            self.deadline.check()
            k = key(rec)
            if k in first:
                self.problems.add(rec.row, column, f"duplicate {what} {_show(k)} "
                                  f"(first at row {first[k]})")
            elif existing is not None and k in existing:
                self.problems.add(rec.row, column, f"{what} {_show(k)} already exists "
                                  "in the database")
            else:
                first[k] = rec.row
                kept.append(rec)
        return kept


def _show(key: object) -> str:
    return " ".join(map(str, key)) if isinstance(key, tuple) else str(key)


# --- one writer per kind -------------------------------------------------------------------


def _write_providers(c: _Checker, records: list[Record]) -> ImportResult:
    """New providers; one that is certainly a known one (same kind, place and name, phones
    not differing: provider_merge.same_provider) becomes an alias of it; one that only looks
    like a known one is imported as new and the pair is proposed to a person."""
    # Grouped by (kind, place): only providers there can be the same one.
    known: dict[tuple[str, str], list[KnownProvider]] = defaultdict(list)
    by_id: dict[str, KnownProvider] = {}
    for p in c.session.execute(select(Provider.provider_id, Provider.name, Provider.kind,
                                      Provider.place_id, Provider.phone)):
        k = KnownProvider(*p)
        known[(p.kind, p.place_id)].append(k)
        by_id[p.provider_id] = k
    aliases = {a.alias_id: a for a in c.session.scalars(select(ProviderAlias))}
    pairs = decided_pairs(c.session)
    result = ImportResult("providers", 0, 0)
    new_rows, alias_rows = [], []
    seen: dict[str, int] = {}
    for rec in records:
        c.deadline.check()
        v = rec.values
        pid = v["provider_id"]
        if pid in seen:
            c.problems.add(rec.row, "provider_id", f"duplicate id {pid} (first at row {seen[pid]})")
            continue
        seen[pid] = rec.row
        new = KnownProvider(pid, v["name"], v["kind"], v["place_id"], v.get("phone"))
        if pid in by_id or pid in aliases:
            # Same id again: the same provider when the name is still its name (a re-sent
            # registry, or one sent again after its provider was merged into another).
            same = by_id.get(pid)
            if same is None:
                alias = aliases[pid]
                same = KnownProvider(pid, alias.alias_name, v["kind"], v["place_id"])
            if same_name(new.core, same.core):
                result.updated += 1
                continue
            c.problems.add(rec.row, "provider_id",
                           f"id {pid} already exists in the database under another name")
            continue
        group = known[(v["kind"], v["place_id"])]
        match = same_provider(new, group)
        if match is not None:
            alias_rows.append({"alias_id": pid, "provider_id": match.provider_id,
                               "alias_name": v["name"]})
            result.merged.append((pid, match.provider_id))
            continue
        alike = possible_duplicate(new, group)
        if alike is not None and ordered(pid, alike[0].provider_id) not in pairs:
            result.proposed.append((pid, alike[0].provider_id, alike[1]))
        new_rows.append({**v, "name_folded": fold(v["name"])})
        group.append(new)
    if not c.problems:
        _bulk(c.session, Provider, new_rows)
        _bulk(c.session, ProviderAlias, alias_rows)
        for a, b, score in result.proposed:
            propose(c.session, a, b, score)
    result.created = len(new_rows)
    return result


def _write_options(c: _Checker, records: list[Record]) -> ImportResult:
    records = c.unique(records, lambda r: r.values["option_id"], "option_id",
                       c.ids(Option.option_id))
    providers = c.ids(Provider.provider_id)
    aliases = select(ProviderAlias.alias_id, ProviderAlias.provider_id)
    alias_of = dict(c.session.execute(aliases).all())
    rows, trade_rows = [], []
    for rec in records:
        c.deadline.check()
        v = dict(rec.values)
        pid = v["provider_id"]
        if pid not in providers:
            if pid not in alias_of:
                c.problems.add(rec.row, "provider_id",
                               f"unknown provider {pid}: import it in a providers file first")
                continue
            v["provider_id"] = alias_of[pid]
        lo, hi = v.get("min_age"), v.get("max_age")
        if lo is not None and hi is not None and lo > hi:
            c.problems.add(rec.row, "max_age", f"max_age {hi} is below min_age {lo}")
            continue
        if "capacity" not in v:  # a club that takes everyone (contract.option_rules)
            v["capacity"], v["unlimited"] = 0, True
        for pos, trade_id in enumerate(dict.fromkeys(v.pop("trade_ids", ()))):
            trade_rows.append({"option_id": v["option_id"], "trade_id": trade_id,
                               "position": pos})
        rows.append(v)
    if not c.problems:
        _bulk(c.session, Option, rows)
        _bulk(c.session, OptionTrade, trade_rows)
    return ImportResult("options", 0, len(rows))


def _write_clients(c: _Checker, records: list[Record]) -> ImportResult:
    records = c.unique(records, lambda r: r.values["client_id"], "client_id",
                       c.ids(Client.client_id))
    rows = []
    for rec in records:
        c.deadline.check()
        v = dict(rec.values)
        born = v["birth_date"]
        if born > c.today:
            c.problems.add(rec.row, "birth_date", f"{born} is in the future")
            continue
        if (c.today - born).days > OLDEST_AGE_YEARS * 366:
            c.problems.add(rec.row, "birth_date", f"{born} gives an age over {OLDEST_AGE_YEARS}")
            continue
        registered = v.get("registered_on")
        if registered is not None and not born <= registered <= c.today:
            c.problems.add(rec.row, "registered_on",
                           f"{registered} must lie between the birth date and today")
            continue
        v.setdefault("disability", "none")
        if v.get("full_name"):
            v["full_name_folded"] = fold(v["full_name"])
        rows.append(v)
    if not c.problems:
        _bulk(c.session, Client, rows)
    return ImportResult("clients", 0, len(rows))


def _write_placements(c: _Checker, records: list[Record]) -> ImportResult:
    records = c.unique(records, lambda r: r.values["placement_id"], "placement_id",
                       c.ids(Placement.placement_id))
    clients, options = c.ids(Client.client_id), c.ids(Option.option_id)
    rows = []
    for rec in records:
        c.deadline.check()
        v = dict(rec.values)
        if v["client_id"] not in clients:
            c.problems.add(rec.row, "client_id", f"unknown client {v['client_id']}")
            continue
        if v["option_id"] not in options:
            c.problems.add(rec.row, "option_id", f"unknown option {v['option_id']}")
            continue
        status = v.setdefault("status", "completed" if "success" in v else "ongoing")
        if status == "dropped" and v.get("success"):
            c.problems.add(rec.row, "success", "a dropped placement cannot be a success")
            continue
        if v["start_date"] > c.today:
            c.problems.add(rec.row, "start_date", f"{v['start_date']} is in the future")
            continue
        followed = v.get("followed_up_on")
        if followed is not None and not v["start_date"] <= followed <= c.today:
            c.problems.add(rec.row, "followed_up_on",
                           f"{followed} must lie between the start date and today")
            continue
        rows.append(v)
    if not c.problems:
        _bulk(c.session, Placement, rows)
    return ImportResult("placements", 0, len(rows))


def _write_followups(c: _Checker, records: list[Record]) -> ImportResult:
    existing = {tuple(r) for r in c.session.execute(select(FollowUp.client_id,
                                                              FollowUp.followed_up_on))}
    records = c.unique(records, lambda r: (r.values["client_id"], r.values["followed_up_on"]),
                       "followed_up_on", existing, what="follow-up")
    clients = c.ids(Client.client_id)
    rows = []
    for rec in records:
        c.deadline.check()
        v = rec.values
        if v["client_id"] not in clients:
            c.problems.add(rec.row, "client_id", f"unknown client {v['client_id']}")
            continue
        if v["followed_up_on"] > c.today:
            c.problems.add(rec.row, "followed_up_on", f"{v['followed_up_on']} is in the future")
            continue
        rows.append(dict(v))
    if not c.problems:
        _bulk(c.session, FollowUp, rows)
    return ImportResult("followups", 0, len(rows))


WRITERS: dict[str, Callable[[_Checker, list[Record]], ImportResult]] = {
    "providers": _write_providers,
    "options": _write_options,
    "clients": _write_clients,
    "placements": _write_placements,
    "followups": _write_followups,
}


def _bulk(session: Session, table, rows: list[dict], chunk: int = 5000) -> None:
    for start in range(0, len(rows), chunk):
        session.execute(insert(table), rows[start : start + chunk])
