"""`matcher providers …`: possible duplicate providers, merged or kept apart by a person."""

from __future__ import annotations

import json
from typing import Annotated

import typer

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

providers_app = typer.Typer(help="Providers: possible duplicates, merges and their undoing.",
                            no_args_is_help=True)


def _engine():
    from matcher.store.db import make_engine, upgrade

    engine = make_engine()
    upgrade(engine)
    return engine


def _refused(exc: MergeRefused) -> None:
    typer.echo(f"nothing was changed: {exc}", err=True)
    raise typer.Exit(1)


@providers_app.command("duplicates")
def duplicates(
    rescan: Annotated[bool, typer.Option(
        "--scan", help="First look through every known provider for pairs never proposed "
                       "(records imported before this rule, or edited since).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The pairs of providers that may be one, waiting for a person to decide."""
    from matcher.store.db import transaction

    with transaction(_engine()) as session:
        found = scan(session) if rescan else 0
        pairs = proposed(session)
        merges = recent_merges(session, limit=20)
    if as_json:
        typer.echo(json.dumps({"found": found, "pairs": pairs, "merges": merges},
                         ensure_ascii=False, default=str))
        return
    if rescan:
        typer.echo(f"{found} new possible duplicates found")
    if not pairs:
        typer.echo("no possible duplicates wait for a decision")
    for p in pairs:
        a, b = p["a"], p["b"]
        typer.echo(f"{a['provider_id']} {a['name']!r} ~ {b['provider_id']} {b['name']!r} "
              f"({a['kind']}, {a['place_id']}; likeness {p['likeness']:.0f}; options "
              f"{a['options']}/{b['options']}, placements {a['placements']}/{b['placements']}"
              f"; phones {a['phone'] or '-'}/{b['phone'] or '-'})")
    if pairs:
        typer.echo("decide: matcher providers merge KEEP OTHER, or matcher providers distinct A B")


@providers_app.command("merge")
def merge_command(
    keep: Annotated[str, typer.Argument(help="The provider that stays.")],
    other: Annotated[str, typer.Argument(help="The provider merged into it.")],
) -> None:
    """Merge OTHER into KEEP: its options (with placements and seat history), aliases and
    accounts move to KEEP, in one transaction; undo with `matcher providers unmerge`."""
    from matcher.store.db import transaction

    try:
        with transaction(_engine()) as session:
            merge_id = merge(session, keep, other, Actor())
    except MergeRefused as exc:
        _refused(exc)
    typer.echo(f"{other} merged into {keep} (merge {merge_id}; undo: matcher providers unmerge "
          f"{merge_id})")


@providers_app.command("unmerge")
def unmerge_command(
    merge_id: Annotated[int, typer.Argument(help="The merge's number.", min=1, max=2**31 - 1)],
) -> None:
    """Undo a merge, until a placement is recorded on the kept provider's options after it."""
    from matcher.store.db import transaction

    try:
        with transaction(_engine()) as session:
            unmerge(session, merge_id, Actor())
    except MergeRefused as exc:
        _refused(exc)
    typer.echo(f"merge {merge_id} undone")


@providers_app.command("distinct")
def distinct_command(
    a: Annotated[str, typer.Argument(help="One provider.")],
    b: Annotated[str, typer.Argument(help="The other.")],
) -> None:
    """A and B are two providers: never proposed as duplicates again."""
    from matcher.store.db import transaction

    try:
        with transaction(_engine()) as session:
            mark_distinct(session, a, b, Actor())
    except MergeRefused as exc:
        _refused(exc)
    typer.echo(f"{a} and {b} are kept apart")
