"""The `matcher` command: the same functions the API calls, for the terminal and scripts."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from matcher.ingest import KINDS, ImportFailed, import_file
from matcher.ingest.seed import seed as seed_demo
from matcher.settings import DEMO_DIR, get_settings
from matcher.store.db import current_revision, head_revision, is_empty, make_engine, upgrade

app = typer.Typer(help="Placement matcher for Quảng Ninh's social workers.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _fail(message: str) -> None:
    print(message, file=sys.stderr)
    raise typer.Exit(1)


@app.command("import")
def import_command(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}.")],
    file: Annotated[Path, typer.Argument(help="UTF-8 CSV or .xlsx file of the data contract.")],
    encoding: Annotated[str | None, typer.Option(help="Read a CSV in this encoding "
                                                      "(e.g. cp1258) instead of UTF-8.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Load one file; all or nothing, exit 1 with the row-level errors."""
    engine = make_engine()
    try:
        result = import_file(engine, kind, file, encoding=encoding)
    except ImportFailed as exc:
        if as_json:
            print(json.dumps({"ok": False, "problems": [
                {"row": p.row, "column": p.column, "message": p.message} for p in exc.problems
            ], "truncated": exc.truncated}, ensure_ascii=False))
            raise typer.Exit(1) from None
        _fail(f"{file}: not imported, nothing was changed.\n{exc.render()}")
    if as_json:
        print(json.dumps({"ok": True, "kind": result.kind, "rows": result.rows,
                          "created": result.created, "updated": result.updated,
                          "merged": [list(m) for m in result.merged]}, ensure_ascii=False))
    else:
        print(result.summary())


@app.command()
def seed(
    directory: Annotated[
        Path, typer.Option(help="Folder with the five contract files.")
    ] = DEMO_DIR,
    if_empty: Annotated[bool, typer.Option("--if-empty",
                                           help="Do nothing (exit 0) when data is there.")] = False,
) -> None:
    """Load the demo world from data/demo into an empty database."""
    engine = make_engine()
    if if_empty and not is_empty(engine):
        print("the database already holds data; not seeded")
        return
    try:
        results = seed_demo(engine, directory)
    except ImportFailed as exc:
        _fail(f"not seeded, nothing was changed.\n{exc.render()}")
    for result in results:
        print(result.summary())


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the newest revision."""
    engine = make_engine()
    upgrade(engine)
    print(f"schema at revision {current_revision(engine)}")


@db_app.command("status")
def db_status() -> None:
    """Show the schema revision of the database and of the code."""
    engine = make_engine()
    print(f"database: {current_revision(engine) or 'empty'}; code: {head_revision()}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[
        int, typer.Option(help="Worker processes (PostgreSQL for more than 1).")
    ] = 1,
) -> None:
    """Serve the API and the web pages; seed the demo world when the database is empty."""
    import uvicorn

    engine = make_engine()
    upgrade(engine)
    if is_empty(engine):
        print("empty database: loading the demo world")
        seed_demo(engine)
    if workers > 1 and get_settings().database_url.startswith("sqlite"):
        print("note: several workers share one SQLite file; use PostgreSQL for real load")
    uvicorn.run("api.main:app", host=host, port=port, workers=workers, factory=False)


if __name__ == "__main__":  # pragma: no cover
    app()
